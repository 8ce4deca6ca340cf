package main

import (
	"context"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

var describeCommand = &cli.Command{
	Name:  "describe",
	Usage: "show an object in words, with the events about it, like kubectl describe",
	ArgsUsage: "KIND NAME... | KIND/NAME... | KIND [-l SELECTOR]\n\n" +
		"   examples: podlab describe pod web\n" +
		"             podlab describe deploy/web\n" +
		"             podlab describe nodes",
	Category: clusterCategory,
	Flags: clusterFlags(
		&cli.StringFlag{Name: "namespace", Aliases: []string{"n"}, Usage: "namespace `NS` of the objects (default: \"default\")"},
		&cli.StringFlag{Name: "selector", Aliases: []string{"l"}, Usage: "describe the objects of KIND whose labels match `SELECTOR`"},
	),
	BashComplete: completeObjects,
	Action: func(c *cli.Context) error {
		targets, err := parseTargets(c.Args().Slice())
		if err != nil {
			return err
		}
		if c.IsSet("selector") && targets[0].name != "" {
			return usagef("describe: give names or -l SELECTOR, not both")
		}
		cl, err := connect(c)
		if err != nil {
			return err
		}
		objs, ok := describeTargets(c.Context, cl, targets, namespace(c), c.String("selector"), c.App.ErrWriter)
		if len(objs) == 0 && ok {
			fmt.Fprintf(c.App.ErrWriter, "No resources found in %s namespace.\n", namespace(c))
		}
		for i, obj := range objs {
			if i > 0 {
				fmt.Fprintln(c.App.Writer)
			}
			if err := describeObject(c.Context, cl, obj, c.App.Writer); err != nil {
				return err
			}
		}
		if !ok {
			return failed
		}
		return nil
	},
}

// describeTargets gets the named objects, or lists those of a kind. A
// failure is printed, and ok is false.
func describeTargets(ctx context.Context, cl *client.Client, targets []target, ns, selector string, errw io.Writer) (objs []api.Object, ok bool) {
	ok = true
	for _, t := range targets {
		r, err := cl.Resource(t.kind, ns)
		if err != nil {
			fmt.Fprintln(errw, "podlab: "+err.Error())
			ok = false
			continue
		}
		if t.name == "" {
			list, _, err := r.List(ctx, client.ListOptions{LabelSelector: selector})
			if err != nil {
				fmt.Fprintln(errw, "podlab: "+errorText(err))
				ok = false
			}
			objs = append(objs, list...)
			continue
		}
		obj, err := r.Get(ctx, t.name)
		if err != nil {
			fmt.Fprintln(errw, "podlab: "+errorText(err))
			ok = false
			continue
		}
		objs = append(objs, obj)
	}
	return objs, ok
}

// describeObject writes obj for people: its metadata, what its kind has to
// say, then the events about it. An extra lookup that fails, like the
// events, is left out: the object itself is what was asked for.
func describeObject(ctx context.Context, cl *client.Client, obj api.Object, w io.Writer) error {
	d := newDescribeWriter(w)
	switch o := obj.(type) {
	case *api.Pod:
		describePod(d, o)
	case *api.Deployment:
		describeDeployment(d, o)
	case *api.ReplicaSet:
		describeReplicaSet(ctx, cl, d, o)
	case *api.ReplicationController:
		describeReplicationController(ctx, cl, d, o)
	case *api.StatefulSet:
		describeStatefulSet(ctx, cl, d, o)
	case *api.DaemonSet:
		describeDaemonSet(ctx, cl, d, o)
	case *api.Node:
		describeNode(ctx, cl, d, o)
	case *api.Service:
		describeService(ctx, cl, d, o)
	default:
		describeMeta(d, obj)
		if err := describeFields(d, obj); err != nil {
			return err
		}
	}
	if api.KindOf(obj) == api.KindEvent {
		return d.flush()
	}
	if err := d.flush(); err != nil { // the events align on their own
		return err
	}
	describeEvents(ctx, cl, d, obj)
	return d.flush()
}
