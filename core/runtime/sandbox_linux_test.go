package runtime

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/image"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
)

// createSandbox makes the sandbox of a manifest's Pod in runtime r and
// removes it when the test ends.
func createSandbox(t *testing.T, r *Runtime, manifest string, node *network.Config) *PodState {
	t.Helper()
	podSetup(t)
	pod, err := api.DecodePod([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := r.CreateSandbox(context.Background(), pod, node)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.RemoveSandbox(context.Background(), ps, 0); err != nil {
			t.Errorf("remove pod %q: %v", ps.Pod.Name, err)
		}
	})
	return ps
}

// container returns the spec of one container of the Pod.
func container(t *testing.T, ps *PodState, name string) api.Container {
	t.Helper()
	c, ok := specContainer(ps, name)
	if !ok {
		t.Fatalf("pod %q has no container %q", ps.Pod.Name, name)
	}
	return c
}

func start(t *testing.T, ps *PodState, name string) *State {
	t.Helper()
	st, err := rt.StartContainer(context.Background(), ps, container(t, ps, name))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

const stepsPod = `
apiVersion: v1
kind: Pod
metadata: {name: steps}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: work, emptyDir: {}}]
  initContainers:
  - name: init
    image: busybox
    command: [sh, -c, "echo initialized > /work/init"]
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: app
    image: busybox
    command: [sh, -c, "trap 'exit 0' TERM; cat /work/init; echo ready; while :; do sleep 0.05; done"]
    volumeMounts: [{name: work, mountPath: /work}]
  - {name: crash, image: busybox, command: [sh, -c, "exit 3"]}
`

// The steps of a node agent: the sandbox, an init container run to
// completion, then the app containers, a restart, a stop, the removal.
func TestSandboxSteps(t *testing.T) {
	ctx := context.Background()
	ps := createSandbox(t, rt, stepsPod, nil)
	if ps.Phase() != PodRunning || len(ps.Containers) != 0 {
		t.Fatalf("sandbox: phase %s, containers %v; want a running pause and no container", ps.Phase(), ps.Containers)
	}
	if _, err := rt.ContainerState(ps, "app"); !errors.Is(err, ErrNotFound) {
		t.Errorf("state of a container not started: %v, want ErrNotFound", err)
	}
	if _, err := rt.ContainerState(ps, "nope"); err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "has no container") {
		t.Errorf("state of a container the pod does not have: %v", err)
	}

	// The init container runs to completion before anything else starts.
	init := wait(t, start(t, ps, "init").Spec.Name)
	if st, err := rt.ContainerState(ps, "init"); err != nil || st.Status != Exited || st.ExitCode != 0 || st.FinishedAt.IsZero() {
		t.Fatalf("init container: %v %+v", err, st)
	}
	app := start(t, ps, "app")
	waitLog(t, app.Spec.Name, "initialized\nready\n")
	if !app.StartedAt.After(init.FinishedAt) {
		t.Errorf("app started at %v, before the init container finished at %v", app.StartedAt, init.FinishedAt)
	}
	if _, err := rt.StartContainer(ctx, ps, container(t, ps, "app")); err == nil || !strings.Contains(err.Error(), "is running") {
		t.Errorf("second start of a running container: %v", err)
	}

	// Each start of an exited container is a restart, saved in pod.json.
	crash := wait(t, start(t, ps, "crash").Spec.Name)
	if crash.ExitCode != 3 || ps.Restarts["crash"] != 0 {
		t.Fatalf("crash: exit %d, restarts %d; want 3 and 0", crash.ExitCode, ps.Restarts["crash"])
	}
	for want := 1; want <= 2; want++ {
		wait(t, start(t, ps, "crash").Spec.Name)
		saved, err := rt.SandboxByUID(ps.Pod.UID)
		if err != nil {
			t.Fatal(err)
		}
		if ps.Restarts["crash"] != want || saved.Restarts["crash"] != want {
			t.Errorf("restarts of crash: %d, %d in pod.json; want %d", ps.Restarts["crash"], saved.Restarts["crash"], want)
		}
	}
	if st, err := rt.ContainerState(ps, "crash"); err != nil || st.Status != Exited || st.ExitCode != 3 {
		t.Errorf("crash after its restarts: %v %+v", err, st)
	}

	// A stopped container keeps its last state.
	t0 := time.Now()
	stopped, err := rt.StopContainer(ctx, ps, "app", 5*time.Second)
	if err != nil || stopped.Status != Exited || stopped.ExitCode != 0 || time.Since(t0) > 4*time.Second {
		t.Fatalf("stop app: %v %+v after %v; want exit 0 at once (it traps TERM)", err, stopped, time.Since(t0))
	}
	for range 2 {
		st, err := rt.ContainerState(ps, "app")
		if err != nil || st.Status != Exited || st.ExitCode != 0 || !st.FinishedAt.Equal(stopped.FinishedAt) {
			t.Errorf("state of the stopped app: %v %+v", err, st)
		}
		if st, err = rt.StopContainer(ctx, ps, "app", time.Second); err != nil || st.Status != Exited {
			t.Errorf("stopping it again: %v %+v", err, st)
		}
	}
	if restarted := start(t, ps, "app"); restarted.Pid == app.Pid || ps.Restarts["app"] != 1 {
		t.Errorf("app after a stop and a start: pid %d (was %d), restarts %d", restarted.Pid, app.Pid, ps.Restarts["app"])
	}

	// Removal: everything goes, and a second removal finds nothing to do.
	if list, _ := rt.Sandboxes(); len(list) != 1 || list[0].Pod.UID != ps.Pod.UID {
		t.Errorf("sandboxes: %d, want this one", len(list))
	}
	if err := rt.RemoveSandbox(ctx, ps, -1); err != nil {
		t.Fatal(err)
	}
	assertNoPods(t, nil)
	if err := rt.RemoveSandbox(ctx, ps, 0); err != nil {
		t.Errorf("second removal: %v", err)
	}
	if _, err := rt.SandboxByUID(ps.Pod.UID); !errors.Is(err, ErrPodNotFound) {
		t.Errorf("sandbox after its removal: %v", err)
	}
}

// RunPod starts a native sidecar and goes on without waiting for it to exit.
func TestRunPodSidecar(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	podSetup(t)
	pod, err := api.DecodePod([]byte(`{apiVersion: v1, kind: Pod, metadata: {name: sidecar},
		spec: {terminationGracePeriodSeconds: 0,
		initContainers: [{name: side, image: busybox, restartPolicy: Always, command: [sleep, "3600"]}],
		containers: [{name: app, image: busybox, command: [sleep, "3600"]}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := rt.RunPod(ctx, pod, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.RemoveSandbox(context.Background(), ps, 0)
	for _, c := range []string{"side", "app"} {
		if st, err := rt.ContainerState(ps, c); err != nil || st.Status != Running {
			t.Errorf("%s: %v %+v; want it running", c, err, st)
		}
	}
}

// A node agent that restarts finds its Pods by uid and adopts them: nothing
// is started again.
func TestAdoptSandbox(t *testing.T) {
	ps := createSandbox(t, rt, `{apiVersion: v1, kind: Pod, metadata: {name: adopted},
		spec: {containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}}`, nil)
	before := start(t, ps, "c")
	again := &Runtime{Root: rt.Root, Images: rt.Images, Cgroups: rt.Cgroups, CgroupParent: rt.CgroupParent}
	list, err := again.Sandboxes()
	if err != nil || len(list) != 1 {
		t.Fatalf("sandboxes after a restart: %d, %v", len(list), err)
	}
	found, err := again.SandboxByUID(list[0].Pod.UID)
	if err != nil || found.Pod.Name != "adopted" || found.Phase() != PodRunning || found.Pause != ps.Pause {
		t.Fatalf("adopted sandbox: %v %+v", err, found)
	}
	st, err := again.ContainerState(found, "c")
	if err != nil || st.Status != Running || st.Pid != before.Pid {
		t.Fatalf("adopted container: %v %+v; want pid %d running", err, st, before.Pid)
	}
	if _, err := again.StartContainer(context.Background(), found, container(t, found, "c")); err == nil {
		t.Error("a running container was started again")
	}
	if st, _ := again.ContainerState(found, "c"); st.Pid != before.Pid || found.Restarts["c"] != 0 {
		t.Errorf("the adopted container was disturbed: pid %d, restarts %d", st.Pid, found.Restarts["c"])
	}
	if _, err := again.SandboxByUID("../" + filepath.Base(rt.Root)); !errors.Is(err, ErrPodNotFound) {
		t.Errorf("uid with a slash: %v", err)
	}
}

// A sandbox half removed, by a removal interrupted at any point or by its
// pause dying, can be removed again; a name left claimed by a removed Pod
// is taken over.
func TestRemoveHalfRemovedSandbox(t *testing.T) {
	ctx := context.Background()
	podSetup(t)
	node := testNode(t)
	const uid = "5a0c1d2e-3f40-4152-8637-48596a7b8c9d"
	manifest := `{apiVersion: v1, kind: Pod, metadata: {name: half, uid: ` + uid + `},
		spec: {containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}}`
	decode := func(manifest string) *api.Pod {
		pod, err := api.DecodePod([]byte(manifest))
		if err != nil {
			t.Fatal(err)
		}
		return pod
	}

	// What a create killed right after mkdir leaves is taken over.
	if err := os.MkdirAll(filepath.Join(rt.PodsDir(), uid), 0o700); err != nil {
		t.Fatal(err)
	}
	ps, err := rt.CreateSandbox(ctx, decode(manifest), node)
	if err != nil {
		t.Fatal(err)
	}
	first := ps
	t.Cleanup(func() { rt.RemoveSandbox(ctx, first, 0) })
	st, err := rt.StartContainer(ctx, ps, ps.Pod.Spec.Containers[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.CreateSandbox(ctx, decode(manifest), node); !errors.Is(err, fs.ErrExist) {
		t.Errorf("a second sandbox for one uid: %v", err)
	}
	if ps.Phase() != PodRunning {
		t.Fatal("the refused create disturbed the sandbox")
	}

	// Interrupted after the containers and the pause: the pause died.
	if _, err := rt.Stop(ctx, st.Spec.Name, 0); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(ps.Pause.Pid, syscall.SIGKILL)
	for deadline := time.Now().Add(2 * time.Second); ps.Phase() == PodRunning && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := rt.StartContainer(ctx, ps, ps.Pod.Spec.Containers[0]); err == nil || !strings.Contains(err.Error(), "pause") {
		t.Errorf("start in a dead sandbox: %v", err)
	}
	if err := rt.RemoveSandbox(ctx, ps, 0); err != nil {
		t.Fatal(err)
	}
	assertNoPods(t, node)

	// Interrupted after pod.json went, before the name was given up.
	names := filepath.Join(rt.PodsDir(), "names", "half")
	if err := os.WriteFile(names, []byte(uid), 0o600); err != nil {
		t.Fatal(err)
	}
	ps = createSandbox(t, rt, `{apiVersion: v1, kind: Pod, metadata: {name: half},
		spec: {containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}}`, node)
	if got, err := rt.GetPod("half"); err != nil || got.Pod.UID != ps.Pod.UID {
		t.Errorf("the stale name was not taken over: %v", err)
	}
	if err := rt.RemoveSandbox(ctx, ps, 0); err != nil {
		t.Fatal(err)
	}
	assertNoPods(t, node)
}

// Pods of the same name in two namespaces live side by side; namespace
// default keeps the names of a single-node podlab.
func TestNamespacedPodNames(t *testing.T) {
	ctx := context.Background()
	podSetup(t)
	const web = `{apiVersion: v1, kind: Pod, metadata: {name: web, namespace: %s},
		spec: {terminationGracePeriodSeconds: 0, containers: [{name: app, image: busybox, command: [sleep, "3600"]}]}}`
	deflt := runPod(t, fmt.Sprintf(web, "default"), nil)
	dev := runPod(t, fmt.Sprintf(web, "dev"), nil)
	for _, c := range []struct {
		ps        *PodState
		claim     string
		container string
	}{{deflt, "web", "web-app"}, {dev, "web_dev", "dev-web-app"}} {
		uid, err := os.ReadFile(filepath.Join(rt.PodsDir(), "names", c.claim))
		if err != nil || string(uid) != c.ps.Pod.UID {
			t.Errorf("claim %q: %q %v, want uid %s", c.claim, uid, err, c.ps.Pod.UID)
		}
		st, err := rt.ContainerState(c.ps, "app")
		if err != nil || st.Spec.Name != c.container || st.Status != Running {
			t.Errorf("container app of pod web in %s: %v %+v; want %q running", c.ps.Pod.Namespace, err, st, c.container)
		}
	}
	if ps, err := rt.GetPod("web"); err != nil || ps.Pod.UID != deflt.Pod.UID {
		t.Errorf("GetPod(web): %v", err)
	}
	if ps, err := rt.GetPodIn("dev", "web"); err != nil || ps.Pod.UID != dev.Pod.UID {
		t.Errorf("GetPodIn(dev, web): %v", err)
	}
	if _, err := rt.GetPodIn("prod", "web"); !errors.Is(err, ErrPodNotFound) {
		t.Errorf("GetPodIn(prod, web): %v", err)
	}
	pod, _ := api.DecodePod([]byte(fmt.Sprintf(web, "dev")))
	if _, err := rt.CreateSandbox(ctx, pod, nil); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second web in dev: %v", err)
	}
	if err := rt.RemovePod(ctx, "web", 0); err != nil {
		t.Fatal(err)
	}
	if st, err := rt.ContainerState(dev, "app"); err != nil || st.Status != Running || dev.Phase() != PodRunning {
		t.Errorf("removing web in default disturbed web in dev: %v %+v", err, st)
	}
}

func TestPodContainerNames(t *testing.T) {
	long := strings.Repeat("a", 40)
	for _, c := range []struct{ namespace, pod, container, want string }{
		{"", "web", "app", "web-app"},
		{"default", "web.v1", "app", "web-v1-app"},
		{"dev", "web", "app", "dev-web-app"},
		{"dev", long, "app", ""},
	} {
		pod := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: c.namespace, Name: c.pod}}
		got := podContainerName(pod, c.container)
		if c.want != "" && got != c.want || ValidateName(got) != nil {
			t.Errorf("container %q of pod %q in %q: %q, want %q", c.container, c.pod, c.namespace, got, c.want)
		}
	}
	a := podContainerName(&api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "dev", Name: long}}, "app")
	b := podContainerName(&api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "prod", Name: long}}, "app")
	if a == b {
		t.Errorf("long names in two namespaces are both %q", a)
	}
}

// Two runtimes with their own state and cgroups, as two nodes on one host,
// do not see each other's Pods, though both share the images.
func TestRuntimesWithOwnRoots(t *testing.T) {
	podSetup(t)
	nodeB, err := NewAt(filepath.Join(filepath.Dir(rt.Root), "node-b"), rt.CgroupParent+"/node-b")
	if err != nil {
		t.Fatal(err)
	}
	nodeB.Images = rt.Images // the test's store; NewAt's default is paths.Images()
	const twin = `{apiVersion: v1, kind: Pod, metadata: {name: twin},
		spec: {terminationGracePeriodSeconds: 0, containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}}`
	a := runPod(t, twin, nil)
	b := createSandbox(t, nodeB, twin, nil)
	stB, err := nodeB.StartContainer(context.Background(), b, b.Pod.Spec.Containers[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r          *Runtime
		own, other *PodState
	}{{rt, a, b}, {nodeB, b, a}} {
		if list, _ := c.r.Sandboxes(); len(list) != 1 || list[0].Pod.UID != c.own.Pod.UID {
			t.Errorf("runtime %s sees %d pods, want only its own", c.r.Root, len(list))
		}
		if _, err := c.r.SandboxByUID(c.other.Pod.UID); !errors.Is(err, ErrPodNotFound) {
			t.Errorf("runtime %s finds the other's pod: %v", c.r.Root, err)
		}
		if ps, err := c.r.GetPod("twin"); err != nil || ps.Pod.UID != c.own.Pod.UID {
			t.Errorf("runtime %s: GetPod(twin): %v", c.r.Root, err)
		}
	}
	if !strings.HasPrefix(stB.Cgroup, nodeB.CgroupParent+"/pod-"+b.Pod.UID+"/") || !proc.InCgroup(stB.Pid, stB.Cgroup) {
		t.Errorf("node-b's container is in cgroup %q", stB.Cgroup)
	}
	if !strings.HasPrefix(stB.Dir, filepath.Dir(nodeB.Root)) {
		t.Errorf("node-b's container lives in %q", stB.Dir)
	}
	if err := nodeB.RemoveSandbox(context.Background(), b, 0); err != nil {
		t.Fatal(err)
	}
	assertNoPodsIn(t, nodeB, nil)
	if _, err := nodeB.Cgroups.Open(nodeB.CgroupParent); err == nil {
		t.Errorf("cgroup %q outlived node-b's last pod", nodeB.CgroupParent)
	}
	if st, err := rt.ContainerState(a, "c"); err != nil || st.Status != Running {
		t.Errorf("removing node-b's pod disturbed this one: %v %+v", err, st)
	}
}

func TestNewAtPaths(t *testing.T) {
	t.Setenv("PODLAB_RUN", "/run/podlab-elsewhere")
	t.Setenv("PODLAB_CGROUP", "podlab-elsewhere")
	t.Setenv("PODLAB_LIB", "/var/lib/podlab-elsewhere")
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if r.Root != "/run/podlab-elsewhere/containers" || r.PodsDir() != "/run/podlab-elsewhere/pods" ||
		r.CgroupParent != "podlab-elsewhere" || r.Images.Root != "/var/lib/podlab-elsewhere/images" {
		t.Errorf("New with the environment: root %q, pods %q, cgroup %q, images %q", r.Root, r.PodsDir(), r.CgroupParent, r.Images.Root)
	}
	r, err = NewAt("/run/podlab/nodes/node1", "podlab/node1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Root != "/run/podlab/nodes/node1/containers" || r.PodsDir() != "/run/podlab/nodes/node1/pods" ||
		r.CgroupParent != "podlab/node1" || r.Images.Root != "/var/lib/podlab-elsewhere/images" {
		t.Errorf("NewAt: root %q, pods %q, cgroup %q, images %q", r.Root, r.PodsDir(), r.CgroupParent, r.Images.Root)
	}
	for _, bad := range [][2]string{{"relative/dir", ""}, {"/run/x", "../escape"}, {"/run/x", "/abs"}} {
		if _, err := NewAt(bad[0], bad[1]); err == nil {
			t.Errorf("NewAt(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// The node agent of a node of the local cluster runs inside the node's
// network namespace. The test runs this test binary again in a fresh one,
// as such an agent, with a runtime of its own; the child makes a pod there
// and checks it from there (nodeInNetns).
func TestSandboxInNodeNetns(t *testing.T) {
	if os.Getenv(nodeChildEnv) != "" {
		nodeInNetns(t)
		return
	}
	podSetup(t)
	holder := exec.Command("sleep", "3600")
	holder.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	nodeNetNS := ns.Path(holder.Process.Pid, ns.Net)
	state := filepath.Join(filepath.Dir(rt.Root), "netns-node")
	cgroupParent := rt.CgroupParent + "-netns-node"

	var out strings.Builder
	child := &exec.Cmd{
		Path:   "/proc/self/exe",
		Args:   []string{os.Args[0], "-test.run=^TestSandboxInNodeNetns$", "-test.count=1", "-test.v"},
		Stdout: &out,
		Stderr: &out,
		Env: append(os.Environ(), nodeChildEnv+"=1", "NODE_STATE="+state, "NODE_CGROUP="+cgroupParent,
			"NODE_IMAGES="+rt.Images.Root, "NODE_HOST_NETNS="+ns.Path(os.Getpid(), ns.Net)),
	}
	// Born in the node's network namespace, and only that: as with
	// "nsenter --net", the mount namespace (and the cgroup mounts) stay.
	if err := ns.StartIn(child, map[ns.Type]string{ns.Net: nodeNetNS}); err != nil {
		t.Fatal(err)
	}
	err := child.Wait()
	t.Logf("the node agent's test:\n%s", out.String())
	if err != nil {
		t.Fatalf("node agent's test: %v", err)
	}

	// Left behind: nothing in the node, in the runtime, in the cgroups, and
	// no process adopted from the child.
	assertOnlyLoopback(t, nodeNetNS)
	if out, err := exec.Command("nsenter", "--net="+nodeNetNS, "iptables", "-t", "nat", "-S", "POSTROUTING").CombinedOutput(); err == nil && strings.Contains(string(out), nodeSubnet) {
		t.Errorf("MASQUERADE rule left in the node:\n%s", out)
	}
	r := &Runtime{Root: filepath.Join(state, "containers"), Cgroups: rt.Cgroups, CgroupParent: cgroupParent}
	assertNoPodsIn(t, r, nil)
	if _, err := r.Cgroups.Open(cgroupParent); err == nil {
		t.Errorf("cgroup %q left", cgroupParent)
	}
	for _, pid := range adopted(holder.Process.Pid) {
		t.Errorf("process %d (%s) left by the node agent", pid, proc.Cmdline(pid))
	}
	os.RemoveAll(state)
}

// "ip netns exec" mounts a fresh /sys, without the cgroup mounts: a
// runtime cannot work there, and says how to enter a node's network
// namespace instead.
func TestIPNetnsExecHidesCgroups(t *testing.T) {
	name := fmt.Sprintf("podlabt-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v\n%s", err, out)
	}
	defer exec.Command("ip", "netns", "delete", name).Run()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", name, self, "-test.run=^$")
	cmd.Env = append(os.Environ(), nodeChildEnv+"=1", "NODE_STATE=/nonexistent", "NODE_CGROUP=podlab-nonexistent")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "nsenter --net=") {
		t.Errorf("a runtime under ip netns exec: %v\n%s", err, out)
	}
}

// nodeChildEnv tells the test binary that it is TestSandboxInNodeNetns's child.
const nodeChildEnv = "PODLAB_RUNTIME_TEST_NODE"

const nodeSubnet = "10.244.252.0/24"

// nodeChildMain runs the tests in the child: with a runtime of its own
// (NewAt) and the parent's images, pause and busybox.
func nodeChildMain(m *testing.M) int {
	var err error
	if rt, err = NewAt(os.Getenv("NODE_STATE"), os.Getenv("NODE_CGROUP")); err != nil {
		fmt.Println(err)
		return 1
	}
	rt.Images = &image.Store{Root: os.Getenv("NODE_IMAGES")}
	podOnce.Do(func() {}) // the parent built the pause and the images
	return m.Run()
}

// nodeInNetns is TestSandboxInNodeNetns in the child, the node agent: the
// whole process is in the node's network namespace.
func nodeInNetns(t *testing.T) {
	ctx := context.Background()
	self, err := ns.Inode(os.Getpid(), ns.Net)
	if err != nil {
		t.Fatal(err)
	}
	hostNetNS := os.Getenv("NODE_HOST_NETNS")
	var host unix.Stat_t
	if err := unix.Stat(hostNetNS, &host); err != nil || host.Ino == self {
		t.Fatalf("the node agent runs in the host's network namespace (%v)", err)
	}
	_, subnet, _ := net.ParseCIDR(nodeSubnet)
	node := &network.Config{ // NodeNetNS "": this process's, the node's
		Bridge:   fmt.Sprintf("podlabt-%d", os.Getppid()),
		Subnet:   subnet,
		StateDir: filepath.Join(os.Getenv("NODE_STATE"), "ipam"),
	}
	ps := createSandbox(t, rt, `{apiVersion: v1, kind: Pod, metadata: {name: web, namespace: node-test},
		spec: {containers: [{name: app, image: busybox, command: [sleep, "3600"]}]}}`, node)
	st := start(t, ps, "app")

	// Every visit to the pause's namespace came back: no thread of this
	// process is anywhere but in the node's network namespace.
	for deadline := time.Now().Add(time.Second); ; time.Sleep(10 * time.Millisecond) {
		strays := threadsOutside(self)
		if len(strays) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("threads of the node agent in other network namespaces: %v", strays)
			break
		}
	}
	ip := net.ParseIP(ps.IP())
	if !subnet.Contains(ip) {
		t.Fatalf("pod IP %q, want one of %s", ps.IP(), subnet)
	}
	if err := network.Ping("", ip, 2*time.Second); err != nil {
		t.Errorf("the pod does not answer from the node: %v", err)
	}
	out, _, err := rt.ExecOutput(ctx, st, "ip", "-4", "-o", "addr", "show", "eth0")
	if err != nil || !strings.Contains(out, ps.IP()+"/24") {
		t.Errorf("eth0 in the container: %q %v", out, err)
	}
	veth := network.VethName(ps.Pod.UID)
	for _, link := range []string{node.Bridge, veth} {
		if !hasLink("", link) {
			t.Errorf("%s is not in the node's network namespace", link)
		}
		if hasLink(hostNetNS, link) {
			t.Errorf("%s is in the host's network namespace", link)
		}
	}
	if err := rt.RemoveSandbox(ctx, ps, 0); err != nil {
		t.Fatal(err)
	}
	assertNoPods(t, node)
	if hasLink("", node.Bridge) {
		t.Errorf("bridge %s outlived the node's last pod", node.Bridge)
	}
}

// threadsOutside lists the threads of this process whose network namespace
// is not netns.
func threadsOutside(netns uint64) []string {
	tasks, _ := os.ReadDir("/proc/self/task")
	var strays []string
	for _, task := range tasks {
		var st unix.Stat_t
		if unix.Stat("/proc/self/task/"+task.Name()+"/ns/net", &st) == nil && st.Ino != netns {
			strays = append(strays, fmt.Sprintf("%s in net:[%d]", task.Name(), st.Ino))
		}
	}
	return strays
}

// hasLink tells whether the network namespace at netnsPath ("" = this
// process's) has a link of that name.
func hasLink(netnsPath, name string) bool {
	join := map[ns.Type]string{}
	if netnsPath != "" {
		join[ns.Net] = netnsPath
	}
	found := false
	ns.Do(join, func() error {
		_, err := net.InterfaceByName(name)
		found = err == nil
		return nil
	})
	return found
}

// adopted reaps the exited processes this one adopted as a subreaper and
// lists the living children that are not keep.
func adopted(keep int) []int {
	var alive []int
	for _, pid := range proc.List() {
		st, err := proc.ReadStat(pid)
		switch {
		case err != nil || st.PPid != os.Getpid() || pid == keep:
		case st.State == 'Z':
			var ws unix.WaitStatus
			unix.Wait4(pid, &ws, 0, nil)
		default:
			alive = append(alive, pid)
		}
	}
	return alive
}
