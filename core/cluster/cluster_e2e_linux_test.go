package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
)

// network.Ping joins the nodes' namespaces on throw-away threads: the
// main goroutine must keep the main thread (IMPLEMENTATION.md §1.4).
func init() { runtime.LockOSThread() }

// e2e is a cluster of the real binaries, isolated from a real one: its
// own underlay (172.30.250.0/24 for the tests), names (podlabe2e-...),
// etcd ports, state directory (PODLAB_RUN), image store (PODLAB_LIB),
// parent cgroup (PODLAB_CGROUP) and client config (PODLAB_CONFIG). The
// benchmarks run one too, with an underlay and names of their own.
type e2e struct {
	t        testing.TB
	prefix   string         // of every name the cluster makes in the kernel
	underlay string         // "172.30.250.": how the underlay's addresses start
	rule     *regexp.Regexp // an iptables rule that matches is the cluster's
	bin      string         // podlab, podlab-server, podlet and pause, built for the test
	env      []string       // of every podlab command
	run      string         // PODLAB_RUN
	lib      string         // PODLAB_LIB: the images of the pods
	cgroup   string         // PODLAB_CGROUP: the nodes' pods go below <cgroup>/<node>
	config   string         // PODLAB_CONFIG, in a directory up must make
	upArgs   []string
	netnsOK  bool         // /run/netns existed before the test
	before   hostSnapshot // the host before the test
}

const (
	e2ePrefix   = "podlabe2e"
	e2eUnderlay = "172.30.250.0/24"
)

func newE2E(t *testing.T) *e2e { return newCluster(t, e2ePrefix, e2eUnderlay, "") }

// newCluster builds the binaries and readies a cluster of names with
// prefix on underlay, a /24, with pods in podCIDR ("": the default,
// 10.244.0.0/16); e.upArgs bring it up.
func newCluster(t testing.TB, prefix, underlay, podCIDR string) *e2e {
	if os.Geteuid() != 0 {
		t.Skip("podlab up needs root")
	}
	if testing.Short() {
		t.Skip("builds the binaries and starts a cluster")
	}
	ul := netip.MustParsePrefix(underlay)
	pods := netip.MustParsePrefix(cmp.Or(podCIDR, "10.244.0.0/16"))
	if ul.Bits() != 24 || pods.Bits() != 16 {
		t.Fatalf("underlay %s, pods %s: want a /24 and a /16", ul, pods)
	}
	ulNet := strings.TrimSuffix(ul.Masked().Addr().String(), "0")
	podNet := strings.TrimSuffix(pods.Masked().Addr().String(), "0.0")
	if residue := clusterResidue(prefix, ulNet); len(residue) > 0 {
		t.Fatalf("a test cluster is here already, remove it first: %v", residue)
	}
	e := &e2e{t: t, prefix: prefix, underlay: ulNet, bin: t.TempDir(), run: t.TempDir(), lib: t.TempDir(), cgroup: fmt.Sprintf("%s-%d", prefix, os.Getpid()),
		rule: regexp.MustCompile(regexp.QuoteMeta(podNet) + "|" + regexp.QuoteMeta(ulNet) + "|" + prefix)}
	e.config = filepath.Join(t.TempDir(), "home", ".podlab", "config")
	_, err := os.Stat(netnsDir)
	e.netnsOK = err == nil
	e.before = e.snapshot()

	start := time.Now()
	// The podlet finds pause next to itself, as in bin/ after make build.
	build := exec.Command("go", "build", "-tags=urfave_cli_no_docs", "-o", e.bin+"/", "./cmd/podlab", "./cmd/podlab-server", "./cmd/podlet", "./cmd/pause")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the binaries in %v", time.Since(start).Round(time.Millisecond))

	e.env = append(os.Environ(), "PODLAB_RUN="+e.run, "PODLAB_LIB="+e.lib, "PODLAB_CGROUP="+e.cgroup, "PODLAB_CONFIG="+e.config, "NO_COLOR=1")
	t.Setenv("PODLAB_RUN", e.run) // for Load in the test itself
	t.Setenv("PODLAB_CGROUP", e.cgroup)
	e.upArgs = []string{"up", "--nodes", "2", "--underlay", underlay, "--prefix", prefix, "--bridge", prefix + "-ul",
		"--etcd-client-url", "http://" + freeAddr(t), "--etcd-peer-url", "http://" + freeAddr(t), "--timeout", "30s"}
	if podCIDR != "" {
		e.upArgs = append(e.upArgs, "--pod-cidr", podCIDR)
	}

	// The daemons leave podlab in their own sessions; when podlab exits
	// they become the children of the nearest subreaper. Be it, so the
	// test reaps them and can check that none is left, even a zombie:
	// PID 1 reaps orphans in its own time (on this VM, not at once).
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := e.podlab("down")
			t.Logf("podlab down after the failure:\n%s", out)
		}
		e.reap()
		unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
		if residue := e.residue(); len(residue) > 0 {
			t.Errorf("left behind: %v", residue)
		}
	})
	return e
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// podlab runs the podlab binary and returns its output, both streams.
func (e *e2e) podlab(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(e.bin, "podlab"), args...)
	cmd.Env = e.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (e *e2e) mustPodlab(args ...string) string {
	e.t.Helper()
	out, err := e.podlab(args...)
	if err != nil {
		e.t.Fatalf("podlab %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// reap waits for the test's orphaned children (the daemons, once
// stopped); a child still running after 10 s is an error.
func (e *e2e) reap() {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		switch {
		case errors.Is(err, unix.ECHILD):
			return
		case errors.Is(err, unix.EINTR), pid > 0:
			continue
		case err != nil:
			e.t.Errorf("wait4: %v", err)
			return
		}
		if time.Now().After(deadline) {
			e.t.Errorf("a child of the test still runs 10s after podlab down")
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reapZombies reaps the test's children that have exited, and leaves the
// running ones.
func (e *e2e) reapZombies() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
	}
}

// state returns what up recorded.
func (e *e2e) state() *State {
	e.t.Helper()
	st, err := Load()
	if err != nil || st == nil {
		e.t.Fatalf("state: %v %v", st, err)
	}
	return st
}

func (e *e2e) client() *client.Client {
	e.t.Helper()
	cfg, err := client.LoadConfig(e.config)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := client.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// kill SIGKILLs a recorded process, after checking it is the one, and
// reaps it.
func (e *e2e) kill(p *Process) {
	e.t.Helper()
	if !p.Alive() {
		e.t.Fatalf("pid %d is not the process up started", p.PID)
	}
	if err := unix.Kill(p.PID, unix.SIGKILL); err != nil {
		e.t.Fatal(err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(p.PID, &ws, 0, nil); err != nil {
		e.t.Fatalf("reap pid %d: %v", p.PID, err)
	}
}

func (e *e2e) residue() []string { return clusterResidue(e.prefix, e.underlay) }

// clusterResidue lists what a test cluster left in the kernel: named
// network namespaces and links with the test's prefix, and processes of
// the test's binaries (any test's: their paths have "podlabe2e" nowhere,
// so look for the flags only a test cluster has: addresses of its
// underlay, which start with ulNet, or the names of its nodes).
func clusterResidue(prefix, ulNet string) []string {
	var residue []string
	entries, _ := os.ReadDir(netnsDir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix+"-") {
			residue = append(residue, "netns "+e.Name())
		}
	}
	links, _ := netlink.LinkList()
	for _, l := range links {
		if strings.HasPrefix(l.Attrs().Name, prefix+"-") {
			residue = append(residue, "link "+l.Attrs().Name)
		}
	}
	for _, pid := range proc.List() {
		args := strings.Join(proc.Cmdline(pid), " ")
		if st, err := proc.ReadStat(pid); err == nil && st.State != 'Z' &&
			(strings.Contains(args, ulNet) || strings.Contains(args, prefix+"-node")) {
			residue = append(residue, fmt.Sprintf("process %d: %s", pid, args))
		}
	}
	return residue
}

// checkGone checks that down left nothing: no state, no config file nor
// its directories, nothing in the kernel (Cleanup checks that again).
func (e *e2e) checkGone(pids []*Process) {
	e.t.Helper()
	e.reap()
	if residue := e.residue(); len(residue) > 0 {
		e.t.Errorf("left behind: %v", residue)
	}
	for _, p := range pids {
		if p == nil {
			continue // never started
		}
		if p.Alive() {
			e.t.Errorf("pid %d still runs", p.PID)
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", p.PID)); err == nil && proc.Cmdline(p.PID)[0] == p.Exe {
			e.t.Errorf("pid %d is still in /proc (a zombie?)", p.PID)
		}
	}
	if entries, err := os.ReadDir(e.run); err != nil || len(entries) > 0 {
		e.t.Errorf("PODLAB_RUN is not empty: %v %v", entries, err)
	}
	if _, err := os.Stat(filepath.Dir(filepath.Dir(e.config))); !errors.Is(err, os.ErrNotExist) {
		e.t.Errorf("the config's directory %s, made by up, is still there: %v", filepath.Dir(filepath.Dir(e.config)), err)
	}
	if _, err := os.Stat(netnsDir); (err == nil) != e.netnsOK {
		e.t.Errorf("%s: existed before %v, now %v", netnsDir, e.netnsOK, err)
	}
	for _, r := range e.hostResidue() {
		e.t.Errorf("left behind: %s", r)
	}
}

// processes returns every process the state records.
func (st *State) processes() []*Process {
	ps := []*Process{st.Server.Process}
	for _, n := range st.Nodes {
		ps = append(ps, n.Podlet)
	}
	return ps
}

// TestUpStatusDown: "podlab up --nodes 2" makes a working cluster, up
// again is harmless and brings back a dead podlet, status shows it, down
// removes every bit of it; and down cleans up a half-broken cluster too.
func TestUpStatusDown(t *testing.T) {
	e := newE2E(t)
	start := time.Now()
	out := e.mustPodlab(e.upArgs...)
	t.Logf("podlab up in %v:\n%s", time.Since(start).Round(time.Millisecond), out)
	for _, want := range []string{
		"✓ underlay: bridge podlabe2e-ul, 172.30.250.1/24 on the host\n",
		"✓ node1: network namespace podlabe2e-node1, veth podlabe2e-n1 ⇄ eth0 172.30.250.11/24\n",
		"✓ node2: network namespace podlabe2e-node2, veth podlabe2e-n2 ⇄ eth0 172.30.250.12/24\n",
		"API http://172.30.250.1:6443 healthy",
		"in podlabe2e-node1, Ready, podCIDR 10.244.0.0/24\n",
		"in podlabe2e-node2, Ready, podCIDR 10.244.1.0/24\n",
		"✓ client config: " + e.config,
		"the cluster is up",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("up lacks %q", want)
		}
	}
	st := e.state()
	first := st.processes()

	// The Nodes, as the API server has them.
	nodes, _, err := e.client().Nodes().List(context.Background(), client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 2 {
		t.Fatalf("%d nodes", len(nodes))
	}
	for i, n := range nodes {
		ip, cidr := fmt.Sprintf("172.30.250.%d", 11+i), fmt.Sprintf("10.244.%d.0/24", i)
		ready := readyCondition(n)
		if n.Name != fmt.Sprintf("node%d", i+1) || ready == nil || ready.Status != api.ConditionTrue ||
			n.Status.Addresses[0].Address != ip || n.Spec.PodCIDR != cidr || n.Labels["kubernetes.io/hostname"] != n.Name {
			t.Errorf("node %d: %s Ready %+v addresses %v podCIDR %s", i, n.Name, ready, n.Status.Addresses, n.Spec.PodCIDR)
		}
	}

	// Each podlet runs in its node's network namespace.
	for _, n := range st.Nodes {
		if !n.Podlet.inNetNS(netnsPath(n.NetNS)) {
			t.Errorf("the podlet of %s is not in %s", n.Name, n.NetNS)
		}
		if ino, _ := ns.Inode(n.Podlet.PID, ns.Net); ino == mustInode(t, "/proc/self/ns/net") {
			t.Errorf("the podlet of %s runs in the host's network namespace", n.Name)
		}
	}
	// The nodes reach the host and each other over the underlay.
	for _, ping := range [][2]string{{"podlabe2e-node1", "172.30.250.1"}, {"podlabe2e-node1", "172.30.250.12"},
		{"podlabe2e-node2", "172.30.250.11"}, {"podlabe2e-node2", "172.30.250.1"}} {
		if err := network.Ping(netnsPath(ping[0]), net.ParseIP(ping[1]), 2*time.Second); err != nil {
			t.Errorf("from %s: %v", ping[0], err)
		}
	}

	out = e.mustPodlab("status")
	t.Logf("podlab status:\n%s", out)
	if !strings.Contains(out, "cluster: 2 node(s) on 172.30.250.0/24 (bridge podlabe2e-ul), pods in 10.244.0.0/16 over vxlan, API http://172.30.250.1:6443\n") {
		t.Errorf("status lacks the cluster line")
	}
	for _, row := range [][]string{
		{"COMPONENT", "NODE", "NETNS", "PID", "STATUS", "LOG"},
		{"podlab-server", "-", "-", fmt.Sprint(st.Server.Process.PID), "running", st.Server.Log},
		{"podlet", "node1", "podlabe2e-node1", fmt.Sprint(st.Nodes[0].Podlet.PID), "running", st.Nodes[0].Log},
		{"podlet", "node2", "podlabe2e-node2", fmt.Sprint(st.Nodes[1].Podlet.PID), "running", st.Nodes[1].Log},
		{"NAME", "STATUS", "INTERNAL-IP", "POD-CIDR", "AGE"},
		{"node1", "Ready", "172.30.250.11", "10.244.0.0/24"},
		{"node2", "Ready", "172.30.250.12", "10.244.1.0/24"},
	} {
		if !hasRow(out, row) {
			t.Errorf("status lacks the row %q", row)
		}
	}

	// Up again: nothing to do.
	out = e.mustPodlab("up", "--prefix", e2ePrefix) // the other flags: what the cluster has
	t.Logf("podlab up again:\n%s", out)
	if !strings.Contains(out, "the cluster was up already: nothing to do") || strings.Count(out, "(running already)") != 3 {
		t.Errorf("up again:\n%s", out)
	}
	if out, err := e.podlab("up", "--nodes", "3"); err == nil || !strings.Contains(out, "--nodes 3 (the cluster has 2)") {
		t.Errorf("up with another shape: %v\n%s", err, out)
	}

	// A dead podlet: status says so, up starts it again; the node keeps
	// its podCIDR.
	e.kill(st.Nodes[1].Podlet)
	out, err = e.podlab("status")
	if err == nil || !strings.Contains(out, "the podlet of node2 is not running") {
		t.Errorf("status with a dead podlet: %v\n%s", err, out)
	}
	out = e.mustPodlab("up")
	t.Logf("podlab up after a podlet died:\n%s", out)
	if !strings.Contains(out, "in podlabe2e-node2, Ready, podCIDR 10.244.1.0/24\n") || !strings.Contains(out, "the cluster is up") {
		t.Errorf("up after a podlet died:\n%s", out)
	}
	st = e.state()
	if st.Nodes[1].Podlet.PID == first[2].PID || !st.Nodes[1].Podlet.Alive() || st.Server.Process.PID != first[0].PID {
		t.Errorf("processes after up: %+v, before %+v", st.processes(), first)
	}

	// Someone deletes the bridge and node1's network namespace (the
	// podlet keeps the old namespace alive): status tells, up repairs.
	if _, err := deleteLink("podlabe2e-ul", "bridge"); err != nil {
		t.Fatal(err)
	}
	if _, err := network.DeleteNetNS("podlabe2e-node1"); err != nil {
		t.Fatal(err)
	}
	out, err = e.podlab("status")
	t.Logf("podlab status without the bridge and netns node1:\n%s", out)
	if err == nil || !hasRow(out, []string{"podlet", "node1", "podlabe2e-node1", fmt.Sprint(st.Nodes[0].Podlet.PID), "running", "outside", "its", "node"}) ||
		!strings.Contains(out, `nodes: cannot ask the API server: the underlay bridge "podlabe2e-ul" is gone`) {
		t.Errorf("status: %v", err)
	}
	out = e.mustPodlab("up")
	t.Logf("podlab up after that:\n%s", out)
	st = e.state()
	if !st.Nodes[0].Podlet.inNetNS(netnsPath("podlabe2e-node1")) {
		t.Error("the podlet of node1 is not in the new namespace")
	}
	if err := network.Ping(netnsPath("podlabe2e-node1"), net.ParseIP("172.30.250.12"), 2*time.Second); err != nil {
		t.Errorf("after the repair: %v", err)
	}
	e.reapZombies() // the old podlet of node1, stopped by up

	out = e.mustPodlab("down")
	t.Logf("podlab down:\n%s", out)
	for _, want := range []string{"stopped its podlet", "stopped podlab-server", "node1: deleted veth podlabe2e-n1", "deleted network namespace podlabe2e-node2",
		"underlay: deleted bridge podlabe2e-ul", "removed the client config " + e.config, "the cluster is gone"} {
		if !strings.Contains(out, want) {
			t.Errorf("down lacks %q:\n%s", want, out)
		}
	}
	e.checkGone(append(first, st.processes()...))
	if out := e.mustPodlab("down"); !strings.Contains(out, "no cluster here") {
		t.Errorf("down again:\n%s", out)
	}

	// Half broken: podlab-server killed. Down still removes everything.
	e.mustPodlab(e.upArgs...)
	st = e.state()
	e.kill(st.Server.Process)
	out, err = e.podlab("status")
	if err == nil || !strings.Contains(out, "podlab: podlab-server is not running") || !strings.Contains(out, "nodes: cannot ask the API server") {
		t.Errorf("status without podlab-server: %v\n%s", err, out)
	}
	out = e.mustPodlab("down")
	t.Logf("podlab down of a half-broken cluster:\n%s", out)
	if strings.Contains(out, "stopped podlab-server") || !strings.Contains(out, "the cluster is gone") {
		t.Errorf("down of a half-broken cluster:\n%s", out)
	}
	e.checkGone(st.processes())

	// A podlet that cannot start: up says which node failed and shows the
	// end of its log; down removes what up made.
	fake := t.TempDir()
	os.Symlink(filepath.Join(e.bin, "podlab-server"), filepath.Join(fake, "podlab-server"))
	os.WriteFile(filepath.Join(fake, "podlet"), []byte("#!/bin/sh\necho \"podlet: cannot start: no luck\" >&2\nexit 1\n"), 0o755)
	out, err = e.podlab(append(e.upArgs, "--bin-dir", fake)...)
	t.Logf("podlab up with a broken podlet:\n%s", out)
	if err == nil || !strings.Contains(out, "✗ node1: podlet pid") ||
		!strings.Contains(out, "podlab: the podlet of node1 exited (exit status 1): its log "+filepath.Join(e.run, "cluster", "podlet-node1.log")+" says:\n    podlet: cannot start: no luck\n") ||
		!strings.Contains(out, "\"podlab down\" removes them") {
		t.Errorf("up with a broken podlet: %v", err)
	}
	st = e.state()
	out = e.mustPodlab("down")
	t.Logf("podlab down after that:\n%s", out)
	// That podlet cannot reset its node either: down does it from the host.
	wantInOrder(t, out, "node1: removed 0 pod(s) from the host (podlet reset failed: exit status 1: podlet: cannot start: no luck)\n",
		"node2: removed 0 pod(s) from the host (no podlet was started)\n")
	e.checkGone(st.processes())

	// A podlet that runs but never registers its node (this test binary,
	// asleep): up gives up after --timeout and says which node and where
	// its log is.
	self, _ := os.Executable()
	os.Remove(filepath.Join(fake, "podlet"))
	os.Symlink(self, filepath.Join(fake, "podlet"))
	e.env = append(e.env, "PODLAB_CLUSTER_TEST_DAEMON=sleep")
	out, err = e.podlab(append(e.upArgs, "--bin-dir", fake, "--timeout", "2s")...)
	t.Logf("podlab up with a podlet that never registers:\n%s", out)
	if err == nil || !strings.Contains(out, "podlab: node node1 is not Ready with a podCIDR after 2s (--timeout): see the log of its podlet (pid ") ||
		!strings.Contains(out, filepath.Join(e.run, "cluster", "podlet-node1.log")+":\n    started\n") {
		t.Errorf("up with a silent podlet: %v", err)
	}
	st = e.state()
	if out := e.mustPodlab("down"); !strings.Contains(out, "node1: stopped its podlet") ||
		!strings.Contains(out, `node1: removed 0 pod(s) from the host (podlet reset failed: exit status 2: podlet: unexpected argument "reset")`) {
		t.Errorf("down after a timeout:\n%s", out)
	}
	e.checkGone(st.processes())
}

// hasRow tells whether a line of a table in out starts with the cells of
// row, whatever the widths of the columns.
func hasRow(out string, row []string) bool {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= len(row) && slices.Equal(f[:len(row)], row) {
			return true
		}
	}
	return false
}

func mustInode(t testing.TB, path string) uint64 {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}
