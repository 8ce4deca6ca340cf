package main

import (
	"os"
	"os/signal"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/cluster"
)

var nodeCommand = &cli.Command{
	Name:     "node",
	Usage:    "add a node to the local cluster, or take one out (as root)",
	Category: localClusterCategory,
	Subcommands: []*cli.Command{
		{
			Name:  "add",
			Usage: "add a node: a network namespace on the underlay and a podlet, like a machine that joins",
			ArgsUsage: " \n\n" +
				"   example: sudo podlab node add\n\n" +
				"   The new node gets the next number (node3 after node2), a /24 of the pod range, and its\n" +
				"   podlet publishes its overlay lease: every other node programs a route to it.",
			Flags: []cli.Flag{
				&cli.DurationFlag{Name: "timeout", Value: cluster.DefaultTimeout, Usage: "how long, a `DURATION`, to wait for the node to be Ready"},
				&cli.StringFlag{Name: "bin-dir", Usage: "`DIR` of podlab-server and podlet (default: next to this podlab)"},
			},
			Action: func(c *cli.Context) error {
				if c.Args().Present() {
					return usagef("node add takes no arguments: the node's name is the next free one")
				}
				ctx, cancel := signal.NotifyContext(c.Context, os.Interrupt, unix.SIGTERM)
				defer cancel()
				_, err := cluster.AddNode(ctx, cluster.Options{BinDir: c.String("bin-dir"), Timeout: c.Duration("timeout"), Progress: progress(c)})
				return err
			},
		},
		{
			Name:  "remove",
			Usage: "take a node out: stop its podlet, remove its pods, delete its Node, its namespace and link",
			ArgsUsage: "NODE\n\n" +
				"   example: sudo podlab node remove node3\n\n" +
				"   Every other node forgets it: its route, neighbour and FDB entry go.",
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return usagef("node remove takes one node, like \"podlab node remove node3\"")
				}
				return cluster.RemoveNode(c.Context, c.Args().First(), cluster.Options{Progress: progress(c)})
			},
		},
	},
}
