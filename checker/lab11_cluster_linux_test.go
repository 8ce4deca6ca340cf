package checker_test

// The integration test of lab 11 on a cluster of its own: isolated from a
// real one by its underlay (172.30.245.0/24), names (podlabm-...), etcd
// ports, state directory (PODLAB_RUN), image store (PODLAB_LIB), parent
// cgroup (PODLAB_CGROUP) and client config (PODLAB_CONFIG). Every check fails on the
// fresh cluster, passes after the lab and after a second run, the
// exercise check only after labs/11-*/solution.sh; all fail after
// --cleanup and the exercise pod's deletion; podlab down leaves nothing.

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/podlab/podlab/core/proc"
)

const (
	lab11Prefix   = "podlabm"
	lab11Underlay = "172.30.245."
)

func TestLab11OnACluster(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: starts a cluster")
	}
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	if r := lab11Residue(); len(r) > 0 {
		t.Fatalf("a test cluster is here already: %v", r)
	}
	dir := filepath.Join(tmp, "lab11")
	defer os.RemoveAll(dir)
	t.Setenv("PODLAB_RUN", filepath.Join(dir, "run"))
	t.Setenv("PODLAB_LIB", filepath.Join(dir, "lib"))
	t.Setenv("PODLAB_CGROUP", fmt.Sprintf("%s-%d", lab11Prefix, os.Getpid()))
	t.Setenv("PODLAB_CONFIG", filepath.Join(dir, "home", ".podlab", "config"))
	t.Setenv("PODLAB_BRIDGE", "") // the nodes' pods go on their podCIDR's bridge
	t.Setenv("PODLAB_POD_SUBNET", "")
	mustRun(t, "podlab", "image", "build", "busybox")
	mustRun(t, "podlab", "image", "build", "--binary", filepath.Join(bin, "apps", "hello"), "hello")
	defer func() {
		mustRun(t, "podlab", "image", "rm", "hello")
		mustRun(t, "podlab", "image", "rm", "busybox")
	}()

	// Without a cluster the lab stops at once and changes nothing.
	if out, code := podlab(t, "lab11-container-patterns", "--auto"); code == 0 || !strings.Contains(out, "no cluster: start one with sudo podlab up") {
		t.Fatalf("lab 11 without a cluster: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "run", "labs", "11.json")); err == nil {
		t.Error("lab 11 without a cluster recorded something")
	}

	start := time.Now()
	mustRun(t, "podlab", "up", "--nodes", "2", "--underlay", lab11Underlay+"0/24", "--prefix", lab11Prefix,
		"--etcd-client-url", "http://"+lab11FreeAddr(t), "--etcd-peer-url", "http://"+lab11FreeAddr(t), "--timeout", "30s")
	defer func() {
		mustRun(t, "podlab", "down")
		reapAdopted()
		if r := lab11Residue(); len(r) > 0 {
			t.Errorf("left behind after podlab down: %v", r)
		}
	}()
	t.Logf("podlab up in %v", time.Since(start).Round(time.Millisecond))

	expect(t, "fresh cluster", "11", false, false)
	start = time.Now()
	mustRun(t, "lab11-container-patterns", "--auto")
	t.Logf("lab 11 in %v", time.Since(start).Round(time.Millisecond))
	expect(t, "after lab 11", "11", true, false)
	expect(t, "second checker run", "11", true, false)
	mustRun(t, "lab11-container-patterns", "--auto") // replaces its own pods
	expect(t, "after running lab 11 twice", "11", true, false)

	solution(t, "11")
	expect(t, "after the exercise's solution", "11", true, true)
	mustRun(t, "lab11-container-patterns", "--cleanup")
	expect(t, "after cleanup, the exercise pod still there", "11", false, true)
	mustRun(t, "podlab", "delete", "pod", "configured", "--grace-period", "0")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if _, code := podlab(t, "podlab", "get", "pod", "configured"); code != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("pod configured is still there 30s after its deletion")
		}
	}
	expect(t, "after cleanup", "11", false, false)
	if out := mustRun(t, "lab11-container-patterns", "--cleanup"); !strings.Contains(out, "nothing to clean up") {
		t.Errorf("a second cleanup should find nothing:\n%s", out)
	}
}

func lab11FreeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// lab11Residue lists what a test cluster of this test left in the
// kernel: network namespaces and links named with its prefix, processes
// with its underlay's addresses in their command line.
func lab11Residue() []string {
	var residue []string
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), lab11Prefix+"-") {
			residue = append(residue, "netns "+e.Name())
		}
	}
	links, _ := netlink.LinkList()
	for _, l := range links {
		if strings.HasPrefix(l.Attrs().Name, lab11Prefix+"-") {
			residue = append(residue, "link "+l.Attrs().Name)
		}
	}
	for _, pid := range proc.List() {
		args := strings.Join(proc.Cmdline(pid), " ")
		if st, err := proc.ReadStat(pid); err == nil && st.State != 'Z' && (strings.Contains(args, lab11Underlay) || strings.Contains(args, lab11Prefix+"-node")) {
			residue = append(residue, "process "+args)
		}
	}
	return residue
}
