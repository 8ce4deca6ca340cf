package checker_test

// The integration test of the cluster labs (08 and later) and their
// checks, run for real as root on a cluster of their own: every check
// fails on a fresh cluster, passes after its lab, passes again after a
// second run of the lab, the exercise checks pass only after the lab's
// reference solution, every check fails again after --cleanup (and the
// removal of the exercise's pods that outlive it), and "podlab down" leaves
// nothing behind.
//
// The cluster is isolated from a real one, as core/cluster's e2e tests
// isolate theirs: its own underlay (172.30.249.0/24), link and namespace
// names (podlabl-...), etcd ports, state directory (PODLAB_RUN), image
// store (PODLAB_LIB), parent cgroup (PODLAB_CGROUP) and client config
// (PODLAB_CONFIG). The checks run in this process, so the environment
// is set here and the binaries inherit it.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podlab/podlab/core/proc"
)

// clusterLab is a lab that runs on a cluster.
type clusterLab struct {
	bin string // the lab's binary, lab<NN>-<name>
	// outlive are the pods ("<ns>/<name>") that the lab's reference
	// solution creates and that the lab's --cleanup leaves, by design: it
	// removes only what the lab created. The test removes them after
	// checking that the exercise still passes without the lab.
	outlive []string
}

// clusterLabs are the labs that run on a cluster, in order.
var clusterLabs = []clusterLab{
	// Lab 08's solution adds a third node (podlab node add): the labs
	// after it run on three nodes, as in "make demo".
	{bin: "lab08-overlay-network"},
	{bin: "lab09-api-and-scheduling"},
	{bin: "lab10-pod-lifecycle"},
	{bin: "lab11-container-patterns", outlive: []string{"default/configured"}},
}

// clusterImages are the images the cluster labs run, built in the test's
// image store: busybox first, then the workload apps (built on it).
var clusterImages = []string{"busybox", "hello"}

const (
	clusterPrefix   = "podlabl"
	clusterUnderlay = "172.30.249.0/24"
)

func TestClusterLabsAndChecks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: podlab up")
	}
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	if residue := clusterResidue(); len(residue) > 0 {
		t.Fatalf("a test cluster is here already, remove it first: %v", residue)
	}
	dir := filepath.Join(tmp, "cluster")
	t.Setenv("PODLAB_RUN", filepath.Join(dir, "run"))
	t.Setenv("PODLAB_LIB", filepath.Join(dir, "lib"))
	t.Setenv("PODLAB_CGROUP", fmt.Sprintf("%s-%d", clusterPrefix, os.Getpid()))
	t.Setenv("PODLAB_CONFIG", filepath.Join(dir, "home", ".podlab", "config"))
	t.Setenv("PODLAB_BRIDGE", "") // the nodes' pods go on their podCIDR's bridge
	t.Setenv("PODLAB_POD_SUBNET", "")

	// Without a cluster a lab says so and changes nothing.
	for _, l := range clusterLabs {
		lab := l.bin
		out, code := podlab(t, lab, "--auto")
		if code == 0 || !strings.Contains(out, "no cluster: start one with sudo podlab up") {
			t.Errorf("%s without a cluster: exit %d\n%s", lab, code, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "run", "labs", lab[3:5]+".json")); err == nil {
			t.Errorf("%s without a cluster recorded something", lab)
		}
	}

	for _, image := range clusterImages {
		if image == "busybox" {
			mustRun(t, "podlab", "image", "build", "busybox")
		} else {
			mustRun(t, "podlab", "image", "build", "--binary", filepath.Join(bin, "apps", image), image)
		}
	}
	start := time.Now()
	t.Cleanup(func() {
		out, _ := podlab(t, "podlab", "down")
		if t.Failed() {
			t.Logf("podlab down:\n%s", out)
		}
		// The daemons were orphaned to this process (a subreaper, see
		// TestMain): reap them, then nothing of the cluster may be left.
		deadline := time.Now().Add(10 * time.Second)
		for residue := clusterResidue(); len(residue) > 0; residue = clusterResidue() {
			reapAdopted()
			if time.Now().After(deadline) {
				t.Errorf("left behind: %v", residue)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		os.RemoveAll(dir)
	})
	mustRun(t, "podlab", "up", "--nodes", "2", "--underlay", clusterUnderlay, "--prefix", clusterPrefix,
		"--bridge", clusterPrefix+"-ul", "--etcd-client-url", "http://"+freeAddr(t), "--etcd-peer-url", "http://"+freeAddr(t),
		"--timeout", "60s")
	t.Logf("podlab up in %v", time.Since(start).Round(time.Millisecond))

	t.Run("fresh cluster: every check fails", func(t *testing.T) {
		for _, lab := range clusterLabs {
			expect(t, "fresh cluster", lab.bin[3:5], false, false)
		}
	})
	for _, l := range clusterLabs {
		lab, n := l.bin, l.bin[3:5]
		t.Run(n, func(t *testing.T) {
			start := time.Now()
			mustRun(t, lab, "--auto")
			expect(t, "after lab "+n, n, true, false)
			mustRun(t, lab, "--auto") // a second run replaces the first
			expect(t, "after a second run of lab "+n, n, true, false)
			if scripts, _ := filepath.Glob(filepath.Join(repo, "labs", n+"-*", "solution.sh")); len(scripts) > 0 {
				cmd := exec.Command(scripts[0])
				cmd.Env = append(os.Environ(), "PODLAB="+filepath.Join(bin, "podlab"))
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s: %v\n%s", scripts[0], err, out)
				}
				expect(t, "after the exercise's solution", n, true, true)
			}
			mustRun(t, lab, "--cleanup")
			if len(l.outlive) > 0 {
				expect(t, "after cleanup, the exercise's pods still there", n, false, true)
				removePods(t, l.outlive)
			}
			expect(t, "after cleanup", n, false, false)
			if out := mustRun(t, lab, "--cleanup"); !strings.Contains(out, "nothing to clean up") {
				t.Errorf("a second cleanup should find nothing:\n%s", out)
			}
			t.Logf("lab %s in %v", n, time.Since(start).Round(time.Millisecond))
		})
	}
	// podlab down removes what a lab on the cluster left beside it, like
	// lab 08's host-gw nodes, with the lab's own --cleanup.
	mustRun(t, "lab08-overlay-network", "--auto")
	if out := mustRun(t, "podlab", "down"); !strings.Contains(out, "lab 08: removed what it left") {
		t.Errorf("podlab down did not clean up after lab 08:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "run", "labs", "08.json")); err == nil {
		if rec, _ := os.ReadFile(filepath.Join(dir, "run", "labs", "08.json")); strings.Contains(string(rec), `"kind"`) {
			t.Errorf("lab 08's record still lists what it made after podlab down:\n%s", rec)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		reapAdopted()
		residue := clusterResidue()
		if len(residue) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("left behind by podlab down after lab 08: %v", residue)
			break
		}
	}
	for i := len(clusterImages) - 1; i >= 0; i-- { // an app's image is a child of busybox's
		mustRun(t, "podlab", "image", "rm", clusterImages[i])
	}
}

// removePods deletes pods ("<ns>/<name>") at once and waits until the API
// no longer has them.
func removePods(t *testing.T, pods []string) {
	t.Helper()
	for _, p := range pods {
		ns, name, _ := strings.Cut(p, "/")
		mustRun(t, "podlab", "delete", "pod", "-n", ns, name, "--grace-period", "0")
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			if _, code := podlab(t, "podlab", "get", "pod", "-n", ns, name); code != 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("pod %s is still there 30s after its deletion", p)
			}
		}
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// clusterResidue lists what a test cluster left: named network namespaces
// and links with the test's prefix, processes of this test's binaries or
// with its underlay's addresses, its cgroups, mounts in its directory.
func clusterResidue() []string {
	var residue []string
	netns, _ := os.ReadDir("/run/netns")
	for _, e := range netns {
		if strings.HasPrefix(e.Name(), clusterPrefix+"-") {
			residue = append(residue, "netns "+e.Name())
		}
	}
	links, _ := exec.Command("ip", "-o", "link").Output()
	for _, l := range strings.Split(string(links), "\n") {
		if strings.Contains(l, " "+clusterPrefix+"-") {
			residue = append(residue, "link "+l)
		}
	}
	for _, pid := range proc.List() {
		args := strings.Join(proc.Cmdline(pid), " ")
		if st, err := proc.ReadStat(pid); err == nil && (strings.Contains(args, tmp) || strings.Contains(args, "172.30.249.")) {
			residue = append(residue, fmt.Sprintf("process %d (%c): %s", pid, st.State, args))
		}
	}
	cgroups, _ := filepath.Glob(fmt.Sprintf("/sys/fs/cgroup/*/%s-%d", clusterPrefix, os.Getpid()))
	if _, err := os.Stat(fmt.Sprintf("/sys/fs/cgroup/%s-%d", clusterPrefix, os.Getpid())); err == nil {
		cgroups = append(cgroups, fmt.Sprintf("/sys/fs/cgroup/%s-%d", clusterPrefix, os.Getpid()))
	}
	for _, cg := range cgroups {
		residue = append(residue, "cgroup "+cg)
	}
	mounts, _ := proc.Mounts(os.Getpid())
	for _, m := range mounts {
		if strings.HasPrefix(m.Point, filepath.Join(tmp, "cluster")+"/") || strings.Contains(m.Point, clusterPrefix) {
			residue = append(residue, "mount "+m.Point)
		}
	}
	return residue
}
