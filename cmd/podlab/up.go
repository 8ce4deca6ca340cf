package main

import (
	"os"
	"os/signal"
	"strings"

	"github.com/fatih/color"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/cluster"
	"github.com/podlab/podlab/core/overlay"
)

// localClusterCategory groups up, status and down in "podlab --help".
const localClusterCategory = "a local cluster of network namespaces, like kind"

var upCommand = &cli.Command{
	Name:  "up",
	Usage: "start a local cluster: podlab-server on this machine and a podlet in each node, every node a network namespace (as root)",
	ArgsUsage: " \n\n" +
		"   examples: sudo podlab up\n" +
		"             sudo podlab up --nodes 3 --underlay 172.31.0.0/24\n" +
		"             sudo podlab up --backend host-gw   (switch a running cluster's overlay; the pods keep running)\n\n" +
		"   Running it again is harmless: it starts what died and makes what is missing.",
	Category: localClusterCategory,
	Flags: []cli.Flag{
		&cli.IntFlag{Name: "nodes", Usage: "how many nodes, `N`", DefaultText: "2, or what the running cluster has"},
		&cli.StringFlag{Name: "underlay", Usage: "the network of the host and the nodes, `CIDR`: the host is .1, node i is .(10+i) (default: " + cluster.DefaultUnderlay + ")"},
		&cli.StringFlag{Name: "pod-cidr", Usage: "the range of pod IPs, `CIDR`, a /24 of it per node (default: " + cluster.DefaultPodCIDR + ")"},
		&cli.StringFlag{Name: "backend", Usage: "the overlay between the nodes, `TYPE` " + strings.Join(overlay.Backends(), " or ") + "; may change on a running cluster", DefaultText: cluster.DefaultBackend + ", or what the running cluster has"},
		&cli.DurationFlag{Name: "timeout", Value: cluster.DefaultTimeout, Usage: "how long, a `DURATION`, to wait for the API server and every node to be Ready"},
		&cli.StringFlag{Name: "bin-dir", Usage: "`DIR` of podlab-server and podlet (default: next to this podlab)"},
		&cli.StringFlag{Name: "prefix", Usage: "`PREFIX` of every name made in the kernel, podlab and letters or digits, for a second cluster next to the first (default: " + cluster.DefaultPrefix + ")"},
		&cli.StringFlag{Name: "bridge", Usage: "`NAME` of the underlay bridge, at most 15 characters (default: <prefix>-underlay)"},
		&cli.StringFlag{Name: "etcd-client-url", Usage: "client `URL` of podlab-server's etcd (default: " + cluster.DefaultEtcdClientURL + ")"},
		&cli.StringFlag{Name: "etcd-peer-url", Usage: "peer `URL` of podlab-server's etcd (default: " + cluster.DefaultEtcdPeerURL + ")"},
	},
	Action: func(c *cli.Context) error {
		if c.Args().Present() {
			return usagef("up takes no arguments, only flags, like \"podlab up --nodes 3\"")
		}
		cfg := cluster.Config{Nodes: c.Int("nodes"), Prefix: c.String("prefix"), Bridge: c.String("bridge"), Backend: c.String("backend"),
			EtcdClientURL: c.String("etcd-client-url"), EtcdPeerURL: c.String("etcd-peer-url")}
		if c.IsSet("nodes") && cfg.Nodes < 1 {
			return usagef("--nodes %d: a cluster has at least 1 node", cfg.Nodes)
		}
		if cfg.Backend != "" {
			if err := overlay.CheckBackend(cfg.Backend); err != nil {
				return usagef("--backend: %v", err)
			}
		}
		var err error
		if cfg.Underlay, err = cluster.ParsePrefix("underlay", c.String("underlay")); err != nil {
			return usageError{err}
		}
		if cfg.PodCIDR, err = cluster.ParsePrefix("pod-cidr", c.String("pod-cidr")); err != nil {
			return usageError{err}
		}
		ctx, cancel := signal.NotifyContext(c.Context, os.Interrupt, unix.SIGTERM)
		defer cancel()
		return cluster.Up(ctx, cfg, cluster.Options{BinDir: c.String("bin-dir"), Timeout: c.Duration("timeout"), Progress: progress(c)})
	},
}

// progress prints the steps of up and down to the command's output, in
// colour on a terminal unless NO_COLOR is set (color.NoColor says both).
func progress(c *cli.Context) *cluster.Progress {
	return cluster.NewProgress(c.App.Writer, !color.NoColor && c.App.Writer == os.Stdout)
}
