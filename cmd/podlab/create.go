package main

import (
	"context"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

var createCommand = &cli.Command{
	Name:  "create",
	Usage: "create objects from manifests; an object that exists already is an error, like kubectl create",
	ArgsUsage: "-f FILE|DIR|- [-f ...]\n\n" +
		"   example: podlab create -f pod.yaml",
	Category: clusterCategory,
	Flags: clusterFlags(
		filenameFlag("the manifests to create"),
		&cli.StringFlag{Name: "namespace", Aliases: []string{"n"}, Usage: "namespace `NS` of the objects that name none (default: \"default\")"},
	),
	Action: func(c *cli.Context) error {
		if c.NArg() > 0 {
			return usagef("create takes no arguments: give the manifests with -f, like \"podlab create -f pod.yaml\"")
		}
		if len(c.StringSlice("filename")) == 0 {
			return usagef("create: give the manifests with -f, like \"podlab create -f pod.yaml\"")
		}
		cl, err := connect(c)
		if err != nil {
			return err
		}
		objs, ok, err := readManifests(c.StringSlice("filename"), c.App.Reader, c.App.ErrWriter)
		if err != nil {
			return err
		}
		if !createAll(c.Context, cl, objs, c.String("namespace"), c.App.Writer, c.App.ErrWriter) || !ok {
			return failed
		}
		return nil
	},
}

// createAll creates each object and prints "pod/web created"; a failure
// is printed and the others go on. It returns whether all succeeded.
func createAll(ctx context.Context, cl *client.Client, objs []api.Object, flagNS string, w, errw io.Writer) bool {
	ok := true
	for _, obj := range objs {
		created, err := createObject(ctx, cl, obj, flagNS)
		if err != nil {
			fmt.Fprintf(errw, "podlab: create %s: %s\n", objectName(obj), errorText(err))
			ok = false
			continue
		}
		fmt.Fprintf(w, "%s created\n", objectName(created))
	}
	return ok
}

// createObject creates obj in its namespace and returns it as stored
// (with its name, if the manifest had only a generateName).
func createObject(ctx context.Context, cl *client.Client, obj api.Object, flagNS string) (api.Object, error) {
	ns, err := manifestNamespace(obj, flagNS)
	if err != nil {
		return nil, err
	}
	r, err := cl.Resource(api.KindOf(obj), ns)
	if err != nil {
		return nil, err
	}
	return r.Create(ctx, forCreate(obj, ns))
}
