package cluster

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/client"
)

// The figures of the local cluster (issue 5), on the real binaries: how
// long "podlab up --nodes 2" takes until every node is Ready, how long one
// pod takes from its create to Running, and 100 pods at once, and the
// resident memory of podlab-server and of a podlet. Each benchmark builds
// the binaries and runs a cluster of its own, isolated as the e2e tests'
// (newCluster) but on an underlay, pod range and names of its own, and
// takes it down, leaving nothing behind. make bench runs them once:
//
//	go test -count=1 -run '^$' -bench BenchmarkCluster -benchtime 1x ./core/cluster/
//
// Each prints a line per figure with its goal, and reports it with
// b.ReportMetric.

const (
	benchPrefix   = "podlabb"
	benchUnderlay = "172.30.241.0/24"
	benchPodCIDR  = "10.241.0.0/16"
)

// The goals of issue 5, on a machine of 2 cores.
const (
	goalUp          = 3 * time.Second
	goalPodStartP50 = 100 * time.Millisecond
	goalPodStartP99 = 300 * time.Millisecond
	goalHundredPods = 5 * time.Second
	goalPodletMiB   = 40.0 // with 50 pods
)

// podStartRuns is how many pods BenchmarkClusterPodStart starts, one
// after the other, per iteration.
const podStartRuns = 50

// BenchmarkClusterUp: "podlab up --nodes 2", from its exec to its exit,
// the binaries built: up returns once both nodes are Ready with a
// podCIDR. Each iteration brings a new cluster up and takes it down.
func BenchmarkClusterUp(b *testing.B) {
	e := newCluster(b, benchPrefix, benchUnderlay, benchPodCIDR)
	var ups []time.Duration
	var steps []string
	for range b.N {
		d, out := e.upTimed()
		ups = append(ups, d)
		steps = out
		e.down()
	}
	p50 := percentile(ups, 50)
	b.ReportMetric(p50.Seconds(), "s")
	b.ReportMetric(0, "ns/op")
	summary(fmt.Sprintf("podlab up --nodes 2 → all Ready, exec to exit (median of %d)", len(ups)), p50, goalUp)
	b.Logf("the last up, when each of its steps was done: %s", strings.Join(steps, ", "))
}

// BenchmarkClusterPodStart: one busybox pod, created with core/client,
// until client.WaitFor sees it Running; podStartRuns times, one pod at a
// time, each on a cluster where the pods before it are deleted (grace 0)
// and gone from their node: no sandbox, no cgroup. The scheduler places
// each. The first runs right after up, as a user's first pod would. To
// tell where the time goes, it logs the first pod apart, when a watch
// open all along saw each pod bound and Running (WaitFor's own watch
// starts from the revision it read, which etcd may serve up to 100 ms
// late), and how long a deleted pod takes to leave its node.
func BenchmarkClusterPodStart(b *testing.B) {
	e := newCluster(b, benchPrefix, benchUnderlay, benchPodCIDR)
	e.buildImage()
	e.up()
	pods, w := e.client().Pods(api.NamespaceDefault), e.watchPods()
	// starts: create → Running seen by WaitFor; watchBound, watchRunning:
	// create → bound, Running, seen by the watch open since before; gone:
	// delete → no more on its node.
	var starts, watchBound, watchRunning, gone []time.Duration
	for i := range b.N * podStartRuns {
		name := fmt.Sprintf("start-%d", i)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		t0 := time.Now()
		if _, err := pods.Create(ctx, benchPod(name, "")); err != nil {
			b.Fatal(err)
		}
		pod, err := client.WaitFor(ctx, pods, name, func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
		d := time.Since(t0)
		cancel()
		if err != nil {
			e.logPodlets()
			b.Fatalf("pod %s: %v (last seen %+v)", name, err, pod)
		}
		bound, running := w.wait([]string{name}, 30*time.Second)
		starts = append(starts, d)
		watchBound, watchRunning = append(watchBound, bound.Sub(t0)), append(watchRunning, running.Sub(t0))

		t1 := time.Now()
		e.deletePods(name)
		e.waitIdle(30 * time.Second)
		gone = append(gone, time.Since(t1))
	}
	p50, p99 := percentile(starts, 50), percentile(starts, 99)
	b.ReportMetric(ms(p50), "p50-ms")
	b.ReportMetric(ms(p99), "p99-ms")
	b.ReportMetric(0, "ns/op")
	what := fmt.Sprintf("pod create → Running seen by WaitFor (%d pods, one at a time, each on an idle cluster)", len(starts))
	summary(what+", p50", p50, goalPodStartP50)
	summary(what+", p99", p99, goalPodStartP99)
	round := func(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
	b.Logf("the first pod after up: %v; the %d after it: p50 %v, p99 %v", round(starts[0]), len(starts)-1,
		round(percentile(starts[1:], 50)), round(percentile(starts[1:], 99)))
	b.Logf("a watch open since before the create saw the pod bound after p50 %v, p99 %v, and Running after p50 %v, p99 %v",
		round(percentile(watchBound, 50)), round(percentile(watchBound, 99)), round(percentile(watchRunning, 50)), round(percentile(watchRunning, 99)))
	b.Logf("delete with grace 0 → the pod gone from its node: p50 %v, p99 %v", round(percentile(gone, 50)), round(percentile(gone, 99)))
	e.down()
}

// BenchmarkClusterHundredPods: 100 busybox pods in one manifest, applied
// with "podlab apply -f" (one create after the other, as kubectl), until a
// watch started before has seen every one Running. The scheduler places
// them.
func BenchmarkClusterHundredPods(b *testing.B) {
	e := newCluster(b, benchPrefix, benchUnderlay, benchPodCIDR)
	e.buildImage()
	e.up()
	w := e.watchPods()
	var walls []time.Duration
	for i := range b.N {
		names := make([]string, 100)
		var manifest strings.Builder
		for j := range names {
			names[j] = fmt.Sprintf("many-%d-%d", i, j)
			fmt.Fprintf(&manifest, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n  terminationGracePeriodSeconds: 0\n"+
				"  containers:\n  - {name: sleep, image: busybox, command: [sleep, \"3600\"]}\n", names[j])
		}
		path := filepath.Join(b.TempDir(), "pods.yaml")
		if err := os.WriteFile(path, []byte(manifest.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		e.mustPodlab("apply", "-f", path)
		applied := time.Since(t0)
		lastBound, lastRunning := w.wait(names, time.Minute)
		wall := lastRunning.Sub(t0)
		walls = append(walls, wall)
		b.Logf("podlab apply of the 100 exited after %v; the last pod was seen bound after %v, the first Running after %v, the last after %v",
			applied.Round(time.Millisecond), lastBound.Sub(t0).Round(time.Millisecond), w.firstRunning(names).Sub(t0).Round(time.Millisecond),
			wall.Round(time.Millisecond))
		e.deletePods(names...)
		e.waitIdle(time.Minute)
	}
	wall := percentile(walls, 50)
	b.ReportMetric(wall.Seconds(), "s")
	b.ReportMetric(0, "ns/op")
	summary(fmt.Sprintf("100 pods applied at once → all Running (median of %d)", len(walls)), wall, goalHundredPods)
	e.down()
}

// BenchmarkClusterMemory: the resident memory (VmRSS) of podlab-server
// and of the podlets with no pod (a cluster just up; in later iterations,
// once the pods of the one before are gone), then of podlab-server and
// the podlet of node1 with 50 pods bound to node1, each read once the
// cluster has been still for memorySettle.
func BenchmarkClusterMemory(b *testing.B) {
	e := newCluster(b, benchPrefix, benchUnderlay, benchPodCIDR)
	e.buildImage()
	e.up()
	st := e.state()
	server, podlet1, podlet2 := st.Server.Process.PID, st.Nodes[0].Podlet.PID, st.Nodes[1].Podlet.PID
	pods, w := e.client().Pods(api.NamespaceDefault), e.watchPods()
	var server0, podlet0, server50, podlet50 []float64
	for i := range b.N {
		time.Sleep(memorySettle)
		server0 = append(server0, e.rssMiB(server))
		podlet0 = append(podlet0, max(e.rssMiB(podlet1), e.rssMiB(podlet2)))

		names := make([]string, 50)
		for j := range names {
			names[j] = fmt.Sprintf("mem-%d-%d", i, j)
			if _, err := pods.Create(context.Background(), benchPod(names[j], "node1")); err != nil {
				b.Fatal(err)
			}
		}
		w.wait(names, time.Minute)
		time.Sleep(memorySettle)
		server50 = append(server50, e.rssMiB(server))
		podlet50 = append(podlet50, e.rssMiB(podlet1))
		b.Logf("peak resident memory so far (VmHWM): podlab-server %.1f MiB, podlet of node1 %.1f MiB",
			e.statusMiB(server, "VmHWM"), e.statusMiB(podlet1, "VmHWM"))
		e.deletePods(names...)
		e.waitIdle(time.Minute)
	}
	m := map[string]float64{"MiB-server-0pods": median(server0), "MiB-podlet-0pods": median(podlet0),
		"MiB-server-50pods": median(server50), "MiB-podlet-50pods": median(podlet50)}
	for unit, v := range m {
		b.ReportMetric(v, unit)
	}
	b.ReportMetric(0, "ns/op")
	fmt.Printf("cluster: VmRSS of podlab-server, no pod: %.1f MiB (no goal)\n", m["MiB-server-0pods"])
	fmt.Printf("cluster: VmRSS of a podlet, no pod: %.1f MiB (no goal; the larger of the two)\n", m["MiB-podlet-0pods"])
	fmt.Printf("cluster: VmRSS of podlab-server, 50 pods: %.1f MiB (no goal)\n", m["MiB-server-50pods"])
	fmt.Printf("cluster: VmRSS of the podlet with 50 pods: %.1f MiB (goal ≤ %.0f MiB: %s)\n",
		m["MiB-podlet-50pods"], goalPodletMiB, verdict(m["MiB-podlet-50pods"], goalPodletMiB, "%.1f MiB"))
	e.down()
}

// memorySettle is how long the cluster stays still before its memory is
// read: a few PLEG relists and status writes after the burst of work, as
// a cluster that runs its pods spends most of its time.
const memorySettle = 5 * time.Second

// benchPod is a busybox pod that sleeps, with no grace period; bound to
// node, or for the scheduler to place if node is "".
func benchPod(name, node string) *api.Pod {
	grace := int64(0)
	return &api.Pod{
		TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: api.NamespaceDefault},
		Spec: api.PodSpec{NodeName: node, TerminationGracePeriodSeconds: &grace,
			Containers: []api.Container{{Name: "sleep", Image: "busybox", Command: []string{"sleep", "3600"}}}},
	}
}

// upTimed brings the cluster up and returns how long podlab up took, from
// its exec to its exit, and its steps with when each was printed:
// "podlab-server 115 ms", "node1 podlet 222 ms".
func (e *e2e) upTimed() (time.Duration, []string) {
	e.t.Helper()
	cmd := exec.Command(filepath.Join(e.bin, "podlab"), e.upArgs...)
	cmd.Env = e.env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	var lines []string
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	var steps []string
	for sc := bufio.NewScanner(stdout); sc.Scan(); {
		lines = append(lines, sc.Text())
		if _, step, ok := strings.Cut(sc.Text(), "✓ "); ok {
			f := strings.Fields(step)
			name := strings.TrimSuffix(f[0], ":")
			if len(f) > 1 && (f[1] == "network" || f[1] == "podlet") {
				name += " " + f[1]
			}
			steps = append(steps, fmt.Sprintf("%s %d ms", name, time.Since(t0).Milliseconds()))
		}
	}
	err = cmd.Wait()
	d := time.Since(t0)
	if err != nil {
		e.t.Fatalf("podlab up: %v\n%s", err, strings.Join(lines, "\n"))
	}
	return d, steps
}

// up brings the cluster up.
func (e *e2e) up() {
	e.t.Helper()
	e.mustPodlab(e.upArgs...)
}

// down takes the cluster down and checks that it left nothing.
func (e *e2e) down() {
	e.t.Helper()
	st := e.state()
	e.mustPodlab("down")
	e.checkGone(st.processes())
}

// deletePods deletes the pods with grace 0, at once from the API; their
// nodes remove them after (waitIdle).
func (e *e2e) deletePods(names ...string) {
	e.t.Helper()
	pods, zero := e.client().Pods(api.NamespaceDefault), int64(0)
	for _, name := range names {
		if _, err := pods.Delete(context.Background(), name, client.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
			e.t.Fatalf("delete pod %s: %v", name, err)
		}
	}
}

// waitIdle waits until no pod is left on the nodes: no sandbox in their
// runtimes, no cgroup below theirs.
func (e *e2e) waitIdle(timeout time.Duration) {
	e.t.Helper()
	drv, err := cgroup.Detect()
	if err != nil {
		e.t.Fatal(err)
	}
	for deadline := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		var left []string
		for _, n := range e.state().Nodes {
			entries, _ := os.ReadDir(filepath.Join(e.run, "nodes", n.Name, "pods"))
			for _, en := range entries {
				if en.IsDir() && en.Name() != "names" {
					left = append(left, n.Name+": sandbox "+en.Name())
				}
			}
			cgroups, _ := drv.Children(e.cgroup + "/" + n.Name)
			for _, cg := range cgroups {
				left = append(left, n.Name+": cgroup "+cg)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.logPodlets()
			e.t.Fatalf("pods left on the nodes %v after their delete: %v", timeout, left)
		}
	}
}

func (e *e2e) logPodlets() {
	for _, n := range e.state().Nodes {
		e.t.Logf("the log of the podlet of %s:%s", n.Name, logTail(n.Log, 15))
	}
}

// podWatch watches the pods of the namespace default and stamps when it
// first sees each bound to a node, and Running. It is opened before the
// pods it waits for are made; a watch open since before a change sees it
// at once, as the podlets' and the scheduler's do.
type podWatch struct {
	e       *e2e
	cancel  context.CancelFunc
	changed chan struct{} // poked after every stamp, and when the watch ends

	mu             sync.Mutex
	bound, running map[string]time.Time
	ended          bool
	err            error // why the watch ended
}

func (e *e2e) watchPods() *podWatch {
	e.t.Helper()
	pods := e.client().Pods(api.NamespaceDefault)
	_, rv, err := pods.List(context.Background(), client.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := pods.Watch(ctx, client.ListOptions{ResourceVersion: rv})
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	pw := &podWatch{e: e, cancel: cancel, changed: make(chan struct{}, 1), bound: map[string]time.Time{}, running: map[string]time.Time{}}
	go func() {
		for ev := range w.Events() {
			now, p := time.Now(), ev.Object
			if ev.Type == client.Deleted {
				continue
			}
			pw.mu.Lock()
			if _, ok := pw.bound[p.Name]; !ok && p.Spec.NodeName != "" {
				pw.bound[p.Name] = now
			}
			if _, ok := pw.running[p.Name]; !ok && p.Status.Phase == api.PodRunning {
				pw.running[p.Name] = now
			}
			pw.mu.Unlock()
			pw.poke()
		}
		pw.mu.Lock()
		pw.ended, pw.err = true, w.Err()
		pw.mu.Unlock()
		pw.poke()
	}()
	e.t.Cleanup(pw.stop)
	return pw
}

// firstRunning returns when the watch saw the first pod of names Running.
func (pw *podWatch) firstRunning(names []string) time.Time {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	var first time.Time
	for _, n := range names {
		if t, ok := pw.running[n]; ok && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	return first
}

func (pw *podWatch) poke() {
	select {
	case pw.changed <- struct{}{}:
	default:
	}
}

func (pw *podWatch) stop() { pw.cancel() }

// wait waits until the watch has seen every pod of names Running, and
// returns when it saw the last bound to a node, and the last Running.
func (pw *podWatch) wait(names []string, timeout time.Duration) (lastBound, lastRunning time.Time) {
	pw.e.t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		pw.mu.Lock()
		running, bound := 0, 0
		for _, n := range names {
			if t, ok := pw.bound[n]; ok {
				bound++
				if t.After(lastBound) {
					lastBound = t
				}
			}
			if t, ok := pw.running[n]; ok {
				running++
				if t.After(lastRunning) {
					lastRunning = t
				}
			}
		}
		ended, err := pw.ended, pw.err
		pw.mu.Unlock()
		switch {
		case running == len(names):
			return lastBound, lastRunning
		case ended:
			pw.e.t.Fatalf("the watch of the pods ended: %v", err)
		}
		select {
		case <-pw.changed:
		case <-timer.C:
			pw.e.logPodlets()
			pw.e.t.Fatalf("%d of %d pods Running after %v (%d bound)", running, len(names), timeout, bound)
		}
	}
}

// rssMiB returns the resident memory of the process, VmRSS.
func (e *e2e) rssMiB(pid int) float64 { return e.statusMiB(pid, "VmRSS") }

// statusMiB reads a field in kB of /proc/<pid>/status, in MiB.
func (e *e2e) statusMiB(pid int, field string) float64 {
	e.t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		e.t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				e.t.Fatalf("pid %d: %s: %v", pid, line, err)
			}
			return kb / 1024
		}
	}
	e.t.Fatalf("pid %d has no %s", pid, field)
	return 0
}

// percentile returns the p-th percentile of d by the nearest rank: of 50
// values the 25th for p50, the 50th, the largest, for p99.
func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Sorted(slices.Values(d))
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// summary prints a time with its goal.
func summary(what string, got, goal time.Duration) {
	format, unit := "%.1f ms", ms
	if goal >= time.Second {
		format, unit = "%.2f s", time.Duration.Seconds
	}
	fmt.Printf("cluster: %s: "+format+" (goal ≤ %v: %s)\n", what, unit(got), goal, verdict(unit(got), unit(goal), format))
}

// verdict says whether got meets the goal, or by how much it misses it.
func verdict(got, goal float64, format string) string {
	if got <= goal {
		return "met"
	}
	return fmt.Sprintf("missed by "+format+", %.0f%%", got-goal, (got-goal)/goal*100)
}
