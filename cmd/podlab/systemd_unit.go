package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/cluster"
)

// machinesCategory groups the commands of a cluster of machines in
// "podlab --help".
const machinesCategory = "a cluster of machines, like the Vagrant one"

// systemdUnitCommand prints the systemd units of a cluster on machines of
// its own, as the Vagrant provisioning installs them: the daemons run
// with the flags "podlab up" gives them (cluster.ServerFlags,
// cluster.PodletFlags), the machine's address in place of the underlay's.
var systemdUnitCommand = &cli.Command{
	Name:     "systemd-unit",
	Usage:    "print the systemd unit of podlab-server or of a podlet, for a cluster of machines (the Vagrant cluster)",
	Category: machinesCategory,
	Subcommands: []*cli.Command{
		{
			Name:  "server",
			Usage: "the unit of podlab-server on the control-plane machine",
			ArgsUsage: " \n\n" +
				"   example: podlab systemd-unit server --listen 192.168.56.10:6443 > /etc/systemd/system/" + cluster.ServerUnitName,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "listen", Usage: "the API's `IP:PORT` on the network the machines share, like 192.168.56.10:6443"},
				&cli.StringFlag{Name: "data-dir", Value: cluster.UnitServerDataDir, Usage: "`DIR` of etcd's data and admin.conf"},
				&cli.StringFlag{Name: "token-file", Value: cluster.UnitTokenFile, Usage: "`FILE` of the cluster's tokens, token,user,uid lines"},
				&cli.StringFlag{Name: "pod-cidr", Value: cluster.DefaultPodCIDR, Usage: "the pods' range, `CIDR`, a /24 of it per node"},
				&cli.StringFlag{Name: "etcd-client-url", Value: cluster.DefaultEtcdClientURL, Usage: "client `URL` of the embedded etcd"},
				&cli.StringFlag{Name: "etcd-peer-url", Value: cluster.DefaultEtcdPeerURL, Usage: "peer `URL` of the embedded etcd"},
				exeFlag("podlab-server"),
			},
			Action: func(c *cli.Context) error {
				if c.Args().Present() {
					return usagef("systemd-unit server takes only flags, like --listen 192.168.56.10:6443")
				}
				if err := required(c, "listen"); err != nil {
					return err
				}
				f := cluster.UnitServerFlags(c.String("listen"))
				f.DataDir, f.TokenFile, f.PodCIDR = c.String("data-dir"), c.String("token-file"), c.String("pod-cidr")
				f.EtcdClientURL, f.EtcdPeerURL = c.String("etcd-client-url"), c.String("etcd-peer-url")
				return printUnit(c, "podlab-server", func(exe string) (string, error) { return cluster.ServerUnit(exe, f) })
			},
		},
		{
			Name:  "podlet",
			Usage: "the unit of the podlet of a node machine, in the machine's own network namespace",
			ArgsUsage: " \n\n" +
				"   example: podlab systemd-unit podlet --node-name node1 --node-ip 192.168.56.11 \\\n" +
				"                --server http://192.168.56.10:6443 > /etc/systemd/system/" + cluster.PodletUnitName + "\n\n" +
				"   --node-ip is the address the other machines reach this one at: on a Vagrant VM the\n" +
				"   host-only one (192.168.56.x), never the NAT one (10.0.2.15, the same on every VM).",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "node-name", Usage: "`NAME` of the node's Node, like node1"},
				&cli.StringFlag{Name: "node-ip", Usage: "the node's `IP` on the network the machines share, like 192.168.56.11"},
				&cli.StringFlag{Name: "server", Usage: "the API server's `URL`, like http://192.168.56.10:6443"},
				&cli.StringFlag{Name: "token-file", Value: cluster.UnitNodeTokenFile, Usage: "`FILE` holding the node's token alone"},
				&cli.StringFlag{Name: "state-dir", Usage: "`DIR` of the node's pods and containers", DefaultText: "the local cluster's, /run/podlab/nodes/<node-name>"},
				&cli.StringFlag{Name: "backend", Value: cluster.DefaultBackend, Usage: "the overlay between the nodes, `TYPE` vxlan or host-gw"},
				&cli.StringFlag{Name: "cluster-cidr", Value: cluster.DefaultPodCIDR, Usage: "every pod's range, `CIDR`"},
				exeFlag("podlet"),
			},
			Action: func(c *cli.Context) error {
				if c.Args().Present() {
					return usagef("systemd-unit podlet takes only flags, like --node-name node1 --node-ip 192.168.56.11 --server http://192.168.56.10:6443")
				}
				if err := required(c, "node-name", "node-ip", "server"); err != nil {
					return err
				}
				f := cluster.UnitPodletFlags(c.String("node-name"), c.String("node-ip"), c.String("server"))
				f.TokenFile, f.Backend, f.ClusterCIDR = c.String("token-file"), c.String("backend"), c.String("cluster-cidr")
				if c.IsSet("state-dir") {
					f.StateDir = c.String("state-dir")
				}
				return printUnit(c, "podlet", func(exe string) (string, error) { return cluster.PodletUnit(exe, f) })
			},
		},
	},
}

// required is a usage error naming the first of flags that is not given.
func required(c *cli.Context, flags ...string) error {
	for _, f := range flags {
		if c.String(f) == "" {
			return usagef("systemd-unit %s: --%s is required (see --help)", c.Command.Name, f)
		}
	}
	return nil
}

// exeFlag is the --exe flag of the daemon name.
func exeFlag(name string) cli.Flag {
	return &cli.StringFlag{Name: "exe", Usage: "the `PATH` of " + name + " the unit runs", DefaultText: "the " + name + " next to this podlab"}
}

// printUnit prints the unit that unit renders for the daemon name: --exe,
// or else the one next to this podlab, where "make build" and the
// provisioning put them all.
func printUnit(c *cli.Context, name string, unit func(exe string) (string, error)) error {
	exe := c.String("exe")
	if exe == "" {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find this program: %w", err)
		}
		exe = filepath.Join(filepath.Dir(self), name)
		if _, err := os.Stat(exe); err != nil {
			return fmt.Errorf("%s is not next to this podlab (%w): give its path with --exe", name, err)
		}
	}
	exe, err := filepath.Abs(exe)
	if err != nil {
		return err
	}
	text, err := unit(exe)
	if err != nil {
		return usageError{err}
	}
	_, err = fmt.Fprint(c.App.Writer, text)
	return err
}
