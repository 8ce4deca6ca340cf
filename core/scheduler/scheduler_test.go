package scheduler

import (
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/podlab/podlab/core/api"
)

const gi = 1 << 30

// node returns a Ready, schedulable node with the given allocatable CPU
// (millicores) and memory (bytes) and the pods bound to it.
func node(name string, cpu, memory int64, pods ...*api.Pod) NodeInfo {
	return NodeInfo{Name: name, Ready: true, AllocatableCPU: cpu, AllocatableMemory: memory, Pods: pods}
}

func labeled(n NodeInfo, labels map[string]string) NodeInfo { n.Labels = labels; return n }
func notReady(n NodeInfo) NodeInfo                          { n.Ready = false; return n }
func cordoned(n NodeInfo) NodeInfo                          { n.Unschedulable = true; return n }

func tainted(n NodeInfo, taints ...api.Taint) NodeInfo { n.Taints = taints; return n }

func tolerating(p *api.Pod, tolerations ...api.Toleration) *api.Pod {
	p.Spec.Tolerations = tolerations
	return p
}

var dedicated = api.Taint{Key: "dedicated", Value: "lab", Effect: api.TaintEffectNoSchedule}

func selecting(p *api.Pod, selector map[string]string) *api.Pod {
	p.Spec.NodeSelector = selector
	return p
}

// cpuPod is a pod of one container that requests only CPU.
func cpuPod(name, cpu string) *api.Pod { return pod(name, container("c", cpu, "")) }

func TestSchedule(t *testing.T) {
	tests := []struct {
		name        string
		pod         *api.Pod
		nodes       []NodeInfo
		wantNode    string
		wantReasons map[string]string
		wantMessage string
	}{
		// Scoring.
		{
			name:        "fewest pods first",
			pod:         cpuPod("web", "100m"),
			nodes:       []NodeInfo{node("node-a", 2000, 4*gi, cpuPod("x", "100m")), node("node-b", 2000, 4*gi)},
			wantNode:    "node-b",
			wantMessage: "Successfully assigned default/web to node-b",
		},
		{
			name:        "a tie goes to the first name",
			pod:         cpuPod("web", "100m"),
			nodes:       []NodeInfo{node("node-b", 2000, 4*gi), node("node-a", 2000, 4*gi)},
			wantNode:    "node-a",
			wantMessage: "Successfully assigned default/web to node-a",
		},
		{
			name: "pods without requests count in the spreading",
			pod:  cpuPod("web", ""),
			nodes: []NodeInfo{
				node("node-a", 2000, 4*gi, cpuPod("x", ""), cpuPod("y", "")),
				node("node-b", 2000, 4*gi, cpuPod("z", "")),
			},
			wantNode:    "node-b",
			wantMessage: "Successfully assigned default/web to node-b",
		},

		// nodeSelector.
		{
			name: "nodeSelector beats spreading",
			pod:  selecting(cpuPod("web", "100m"), map[string]string{"disk": "ssd"}),
			nodes: []NodeInfo{
				labeled(node("node-a", 2000, 4*gi), map[string]string{"disk": "hdd"}),
				labeled(node("node-b", 2000, 4*gi, cpuPod("x", ""), cpuPod("y", "")), map[string]string{"disk": "ssd"}),
			},
			wantNode:    "node-b",
			wantReasons: map[string]string{"node-a": "node(s) didn't match Pod's node affinity/selector: nodeSelector disk=ssd, the node has disk=hdd"},
			wantMessage: "Successfully assigned default/web to node-b",
		},
		{
			name: "nodeSelector needs every entry",
			pod:  selecting(cpuPod("web", "100m"), map[string]string{"disk": "ssd", "zone": "a"}),
			nodes: []NodeInfo{
				labeled(node("node-a", 2000, 4*gi), map[string]string{"disk": "ssd"}),
				labeled(node("node-b", 2000, 4*gi, cpuPod("x", "")), map[string]string{"disk": "ssd", "zone": "a", "extra": "ok"}),
			},
			wantNode:    "node-b",
			wantReasons: map[string]string{"node-a": `node(s) didn't match Pod's node affinity/selector: nodeSelector zone=a, the node has no label "zone"`},
			wantMessage: "Successfully assigned default/web to node-b",
		},
		{
			name:  "nodeSelector matches no node",
			pod:   selecting(cpuPod("web", "100m"), map[string]string{"gpu": "true"}),
			nodes: []NodeInfo{node("node-a", 2000, 4*gi), node("node-b", 2000, 4*gi)},
			wantReasons: map[string]string{
				"node-a": `node(s) didn't match Pod's node affinity/selector: nodeSelector gpu=true, the node has no label "gpu"`,
				"node-b": `node(s) didn't match Pod's node affinity/selector: nodeSelector gpu=true, the node has no label "gpu"`,
			},
			wantMessage: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
		},

		// Ready and unschedulable.
		{
			name:        "a NotReady node is left out",
			pod:         cpuPod("web", "100m"),
			nodes:       []NodeInfo{notReady(node("node-a", 2000, 4*gi)), node("node-b", 2000, 4*gi, cpuPod("x", ""))},
			wantNode:    "node-b",
			wantReasons: map[string]string{"node-a": "node(s) had untolerated taint {node.kubernetes.io/not-ready: }: the node is not Ready"},
			wantMessage: "Successfully assigned default/web to node-b",
		},
		{
			name:        "a NoSchedule taint keeps pods without its toleration off",
			pod:         cpuPod("web", "100m"),
			nodes:       []NodeInfo{tainted(node("node-a", 2000, 4*gi), dedicated), node("node-b", 2000, 4*gi, cpuPod("x", ""))},
			wantNode:    "node-b",
			wantReasons: map[string]string{"node-a": "node(s) had untolerated taint {dedicated: lab}: the pod does not tolerate the taint dedicated=lab:NoSchedule"},
			wantMessage: "Successfully assigned default/web to node-b",
		},
		{
			name: "a pod that tolerates the taint may go there",
			pod: tolerating(cpuPod("web", "100m"),
				api.Toleration{Key: "dedicated", Operator: api.TolerationOpEqual, Value: "lab", Effect: api.TaintEffectNoSchedule}),
			nodes:       []NodeInfo{tainted(node("node-a", 2000, 4*gi), dedicated), node("node-b", 2000, 4*gi, cpuPod("x", ""))},
			wantNode:    "node-a",
			wantMessage: "Successfully assigned default/web to node-a",
		},
		{
			name: "PreferNoSchedule does not filter",
			pod:  cpuPod("web", "100m"),
			nodes: []NodeInfo{tainted(node("node-a", 2000, 4*gi),
				api.Taint{Key: "spot", Effect: api.TaintEffectPreferNoSchedule}), node("node-b", 2000, 4*gi, cpuPod("x", ""))},
			wantNode:    "node-a",
			wantMessage: "Successfully assigned default/web to node-a",
		},
		{
			name:  "a taint on every node",
			pod:   tolerating(cpuPod("web", "100m"), api.Toleration{Key: "other", Operator: api.TolerationOpExists}),
			nodes: []NodeInfo{tainted(node("node-a", 2000, 4*gi), dedicated), tainted(node("node-b", 2000, 4*gi), dedicated)},
			wantReasons: map[string]string{
				"node-a": "node(s) had untolerated taint {dedicated: lab}: the pod does not tolerate the taint dedicated=lab:NoSchedule",
				"node-b": "node(s) had untolerated taint {dedicated: lab}: the pod does not tolerate the taint dedicated=lab:NoSchedule",
			},
			wantMessage: "0/2 nodes are available: 2 node(s) had untolerated taint {dedicated: lab}.",
		},
		{
			name:        "a cordoned node is left out",
			pod:         cpuPod("web", "100m"),
			nodes:       []NodeInfo{cordoned(node("node-a", 2000, 4*gi)), node("node-b", 2000, 4*gi, cpuPod("x", ""))},
			wantNode:    "node-b",
			wantReasons: map[string]string{"node-a": "node(s) were unschedulable: the node is cordoned (spec.unschedulable)"},
			wantMessage: "Successfully assigned default/web to node-b",
		},
		{
			name: "a cordoned node takes a pod that tolerates the cordon, like a DaemonSet's",
			pod: tolerating(cpuPod("web", "100m"),
				api.Toleration{Key: api.TaintNodeUnschedulable, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoSchedule}),
			nodes:       []NodeInfo{cordoned(node("node-a", 2000, 4*gi))},
			wantNode:    "node-a",
			wantMessage: "Successfully assigned default/web to node-a",
		},
		{
			name:        "only the first failing filter is reported",
			pod:         selecting(cpuPod("web", "9"), map[string]string{"disk": "ssd"}),
			nodes:       []NodeInfo{cordoned(notReady(node("node-a", 2000, 4*gi)))},
			wantReasons: map[string]string{"node-a": "node(s) were unschedulable: the node is cordoned (spec.unschedulable)"},
			wantMessage: "0/1 nodes are available: 1 node(s) were unschedulable.",
		},

		// Resources.
		{
			name: "the FailedScheduling example",
			pod:  selecting(cpuPod("web", "1500m"), map[string]string{"role": "worker"}),
			nodes: []NodeInfo{
				labeled(node("node-a", 2000, 4*gi, cpuPod("x", "1")), map[string]string{"role": "worker"}),
				node("node-b", 2000, 4*gi),
			},
			wantReasons: map[string]string{
				"node-a": "Insufficient cpu: requested 1500m, 1000m free of 2000m",
				"node-b": `node(s) didn't match Pod's node affinity/selector: nodeSelector role=worker, the node has no label "role"`,
			},
			wantMessage: "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector.",
		},
		{
			name:        "short of cpu and memory",
			pod:         pod("web", container("c", "3", "1536Mi")),
			nodes:       []NodeInfo{node("node-a", 2000, 2*gi, pod("x", container("c", "", "1Gi")))},
			wantReasons: map[string]string{"node-a": "Insufficient cpu: requested 3000m, 2000m free of 2000m; Insufficient memory: requested 1536Mi, 1Gi free of 2Gi"},
			wantMessage: "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.",
		},
		{
			name:        "a request equal to what is free fits",
			pod:         pod("web", container("c", "500m", "1Gi")),
			nodes:       []NodeInfo{node("node-a", 1000, 2*gi, pod("x", container("c", "500m", "1Gi")))},
			wantNode:    "node-a",
			wantMessage: "Successfully assigned default/web to node-a",
		},
		{
			name: "an init container larger than the app containers decides",
			pod:  withInit(pod("web", container("app", "200m", "")), container("setup", "1500m", "")),
			nodes: []NodeInfo{
				node("node-a", 1000, 4*gi),
				node("node-b", 2000, 4*gi, cpuPod("x", ""), cpuPod("y", "")),
			},
			wantNode:    "node-b",
			wantReasons: map[string]string{"node-a": "Insufficient cpu: requested 1500m, 1000m free of 1000m"},
			wantMessage: "Successfully assigned default/web to node-b",
		},
		{
			name:        "bound pods count with their effective request",
			pod:         cpuPod("web", "200m"),
			nodes:       []NodeInfo{node("node-a", 1000, 4*gi, withInit(cpuPod("x", "100m"), container("setup", "900m", "")))},
			wantReasons: map[string]string{"node-a": "Insufficient cpu: requested 200m, 100m free of 1000m"},
			wantMessage: "0/1 nodes are available: 1 Insufficient cpu.",
		},
		{
			name:        "a pod without requests fits even an overcommitted node",
			pod:         cpuPod("web", ""),
			nodes:       []NodeInfo{node("node-a", 1000, 4*gi, cpuPod("x", "2"))},
			wantNode:    "node-a",
			wantMessage: "Successfully assigned default/web to node-a",
		},
		{
			name:        "nothing is free on an overcommitted node",
			pod:         cpuPod("web", "100m"),
			nodes:       []NodeInfo{node("node-a", 1000, 4*gi, cpuPod("x", "2"))},
			wantReasons: map[string]string{"node-a": "Insufficient cpu: requested 100m, 0m free of 1000m"},
			wantMessage: "0/1 nodes are available: 1 Insufficient cpu.",
		},

		// The message.
		{
			name: "every reason counted, sorted",
			pod:  selecting(cpuPod("web", "1500m"), map[string]string{"role": "worker"}),
			nodes: []NodeInfo{
				cordoned(node("node-a", 2000, 4*gi)),
				notReady(node("node-b", 2000, 4*gi)),
				node("node-c", 2000, 4*gi),
				labeled(node("node-d", 1000, 4*gi), map[string]string{"role": "worker"}),
				labeled(node("node-e", 1000, 4*gi), map[string]string{"role": "worker"}),
			},
			wantReasons: map[string]string{
				"node-a": "node(s) were unschedulable: the node is cordoned (spec.unschedulable)",
				"node-b": "node(s) had untolerated taint {node.kubernetes.io/not-ready: }: the node is not Ready",
				"node-c": `node(s) didn't match Pod's node affinity/selector: nodeSelector role=worker, the node has no label "role"`,
				"node-d": "Insufficient cpu: requested 1500m, 1000m free of 1000m",
				"node-e": "Insufficient cpu: requested 1500m, 1000m free of 1000m",
			},
			wantMessage: "0/5 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, " +
				"1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable, 2 Insufficient cpu.",
		},
		{
			name:        "no nodes at all",
			pod:         cpuPod("web", "100m"),
			wantMessage: "no nodes available to schedule pods",
		},
		{
			name:  "a pod whose requests do not parse fits no node",
			pod:   cpuPod("web", "lots"),
			nodes: []NodeInfo{node("node-a", 2000, 4*gi)},
			wantReasons: map[string]string{
				"node-a": `container "c": invalid CPU quantity "lots": use cores or millicores (like "0.5" or "500m")`,
			},
			wantMessage: `0/1 nodes are available: container "c": invalid CPU quantity "lots": use cores or millicores (like "0.5" or "500m").`,
		},
	}
	for _, tt := range tests {
		d := Schedule(tt.pod, tt.nodes)
		if d.Node != tt.wantNode {
			t.Errorf("%s: node %q, want %q", tt.name, d.Node, tt.wantNode)
		}
		if !maps.Equal(d.Reasons, tt.wantReasons) {
			t.Errorf("%s: reasons\n%q\nwant\n%q", tt.name, d.Reasons, tt.wantReasons)
		}
		if d.Message != tt.wantMessage {
			t.Errorf("%s: message\n%q\nwant\n%q", tt.name, d.Message, tt.wantMessage)
		}
	}
}

// The lesson of lab 09: the pod is the unit of scheduling. Each of the three
// containers would fit on either node alone, but the pod needs them all on
// one node, and no node has room for their sum; the pod stays Pending.
func TestWholePodIsTheUnit(t *testing.T) {
	nodes := []NodeInfo{
		node("node-a", 2000, 4*gi, cpuPod("x", "1")),
		node("node-b", 2000, 4*gi, cpuPod("y", "1")),
	}
	trio := pod("trio", container("a", "600m", ""), container("b", "600m", ""), container("c", "600m", ""))

	for _, c := range trio.Spec.Containers {
		if d := Schedule(pod("alone", c), nodes); d.Node == "" {
			t.Fatalf("container %q alone fits no node: %s", c.Name, d.Message)
		}
	}
	d := Schedule(trio, nodes)
	if d.Node != "" {
		t.Errorf("the pod was bound to %q, though it needs 1800m and each node has 1000m free", d.Node)
	}
	if want := "0/2 nodes are available: 2 Insufficient cpu."; d.Message != want {
		t.Errorf("message %q, want %q", d.Message, want)
	}
	for _, n := range []string{"node-a", "node-b"} {
		if want := "Insufficient cpu: requested 1800m, 1000m free of 2000m"; d.Reasons[n] != want {
			t.Errorf("reason for %s: %q, want %q", n, d.Reasons[n], want)
		}
	}
}

// The decision depends on the nodes, not on the order they are listed in,
// and Schedule leaves its input alone.
func TestScheduleIsDeterministic(t *testing.T) {
	p := selecting(cpuPod("web", "500m"), map[string]string{"disk": "ssd"})
	ssd := map[string]string{"disk": "ssd"}
	nodes := []NodeInfo{
		labeled(node("node-c", 2000, 4*gi, cpuPod("x", "")), ssd),
		labeled(node("node-a", 2000, 4*gi), ssd),
		labeled(node("node-b", 2000, 4*gi), ssd),
		labeled(node("node-d", 400, 4*gi), ssd),
		node("node-e", 2000, 4*gi),
	}
	want := Schedule(p, slices.Clone(nodes))
	if want.Node != "node-a" {
		t.Fatalf("node %q, want node-a", want.Node)
	}
	reversed := slices.Clone(nodes)
	slices.Reverse(reversed)
	if got := Schedule(p, reversed); !reflect.DeepEqual(got, want) {
		t.Errorf("with the nodes reversed: %+v, want %+v", got, want)
	}
	if len(nodes[0].Pods) != 1 || p.Spec.NodeName != "" {
		t.Error("Schedule changed its input")
	}
}

// kube-scheduler sorts the "count reason" entries as strings, so 10 comes
// before 2; podlab's message keeps that order.
func TestFailedMessageSortsAsStrings(t *testing.T) {
	got := failedMessage(12, map[string]int{reasonInsufficientCPU: 2, reasonUnschedulable: 10})
	if want := "0/12 nodes are available: 10 node(s) were unschedulable, 2 Insufficient cpu."; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestFormatMemory(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 1000: "1000", 1536 << 10: "1536Ki", 1536 << 20: "1536Mi", 2 * gi: "2Gi", 1 << 40: "1Ti"} {
		if got := formatMemory(in); got != want {
			t.Errorf("formatMemory(%d) = %q, want %q", in, got, want)
		}
	}
}
