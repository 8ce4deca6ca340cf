package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/podlet"
	"github.com/podlab/podlab/core/proc"
	"github.com/podlab/podlab/core/runtime"
)

// TestRestartKeepsPods is two acceptance tests of issue 5:
//
//  1. node1's podlet killed -9 with 10 running pods, and started again
//     by up: no pod is restarted (the same container PIDs, the same
//     restartCounts), and statuses continue (a deleted pod leaves the
//     API, a new one becomes Running);
//  2. podlab-server killed -9 and started again by up: the pods keep
//     running meanwhile, and status updates resume (the podlet's watch
//     comes back: a deleted pod leaves the API, a new one becomes Running).
//
// Then down leaves nothing behind.
func TestRestartKeepsPods(t *testing.T) {
	e := newE2E(t)
	e.buildImage()
	e.mustPodlab(e.upArgs...)
	st := e.state()
	procs := st.processes()
	c := e.client()

	var names []string
	for i := range 10 {
		names = append(names, fmt.Sprintf("keep%d", i))
	}
	e.applyPods(names...)
	for _, name := range names {
		e.waitRunning(c, name)
	}
	before := e.containers(st.Nodes[0], names)
	restarts := e.restartCounts(c, names)

	// 1. The podlet of node1, killed and started again.
	e.kill(st.Nodes[0].Podlet)
	e.checkContainers(st.Nodes[0], before, "with node1's podlet dead")
	out := e.mustPodlab("up")
	t.Logf("podlab up after killing node1's podlet:\n%s", out)
	st = e.state()
	procs = append(procs, st.Nodes[0].Podlet)
	e.statusesContinue(c, names[0], "new1")
	delete(before, names[0])
	names = names[1:]
	e.checkKept(c, st.Nodes[0], names, before, restarts, "after node1's podlet restarted")

	// 2. podlab-server, killed and started again.
	e.kill(st.Server.Process)
	e.checkContainers(st.Nodes[0], before, "with podlab-server dead")
	time.Sleep(time.Second) // let the podlet see the server gone, and retry
	e.checkContainers(st.Nodes[0], before, "with podlab-server dead")
	out = e.mustPodlab("up")
	t.Logf("podlab up after killing podlab-server:\n%s", out)
	st = e.state()
	procs = append(procs, st.Server.Process)
	e.statusesContinue(c, names[0], "new2")
	delete(before, names[0])
	names = names[1:]
	e.checkKept(c, st.Nodes[0], names, before, restarts, "after podlab-server restarted")

	out = e.mustPodlab("down")
	t.Logf("podlab down:\n%s", out)
	wantInOrder(t, out, "node1: stopped its podlet", "node2: stopped its podlet",
		"node1: removed 10 pod(s) with podlet reset in podlabe2e-node1\n",
		"stopped podlab-server", "the cluster is gone")
	e.checkGone(procs)
}

// applyPods applies, with the podlab binary, a busybox pod bound to node1
// for each name.
func (e *e2e) applyPods(names ...string) {
	e.t.Helper()
	var docs []string
	for _, name := range names {
		docs = append(docs, fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  nodeName: node1
  terminationGracePeriodSeconds: 1
  containers:
  - {name: sleep, image: busybox, command: [sleep, "3600"]}
`, name))
	}
	path := filepath.Join(e.t.TempDir(), "pods.yaml")
	if err := os.WriteFile(path, []byte(strings.Join(docs, "---\n")), 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.mustPodlab("apply", "-f", path)
}

// containers reads, from the runtime's state in the node's state
// directory, the container of each named pod.
func (e *e2e) containers(n Node, names []string) map[string]*runtime.State {
	e.t.Helper()
	rt, err := runtime.NewAt(n.StateDir, podlet.NodeCgroupParent(n.Name))
	if err != nil {
		e.t.Fatal(err)
	}
	states := map[string]*runtime.State{}
	for _, name := range names {
		ps, err := rt.GetPod(name)
		if err != nil {
			e.t.Fatal(err)
		}
		cs, err := rt.ContainerState(ps, "sleep")
		if err != nil {
			e.t.Fatal(err)
		}
		if cs.Status != runtime.Running || !proc.Alive(cs.Pid, cs.PidStart) {
			e.t.Fatalf("pod %s: container %s, pid %d", name, cs.Status, cs.Pid)
		}
		states[name] = cs
	}
	return states
}

// checkContainers checks that each container of before still runs: the
// same process, alive.
func (e *e2e) checkContainers(n Node, before map[string]*runtime.State, when string) {
	e.t.Helper()
	for name, cs := range before {
		if !proc.Alive(cs.Pid, cs.PidStart) {
			e.t.Errorf("%s: the container of pod %s (pid %d) is gone", when, name, cs.Pid)
		}
	}
}

// restartCounts returns the restartCount of each named pod's container,
// as the API has it.
func (e *e2e) restartCounts(c *client.Client, names []string) map[string]int32 {
	e.t.Helper()
	counts := map[string]int32{}
	for _, name := range names {
		pod, err := c.Pods(api.NamespaceDefault).Get(context.Background(), name)
		if err != nil || len(pod.Status.ContainerStatuses) != 1 {
			e.t.Fatalf("pod %s: %v %+v", name, err, pod)
		}
		counts[name] = pod.Status.ContainerStatuses[0].RestartCount
	}
	return counts
}

// checkKept checks that each named pod is Running in the API with its
// restartCount unchanged, and that its container is the one of before:
// the same PID, alive, in the runtime's state.
func (e *e2e) checkKept(c *client.Client, n Node, names []string, before map[string]*runtime.State, restarts map[string]int32, when string) {
	e.t.Helper()
	now := e.containers(n, names)
	counts := e.restartCounts(c, names)
	for _, name := range names {
		pod := e.waitRunning(c, name)
		if counts[name] != restarts[name] {
			e.t.Errorf("%s: pod %s has restartCount %d, was %d", when, name, counts[name], restarts[name])
		}
		if b, a := before[name], now[name]; a.Pid != b.Pid || a.PidStart != b.PidStart {
			e.t.Errorf("%s: pod %s has container pid %d, was %d", when, name, a.Pid, b.Pid)
		}
		if pod.Status.Phase != api.PodRunning {
			e.t.Errorf("%s: pod %s is %s", when, name, pod.Status.Phase)
		}
	}
}

// statusesContinue checks that node1's podlet acts on the API: a deleted
// pod leaves it (the podlet finishes the deletion), and a new pod becomes
// Running.
func (e *e2e) statusesContinue(c *client.Client, gone, added string) {
	e.t.Helper()
	start := time.Now()
	if _, err := c.Pods(api.NamespaceDefault).Delete(context.Background(), gone, client.DeleteOptions{}); err != nil {
		e.t.Fatalf("delete pod %s: %v", gone, err)
	}
	e.applyPods(added)
	e.waitRunning(c, added)
	for {
		_, err := c.Pods(api.NamespaceDefault).Get(context.Background(), gone)
		if client.IsNotFound(err) {
			break
		}
		if time.Since(start) > 20*time.Second {
			st := e.state()
			e.t.Logf("the log of the podlet of node1:%s", logTail(st.Nodes[0].Log, 30))
			e.t.Fatalf("pod %s is still in the API 20s after its deletion: %v", gone, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Logf("pod %s deleted, pod %s Running in %v", gone, added, time.Since(start).Round(time.Millisecond))
}
