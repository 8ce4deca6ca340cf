package runtime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/image"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
)

var (
	podOnce sync.Once
	podErr  error
)

// podSetup builds what Pods need once: the pause binary and the hello and
// orphans images.
func podSetup(t testing.TB) {
	t.Helper()
	podOnce.Do(func() {
		out := filepath.Join(filepath.Dir(rt.Root), "bin")
		root, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			podErr = err
			return
		}
		cmd := exec.Command("go", "build", "-o", out+"/", "./cmd/pause", "./workloads/apps/hello", "./workloads/apps/orphans")
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(root)))
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			podErr = fmt.Errorf("go build: %v\n%s", err, b)
			return
		}
		os.Setenv("PODLAB_PAUSE", filepath.Join(out, "pause"))
		base := image.Ref{Name: "busybox", Tag: "latest"}
		for _, app := range []string{"hello", "orphans"} {
			if _, err := rt.Images.BuildApp(image.Ref{Name: app, Tag: "latest"}, base, filepath.Join(out, app)); err != nil {
				podErr = err
				return
			}
		}
	})
	if podErr != nil {
		t.Fatal(podErr)
	}
}

// testNode is a network namespace standing in for a node, so that the
// bridge, the iptables rule and ip_forward never touch the host.
func testNode(t testing.TB) *network.Config {
	t.Helper()
	holder := exec.Command("sleep", "3600")
	holder.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	_, subnet, _ := net.ParseCIDR("10.244.98.0/24")
	return &network.Config{
		Bridge:    "podlab-rt0",
		Subnet:    subnet,
		NodeNetNS: ns.Path(holder.Process.Pid, ns.Net),
		StateDir:  filepath.Join(filepath.Dir(rt.Root), "ipam"),
	}
}

func runPod(t testing.TB, manifest string, netcfg *network.Config) *PodState {
	t.Helper()
	podSetup(t)
	pod, err := api.DecodePod([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := rt.RunPod(context.Background(), pod, netcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.RemoveSandbox(context.Background(), ps, 0); err != nil {
			t.Errorf("remove pod %q: %v", pod.Name, err)
		}
	})
	return ps
}

// execIn runs a command in a container of a pod and returns its output.
func execIn(t *testing.T, ps *PodState, container string, argv ...string) (string, int) {
	t.Helper()
	st, err := rt.PodContainer(ps, container)
	if err != nil {
		t.Fatal(err)
	}
	out, code, err := rt.ExecOutput(context.Background(), st, argv...)
	if err != nil {
		t.Fatalf("exec %v: %v", argv, err)
	}
	return out, code
}

const twoContainers = `
apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: server, image: hello}
  - {name: client, image: busybox, command: [sleep, "3600"]}
`

func TestTwoContainerPod(t *testing.T) {
	node := testNode(t)
	ps := runPod(t, twoContainers, node)
	pause, err := ns.Inspect(ps.Pause.Pid)
	if err != nil {
		t.Fatal(err)
	}
	mounts := map[uint64]string{pause[ns.Mount]: "pause"}
	for _, name := range []string{"server", "client"} {
		st, err := rt.PodContainer(ps, name)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := ns.Inspect(st.Pid)
		for _, typ := range []ns.Type{ns.Net, ns.IPC, ns.UTS} {
			if got[typ] != pause[typ] {
				t.Errorf("%s: %s namespace %d, pause's is %d", name, typ, got[typ], pause[typ])
			}
		}
		if other, dup := mounts[got[ns.Mount]]; dup {
			t.Errorf("%s shares its mount namespace with %s", name, other)
		}
		mounts[got[ns.Mount]] = name
	}
	if h, _ := ns.Hostname(ps.Pause.Pid); h != "duo" {
		t.Errorf("hostname %q, want the pod's name", h)
	}
	// One IP, on eth0 inside the pod, reachable from the node.
	if ps.IP() == "" || network.Ping(node.NodeNetNS, net.ParseIP(ps.IP()), 2*time.Second) != nil {
		t.Errorf("pod IP %q does not answer ping from the node", ps.IP())
	}
	// localhost is shared: the client reaches the server.
	var out string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if out, _ = execIn(t, ps, "client", "wget", "-qO-", "localhost:8080"); strings.Contains(out, "duo") {
			break
		}
	}
	if !strings.Contains(out, "duo") {
		t.Errorf("client's wget localhost:8080 = %q, want the server's answer naming host duo", out)
	}
	// The port space is shared too: a second bind fails.
	out, code := execIn(t, ps, "client", "timeout", "2", "nc", "-l", "-p", "8080")
	if code == 0 || !strings.Contains(strings.ToLower(out), "in use") {
		t.Errorf("second bind of 8080: exit %d, %q; want address in use", code, out)
	}
}

func TestSharedPIDNamespacePauseReaps(t *testing.T) {
	ps := runPod(t, `
apiVersion: v1
kind: Pod
metadata: {name: shared}
spec:
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 1
  containers:
  - {name: orphans, image: orphans, args: ["-every", "100ms", "-max", "10"]}
`, nil)
	// Without a network the pod still has localhost.
	if err := network.Ping(ns.Path(ps.Pause.Pid, ns.Net), net.IPv4(127, 0, 0, 1), time.Second); err != nil {
		t.Errorf("localhost in a pod without a network: %v", err)
	}
	if ids, _ := proc.NSpid(ps.Pause.Pid); len(ids) != 2 || ids[1] != 1 {
		t.Errorf("pause NSpid = %v, want PID 1 in the pod", ids)
	}
	st, _ := rt.PodContainer(ps, "orphans")
	pauseNS, _ := ns.Inode(ps.Pause.Pid, ns.PID)
	if got, _ := ns.Inode(st.Pid, ns.PID); got != pauseNS {
		t.Fatalf("container pid namespace %d, pause's %d", got, pauseNS)
	}
	time.Sleep(1500 * time.Millisecond)
	log, _ := os.ReadFile(rt.LogPath(st.Spec.Name))
	if n := strings.Count(string(log), "spawned orphan"); n < 5 {
		t.Fatalf("only %d orphans made:\n%s", n, log)
	}
	for _, pid := range proc.List() {
		if i, err := ns.Inode(pid, ns.PID); err == nil && i == pauseNS {
			if s, _ := proc.ReadStat(pid); s.State == 'Z' {
				t.Errorf("zombie %d (parent %d) in a pod whose PID 1 is pause", pid, s.PPid)
			}
		}
	}
}

func TestPauseDeathEndsPod(t *testing.T) {
	ps := runPod(t, `
apiVersion: v1
kind: Pod
metadata: {name: doomed}
spec:
  containers:
  - {name: a, image: busybox, command: [sleep, "3600"]}
  - {name: b, image: busybox, command: [sleep, "3600"]}
`, nil)
	syscall.Kill(ps.Pause.Pid, syscall.SIGKILL)
	for _, c := range []string{"a", "b"} {
		st, err := rt.PodContainer(ps, c)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		final, err := rt.Wait(ctx, st.Spec.Name)
		cancel()
		if err != nil || final.Status != Exited || !strings.Contains(final.Error, "pause") {
			t.Errorf("container %s after pause died: %v %+v", c, err, final)
		}
	}
	if ps.Phase() != PodDead {
		t.Errorf("phase %s, want Dead", ps.Phase())
	}
}

func TestVolumes(t *testing.T) {
	hostDir := filepath.Join(t.TempDir(), "kept")
	ps := runPod(t, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: vols}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: shared, emptyDir: {}}
  - {name: host, hostPath: {path: %s, type: DirectoryOrCreate}}
  containers:
  - name: writer
    image: busybox
    command: [sh, -c, "echo one >> /data/log; echo outside > /tmp/lost; echo kept > /host/file; exec sleep 3600"]
    volumeMounts: [{name: shared, mountPath: /data}, {name: host, mountPath: /host}]
  - name: reader
    image: busybox
    command: [sleep, "3600"]
    volumeMounts: [{name: shared, mountPath: /data, readOnly: true}]
`, hostDir), nil)
	var out string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && out != "one\n"; time.Sleep(20 * time.Millisecond) {
		out, _ = execIn(t, ps, "reader", "cat", "/data/log")
	}
	if out != "one\n" {
		t.Fatalf("reader sees %q in the shared volume", out)
	}
	if _, code := execIn(t, ps, "reader", "touch", "/data/x"); code == 0 {
		t.Error("a readOnly mount accepted a write")
	}
	if _, err := rt.RestartPodContainer(context.Background(), ps, "writer", 0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for out != "one\none\n" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		out, _ = execIn(t, ps, "reader", "cat", "/data/log")
	}
	if out != "one\none\n" {
		t.Errorf("after a restart the volume holds %q; want both writes", out)
	}
	// The restarted writer wrote /tmp/lost again into a fresh root: one line.
	if out, _ := execIn(t, ps, "writer", "cat", "/tmp/lost"); out != "outside\n" {
		t.Errorf("/tmp/lost = %q: the container's own files should start fresh", out)
	}
	emptyDir := ps.Volumes["shared"]
	if err := rt.RemovePod(context.Background(), "vols", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(emptyDir); err == nil {
		t.Error("the emptyDir outlived its pod")
	}
	if data, err := os.ReadFile(filepath.Join(hostDir, "file")); err != nil || string(data) != "kept\n" {
		t.Errorf("the hostPath file: %q %v", data, err)
	}
}

// A command run by ExecOutput ends with its context, and what it started
// in the background with it: a probe that timed out leaves nothing
// behind in the container.
func TestExecOutputEndsWithContext(t *testing.T) {
	ps := runPod(t, `{apiVersion: v1, kind: Pod, metadata: {name: exectimeout}, spec: {terminationGracePeriodSeconds: 1,
		containers: [{name: app, image: busybox, command: [sleep, "3600"]}]}}`, nil)
	st, err := rt.PodContainer(ps, "app")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	out, _, err := rt.ExecOutput(ctx, st, "sh", "-c", "echo started; sleep 30 & sleep 30")
	if took := time.Since(began); took > 5*time.Second || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ExecOutput returned after %v with %v, want at the deadline with its error", took, err)
	}
	if out != "started\n" {
		t.Errorf("output %q, want what came before the deadline", out)
	}
	cg, err := rt.Cgroups.Open(st.Cgroup)
	if err != nil {
		t.Fatal(err)
	}
	var procs []int
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if procs, _ = cg.Procs(); len(procs) == 1 {
			break
		}
	}
	if len(procs) != 1 || procs[0] != st.Pid {
		t.Errorf("processes of the container after the exec: %v, want only its own %d", procs, st.Pid)
	}
	// A command that ends in time is no error.
	if out, code, err := rt.ExecOutput(context.Background(), st, "echo", "hi"); out != "hi\n" || code != 0 || err != nil {
		t.Errorf("echo hi: %q, %d, %v", out, code, err)
	}
}

func TestBadPodsLeaveNothing(t *testing.T) {
	podSetup(t)
	node := testNode(t)
	cases := map[string]string{
		"missing image": `{apiVersion: v1, kind: Pod, metadata: {name: bad1}, spec: {containers: [{name: c, image: nope}]}}`,
		"missing hostPath": `{apiVersion: v1, kind: Pod, metadata: {name: bad2}, spec: {volumes: [{name: v, hostPath: {path: /nonexistent/podlab}}],
			containers: [{name: c, image: busybox, volumeMounts: [{name: v, mountPath: /v}]}]}}`,
		"missing command": `{apiVersion: v1, kind: Pod, metadata: {name: bad3}, spec: {containers: [{name: a, image: busybox, command: [sleep, "30"]}, {name: c, image: busybox, command: [nope]}]}}`,
	}
	for what, manifest := range cases {
		pod, err := api.DecodePod([]byte(manifest))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rt.RunPod(context.Background(), pod, node); err == nil {
			t.Errorf("%s: the pod ran", what)
		}
	}
	assertNoPods(t, node)
}

func assertNoPods(t testing.TB, node *network.Config) {
	t.Helper()
	assertNoPodsIn(t, rt, node)
}

// assertNoPodsIn checks that runtime r has no pod, name, container or
// cgroup left, and the node no IP reservation and no link but lo.
func assertNoPodsIn(t testing.TB, r *Runtime, node *network.Config) {
	t.Helper()
	if pods, _ := r.Pods(); len(pods) > 0 {
		t.Errorf("%d pods left", len(pods))
	}
	if names, _ := os.ReadDir(filepath.Join(r.PodsDir(), "names")); len(names) > 0 {
		t.Errorf("%d pod names still claimed", len(names))
	}
	if entries, _ := os.ReadDir(r.Root); len(entries) > 0 {
		t.Errorf("%d containers left", len(entries))
	}
	if node != nil {
		if res, _ := node.Reservations(); len(res) > 0 {
			t.Errorf("IP reservations left: %v", res)
		}
		assertOnlyLoopback(t, node.NodeNetNS)
	}
	if children, _ := r.Cgroups.Children(r.CgroupParent); len(children) > 0 {
		t.Errorf("cgroups left: %v", children)
	}
}

// assertOnlyLoopback checks that the network namespace at netnsPath has no
// link but lo ("" = this process's). The kernel destroys a dead pod's
// namespace, and its veth pair, in the background: it is given a moment.
func assertOnlyLoopback(t testing.TB, netnsPath string) {
	t.Helper()
	if netnsPath == "" {
		netnsPath = ns.Path(os.Getpid(), ns.Net)
	}
	var out []byte
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if out, _ = exec.Command("nsenter", "--net="+netnsPath, "ip", "-o", "link").Output(); strings.Count(string(out), "\n") == 1 {
			return
		}
	}
	t.Errorf("links left in the node:\n%s", out)
}

// podCycles creates and deletes n pods one after another.
func podCycles(t testing.TB, n int, node *network.Config) (start, stop []time.Duration) {
	podSetup(t)
	for i := 0; i < n; i++ {
		pod, _ := api.DecodePod([]byte(fmt.Sprintf(`{apiVersion: v1, kind: Pod, metadata: {name: cycle-%d},
			spec: {terminationGracePeriodSeconds: 0, containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}}`, i)))
		t0 := time.Now()
		ps, err := rt.RunPod(context.Background(), pod, node)
		if err != nil {
			t.Fatal(err)
		}
		if err := network.Ping(node.NodeNetNS, net.ParseIP(ps.IP()), 2*time.Second); err != nil {
			t.Fatal(err)
		}
		start = append(start, time.Since(t0))
		t0 = time.Now()
		if err := rt.RemovePod(context.Background(), pod.Name, 0); err != nil {
			t.Fatal(err)
		}
		stop = append(stop, time.Since(t0))
	}
	return start, stop
}

func openFDs() int {
	entries, _ := os.ReadDir("/proc/self/fd")
	return len(entries)
}

// Pod cycles leave nothing behind: set PODLAB_POD_CYCLES=1000 for the long run.
func TestPodCyclesLeaveNothing(t *testing.T) {
	node := testNode(t)
	n := 50
	if v := os.Getenv("PODLAB_POD_CYCLES"); v != "" {
		fmt.Sscan(v, &n)
	}
	podCycles(t, 1, node) // warm up: lazy runtime state, open files
	fds := openFDs()
	podCycles(t, n, node)
	assertNoPods(t, node)
	if now := openFDs(); now > fds {
		t.Errorf("%d file descriptors leaked over %d pods", now-fds, n)
	}
}

// BenchmarkPodStart: 20 pods one after another (pause + network + one
// busybox sleep container): the median time until the app runs and the pod
// IP answers ping, and the time to tear the 20 down.
func BenchmarkPodStart(b *testing.B) {
	node := testNode(b)
	podSetup(b)
	var starts []time.Duration
	var teardown time.Duration
	for i := 0; i < b.N; i++ {
		var names []string
		for j := 0; j < 20; j++ {
			pod, _ := api.DecodePod([]byte(fmt.Sprintf(`{apiVersion: v1, kind: Pod, metadata: {name: bench-%d},
				spec: {terminationGracePeriodSeconds: 0, containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}}`, j)))
			t0 := time.Now()
			ps, err := rt.RunPod(context.Background(), pod, node)
			if err != nil {
				b.Fatal(err)
			}
			if err := network.Ping(node.NodeNetNS, net.ParseIP(ps.IP()), 2*time.Second); err != nil {
				b.Fatal(err)
			}
			starts = append(starts, time.Since(t0))
			names = append(names, pod.Name)
		}
		t0 := time.Now()
		var wg sync.WaitGroup
		for _, name := range names {
			wg.Add(1)
			go func() { defer wg.Done(); rt.RemovePod(context.Background(), name, 0) }()
		}
		wg.Wait()
		teardown += time.Since(t0)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	b.ReportMetric(float64(starts[len(starts)/2].Microseconds())/1000, "ms-median-pod-start")
	b.ReportMetric(float64(teardown.Microseconds())/1000/float64(b.N), "ms-teardown-20")
	b.ReportMetric(0, "ns/op")
}

// A pod whose container name is taken on the host fails to start and
// leaves the other container alone.
func TestPodNameCollisionLeavesOthersAlone(t *testing.T) {
	podSetup(t)
	other := run(t, Spec{Name: "clash-c", Args: []string{"sleep", "30"}})
	pod, _ := api.DecodePod([]byte(`{apiVersion: v1, kind: Pod, metadata: {name: clash}, spec: {containers: [{name: c, image: busybox, command: [sleep, "30"]}]}}`))
	if _, err := rt.RunPod(context.Background(), pod, nil); err == nil || !strings.Contains(err.Error(), `"clash-c" already exists`) {
		t.Fatalf("run pod: %v", err)
	}
	if st, err := rt.Get("clash-c"); err != nil || st.Status != Running || st.Pid != other.Pid {
		t.Errorf("the other container was disturbed: %v %+v", err, st)
	}
	if _, err := rt.GetPod("clash"); err == nil {
		t.Error("the failed pod is still recorded")
	}
}
