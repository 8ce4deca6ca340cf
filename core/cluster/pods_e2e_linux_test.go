package cluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/image"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/proc"
)

// TestPodsAndDown: the podlets run pods, one on each node, on the node's
// pod network; down removes them with the nodes, and leaves no process,
// cgroup, mount, rule or file behind. Then again with a half-broken
// cluster: the podlet of node1 killed (podlet reset removes its pod), that
// of node2 killed and its network namespace deleted (down removes the pod
// from the host).
func TestPodsAndDown(t *testing.T) {
	e := newE2E(t)
	e.buildImage()
	e.mustPodlab(e.upArgs...)
	st := e.state()
	e.runPods()
	out := e.mustPodlab("down")
	t.Logf("podlab down:\n%s", out)
	wantInOrder(t, out, "node1: stopped its podlet", "node2: stopped its podlet",
		"node1: removed 1 pod(s) with podlet reset in podlabe2e-node1\n",
		"node2: removed 1 pod(s) with podlet reset in podlabe2e-node2\n",
		"stopped podlab-server", "node2: deleted network namespace podlabe2e-node2", "the cluster is gone")
	e.checkGone(st.processes())

	e.mustPodlab(e.upArgs...)
	st = e.state()
	e.runPods()
	e.kill(st.Nodes[0].Podlet)
	e.kill(st.Nodes[1].Podlet)
	if _, err := network.DeleteNetNS("podlabe2e-node2"); err != nil {
		t.Fatal(err)
	}
	out = e.mustPodlab("down")
	t.Logf("podlab down with both podlets killed, node2's network namespace deleted:\n%s", out)
	wantInOrder(t, out, "node1: removed 1 pod(s) with podlet reset in podlabe2e-node1\n",
		"node2: removed 1 pod(s) from the host (the network namespace podlabe2e-node2 is gone)\n",
		"stopped podlab-server", "the cluster is gone")
	if strings.Contains(out, "stopped its podlet") {
		t.Errorf("down stopped a podlet that was dead")
	}
	e.checkGone(st.processes())
}

// wantInOrder checks that out has each of want, in this order.
func wantInOrder(t testing.TB, out string, want ...string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("lacks %q, or has it out of order", w)
			continue
		}
		rest = rest[i+len(w):]
	}
}

// buildImage builds the busybox image in the test's own image store, as
// the runtime's tests do.
func (e *e2e) buildImage() {
	e.t.Helper()
	store := &image.Store{Root: filepath.Join(e.lib, "images")}
	if _, err := store.BuildBase(image.Ref{Name: "busybox", Tag: "latest"}, image.DefaultBusybox); err != nil {
		e.t.Fatal(err)
	}
}

// podsManifest is one pod on each node, bound by nodeName; a second of
// grace is plenty for sleep.
const podsManifest = `apiVersion: v1
kind: Pod
metadata: {name: one}
spec:
  nodeName: node1
  terminationGracePeriodSeconds: 1
  containers:
  - {name: sleep, image: busybox, command: [sleep, "3600"]}
---
apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  nodeName: node2
  terminationGracePeriodSeconds: 1
  containers:
  - {name: sleep, image: busybox, command: [sleep, "3600"]}
`

// runPods applies podsManifest with the podlab binary and waits until
// both pods run, each with an IP of its node's podCIDR that answers a
// ping from its node, and with its cgroup below its node's.
func (e *e2e) runPods() {
	e.t.Helper()
	path := filepath.Join(e.t.TempDir(), "pods.yaml")
	if err := os.WriteFile(path, []byte(podsManifest), 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.mustPodlab("apply", "-f", path)
	c := e.client()
	drv, err := cgroup.Detect()
	if err != nil {
		e.t.Fatal(err)
	}
	for i, name := range []string{"one", "two"} {
		node, nodeNS := fmt.Sprintf("node%d", i+1), netnsPath(fmt.Sprintf("%s-node%d", e2ePrefix, i+1))
		pod := e.waitRunning(c, name)
		ip := net.ParseIP(pod.Status.PodIP)
		_, cidr, _ := net.ParseCIDR(fmt.Sprintf("10.244.%d.0/24", i))
		if pod.Spec.NodeName != node || ip == nil || !cidr.Contains(ip) {
			e.t.Fatalf("pod %s: on %q with IP %q, want %s and an IP in %s", name, pod.Spec.NodeName, pod.Status.PodIP, node, cidr)
		}
		if err := network.Ping(nodeNS, ip, 2*time.Second); err != nil {
			e.t.Errorf("pod %s from %s: %v", name, node, err)
		}
		// The node's pod network is in its namespace: the MASQUERADE rule
		// too, which down must not leave on the host.
		_, pods, _ := net.ParseCIDR("10.244.0.0/16")
		rule, _, err := network.Config{Subnet: cidr, ClusterCIDR: pods, NodeNetNS: nodeNS}.Masquerade()
		if err != nil || rule == "" {
			e.t.Errorf("%s has no MASQUERADE rule for %s: %v", node, cidr, err)
		}
		if pods, _ := drv.Children(e.cgroup + "/" + node); len(pods) != 1 {
			e.t.Errorf("cgroups below %s/%s: %v, want the pod's", e.cgroup, node, pods)
		}
	}
}

// waitRunning waits until the pod is Running with an IP.
func (e *e2e) waitRunning(c *client.Client, name string) *api.Pod {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		pod, err := c.Pods(api.NamespaceDefault).Get(ctx, name)
		if err == nil && pod.Status.Phase == api.PodRunning && pod.Status.PodIP != "" {
			return pod
		}
		select {
		case <-ctx.Done():
			st := e.state()
			for _, n := range st.Nodes {
				e.t.Logf("the log of the podlet of %s:%s", n.Name, logTail(n.Log, 15))
			}
			e.t.Fatalf("pod %s is not Running with an IP after 30s: %+v %v", name, pod, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// hostSnapshot is what of the host the test compares before and after:
// the processes, and the iptables rules.
type hostSnapshot struct {
	procs map[int]uint64  // pid -> start time
	rules map[string]bool // iptables-save, without counters
}

func (e *e2e) snapshot() hostSnapshot {
	s := hostSnapshot{procs: map[int]uint64{}, rules: map[string]bool{}}
	for _, pid := range proc.List() {
		if st, err := proc.ReadStat(pid); err == nil {
			s.procs[pid] = st.StartTime
		}
	}
	out, err := exec.Command("iptables-save").Output()
	if err != nil {
		e.t.Logf("no iptables-save (%v): the rules are not compared", err)
		return s
	}
	counters := regexp.MustCompile(`\[\d+:\d+\]`)
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "#") {
			s.rules[counters.ReplaceAllString(line, "")] = true
		}
	}
	return s
}

// hostResidue lists what the test's clusters left on the host, or took
// from it: processes of the test's binaries or in its cgroups that were
// not there before, cgroups, mounts under its directories, and iptables
// rules with its addresses that came or went.
func (e *e2e) hostResidue() []string {
	var residue []string
	now := e.snapshot()
	for pid, start := range now.procs {
		if e.before.procs[pid] != start && e.ours(pid) {
			residue = append(residue, fmt.Sprintf("process %d: %s", pid, strings.Join(proc.Cmdline(pid), " ")))
		}
	}
	for rule := range now.rules {
		if !e.before.rules[rule] && e.rule.MatchString(rule) {
			residue = append(residue, "iptables rule "+rule)
		}
	}
	for rule := range e.before.rules {
		if !now.rules[rule] && e.rule.MatchString(rule) && len(now.rules) > 0 {
			residue = append(residue, "iptables rule deleted: "+rule)
		}
	}
	cgroups, _ := filepath.Glob("/sys/fs/cgroup/*/" + e.cgroup)
	if _, err := os.Stat("/sys/fs/cgroup/" + e.cgroup); err == nil {
		cgroups = append(cgroups, "/sys/fs/cgroup/"+e.cgroup)
	}
	for _, cg := range cgroups {
		residue = append(residue, "cgroup "+cg)
	}
	mounts, _ := proc.Mounts(os.Getpid())
	for _, m := range mounts {
		for _, dir := range []string{e.run, e.lib} {
			if m.Point == dir || strings.HasPrefix(m.Point, dir+"/") {
				residue = append(residue, "mount "+m.Point)
			}
		}
	}
	return residue
}

// ours tells whether the process runs one of the test's binaries (the
// podlet is also the shims and inits of the containers) or is in one of
// its cgroups (the pods' workloads).
func (e *e2e) ours(pid int) bool {
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && strings.HasPrefix(exe, e.bin+"/") {
		return true
	}
	cgroups, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	return strings.Contains(string(cgroups), "/"+e.cgroup+"/") || strings.Contains(string(cgroups), "/"+e.cgroup+"\n")
}
