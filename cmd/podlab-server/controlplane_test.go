package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

// controlPlane is a podlab-server running in the test's process, on free
// loopback ports, with its data in a temporary directory.
type controlPlane struct {
	dataDir string
	client  *client.Client
	config  string // path of admin.conf
	log     *syncBuffer
}

// startControlPlane runs podlab-server's run() until the test ends.
func startControlPlane(t *testing.T) *controlPlane {
	t.Helper()
	cp := &controlPlane{dataDir: t.TempDir(), log: &syncBuffer{}}
	listen := freeAddr(t)
	args := []string{"podlab-server", "--data-dir", cp.dataDir, "--listen", listen,
		"--etcd-client-url", "http://" + freeAddr(t), "--etcd-peer-url", "http://" + freeAddr(t)}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, args, cp.log) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exited:
			if code != 0 {
				t.Errorf("podlab-server exited %d\n%s", code, cp.log)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("podlab-server still running 30s after its context ended\n%s", cp.log)
		}
	})

	cp.config = filepath.Join(cp.dataDir, "admin.conf")
	deadline := time.Now().Add(30 * time.Second)
	for {
		// admin.conf is written once the default namespaces exist.
		if cfg, err := client.LoadConfig(cp.config); err == nil {
			if c, err := client.New(cfg); err == nil {
				if _, err := c.Namespaces().Get(context.Background(), "default"); err == nil {
					cp.client = c
					return cp
				}
			}
		}
		select {
		case code := <-exited:
			t.Fatalf("podlab-server exited %d before it was ready\n%s", code, cp.log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("podlab-server not ready after 30s\n%s", cp.log)
		}
	}
}

// syncBuffer is a bytes.Buffer that the server's goroutines may write
// while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// eventually retries cond until it returns "" or 20 s pass, then fails
// with the last thing cond said.
func eventually(t *testing.T, what string, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// addNode registers a Ready node with cpu and memory allocatable, as the
// node agent will: the Node, then its status.
func addNode(t *testing.T, c *client.Client, name, cpu, memory string, labels map[string]string) {
	t.Helper()
	ctx := context.Background()
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: labels}}
	n, err := c.Nodes().Create(ctx, n)
	if err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	// A patch, not an update: the node IPAM controller may have written
	// the node's podCIDR since we created it.
	status := api.NodeStatus{
		Allocatable: api.ResourceList{"cpu": cpu, "memory": memory, "pods": "110"},
		Capacity:    api.ResourceList{"cpu": cpu, "memory": memory, "pods": "110"},
		Conditions: []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue,
			Reason: "KubeletReady", LastHeartbeatTime: time.Now().UTC().Truncate(time.Second)}},
	}
	patch, _ := json.Marshal(map[string]any{"status": status})
	if _, err := c.Nodes().PatchStatus(ctx, n.Name, patch); err != nil {
		t.Fatalf("update the status of node %s: %v", name, err)
	}
}

func newPod(name, cpu string, nodeSelector map[string]string) *api.Pod {
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.PodSpec{
			NodeSelector: nodeSelector,
			Containers: []api.Container{{Name: "app", Image: "busybox", Command: []string{"sleep", "3600"},
				Resources: api.ResourceRequirements{RequestList: api.ResourceList{"cpu": cpu}}}},
		},
	}
}

// TestNodesGetPodRanges: every node gets its own /24 of --pod-cidr, and a
// deleted node's range goes to the next node.
func TestNodesGetPodRanges(t *testing.T) {
	cp := startControlPlane(t)
	ctx := context.Background()
	for _, name := range []string{"node-a", "node-b"} {
		addNode(t, cp.client, name, "1", "1Gi", nil)
	}
	ranges := func() map[string]string {
		got := map[string]string{}
		nodes, _, err := cp.client.Nodes().List(ctx, client.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			got[n.Name] = n.Spec.PodCIDR
		}
		return got
	}
	eventually(t, "each node gets a /24", func() string {
		got := ranges()
		cidrs := []string{got["node-a"], got["node-b"]}
		slices.Sort(cidrs)
		if !slices.Equal(cidrs, []string{"10.244.0.0/24", "10.244.1.0/24"}) {
			return fmt.Sprintf("podCIDRs %v, want 10.244.0.0/24 and 10.244.1.0/24, one each", got)
		}
		return ""
	})
	freed := ranges()["node-a"]
	if _, err := cp.client.Nodes().Delete(ctx, "node-a", client.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	addNode(t, cp.client, "node-c", "1", "1Gi", nil)
	eventually(t, "node-c reuses node-a's range", func() string {
		if got := ranges()["node-c"]; got != freed {
			return fmt.Sprintf("node-c has %q, want %s, freed by node-a", got, freed)
		}
		return ""
	})
}

// TestSchedulerBindsWholePods: pods are spread over the nodes that fit,
// honour nodeSelector, and a pod that fits nowhere stays Pending with
// PodScheduled=False and an event that says why for each node. When room
// appears, it is scheduled.
func TestSchedulerBindsWholePods(t *testing.T) {
	cp := startControlPlane(t)
	ctx := context.Background()
	pods := cp.client.Pods("default")
	addNode(t, cp.client, "node-a", "1", "1Gi", map[string]string{"disk": "ssd"})
	addNode(t, cp.client, "node-b", "1", "1Gi", nil)

	for _, p := range []*api.Pod{newPod("web-1", "600m", nil), newPod("web-2", "600m", nil)} {
		if _, err := pods.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	nodeOf := func(name string) string {
		p, err := pods.Get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return p.Spec.NodeName
	}
	eventually(t, "two 600m pods on two 1-CPU nodes", func() string {
		a, b := nodeOf("web-1"), nodeOf("web-2")
		if a == "" || b == "" || a == b {
			return fmt.Sprintf("web-1 on %q, web-2 on %q; want one on each node", a, b)
		}
		return ""
	})

	// Neither node has 600m left.
	if _, err := pods.Create(ctx, newPod("web-3", "600m", map[string]string{"disk": "ssd"})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "web-3 is unschedulable", func() string {
		p, err := pods.Get(ctx, "web-3")
		if err != nil {
			t.Fatal(err)
		}
		if p.Spec.NodeName != "" {
			return "bound to " + p.Spec.NodeName
		}
		for _, c := range p.Status.Conditions {
			if c.Type == api.PodScheduled && c.Status == api.ConditionFalse && c.Reason == "Unschedulable" &&
				strings.Contains(c.Message, "0/2 nodes are available") {
				return ""
			}
		}
		return fmt.Sprintf("conditions %+v, want PodScheduled=False reason Unschedulable", p.Status.Conditions)
	})
	eventually(t, "a FailedScheduling event names each node's reason", func() string {
		events, _, err := cp.client.Events("default").List(ctx, client.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.InvolvedObject.Name == "web-3" && e.Reason == "FailedScheduling" && e.Type == api.EventTypeWarning &&
				strings.Contains(e.Message, "node-a: Insufficient cpu") &&
				strings.Contains(e.Message, "node-b: node(s) didn't match Pod's node affinity/selector") &&
				e.Source.Component == "default-scheduler" {
				return ""
			}
		}
		return fmt.Sprintf("events %+v, want FailedScheduling with both nodes' reasons", events)
	})

	// Room appears on node-a: web-3 goes there, not to node-b (selector).
	zero := int64(0)
	if _, err := pods.Delete(ctx, nodeOnWhich(t, pods, "node-a"), client.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "web-3 scheduled once node-a has room", func() string {
		if n := nodeOf("web-3"); n != "node-a" {
			return fmt.Sprintf("web-3 on %q, want node-a", n)
		}
		return ""
	})
}

// nodeOnWhich returns the name of the pod bound to node.
func nodeOnWhich(t *testing.T, pods *client.Resource[*api.Pod], node string) string {
	t.Helper()
	list, _, err := pods.List(context.Background(), client.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil || len(list) != 1 {
		t.Fatalf("pods on %s: %v, %v; want one", node, list, err)
	}
	return list[0].Name
}

// TestDefaultNamespacesAndTolerations: a fresh server has the namespaces
// a cluster starts with, and a new pod gets the 300 s tolerations of
// DefaultTolerationSeconds.
func TestDefaultNamespacesAndTolerations(t *testing.T) {
	cp := startControlPlane(t)
	ctx := context.Background()
	for _, ns := range []string{"default", "kube-system", "kube-node-lease"} {
		if _, err := cp.client.Namespaces().Get(ctx, ns); err != nil {
			t.Errorf("namespace %s: %v", ns, err)
		}
	}
	p, err := cp.client.Pods("default").Create(ctx, newPod("tolerant", "100m", nil))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, tol := range p.Spec.Tolerations {
		if tol.TolerationSeconds != nil && *tol.TolerationSeconds == 300 && tol.Effect == api.TaintEffectNoExecute {
			keys = append(keys, tol.Key)
		}
	}
	if !slices.Equal(keys, []string{api.TaintNodeNotReady, api.TaintNodeUnreachable}) {
		t.Errorf("tolerations %+v, want not-ready and unreachable for 300s", p.Spec.Tolerations)
	}
	// The components' internal token is not a way around authentication:
	// a write without a token is refused.
	body, _ := json.Marshal(p)
	req, _ := http.NewRequest("POST", cp.client.Server()+"/api/v1/namespaces/default/pods", bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("create without a token: %d, want 401", resp.StatusCode)
	}
}

// TestWaitFor: client.WaitFor sees an object that does not exist yet
// appear, and a change made after it started waiting.
func TestWaitFor(t *testing.T) {
	cp := startControlPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pods := cp.client.Pods("default")
	go func() {
		time.Sleep(100 * time.Millisecond)
		if _, err := pods.Create(ctx, newPod("later", "100m", nil)); err != nil {
			t.Error(err)
			return
		}
		time.Sleep(100 * time.Millisecond)
		if _, err := pods.Patch(ctx, "later", []byte(`{"metadata":{"labels":{"ready":"yes"}}}`)); err != nil {
			t.Error(err)
		}
	}()
	p, err := client.WaitFor(ctx, pods, "later", func(p *api.Pod) bool { return p.Labels["ready"] == "yes" })
	if err != nil || p.Name != "later" {
		t.Fatalf("WaitFor = %v, %v", p, err)
	}
	short, cancel2 := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel2()
	if _, err := client.WaitFor(short, pods, "later", func(p *api.Pod) bool { return false }); err == nil {
		t.Fatal("WaitFor with a condition that never holds returned no error")
	}
}
