// Package scheduler decides which node a pending pod runs on, as
// kube-scheduler's default plugins do, cut down to what podlab models:
// filter out the nodes that cannot run the pod, score the rest, take the
// best. The pod is the unit: all its containers go to one node, so it
// needs a node with room for its whole effective request (PodRequest).
//
// This package is the decision only, with no I/O. The caller reads the
// nodes and their bound pods from the API, skips pods whose spec.nodeName
// is already set, writes the binding and records Decision.Message as the
// pod's event.
package scheduler

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/podlab/podlab/core/api"
)

// NodeInfo is what the scheduler needs to know of one node. The caller
// fills it from the Node object and the pods bound to it.
type NodeInfo struct {
	Name              string
	Labels            map[string]string
	Ready             bool // the node's Ready condition is True
	Unschedulable     bool // spec.unschedulable: the node is cordoned
	Taints            []api.Taint
	AllocatableCPU    int64      // millicores
	AllocatableMemory int64      // bytes
	Pods              []*api.Pod // pods already bound to the node (not terminated)
}

// Decision is the chosen node and why the other nodes were not chosen, for
// the pod's events and for the lesson.
type Decision struct {
	// Node is the chosen node, "" if no node can run the pod.
	Node string
	// Reasons says why each node that cannot run the pod was left out, like
	// "Insufficient cpu: requested 1500m, 1000m free of 2000m".
	Reasons map[string]string
	// Message is the event kube-scheduler would record: "Successfully
	// assigned default/web to node-a", or when nothing fits
	// "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match
	// Pod's node affinity/selector."
	Message string
}

// Reasons a filter gives, worded as kube-scheduler words them, so that a
// podlab event reads like a Kubernetes one.
const (
	reasonUnschedulable = "node(s) were unschedulable"
	// Kubernetes does not check the Ready condition when scheduling: the
	// node lifecycle controller taints a NotReady node with
	// node.kubernetes.io/not-ready:NoSchedule, and the taint keeps new pods
	// away. podlab checks the condition itself, so a NotReady node is out
	// even before the taint is there.
	reasonNotReady           = "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"
	reasonTaint              = "node(s) had untolerated taint"
	reasonNodeSelector       = "node(s) didn't match Pod's node affinity/selector"
	reasonInsufficientCPU    = "Insufficient cpu"
	reasonInsufficientMemory = "Insufficient memory"
)

// unfit is one reason a node cannot run the pod: the short reason counted in
// the FailedScheduling message, and the detail that explains it.
type unfit struct {
	reason, detail string
}

func (u unfit) String() string {
	if u.detail == "" {
		return u.reason
	}
	return u.reason + ": " + u.detail
}

// Schedule chooses a node for p among nodes. It does not change p or the
// nodes; the same input always gives the same decision.
func Schedule(p *api.Pod, nodes []NodeInfo) Decision {
	d := Decision{Reasons: map[string]string{}}
	if len(nodes) == 0 {
		d.Message = "no nodes available to schedule pods" // kube-scheduler's words
		return d
	}
	req, err := PodRequest(p)
	if err != nil {
		// Validation rejects bad quantities, so this is a pod that skipped
		// it. Like a failed PreFilter in kube-scheduler, it rules out every node.
		for _, n := range nodes {
			d.Reasons[n.Name] = err.Error()
		}
		d.Message = fmt.Sprintf("0/%d nodes are available: %v.", len(nodes), err)
		return d
	}

	var feasible []*NodeInfo
	counts := map[string]int{} // reason → how many nodes it ruled out
	for i := range nodes {
		n := &nodes[i]
		unfits := filter(p, req, n)
		if len(unfits) == 0 {
			feasible = append(feasible, n)
			continue
		}
		texts := make([]string, len(unfits))
		for j, u := range unfits {
			texts[j] = u.String()
			counts[u.reason]++
		}
		d.Reasons[n.Name] = strings.Join(texts, "; ")
	}
	if len(feasible) == 0 {
		d.Message = failedMessage(len(nodes), counts)
		return d
	}
	d.Node = best(feasible).Name
	d.Message = fmt.Sprintf("Successfully assigned %s/%s to %s", p.Namespace, p.Name, d.Node)
	return d
}

// filter returns why n cannot run the pod, nothing if it can. The checks
// come in the order of kube-scheduler's filter plugins (NodeUnschedulable,
// TaintToleration, NodeAffinity, NodeResourcesFit) and, as there, the first
// check that fails is the one reported.
func filter(p *api.Pod, req Request, n *NodeInfo) []unfit {
	if n.Unschedulable && untolerated(p.Spec.Tolerations, []api.Taint{cordon}) != nil {
		return []unfit{{reasonUnschedulable, "the node is cordoned (spec.unschedulable)"}}
	}
	if !n.Ready {
		return []unfit{{reasonNotReady, "the node is not Ready"}}
	}
	if taint := untolerated(p.Spec.Tolerations, n.Taints); taint != nil {
		return []unfit{{fmt.Sprintf("%s {%s: %s}", reasonTaint, taint.Key, taint.Value),
			fmt.Sprintf("the pod does not tolerate the taint %s=%s:%s", taint.Key, taint.Value, taint.Effect)}}
	}
	if detail := selectorMismatch(p.Spec.NodeSelector, n.Labels); detail != "" {
		return []unfit{{reasonNodeSelector, detail}}
	}
	return resourcesFit(req, n)
}

// cordon is the taint a cordoned node stands for, whether or not the node
// carries it: a pod that tolerates it, like a DaemonSet's, still goes to
// the node (kube-scheduler's NodeUnschedulable plugin).
var cordon = api.Taint{Key: api.TaintNodeUnschedulable, Effect: api.TaintEffectNoSchedule}

// untolerated returns the first taint that keeps new pods off the node
// (effect NoSchedule or NoExecute) and that none of tolerations
// tolerates, or nil. A PreferNoSchedule taint only lowers a node's score
// in kube-scheduler; podlab does not score by it.
func untolerated(tolerations []api.Toleration, taints []api.Taint) *api.Taint {
	for i := range taints {
		t := &taints[i]
		if t.Effect == api.TaintEffectPreferNoSchedule {
			continue
		}
		if !slices.ContainsFunc(tolerations, func(tol api.Toleration) bool { return tol.ToleratesTaint(t) }) {
			return t
		}
	}
	return nil
}

// selectorMismatch returns the first nodeSelector entry, in key order, that
// the node's labels do not carry, or "" if they carry them all. Every entry
// must equal a label exactly.
func selectorMismatch(selector, labels map[string]string) string {
	for _, k := range slices.Sorted(maps.Keys(selector)) {
		want := selector[k]
		got, ok := labels[k]
		switch {
		case !ok:
			return fmt.Sprintf("nodeSelector %s=%s, the node has no label %q", k, want, k)
		case got != want:
			return fmt.Sprintf("nodeSelector %s=%s, the node has %s=%s", k, want, k, got)
		}
	}
	return ""
}

// resourcesFit is kube-scheduler's NodeResourcesFit filter: for every
// resource the pod requests, its whole effective request must fit in what is
// allocatable minus what the pods already bound request. A resource the pod
// does not request is not checked, so a pod without requests fits any node.
// Kubernetes also caps the number of pods (kubelet maxPods, 110); podlab
// does not.
func resourcesFit(req Request, n *NodeInfo) []unfit {
	used, err := requested(n.Pods)
	if err != nil {
		// Never promise more than the node has: a node whose use is unknown
		// is left out.
		return []unfit{{"cannot count the requests of the node's pods", err.Error()}}
	}
	var unfits []unfit
	if req.CPU > 0 && req.CPU > n.AllocatableCPU-used.CPU {
		unfits = append(unfits, unfit{reasonInsufficientCPU,
			shortage(formatCPU, req.CPU, n.AllocatableCPU-used.CPU, n.AllocatableCPU)})
	}
	if req.Memory > 0 && req.Memory > n.AllocatableMemory-used.Memory {
		unfits = append(unfits, unfit{reasonInsufficientMemory,
			shortage(formatMemory, req.Memory, n.AllocatableMemory-used.Memory, n.AllocatableMemory)})
	}
	return unfits
}

// shortage says how much the pod asks for and how much is left, like
// "requested 1500m, 1000m free of 2000m".
func shortage(format func(int64) string, requested, free, allocatable int64) string {
	// Pods bound without the scheduler (spec.nodeName set by hand) can
	// promise more than the node has; nothing is free then.
	free = max(free, 0)
	return fmt.Sprintf("requested %s, %s free of %s", format(requested), format(free), format(allocatable))
}

// best returns the node to bind to: the one with the fewest pods, which
// spreads pods over the nodes; on a tie, the first by name.
//
// kube-scheduler scores differently: by the share of CPU and memory already
// requested (NodeResourcesFit's LeastAllocated, with BalancedAllocation and
// others), and there a pod without requests is counted as 100m CPU and
// 200Mi memory, for scoring only, so that a node full of such pods does not
// look empty. Counting pods needs no such default. kube-scheduler also
// breaks ties at random; podlab takes the first name so that a lab comes out
// the same every time.
func best(feasible []*NodeInfo) *NodeInfo {
	return slices.MinFunc(feasible, func(a, b *NodeInfo) int {
		return cmp.Or(cmp.Compare(len(a.Pods), len(b.Pods)), strings.Compare(a.Name, b.Name))
	})
}

// failedMessage words a failure as kube-scheduler's FitError does: how many
// nodes each reason ruled out, the entries sorted as strings (so "10 ..."
// comes before "2 ..." there too).
func failedMessage(numNodes int, counts map[string]int) string {
	entries := make([]string, 0, len(counts))
	for reason, n := range counts {
		entries = append(entries, fmt.Sprintf("%d %s", n, reason))
	}
	slices.Sort(entries)
	return fmt.Sprintf("0/%d nodes are available: %s.", numNodes, strings.Join(entries, ", "))
}

// formatCPU writes millicores as Kubernetes does in messages: "1500m".
func formatCPU(millis int64) string {
	return fmt.Sprintf("%dm", millis)
}

// formatMemory writes bytes with the largest binary suffix that divides
// them exactly, like "1536Mi" or "2Gi", and as plain bytes otherwise.
func formatMemory(bytes int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"Ti", 1 << 40}, {"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
		if bytes != 0 && bytes%u.size == 0 {
			return fmt.Sprintf("%d%s", bytes/u.size, u.suffix)
		}
	}
	return fmt.Sprintf("%d", bytes)
}
