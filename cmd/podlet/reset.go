package main

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/daemon"
	"github.com/podlab/podlab/core/paths"
	"github.com/podlab/podlab/core/podlet"
)

// resetCommand is "podlet reset", the node's "kubeadm reset": a podlet
// that stops leaves its pods running, for the next podlet to adopt, so
// taking a node apart needs a step of its own. "podlab down" runs it in
// every node's network namespace, after it stopped the podlets.
var resetCommand = &cli.Command{
	Name:  "reset",
	Usage: "remove every pod of this node, its pod network and the podlet's state, as \"kubeadm reset\" does; stop the podlet first",
	ArgsUsage: " \n\n" +
		"   example: podlet reset --node-name node1 --state-dir /run/podlab/nodes/node1\n" +
		"   in the node's network namespace, where the podlet runs, so that it finds the pods' bridge:\n" +
		"            nsenter --net=/run/netns/podlab-node1 podlet reset --node-name node1",
	Description: "A podlet that stops leaves its pods running: the next one adopts them, as the kubelet does.\n" +
		"reset is how a node is taken apart for good. For each pod in the state directory it stops the\n" +
		"containers (SIGTERM, then SIGKILL after --grace) and the pause, releases the pod's IP and removes\n" +
		"its cgroups; then it kills and removes what the records missed below the node's cgroup\n" +
		"(podlab/<node-name>), takes down the pod network (the podlab0 bridge, its MASQUERADE rule,\n" +
		"ip_forward) and the overlay (flannel.1, host-gw routes), and removes the podlet's state. Running it again, or on a node without pods, is harmless.\n" +
		"A podlet still running would start its pods again: stop it first.",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "node-name", Usage: "`NAME` of the node to reset, like node1 (required): its pods' cgroups are below podlab/NAME"},
		&cli.StringFlag{Name: "state-dir", Usage: "the podlet's `DIR`, as its --state-dir (default: " + filepath.Join(paths.Run(), "nodes", "<node-name>") + ")"},
		&cli.StringFlag{Name: "cluster-cidr", Value: "10.244.0.0/16", Usage: "every pod's range, a `CIDR`, as the podlet's --cluster-cidr: the overlay's routes into it go, with the vxlan device"},
		&cli.DurationFlag{Name: "grace", Value: 5 * time.Second, Usage: "the longest a container gets, a `DURATION`, between SIGTERM and SIGKILL; a pod whose terminationGracePeriodSeconds is shorter gets that"},
	},
	OnUsageError: daemon.OnUsageError,
	Action: func(c *cli.Context) error {
		if c.Args().Present() {
			return daemon.Usagef("unexpected argument %q: podlet reset takes only flags", c.Args().First())
		}
		cfg := podlet.ResetConfig{NodeName: c.String("node-name"), StateDir: c.String("state-dir"), Grace: c.Duration("grace")}
		if cfg.NodeName == "" {
			return daemon.Usagef("--node-name is required: the node whose pods to remove, like node1")
		}
		var err error
		if cfg.ClusterCIDR, err = netip.ParsePrefix(c.String("cluster-cidr")); err != nil || !cfg.ClusterCIDR.Addr().Is4() {
			return daemon.Usagef("--cluster-cidr %q: want an IPv4 CIDR like 10.244.0.0/16", c.String("cluster-cidr"))
		}
		if cfg.Grace < 0 {
			return daemon.Usagef("--grace %v: must not be negative, like 5s", cfg.Grace)
		}
		if cfg.StateDir == "" {
			cfg.StateDir = filepath.Join(paths.Run(), "nodes", cfg.NodeName)
		}
		w := c.App.Writer
		cfg.Say = func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
		n, err := podlet.Reset(c.Context, cfg)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "node %s is reset: %d pod(s) removed\n", cfg.NodeName, n)
		return nil
	},
}
