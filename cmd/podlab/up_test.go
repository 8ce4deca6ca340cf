package main

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/cluster"
)

// Mistakes on the command line of up, status and down are usage errors,
// found before anything is made (and before the check for root).
func TestLocalClusterUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"up", "now"}, "up takes no arguments"},
		{[]string{"up", "--nodes", "0"}, "--nodes 0: a cluster has at least 1 node"},
		{[]string{"up", "--underlay", "172.30.0.1/24"}, "--underlay 172.30.0.1/24: host bits are set; did you mean 172.30.0.0/24?"},
		{[]string{"up", "--pod-cidr", "ten"}, `--pod-cidr "ten": not a CIDR`},
		{[]string{"up", "--nodes", "x"}, "invalid value \"x\" for flag -nodes"},
		{[]string{"down", "all"}, "down takes no arguments"},
		{[]string{"status", "node1"}, "status takes no arguments"},
	} {
		var errw bytes.Buffer
		code := runApp(newApp(io.Discard, &errw), append([]string{"podlab"}, tc.args...))
		if code != 2 || !strings.Contains(errw.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errw.String(), tc.want)
		}
	}
}

func TestLocalClusterHelp(t *testing.T) {
	var out bytes.Buffer
	runApp(newApp(&out, io.Discard), []string{"podlab", "--help"})
	for _, want := range []string{"podlab up|status|down", localClusterCategory + ":", "up ", "status ", "down "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestPrintStatus(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	cfg := cluster.Config{Nodes: 2, Underlay: mustPrefix("172.30.0.0/24"), PodCIDR: mustPrefix("10.244.0.0/16")}
	r := &cluster.Report{
		State: &cluster.State{Config: cfg, Dir: "/run/podlab/cluster", Bridge: "podlab-underlay",
			Server: cluster.Server{URL: "http://172.30.0.1:6443"}},
		Components: []cluster.Component{
			{Name: "podlab-server", PID: 4242, State: cluster.Running, Log: "/run/podlab/cluster/podlab-server.log"},
			{Name: "podlet", Node: "node1", NetNS: "podlab-node1", PID: 4250, State: cluster.Running, Log: "/run/podlab/cluster/podlet-node1.log"},
			{Name: "podlet", Node: "node2", NetNS: "podlab-node2", PID: 4260, State: cluster.NotRunning, Log: "/run/podlab/cluster/podlet-node2.log"},
		},
		Nodes: []*api.Node{
			{ObjectMeta: api.ObjectMeta{Name: "node1", CreationTimestamp: now.Add(-5 * time.Minute)},
				Spec: api.NodeSpec{PodCIDR: "10.244.0.0/24"},
				Status: api.NodeStatus{Addresses: []api.NodeAddress{{Type: api.NodeInternalIP, Address: "172.30.0.11"}},
					Conditions: []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue}}}},
			{ObjectMeta: api.ObjectMeta{Name: "node2", CreationTimestamp: now.Add(-5 * time.Minute)}},
		},
	}
	var out bytes.Buffer
	printStatus(&out, r, now)
	want := `cluster: 2 node(s) on 172.30.0.0/24 (bridge podlab-underlay), pods in 10.244.0.0/16 over vxlan, API http://172.30.0.1:6443
state:   /run/podlab/cluster/cluster.json

COMPONENT       NODE    NETNS          PID    STATUS        LOG
podlab-server   -       -              4242   running       /run/podlab/cluster/podlab-server.log
podlet          node1   podlab-node1   4250   running       /run/podlab/cluster/podlet-node1.log
podlet          node2   podlab-node2   4260   not running   /run/podlab/cluster/podlet-node2.log

NAME    STATUS    INTERNAL-IP   POD-CIDR        AGE
node1   Ready     172.30.0.11   10.244.0.0/24   5m
node2   Unknown   <none>        <none>          5m
`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
	if err := r.Healthy(); err == nil || !strings.Contains(err.Error(), "the podlet of node2 is not running") {
		t.Errorf("Healthy: %v", err)
	}

	out.Reset()
	r.Components, r.Nodes, r.APIError = r.Components[:1], nil, errors.New("connection refused")
	printStatus(&out, r, now)
	if !strings.Contains(out.String(), "nodes: cannot ask the API server: connection refused") {
		t.Errorf("without the API:\n%s", out.String())
	}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
