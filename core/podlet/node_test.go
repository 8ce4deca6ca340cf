package podlet

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

var testNodeConfig = NodeConfig{
	Name:    "node1",
	IP:      netip.MustParseAddr("172.30.0.11"),
	CPU:     "2",
	Memory:  "4026532Ki",
	MaxPods: 110,
	Labels:  map[string]string{"disktype": "ssd"},
}

var testNodeInfo = api.NodeSystemInfo{KernelVersion: "6.1.0", OSImage: "Debian GNU/Linux 12 (bookworm)",
	OperatingSystem: "linux", Architecture: "amd64", KubeletVersion: "podlab-dev", ContainerRuntimeVersion: "podlab://dev"}

func TestNodeObject(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	n := testNodeConfig.Node(testNodeInfo, now)
	if errs := api.Validate(n); len(errs) > 0 {
		t.Fatalf("the Node is invalid: %v", errs)
	}
	if n.TypeMeta != api.KindNode || n.Name != "node1" || n.Spec.PodCIDR != "" {
		t.Errorf("meta/spec: %+v %+v", n.TypeMeta, n.Spec)
	}
	wantLabels := map[string]string{"kubernetes.io/hostname": "node1", "kubernetes.io/os": "linux", "disktype": "ssd"}
	if !reflect.DeepEqual(n.Labels, wantLabels) {
		t.Errorf("labels %v, want %v", n.Labels, wantLabels)
	}
	if testNodeConfig.Labels[LabelHostname] != "" {
		t.Error("Node changed the config's labels")
	}
	wantAddrs := []api.NodeAddress{{Type: api.NodeInternalIP, Address: "172.30.0.11"}, {Type: api.NodeHostName, Address: "node1"}}
	if !reflect.DeepEqual(n.Status.Addresses, wantAddrs) {
		t.Errorf("addresses %v", n.Status.Addresses)
	}
	wantCap := api.ResourceList{"cpu": "2", "memory": "4026532Ki", "pods": "110"}
	if !reflect.DeepEqual(n.Status.Capacity, wantCap) || !reflect.DeepEqual(n.Status.Allocatable, wantCap) {
		t.Errorf("capacity %v allocatable %v", n.Status.Capacity, n.Status.Allocatable)
	}
	if n.Status.NodeInfo != testNodeInfo {
		t.Errorf("nodeInfo %+v", n.Status.NodeInfo)
	}
	var types []api.NodeConditionType
	for _, c := range n.Status.Conditions {
		types = append(types, c.Type)
		if !c.LastHeartbeatTime.Equal(now) || !c.LastTransitionTime.Equal(now) || c.Reason == "" || c.Message == "" {
			t.Errorf("condition %+v", c)
		}
		want := api.ConditionFalse
		if c.Type == api.NodeReady {
			want = api.ConditionTrue
			if c.Reason != "KubeletReady" || c.Message != "podlet is posting ready status" {
				t.Errorf("Ready: %+v", c)
			}
		}
		if c.Status != want {
			t.Errorf("%s is %s, want %s", c.Type, c.Status, want)
		}
	}
	wantTypes := []api.NodeConditionType{api.NodeMemoryPressure, api.NodeDiskPressure, api.NodePIDPressure, api.NodeReady}
	if !reflect.DeepEqual(types, wantTypes) {
		t.Errorf("conditions %v, want %v", types, wantTypes)
	}
}

// A heartbeat keeps the time of the last transition, unless the status
// changed (Unknown, from the node lifecycle controller, back to True).
func TestNodeConditionsTransitionTimes(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	prev := nodeConditions(t0, nil)
	for i := range prev {
		if prev[i].Type == api.NodeReady {
			prev[i].Status = api.ConditionUnknown
		}
	}
	for _, c := range nodeConditions(t1, prev) {
		wantTransition := t0
		if c.Type == api.NodeReady {
			wantTransition = t1
		}
		if !c.LastHeartbeatTime.Equal(t1) || !c.LastTransitionTime.Equal(wantTransition) {
			t.Errorf("%s: heartbeat %v transition %v, want %v %v", c.Type, c.LastHeartbeatTime, c.LastTransitionTime, t1, wantTransition)
		}
	}
}

func TestNodeOSImage(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n", "Debian GNU/Linux 12 (bookworm)"},
		{"# comment\nNAME='Alpine Linux'\n", "Alpine Linux"},
		{"NAME=Fedora\n", "Fedora"},
		{"", ""},
	} {
		if got := osImageOf(tc.text); got != tc.want {
			t.Errorf("osImageOf(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	if info := ReadSystemInfo("v1"); info.KubeletVersion != "podlab-v1" || info.ContainerRuntimeVersion != "podlab://v1" ||
		info.OperatingSystem != "linux" || info.OSImage == "" {
		t.Errorf("ReadSystemInfo: %+v", info)
	}
}

// fakeNodes is a NodeAPI in memory, as the API server would answer.
type fakeNodes struct {
	mu       sync.Mutex
	nodes    map[string]*api.Node
	failNext error    // returned once by the next call
	calls    []string // "create node1", "patch-status node1", ...
}

func newFakeNodes() *fakeNodes { return &fakeNodes{nodes: map[string]*api.Node{}} }

func (f *fakeNodes) call(what string) error {
	f.calls = append(f.calls, what)
	err := f.failNext
	f.failNext = nil
	return err
}

func (f *fakeNodes) Create(_ context.Context, n *api.Node) (*api.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("create " + n.Name); err != nil {
		return nil, err
	}
	if _, ok := f.nodes[n.Name]; ok {
		return nil, &client.StatusError{Code: http.StatusConflict, Reason: "AlreadyExists", Message: "exists"}
	}
	f.nodes[n.Name] = api.DeepCopy(n)
	return api.DeepCopy(n), nil
}

func (f *fakeNodes) Get(_ context.Context, name string) (*api.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("get " + name); err != nil {
		return nil, err
	}
	n, ok := f.nodes[name]
	if !ok {
		return nil, &client.StatusError{Code: http.StatusNotFound, Reason: "NotFound", Message: "not found"}
	}
	return api.DeepCopy(n), nil
}

func (f *fakeNodes) Patch(_ context.Context, name string, patch []byte) (*api.Node, error) {
	return f.patch("patch", name, patch, func(n *api.Node, p *api.Node) {
		for k, v := range p.Labels {
			n.Labels[k] = v
		}
	})
}

func (f *fakeNodes) PatchStatus(_ context.Context, name string, patch []byte) (*api.Node, error) {
	return f.patch("patch-status", name, patch, func(n *api.Node, p *api.Node) {
		// What a merge patch does to the fields the podlet sends: maps
		// merge, lists and structs given are replaced.
		if p.Status.Capacity != nil {
			n.Status.Capacity = p.Status.Capacity
			n.Status.Allocatable = p.Status.Allocatable
			n.Status.Addresses = p.Status.Addresses
			n.Status.NodeInfo = p.Status.NodeInfo
		}
		n.Status.Conditions = p.Status.Conditions
	})
}

func (f *fakeNodes) patch(verb, name string, patch []byte, apply func(n, p *api.Node)) (*api.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call(verb + " " + name); err != nil {
		return nil, err
	}
	n, ok := f.nodes[name]
	if !ok {
		return nil, &client.StatusError{Code: http.StatusNotFound, Reason: "NotFound", Message: "not found"}
	}
	var p api.Node
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, err
	}
	apply(n, &p)
	return api.DeepCopy(n), nil
}

func nodeTestLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRegisterCreatesTheNode(t *testing.T) {
	f := newFakeNodes()
	r := NewNodeReporter(f, testNodeConfig, testNodeInfo, nodeTestLog())
	if err := r.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := f.nodes["node1"]
	if n == nil || n.Labels[LabelHostname] != "node1" || len(n.Status.Conditions) != 4 {
		t.Fatalf("registered %+v", n)
	}
	if !reflect.DeepEqual(f.calls, []string{"create node1"}) {
		t.Errorf("calls %v", f.calls)
	}
}

// After a restart the Node exists: its status is written again, its
// spec (the podCIDR the node IPAM controller gave) and other labels stay.
func TestRegisterExistingNodeKeepsSpec(t *testing.T) {
	f := newFakeNodes()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	old := testNodeConfig.Node(testNodeInfo, t0)
	old.Spec.PodCIDR = "10.244.3.0/24"
	old.Labels["team"] = "blue"
	old.Labels["disktype"] = "hdd"
	old.Status.Capacity = api.ResourceList{"cpu": "1"}
	f.nodes["node1"] = old

	r := NewNodeReporter(f, testNodeConfig, testNodeInfo, nodeTestLog())
	t1 := t0.Add(time.Hour)
	r.Now = func() time.Time { return t1.Add(300 * time.Millisecond) }
	if err := r.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := f.nodes["node1"]
	if n.Spec.PodCIDR != "10.244.3.0/24" {
		t.Errorf("podCIDR %q: the spec must stay", n.Spec.PodCIDR)
	}
	if n.Labels["team"] != "blue" || n.Labels["disktype"] != "ssd" {
		t.Errorf("labels %v", n.Labels)
	}
	if n.Status.Capacity["cpu"] != "2" {
		t.Errorf("capacity %v", n.Status.Capacity)
	}
	for _, c := range n.Status.Conditions {
		if !c.LastHeartbeatTime.Equal(t1) || !c.LastTransitionTime.Equal(t0) {
			t.Errorf("%s: heartbeat %v (want %v, whole seconds), transition %v (want %v, unchanged)",
				c.Type, c.LastHeartbeatTime, t1, c.LastTransitionTime, t0)
		}
	}
	want := []string{"create node1", "get node1", "patch node1", "patch-status node1"}
	if !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls %v, want %v", f.calls, want)
	}
}

// Run retries registration while the API server is away, then writes a
// heartbeat every period, survives a failed one, and returns nil when its
// context ends.
func TestRunRegistersAndHeartbeats(t *testing.T) {
	f := newFakeNodes()
	f.failNext = &client.StatusError{Code: http.StatusServiceUnavailable, Message: "etcd is away"}
	r := NewNodeReporter(f, testNodeConfig, testNodeInfo, nodeTestLog())
	var mu sync.Mutex
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	r.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second)
		return clock
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, 20*time.Millisecond) }()

	heartbeats := func() int {
		f.mu.Lock()
		defer f.mu.Unlock()
		n := 0
		for _, c := range f.calls {
			if c == "patch-status node1" {
				n++
			}
		}
		if n == 2 {
			f.failNext = &client.StatusError{Code: http.StatusInternalServerError, Message: "oops"}
		}
		return n
	}
	deadline := time.Now().Add(5 * time.Second)
	for heartbeats() < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeats: calls %v", f.calls)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls[0] != "create node1" || f.calls[1] != "create node1" {
		t.Errorf("calls %v: want a retried create first", f.calls)
	}
	ready := f.nodes["node1"].Status.Conditions[3]
	if ready.Type != api.NodeReady || !ready.LastHeartbeatTime.After(ready.LastTransitionTime) {
		t.Errorf("Ready after heartbeats: %+v", ready)
	}
}

// A token the API server refuses is not retried: the podlet stops with
// the error.
func TestRunStopsOnUnauthorized(t *testing.T) {
	f := newFakeNodes()
	f.failNext = &client.StatusError{Code: http.StatusUnauthorized, Message: "Unauthorized"}
	r := NewNodeReporter(f, testNodeConfig, testNodeInfo, nodeTestLog())
	err := r.Run(context.Background(), time.Hour)
	if !client.IsUnauthorized(err) {
		t.Fatalf("Run: %v, want Unauthorized", err)
	}
}
