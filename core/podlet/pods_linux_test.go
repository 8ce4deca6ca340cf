package podlet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/apiserver"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/image"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
	"github.com/podlab/podlab/core/runtime"
	"github.com/podlab/podlab/core/store"
)

// The pod sync loop, for real: an API server on an embedded etcd in this
// process, a runtime with its own state directory and cgroup, a pod
// network on a bridge inside a network namespace of the test's own (so
// the host's links, ip_forward and iptables are never touched), and the
// loop between them. It needs root; without it, it is skipped.

// The test binary is also the shim and the init of the containers it runs
// (the runtime re-executes /proc/self/exe), so it locks its main thread
// as every podlab main does (IMPLEMENTATION.md §1.4).
func init() { goruntime.LockOSThread() }

func TestMain(m *testing.M) {
	if runtime.Reexec() {
		return
	}
	os.Exit(m.Run())
}

const (
	itNode    = "podlet-test-node"
	itPodCIDR = "10.244.253.0/24"
	itNodeIP  = "172.30.253.11"
	itToken   = "podlet-test-token"
)

// podletEnv is one node and its API server.
type podletEnv struct {
	t        *testing.T
	dir      string // everything of the test lives below it, on /run (tmpfs)
	images   *image.Store
	client   *client.Client
	netns    string // the node's network namespace
	network  *network.Config
	cgroup   string // the runtime's parent cgroup
	logFile  *os.File
	stop     func() // stops the running podlet
	stateDir string // the podlet's records
}

func newPodletEnv(t *testing.T) *podletEnv {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the pod sync loop test needs root: namespaces, cgroups, mounts")
	}
	dir, err := os.MkdirTemp("/run", "podlabt-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) // runs last
	e := &podletEnv{t: t, dir: dir, cgroup: fmt.Sprintf("podlabt-%d", os.Getpid()), stateDir: filepath.Join(dir, "node", "podlet")}
	if e.logFile, err = os.Create(filepath.Join(dir, "podlet.log")); err != nil {
		t.Fatal(err)
	}
	// The informer and the controller log to the default logger.
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(e.logFile, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })
	e.buildPauseAndImage()
	e.startAPIServer()
	e.startNodeNetns()
	e.registerNode()
	t.Cleanup(e.cleanUp) // runs first: while the API server and the netns are there
	return e
}

// buildPauseAndImage builds the pause binary and the busybox image into
// the test's directory.
func (e *podletEnv) buildPauseAndImage() {
	t := e.t
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(e.dir, "bin")
	cmd := exec.Command("go", "build", "-o", bin+"/", "./cmd/pause")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/pause: %v\n%s", err, out)
	}
	t.Setenv("PODLAB_PAUSE", filepath.Join(bin, "pause"))
	e.images = &image.Store{Root: filepath.Join(e.dir, "images")}
	if _, err := e.images.BuildBase(image.Ref{Name: "busybox", Tag: "latest"}, image.DefaultBusybox); err != nil {
		t.Fatalf("build the busybox image (apt-get install busybox-static): %v", err)
	}
}

// startAPIServer starts etcd and the API server on loopback ports.
func (e *podletEnv) startAPIServer() {
	t := e.t
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "http://" + l.Addr().String()
	}
	etcd, err := store.StartEmbedded(context.Background(), store.EmbedConfig{
		DataDir: filepath.Join(e.dir, "etcd"), ClientURL: free(), PeerURL: free(), Name: "podlet-test", UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(etcd.Close)
	srv := apiserver.New(store.New(etcd.Client()), map[string]string{itToken: "admin"})
	if err := srv.EnsureDefaultNamespaces(context.Background()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.StopWatches(); hs.Close() })
	if e.client, err = client.New(client.Config{Server: hs.URL, Token: itToken}); err != nil {
		t.Fatal(err)
	}
}

// startNodeNetns makes the node's network namespace, held by a process of
// the test's own.
func (e *podletEnv) startNodeNetns() {
	holder := exec.Command("sleep", "3600")
	holder.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := holder.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	e.netns = ns.Path(holder.Process.Pid, ns.Net)
}

// registerNode creates the Node and gives it its podCIDR, as the node
// IPAM controller of podlab-server would, then takes the pod network
// from it as the podlet does.
func (e *podletEnv) registerNode() {
	t := e.t
	ctx := context.Background()
	nodes := e.client.Nodes()
	if _, err := nodes.Create(ctx, &api.Node{ObjectMeta: api.ObjectMeta{Name: itNode}}); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond) // WaitForPodCIDR waits meanwhile
		nodes.Patch(ctx, itNode, []byte(`{"spec":{"podCIDR":"`+itPodCIDR+`"}}`))
	}()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cidr, err := WaitForPodCIDR(wctx, nodes, itNode, 20*time.Millisecond, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	e.network = &network.Config{
		Bridge:    fmt.Sprintf("podlabt%d", os.Getpid()%10000000),
		Subnet:    cidr,
		NodeNetNS: e.netns,
		StateDir:  filepath.Join(e.dir, "node", "ipam"),
	}
}

// newRuntime is the node's runtime, as a podlet that starts makes it.
func (e *podletEnv) newRuntime() *runtime.Runtime {
	rt, err := runtime.NewAt(filepath.Join(e.dir, "node"), e.cgroup)
	if err != nil {
		e.t.Fatal(err)
	}
	rt.Images = e.images
	return rt
}

// startPodlet runs the pod sync loop with a fresh runtime, back-off,
// hooks and probes, as a podlet that starts does, until e.stop.
func (e *podletEnv) startPodlet() {
	ctx, cancel := context.WithCancel(context.Background())
	rec := client.NewRecorder(e.client, "podlet", itNode)
	rt := e.newRuntime()
	done := make(chan error, 1)
	go func() {
		done <- RunPods(ctx, PodsConfig{
			Client:       e.client,
			NodeName:     itNode,
			NodeIP:       itNodeIP,
			Runtime:      rt,
			Network:      e.network,
			StateDir:     e.stateDir,
			Backoff:      NewBackoff(100*time.Millisecond, time.Second),
			Recorder:     rec,
			Hooks:        LifecycleHooks{Runtime: rt},
			Prober:       NewProbes(rt, rec),
			Log:          slog.Default(),
			RelistPeriod: 100 * time.Millisecond,
		})
	}()
	e.stop = func() {
		cancel()
		if err := <-done; err != nil {
			e.t.Errorf("RunPods: %v", err)
		}
		fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer fcancel()
		rec.Flush(fctx)
		e.stop = func() {}
	}
}

// createPod creates the pod of manifest, bound to the node.
func (e *podletEnv) createPod(t *testing.T, manifest string) *api.Pod {
	t.Helper()
	pod, err := api.DecodePod([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	pod.Namespace = api.NamespaceDefault
	pod.Spec.NodeName = itNode
	created, err := e.client.Pods(api.NamespaceDefault).Create(context.Background(), pod)
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// waitPod waits until cond holds for pod name, and returns the pod.
func (e *podletEnv) waitPod(t *testing.T, name, what string, cond func(*api.Pod) bool) *api.Pod {
	t.Helper()
	var last *api.Pod
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		p, err := e.client.Pods(api.NamespaceDefault).Get(context.Background(), name)
		if err != nil {
			t.Fatalf("get pod %q: %v", name, err)
		}
		if last = p; cond(p) {
			return p
		}
	}
	t.Fatalf("pod %q: %s: not after 30s; status:\n%s", name, what, toJSON(last.Status))
	return nil
}

// waitGone waits until pod name is gone from the API server.
func (e *podletEnv) waitGone(t *testing.T, name string, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		_, err := e.client.Pods(api.NamespaceDefault).Get(context.Background(), name)
		if client.IsNotFound(err) {
			return
		}
	}
	t.Fatalf("pod %q still in the API server after %s", name, timeout)
}

// waitNoSandbox waits until the pod with uid has no sandbox on the node.
func (e *podletEnv) waitNoSandbox(t *testing.T, uid string) {
	t.Helper()
	rt := e.newRuntime()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		if _, err := rt.SandboxByUID(uid); errors.Is(err, runtime.ErrPodNotFound) {
			return
		}
	}
	t.Fatalf("the sandbox of pod uid %s is still on the node", uid)
}

// containerState reads the runtime's state of a container of a pod.
func (e *podletEnv) containerState(t *testing.T, uid, container string) *runtime.State {
	t.Helper()
	rt := e.newRuntime()
	ps, err := rt.SandboxByUID(uid)
	if err != nil {
		t.Fatal(err)
	}
	st, err := rt.ContainerState(ps, container)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func toJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func podCondition(p *api.Pod, typ api.PodConditionType) api.ConditionStatus {
	for _, c := range p.Status.Conditions {
		if c.Type == typ {
			return c.Status
		}
	}
	return ""
}

// phaseIs is a condition of waitPod.
func phaseIs(phase api.PodPhase) func(*api.Pod) bool {
	return func(p *api.Pod) bool { return p.Status.Phase == phase }
}

// app is the status of the pod's first app container.
func app(p *api.Pod) api.ContainerStatus {
	if len(p.Status.ContainerStatuses) == 0 {
		return api.ContainerStatus{}
	}
	return p.Status.ContainerStatuses[0]
}

func runningPod(name string) string {
	return `{apiVersion: v1, kind: Pod, metadata: {name: ` + name + `},
		spec: {terminationGracePeriodSeconds: 2, containers: [{name: app, image: busybox, command: [sleep, "3600"]}]}}`
}

func exitingPod(name string, policy api.RestartPolicy, code int) string {
	return fmt.Sprintf(`{apiVersion: v1, kind: Pod, metadata: {name: %s}, spec: {restartPolicy: %s, terminationGracePeriodSeconds: 2,
		containers: [{name: app, image: busybox, command: [sh, -c, "exit %d"]}]}}`, name, policy, code)
}

func TestPodSyncLoop(t *testing.T) {
	e := newPodletEnv(t)
	e.startPodlet()
	_, podCIDR, _ := net.ParseCIDR(itPodCIDR)

	var web *api.Pod
	t.Run("Running", func(t *testing.T) {
		created := e.createPod(t, runningPod("web"))
		web = e.waitPod(t, "web", "Running and Ready", func(p *api.Pod) bool {
			return p.Status.Phase == api.PodRunning && podCondition(p, api.PodReady) == api.ConditionTrue
		})
		s := web.Status
		cs := app(web)
		if cs.State.Running == nil || !cs.Ready || cs.RestartCount != 0 || cs.Started == nil || !*cs.Started ||
			!strings.HasPrefix(cs.ContainerID, "podlab://") {
			t.Errorf("container status:\n%s", toJSON(cs))
		}
		ip := net.ParseIP(s.PodIP)
		if ip == nil || !podCIDR.Contains(ip) || s.HostIP != itNodeIP || s.StartTime.IsZero() {
			t.Errorf("podIP %q (want one in %s), hostIP %q, startTime %v", s.PodIP, itPodCIDR, s.HostIP, s.StartTime)
		}
		for _, c := range []api.PodConditionType{api.PodReadyToStartContainers, api.PodInitialized, api.ContainersReady, api.PodScheduled} {
			if podCondition(web, c) != api.ConditionTrue {
				t.Errorf("condition %s is %q", c, podCondition(web, c))
			}
		}
		if err := network.Ping(e.netns, ip, 2*time.Second); err != nil {
			t.Errorf("the pod IP does not answer from the node: %v", err)
		}
		if web.UID != created.UID {
			t.Errorf("uid %s, created as %s", web.UID, created.UID)
		}
	})

	t.Run("NeverExit0Succeeded", func(t *testing.T) {
		p := e.createPod(t, exitingPod("done", api.RestartPolicyNever, 0))
		done := e.waitPod(t, "done", "Succeeded", phaseIs(api.PodSucceeded))
		if term := app(done).State.Terminated; term == nil || term.ExitCode != 0 || term.Reason != ReasonCompleted || app(done).RestartCount != 0 {
			t.Errorf("container status:\n%s", toJSON(app(done)))
		}
		// Nothing runs in it any more: the sandbox goes, its IP is free.
		e.waitNoSandbox(t, p.UID)
		again := e.waitPod(t, "done", "still Succeeded", phaseIs(api.PodSucceeded))
		if app(again).State.Terminated == nil {
			t.Errorf("the container status went with the sandbox:\n%s", toJSON(app(again)))
		}
	})

	t.Run("NeverExit3Failed", func(t *testing.T) {
		e.createPod(t, exitingPod("failed", api.RestartPolicyNever, 3))
		p := e.waitPod(t, "failed", "Failed", phaseIs(api.PodFailed))
		if term := app(p).State.Terminated; term == nil || term.ExitCode != 3 || term.Reason != ReasonError {
			t.Errorf("container status:\n%s", toJSON(app(p)))
		}
	})

	t.Run("OnFailureExit0Succeeded", func(t *testing.T) {
		e.createPod(t, exitingPod("job", api.RestartPolicyOnFailure, 0))
		p := e.waitPod(t, "job", "Succeeded", phaseIs(api.PodSucceeded))
		if app(p).RestartCount != 0 {
			t.Errorf("restarted: %s", toJSON(app(p)))
		}
	})

	t.Run("CrashLoopBackOff", func(t *testing.T) { e.testCrashLoop(t) })

	t.Run("InitContainer", func(t *testing.T) {
		e.createPod(t, `
apiVersion: v1
kind: Pod
metadata: {name: init}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{name: work, emptyDir: {}}]
  initContainers:
  - {name: setup, image: busybox, command: [sh, -c, "echo hello > /work/greeting"], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
  - name: app
    image: busybox
    command: [sh, -c, 'test "$(cat /work/greeting)" = hello || exit 7; exec sleep 3600']
    volumeMounts: [{name: work, mountPath: /work}]
`)
		p := e.waitPod(t, "init", "Running and Ready", func(p *api.Pod) bool {
			return p.Status.Phase == api.PodRunning && podCondition(p, api.PodReady) == api.ConditionTrue
		})
		if len(p.Status.InitContainerStatuses) != 1 {
			t.Fatalf("init container statuses: %s", toJSON(p.Status.InitContainerStatuses))
		}
		initSt := p.Status.InitContainerStatuses[0]
		if term := initSt.State.Terminated; term == nil || term.ExitCode != 0 || term.Reason != ReasonCompleted || !initSt.Ready {
			t.Errorf("init container status:\n%s", toJSON(initSt))
		}
		if app(p).RestartCount != 0 || app(p).State.Running == nil || podCondition(p, api.PodInitialized) != api.ConditionTrue {
			t.Errorf("the app did not read what the init container wrote:\n%s", toJSON(p.Status))
		}
	})

	t.Run("StartError", func(t *testing.T) { e.testStartError(t) })

	t.Run("GracefulDelete", func(t *testing.T) { e.testGracefulDelete(t) })

	t.Run("DeletedAndMadeAgain", func(t *testing.T) { e.testDeletedAndMadeAgain(t) })

	t.Run("AdoptionAfterRestart", func(t *testing.T) {
		if web == nil {
			t.Skip("no running pod")
		}
		e.testAdoption(t, web)
	})
}

// testCrashLoop: under restartPolicy Always a container that keeps
// exiting 1 is restarted, at once the first time, then after 100 ms,
// 200 ms, 400 ms...; meanwhile it waits in CrashLoopBackOff.
func (e *podletEnv) testCrashLoop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := e.client.Pods(api.NamespaceDefault).Watch(ctx, client.ListOptions{FieldSelector: "metadata.name=crash"})
	if err != nil {
		t.Fatal(err)
	}
	e.createPod(t, exitingPod("crash", api.RestartPolicyAlways, 1))
	// Every exit shows in some status written, as state.terminated or as
	// lastState; the start time tells the instances apart.
	exits := map[int64]*api.ContainerStateTerminated{}
	var backOffs []string
	var restarts int32
	for len(exits) < 5 {
		var ev client.Event[*api.Pod]
		select {
		case ev = <-w.Events():
		case <-ctx.Done():
			t.Fatalf("exits seen: %d, back-offs: %q", len(exits), backOffs)
		}
		if phase := ev.Object.Status.Phase; phase != api.PodRunning && phase != api.PodPending {
			t.Fatalf("phase %s under restartPolicy Always", phase)
		}
		cs := app(ev.Object)
		restarts = max(restarts, cs.RestartCount)
		for _, term := range []*api.ContainerStateTerminated{cs.State.Terminated, cs.LastTerminationState.Terminated} {
			if term == nil {
				continue
			}
			exits[term.StartedAt.UnixNano()] = term
			if term.ExitCode != 1 || term.Reason != ReasonError {
				t.Errorf("exit: %s", toJSON(term))
			}
		}
		if wt := cs.State.Waiting; wt != nil && wt.Reason == ReasonCrashLoopBackOff {
			if d, _, _ := strings.Cut(strings.TrimPrefix(wt.Message, "back-off "), " "); !slices.Contains(backOffs, d) {
				backOffs = append(backOffs, d)
			}
		}
	}
	if restarts < 4 {
		t.Errorf("restartCount %d after 5 exits", restarts)
	}
	// Between an exit and the next start the node waited at least the
	// back-off: none the first time, then 100 ms, doubling.
	instances := slices.SortedFunc(maps.Values(exits), func(a, b *api.ContainerStateTerminated) int {
		return a.StartedAt.Compare(b.StartedAt)
	})
	for n, want := range []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
		gap := instances[n+1].StartedAt.Sub(instances[n].FinishedAt)
		t.Logf("restart %d came %v after the exit", n+1, gap.Round(time.Millisecond))
		if gap < want {
			t.Errorf("restart %d came %v after the exit, before its back-off of %v", n+1, gap, want)
		}
	}
	// Each wait doubles the one before: messages "back-off 200ms ...".
	var delays []time.Duration
	for _, s := range backOffs {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Errorf("CrashLoopBackOff message with %q", s)
		}
		delays = append(delays, d)
	}
	if len(delays) < 2 || !slices.IsSorted(delays) || delays[0] == delays[len(delays)-1] {
		t.Errorf("CrashLoopBackOff delays seen: %v, want a growing back-off", delays)
	}
	if _, err := e.client.Pods(api.NamespaceDefault).Delete(context.Background(), "crash", client.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitGone(t, "crash", 10*time.Second)
}

// testGracefulDelete: a delete gives the containers SIGTERM and their
// grace period; once they stopped and the sandbox is gone, the podlet
// reports the final status and deletes the pod for good.
func (e *podletEnv) testGracefulDelete(t *testing.T) {
	pod := e.createPod(t, `{apiVersion: v1, kind: Pod, metadata: {name: graceful}, spec: {terminationGracePeriodSeconds: 20,
		containers: [{name: app, image: busybox, command: [sh, -c, "trap 'exit 0' TERM; while :; do sleep 0.1; done"]}]}}`)
	e.waitPod(t, "graceful", "Running", phaseIs(api.PodRunning))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // well within the 20 s
	defer cancel()
	w, err := e.client.Pods(api.NamespaceDefault).Watch(ctx, client.ListOptions{FieldSelector: "metadata.name=graceful"})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	deleted, err := e.client.Pods(api.NamespaceDefault).Delete(ctx, "graceful", client.DeleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if deleted.DeletionTimestamp == nil {
		t.Fatalf("the pod was removed at once, not after its node stopped it")
	}
	var final *api.Pod // the last status before the pod went
	for gone := false; !gone; {
		select {
		case ev := <-w.Events():
			if gone = ev.Type == client.Deleted; !gone {
				final = ev.Object
			}
		case <-ctx.Done():
			t.Fatalf("the pod is still there after %v", time.Since(began))
		}
	}
	t.Logf("graceful deletion took %v", time.Since(began).Round(time.Millisecond))
	// The container ended on the SIGTERM, not on a SIGKILL.
	if term := app(final).State.Terminated; final.Status.Phase != api.PodSucceeded || term == nil || term.ExitCode != 0 {
		t.Errorf("last status before the pod went:\n%s", toJSON(final.Status))
	}
	e.waitNoSandbox(t, pod.UID)
	e.waitEvent(t, pod, "Killing")
}

// waitEvent waits for an Event of reason about pod.
// testDeletedAndMadeAgain: a pod deleted with grace 0 and made again at
// once under its name runs within a few seconds: the new pod waits for the
// old one's sandbox to go, which holds the name on the node, and does not
// fail to make its own (no FailedCreatePodSandBox).
func (e *podletEnv) testDeletedAndMadeAgain(t *testing.T) {
	ctx := context.Background()
	old := e.createPod(t, runningPod("again"))
	e.waitPod(t, "again", "Running", phaseIs(api.PodRunning))
	if _, err := e.client.Pods(api.NamespaceDefault).Delete(ctx, "again", client.DeleteOptions{GracePeriodSeconds: new(int64(0))}); err != nil {
		t.Fatal(err)
	}
	e.waitGone(t, "again", 5*time.Second)
	began := time.Now()
	made := e.createPod(t, runningPod("again"))
	if made.UID == old.UID {
		t.Fatalf("the new pod has the old one's uid %s", old.UID)
	}
	now := e.waitPod(t, "again", "Running", func(p *api.Pod) bool { return p.UID != made.UID || p.Status.Phase == api.PodRunning })
	if took := time.Since(began); now.UID != made.UID || took > 5*time.Second {
		t.Errorf("the pod made again (uid %s) runs after %v (want within 5s), uid %s", made.UID, took.Round(time.Millisecond), now.UID)
	} else {
		t.Logf("the pod made again runs after %v", took.Round(time.Millisecond))
	}
	events, _, err := e.client.Events(api.NamespaceDefault).List(ctx, client.ListOptions{FieldSelector: "involvedObject.uid=" + made.UID})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if ev.Reason == "FailedCreatePodSandBox" {
			t.Errorf("event %s: %s", ev.Reason, ev.Message)
		}
	}
	e.waitNoSandbox(t, old.UID)
	if _, err := e.client.Pods(api.NamespaceDefault).Delete(ctx, "again", client.DeleteOptions{GracePeriodSeconds: new(int64(0))}); err != nil {
		t.Fatal(err)
	}
	e.waitGone(t, "again", 5*time.Second)
	e.waitNoSandbox(t, made.UID)
}

func (e *podletEnv) waitEvent(t *testing.T, pod *api.Pod, reason string) {
	t.Helper()
	var reasons []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		events, _, err := e.client.Events(api.NamespaceDefault).List(context.Background(),
			client.ListOptions{FieldSelector: "involvedObject.uid=" + pod.UID})
		if err != nil {
			t.Fatal(err)
		}
		reasons = reasons[:0]
		for _, ev := range events {
			reasons = append(reasons, ev.Reason)
		}
		if slices.Contains(reasons, reason) {
			return
		}
	}
	t.Errorf("events of pod %s: %v, want %s among them", pod.Name, reasons, reason)
}

// testStartError: a container that cannot start (its image is missing)
// ends at once as StartError and is restarted with back-off, like a crash.
func (e *podletEnv) testStartError(t *testing.T) {
	pod := e.createPod(t, `{apiVersion: v1, kind: Pod, metadata: {name: noimage}, spec: {terminationGracePeriodSeconds: 2,
		containers: [{name: app, image: "nope:1.0", command: [sleep, "3600"]}]}}`)
	p := e.waitPod(t, "noimage", "in CrashLoopBackOff after a failed start", func(p *api.Pod) bool {
		cs := app(p)
		return cs.RestartCount >= 2 && cs.State.Waiting != nil && cs.State.Waiting.Reason == ReasonCrashLoopBackOff
	})
	last := app(p).LastTerminationState.Terminated
	if last == nil || last.Reason != ReasonStartError || last.ExitCode != 128 || !strings.Contains(last.Message, "nope") {
		t.Errorf("last state:\n%s", toJSON(app(p)))
	}
	if p.Status.Phase != api.PodRunning { // restarting, as under restartPolicy Always
		t.Errorf("phase %s", p.Status.Phase)
	}
	e.waitEvent(t, pod, "Failed")
	e.waitEvent(t, pod, "BackOff")
	// With back-off 100 ms doubling to 1 s, a second holds a handful of
	// attempts, not hundreds.
	time.Sleep(time.Second)
	p = e.waitPod(t, "noimage", "", func(*api.Pod) bool { return true })
	if n := app(p).RestartCount; n > 8 {
		t.Errorf("%d attempts to start: the back-off does not hold", n)
	}
	if _, err := e.client.Pods(api.NamespaceDefault).Delete(context.Background(), "noimage", client.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitGone(t, "noimage", 10*time.Second)
}

// testAdoption: a podlet that stops leaves the pods running; the next one
// adopts them without restarting anything, keeps their restart counts,
// and removes the sandbox of a pod deleted meanwhile.
func (e *podletEnv) testAdoption(t *testing.T, web *api.Pod) {
	e.createPod(t, `
apiVersion: v1
kind: Pod
metadata: {name: once}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{name: work, emptyDir: {}}]
  containers:
  - name: app
    image: busybox
    command: [sh, -c, "if [ -e /work/ran ]; then exec sleep 3600; fi; touch /work/ran; exit 1"]
    volumeMounts: [{name: work, mountPath: /work}]
`)
	once := e.waitPod(t, "once", "running after one restart", func(p *api.Pod) bool {
		return app(p).RestartCount == 1 && app(p).State.Running != nil
	})
	orphan := e.createPod(t, runningPod("orphan"))
	e.waitPod(t, "orphan", "Running", phaseIs(api.PodRunning))
	webPid := e.containerState(t, web.UID, "app").Pid
	oncePid := e.containerState(t, once.UID, "app").Pid

	e.stop()
	if st := e.containerState(t, web.UID, "app"); st.Status != runtime.Running || st.Pid != webPid {
		t.Fatalf("stopping the podlet stopped a pod: %+v", st)
	}
	if _, err := e.client.Pods(api.NamespaceDefault).Delete(context.Background(), "orphan",
		client.DeleteOptions{GracePeriodSeconds: new(int64(0))}); err != nil {
		t.Fatal(err)
	}
	e.startPodlet()
	e.waitNoSandbox(t, orphan.UID)
	time.Sleep(500 * time.Millisecond) // a few relists: would anything restart?

	for _, c := range []struct {
		pod      *api.Pod
		pid      int
		restarts int32
	}{{web, webPid, 0}, {once, oncePid, 1}} {
		if st := e.containerState(t, c.pod.UID, "app"); st.Status != runtime.Running || st.Pid != c.pid {
			t.Errorf("pod %s: container pid %d (%s), before the restart %d", c.pod.Name, st.Pid, st.Status, c.pid)
		}
		p := e.waitPod(t, c.pod.Name, "Running", phaseIs(api.PodRunning))
		if app(p).RestartCount != c.restarts || podCondition(p, api.PodReady) != api.ConditionTrue {
			t.Errorf("pod %s after the podlet restarted:\n%s", c.pod.Name, toJSON(p.Status))
		}
		if c.restarts > 0 {
			if last := app(p).LastTerminationState.Terminated; last == nil || last.ExitCode != 1 {
				t.Errorf("pod %s lost its last state in the restart:\n%s", c.pod.Name, toJSON(app(p)))
			}
		}
	}
}

// cleanUp deletes every pod with grace 0, as "podlab delete --force"
// does, lets the podlet remove their sandboxes, stops it, and checks that
// nothing is left of the node.
func (e *podletEnv) cleanUp() {
	t := e.t
	ctx := context.Background()
	pods, _, err := e.client.Pods(api.NamespaceDefault).List(ctx, client.ListOptions{})
	if err != nil {
		t.Error(err)
	}
	for _, p := range pods {
		e.client.Pods(api.NamespaceDefault).Delete(ctx, p.Name, client.DeleteOptions{GracePeriodSeconds: new(int64(0))})
	}
	rt := e.newRuntime()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if list, _ := rt.Sandboxes(); len(list) == 0 {
			break
		}
	}
	if e.stop != nil {
		e.stop()
	}
	// Whatever the podlet left (after a failure), removed by hand.
	if list, _ := rt.Sandboxes(); len(list) > 0 {
		t.Errorf("the podlet left %d sandboxes", len(list))
		for _, ps := range list {
			rt.RemoveSandbox(ctx, ps, 0)
		}
	}
	if left := e.leftovers(rt); left != "" {
		t.Errorf("the test left state behind: %s", left)
	}
	if t.Failed() || os.Getenv("PODLET_TEST_LOG") != "" {
		log, _ := os.ReadFile(e.logFile.Name())
		t.Logf("podlet log:\n%s", log)
	}
}

// leftovers describes what is left of the node: containers, pod names,
// IP addresses, links in its network namespace, cgroups, mounts, records
// and processes.
func (e *podletEnv) leftovers(rt *runtime.Runtime) string {
	var left []string
	if entries, _ := os.ReadDir(rt.Root); len(entries) > 0 {
		left = append(left, fmt.Sprintf("%d containers", len(entries)))
	}
	if names, _ := os.ReadDir(filepath.Join(rt.PodsDir(), "names")); len(names) > 0 {
		left = append(left, fmt.Sprintf("%d pod names", len(names)))
	}
	if res, _ := e.network.Reservations(); len(res) > 0 {
		left = append(left, fmt.Sprintf("IP addresses %v", res))
	}
	if _, err := rt.Cgroups.Open(e.cgroup); !errors.Is(err, fs.ErrNotExist) {
		left = append(left, fmt.Sprintf("cgroup %q (%v)", e.cgroup, err))
	}
	if records, _ := os.ReadDir(e.stateDir); len(records) > 0 {
		left = append(left, fmt.Sprintf("%d records", len(records)))
	}
	var links string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		out, _ := exec.Command("nsenter", "--net="+e.netns, "ip", "-o", "link").Output()
		if links = string(out); strings.Count(links, "\n") == 1 {
			break
		}
	}
	if strings.Count(links, "\n") != 1 {
		left = append(left, "links in the node: "+links)
	}
	mounts, _ := proc.Mounts(os.Getpid())
	for _, m := range mounts {
		if strings.HasPrefix(m.Point, e.dir+"/") {
			left = append(left, "mount "+m.Point)
		}
	}
	for _, pid := range proc.List() {
		if cmd := strings.Join(proc.Cmdline(pid), " "); pid != os.Getpid() && strings.Contains(cmd, e.dir) {
			left = append(left, fmt.Sprintf("process %d: %s", pid, cmd))
		}
	}
	return strings.Join(left, ", ")
}
