package main

import (
	"cmp"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/cluster"
	"github.com/podlab/podlab/core/podlet"
)

var statusCommand = &cli.Command{
	Name:  "status",
	Usage: "show the local cluster: are its processes alive, and its nodes as the API server has them",
	ArgsUsage: " \n\n" +
		"   example: sudo podlab status\n\n" +
		"   The exit status is 1 if a process of the cluster is not running or the API server does not answer.",
	Category: localClusterCategory,
	Action: func(c *cli.Context) error {
		if c.Args().Present() {
			return usagef("status takes no arguments")
		}
		r, err := cluster.Status(c.Context)
		if err != nil {
			return err
		}
		printStatus(c.App.Writer, r, time.Now())
		return r.Healthy()
	},
}

// printStatus prints the report: the cluster, its processes, its nodes.
//
//	cluster: 2 node(s) on 172.30.0.0/24 (bridge podlab-underlay), pods in 10.244.0.0/16 over vxlan, API http://172.30.0.1:6443
//	state:   /run/podlab/cluster/cluster.json
//
//	COMPONENT       NODE    NETNS          PID    STATUS    LOG
//	podlab-server   -       -              4242   running   /run/podlab/cluster/podlab-server.log
//	podlet          node1   podlab-node1   4250   running   /run/podlab/cluster/podlet-node1.log
//
//	NAME    STATUS   INTERNAL-IP   POD-CIDR        AGE
//	node1   Ready    172.30.0.11   10.244.0.0/24   5m
func printStatus(w io.Writer, r *cluster.Report, now time.Time) {
	st := r.State
	fmt.Fprintf(w, "cluster: %d node(s) on %s (bridge %s), pods in %s over %s, API %s\n",
		st.Config.Nodes, st.Config.Underlay, st.Bridge, st.Config.PodCIDR, cmp.Or(st.Config.Backend, cluster.DefaultBackend), st.Server.URL)
	fmt.Fprintf(w, "state:   %s\n\n", st.Dir+"/cluster.json")

	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tNODE\tNETNS\tPID\tSTATUS\tLOG")
	for _, c := range r.Components {
		pid := strconv.Itoa(c.PID)
		if c.PID == 0 {
			pid = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, orDash(c.Node), orDash(c.NetNS), pid, c.State, c.Log)
	}
	tw.Flush()
	fmt.Fprintln(w)

	if r.APIError != nil {
		fmt.Fprintf(w, "nodes: cannot ask the API server: %v\n", r.APIError)
		return
	}
	tw = tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tINTERNAL-IP\tPOD-CIDR\tAGE")
	for _, n := range r.Nodes {
		cells, _ := nodeCells(n, now)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.Name, cells[0], orNone(podlet.NodeAddress(n, api.NodeInternalIP)),
			orNone(n.Spec.PodCIDR), age(n.CreationTimestamp, now))
	}
	tw.Flush()
}
