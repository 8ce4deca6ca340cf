package main

import (
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
)

var scaleCommand = &cli.Command{
	Name:  "scale",
	Usage: "set the number of replicas of a Deployment, ReplicaSet, ReplicationController or StatefulSet, like kubectl scale",
	ArgsUsage: "KIND/NAME... | KIND NAME... --replicas=N\n\n" +
		"   examples: podlab scale deploy/web --replicas=3\n" +
		"             podlab scale statefulset db --replicas=0",
	Category: clusterCategory,
	Flags: clusterFlags(
		&cli.IntFlag{Name: "replicas", Value: -1, Usage: "the new number of replicas, `N` >= 0 (required)"},
		&cli.StringFlag{Name: "namespace", Aliases: []string{"n"}, Usage: "namespace `NS` of the objects (default: \"default\")"},
	),
	BashComplete: completeObjects,
	Action: func(c *cli.Context) error {
		replicas := c.Int("replicas")
		if replicas < 0 {
			return usagef("scale: give the number of replicas with --replicas=N, like \"podlab scale deploy/web --replicas=3\"")
		}
		targets, err := parseTargets(c.Args().Slice())
		if err != nil {
			return err
		}
		for _, t := range targets {
			if !slices.Contains(scalableKinds, t.kind) {
				return usagef("scale: cannot scale %s: podlab scales deployments, replicasets, replicationcontrollers and statefulsets", api.KindName(t.kind))
			}
			if t.name == "" {
				return usagef("scale: give the name of the %s, like \"podlab scale deploy/web --replicas=3\"", api.KindName(t.kind))
			}
		}
		cl, err := connect(c)
		if err != nil {
			return err
		}
		// A merge patch of spec.replicas changes nothing else, and needs
		// no read first: it cannot conflict.
		patch := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, replicas)
		ok := true
		for _, t := range targets {
			r, err := cl.Resource(t.kind, namespace(c))
			if err == nil {
				_, err = r.Patch(c.Context, t.name, patch)
			}
			if err != nil {
				fmt.Fprintln(c.App.ErrWriter, "podlab: "+errorText(err))
				ok = false
				continue
			}
			fmt.Fprintf(c.App.Writer, "%s/%s scaled\n", api.KindName(t.kind), t.name)
		}
		if !ok {
			return failed
		}
		return nil
	},
}

// scalableKinds are the kinds with a spec.replicas.
var scalableKinds = []api.TypeMeta{api.KindDeployment, api.KindReplicaSet, api.KindReplicationController, api.KindStatefulSet}
