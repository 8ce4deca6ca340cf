package main

import (
	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/cluster"
)

var downCommand = &cli.Command{
	Name:  "down",
	Usage: "remove the local cluster: its pods, processes, network namespaces, links, state and client config (as root)",
	ArgsUsage: " \n\n" +
		"   example: sudo podlab down\n\n" +
		"   It removes what \"podlab up\" recorded, and works on a cluster that is half up or half broken.\n" +
		"   A stopped podlet leaves its pods running, so down runs \"podlet reset\" on every node (the\n" +
		"   node's \"kubeadm reset\") before it deletes the node, or removes the pods from the host itself.",
	Category: localClusterCategory,
	Action: func(c *cli.Context) error {
		if c.Args().Present() {
			return usagef("down takes no arguments")
		}
		return cluster.Down(cluster.Options{Progress: progress(c)})
	},
}
