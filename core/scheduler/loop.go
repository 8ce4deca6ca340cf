package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

// Name is the scheduler's name in events ("source: default-scheduler"),
// kube-scheduler's own.
const Name = "default-scheduler"

// resync makes the scheduler look at every pending pod again this often,
// even if nothing happened: a safety net under the event handlers, like
// kube-scheduler's periodic flush of unschedulable pods.
const resync = 30 * time.Second

// Run schedules pods until ctx ends: it watches pods and nodes through the
// API, and binds each pending pod to the node Schedule picks, one pod at a
// time. A pod that fits nowhere gets PodScheduled=False, reason
// Unschedulable, and a FailedScheduling event; it is tried again when a
// node or a pod changes (a node joins, a pod goes away and frees room).
func Run(ctx context.Context, c *client.Client, rec *client.Recorder) {
	s := &loop{
		client:   c,
		recorder: rec,
		pods:     client.NewInformer(c.Pods(""), client.ListOptions{}, resync),
		nodes:    client.NewInformer(c.Nodes(), client.ListOptions{}, resync),
		queue:    client.NewQueue(),
		assumed:  map[string]string{},
	}
	s.pods.AddHandler(client.Handler[*api.Pod]{
		OnAdd:    s.podChanged,
		OnUpdate: func(_, p *api.Pod) { s.podChanged(p) },
		OnDelete: s.podDeleted,
	})
	// A node that joins, or changes in a way the filters see, may make
	// room for a pending pod: try them all. A heartbeat changes only
	// timestamps, and trying again would only repeat the same verdict.
	s.nodes.AddHandler(client.Handler[*api.Node]{
		OnAdd: func(*api.Node) { s.retryPending() },
		OnUpdate: func(old, cur *api.Node) {
			if !reflect.DeepEqual(NodeInfoOf(old, nil), NodeInfoOf(cur, nil)) {
				s.retryPending()
			}
		},
		OnDelete: func(*api.Node) { s.retryPending() },
	})
	go s.pods.Run(ctx)
	go s.nodes.Run(ctx)
	if !client.WaitForSync(ctx, s.pods, s.nodes) {
		return
	}
	// One worker: each decision must see the bindings of the one before,
	// or two pods could be promised the same free room.
	ctl := &client.Controller{Name: "scheduler", Workers: 1, Sync: s.sync, Queue: s.queue}
	ctl.Run(ctx)
}

// loop is the scheduler's state between syncs.
type loop struct {
	client   *client.Client
	recorder *client.Recorder
	pods     *client.Informer[*api.Pod]
	nodes    *client.Informer[*api.Node]
	queue    *client.Queue

	// assumed holds the pods bound but not yet seen bound in the cache
	// (pod uid → node), kube-scheduler's "assume" step: the watch brings
	// the binding back a little later, and until then the pod's requests
	// must count on its node, or the next pod could take the same room.
	// By uid, not by name: a pod deleted and made again under the same
	// name is a new pod that needs scheduling.
	mu      sync.Mutex
	assumed map[string]string
}

// podChanged queues a pod that waits for a node; a pod seen bound is no
// longer assumed, and a pod that went away frees room for the others.
func (s *loop) podChanged(p *api.Pod) {
	key := client.KeyFor(p.Namespace, p.Name)
	switch {
	case needsScheduling(p):
		s.queue.Add(key)
	case p.Spec.NodeName != "":
		s.mu.Lock()
		delete(s.assumed, p.UID)
		s.mu.Unlock()
		if terminated(p) {
			s.retryPending() // its requests no longer count
		}
	}
}

func (s *loop) podDeleted(p *api.Pod) {
	s.mu.Lock()
	delete(s.assumed, p.UID)
	s.mu.Unlock()
	if p.Spec.NodeName != "" {
		s.retryPending()
	}
}

// retryPending queues every pod that waits for a node.
func (s *loop) retryPending() {
	for _, p := range s.pods.List(api.Everything()) {
		if needsScheduling(p) {
			s.queue.Add(client.KeyFor(p.Namespace, p.Name))
		}
	}
}

// needsScheduling: no node yet, and not on its way out.
func needsScheduling(p *api.Pod) bool {
	return p.Spec.NodeName == "" && p.DeletionTimestamp == nil && !terminated(p)
}

// terminated pods hold no resources on their node.
func terminated(p *api.Pod) bool {
	return p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed
}

// sync schedules the pod key, if it still needs a node.
func (s *loop) sync(ctx context.Context, key string) error {
	p, ok := s.pods.Get(key)
	if !ok || !needsScheduling(p) || s.isAssumed(p.UID) {
		return nil // gone, bound, or bound by us a moment ago
	}
	d := Schedule(p, s.nodeInfos())
	if d.Node == "" {
		return s.unschedulable(ctx, p, d)
	}
	if err := s.client.Bind(ctx, p.Namespace, p.Name, d.Node); err != nil {
		if client.IsNotFound(err) || client.IsConflict(err) {
			return nil // deleted meanwhile, or bound by someone else
		}
		return fmt.Errorf("bind pod %q to node %q: %w", key, d.Node, err)
	}
	s.mu.Lock()
	s.assumed[p.UID] = d.Node
	s.mu.Unlock()
	slog.Info("scheduled", "pod", key, "node", d.Node)
	s.recorder.Event(p, api.EventTypeNormal, "Scheduled", d.Message)
	return nil
}

func (s *loop) isAssumed(uid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.assumed[uid]
	return ok
}

// unschedulable records why no node fits: the PodScheduled condition for
// "podlab get" and "describe", and an event naming the reason per node.
// It returns nil: trying again at once would fail again; a change to a
// node or a pod queues the pod anew.
func (s *loop) unschedulable(ctx context.Context, p *api.Pod, d Decision) error {
	msg := d.Message
	for _, name := range slices.Sorted(maps.Keys(d.Reasons)) {
		msg += fmt.Sprintf(" %s: %s.", name, d.Reasons[name])
	}
	cond := api.PodCondition{
		Type:               api.PodScheduled,
		Status:             api.ConditionFalse,
		Reason:             "Unschedulable",
		Message:            d.Message,
		LastTransitionTime: time.Now().UTC().Truncate(time.Second),
	}
	if old := findCondition(p.Status.Conditions, api.PodScheduled); old == nil || old.Status != cond.Status ||
		old.Message != cond.Message {
		if err := s.setCondition(ctx, p, cond); err != nil && !client.IsNotFound(err) {
			return fmt.Errorf("report pod %q unschedulable: %w", p.Namespace+"/"+p.Name, err)
		}
	}
	slog.Info("unschedulable", "pod", p.Namespace+"/"+p.Name, "why", msg)
	s.recorder.Event(p, api.EventTypeWarning, "FailedScheduling", msg)
	return nil
}

// setCondition writes cond into the pod's status, replacing one of its type,
// with a merge patch of the status subresource. A merge patch replaces whole
// lists, so it sends all the conditions: the ones the podlet wrote as well.
func (s *loop) setCondition(ctx context.Context, p *api.Pod, cond api.PodCondition) error {
	conds := []api.PodCondition{cond}
	for _, c := range p.Status.Conditions {
		if c.Type != cond.Type {
			conds = append(conds, c)
		}
	}
	patch, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": conds}})
	if err != nil {
		return err
	}
	_, err = s.client.Pods(p.Namespace).PatchStatus(ctx, p.Name, patch)
	return err
}

func findCondition(conds []api.PodCondition, t api.PodConditionType) *api.PodCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

// nodeInfos builds what Schedule needs from the cache: every node with
// the pods bound to it that still hold resources, the assumed ones included.
func (s *loop) nodeInfos() []NodeInfo {
	byNode := map[string][]*api.Pod{}
	s.mu.Lock()
	for _, p := range s.pods.List(api.Everything()) {
		node := p.Spec.NodeName
		if node == "" {
			node = s.assumed[p.UID]
		}
		if node != "" && !terminated(p) {
			byNode[node] = append(byNode[node], p)
		}
	}
	s.mu.Unlock()

	var infos []NodeInfo
	for _, n := range s.nodes.List(api.Everything()) {
		infos = append(infos, NodeInfoOf(n, byNode[n.Name]))
	}
	return infos
}

// NodeInfoOf is what Schedule needs to know of node n, with pods the pods
// bound to it. A quantity that does not parse counts as nothing allocatable.
func NodeInfoOf(n *api.Node, pods []*api.Pod) NodeInfo {
	cpu, _ := api.ParseCPU(n.Status.Allocatable["cpu"])
	mem, _ := api.ParseMemory(n.Status.Allocatable["memory"])
	ready := false
	for _, c := range n.Status.Conditions {
		if c.Type == api.NodeReady {
			ready = c.Status == api.ConditionTrue
		}
	}
	return NodeInfo{
		Name:              n.Name,
		Labels:            n.Labels,
		Ready:             ready,
		Unschedulable:     n.Spec.Unschedulable,
		Taints:            n.Spec.Taints,
		AllocatableCPU:    cpu,
		AllocatableMemory: mem,
		Pods:              pods,
	}
}
