package main

import (
	"os"
	"os/signal"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/podlet"
)

var logsCommand = &cli.Command{
	Name:  "logs",
	Usage: "print the logs of a container of a pod, from the node it runs on, like kubectl logs",
	ArgsUsage: "POD\n\n" +
		"   examples: podlab logs web\n" +
		"             podlab logs -f --tail 10 web -c sidecar",
	Category: clusterCategory,
	Flags: clusterFlags(
		namespaceFlags()[0],
		&cli.StringFlag{Name: "container", Aliases: []string{"c"}, Usage: "the `CONTAINER` (default: the pod's first)"},
		&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep printing new lines until the container exits, or Ctrl-C"},
		&cli.IntFlag{Name: "tail", Value: -1, DefaultText: "all", Usage: "only the last `N` lines"},
		&cli.BoolFlag{Name: "previous", Aliases: []string{"p"}, Usage: "the logs of the container's instance before its last restart (podlab's runtime keeps none yet)"},
		nodeAPIPortFlag(),
	),
	Action: func(c *cli.Context) error {
		if c.NArg() != 1 {
			return usagef("logs: give exactly one pod name, like \"podlab logs web\"")
		}
		if c.Int("tail") < -1 {
			return usagef("--tail %d: want a number of lines, or -1 for all", c.Int("tail"))
		}
		nodes, err := connectNodes(c)
		if err != nil {
			return err
		}
		ctx, cancel := signal.NotifyContext(c.Context, os.Interrupt, unix.SIGTERM)
		defer cancel()
		pod, node, err := nodes.podNode(ctx, namespace(c), c.Args().First())
		if err != nil {
			return err
		}
		container, err := podContainer(pod, c.String("container"), c.App.ErrWriter)
		if err != nil {
			return err
		}
		opts := podlet.LogOptions{Follow: c.Bool("follow"), TailLines: c.Int("tail"), Previous: c.Bool("previous")}
		return node.Logs(ctx, pod.Namespace, pod.Name, container, opts, c.App.Writer)
	},
}
