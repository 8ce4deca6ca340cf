package main

import (
	"context"

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
	Flags:    manifestFlags("the manifests to create"),
	Action: sendManifests("create", "podlab create -f pod.yaml", func(ctx context.Context, cl *client.Client, obj api.Object, flagNS string) (string, error) {
		created, err := createObject(ctx, cl, obj, flagNS)
		if err != nil {
			return "", err
		}
		return objectName(created) + " created", nil
	}),
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
