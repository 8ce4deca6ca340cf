package podlet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

// The podlet's first duty: register its Node, then keep it fresh. This
// is the kubelet's node status loop (pkg/kubelet/kubelet_node_status.go),
// cut to what a lab needs:
//
//	start   create the Node: labels, addresses, capacity, nodeInfo, and the
//	        conditions (Ready=True); if it exists already (the podlet
//	        restarted), patch its status instead and keep its spec, the
//	        podCIDR the node IPAM controller gave it above all
//	every   patch status.conditions with a new lastHeartbeatTime; on an
//	period  error, log it and try again at the next tick
//	SIGTERM stop, and leave the Node: telling a silent node from a live one
//	        is the node lifecycle controller's job (SEMANTICS.md §11)

// Well-known labels the podlet puts on its Node, as the kubelet does.
const (
	LabelHostname = "kubernetes.io/hostname"
	LabelOS       = "kubernetes.io/os"
)

// The reason and message of the Ready condition, the kubelet's words with
// the podlet's name.
const (
	ReasonReady  = "KubeletReady"
	MessageReady = "podlet is posting ready status"
)

// DefaultMaxPods is how many pods a node takes unless told otherwise: the
// kubelet's --max-pods.
const DefaultMaxPods = 110

// NodeConfig is what the podlet says about its node.
type NodeConfig struct {
	Name    string            // the Node's name, like "node1"; also its Hostname address
	IP      netip.Addr        // the InternalIP: the underlay address other nodes reach it at
	CPU     string            // capacity, a quantity like "2" or "1500m"
	Memory  string            // capacity, a quantity like "4026532Ki"
	MaxPods int               // capacity "pods": how many pods fit
	Labels  map[string]string // more labels, next to kubernetes.io/hostname and kubernetes.io/os
}

// Node returns the Node the podlet registers at time now: its labels and
// its whole status. The spec is empty: it is the cluster's to fill in
// (spec.podCIDR by the node IPAM controller, taints by the node lifecycle
// controller).
func (c NodeConfig) Node(info api.NodeSystemInfo, now time.Time) *api.Node {
	labels := maps.Clone(c.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelHostname] = c.Name
	labels[LabelOS] = runtime.GOOS
	return &api.Node{
		TypeMeta:   api.KindNode,
		ObjectMeta: api.ObjectMeta{Name: c.Name, Labels: labels},
		Status:     c.status(info, now, nil),
	}
}

// status is the node's status at now. Allocatable is the capacity:
// podlab reserves nothing for the system (the kubelet's --kube-reserved
// and --system-reserved would be taken off here).
func (c NodeConfig) status(info api.NodeSystemInfo, now time.Time, prev []api.NodeCondition) api.NodeStatus {
	capacity := api.ResourceList{
		api.ResourceCPU:    c.CPU,
		api.ResourceMemory: c.Memory,
		api.ResourcePods:   strconv.Itoa(c.MaxPods),
	}
	return api.NodeStatus{
		Capacity:    capacity,
		Allocatable: maps.Clone(capacity),
		Conditions:  nodeConditions(now, prev),
		Addresses: []api.NodeAddress{
			{Type: api.NodeInternalIP, Address: c.IP.String()},
			{Type: api.NodeHostName, Address: c.Name},
		},
		NodeInfo: info,
	}
}

// nodeConditions returns the node's conditions at now, in the kubelet's
// order: the pressure conditions, then Ready. Every one has now as its
// lastHeartbeatTime; its lastTransitionTime stays the one in prev (the
// conditions as the API server has them) unless its status changed, e.g.
// from the Unknown the node lifecycle controller writes when heartbeats
// stop, back to True.
//
// The pressure conditions are always False for now: podlab has no
// eviction manager watching memory, disk and PIDs yet.
func nodeConditions(now time.Time, prev []api.NodeCondition) []api.NodeCondition {
	conds := []api.NodeCondition{
		{Type: api.NodeMemoryPressure, Status: api.ConditionFalse,
			Reason: "KubeletHasSufficientMemory", Message: "podlet has sufficient memory available"},
		{Type: api.NodeDiskPressure, Status: api.ConditionFalse,
			Reason: "KubeletHasNoDiskPressure", Message: "podlet has no disk pressure"},
		{Type: api.NodePIDPressure, Status: api.ConditionFalse,
			Reason: "KubeletHasSufficientPID", Message: "podlet has sufficient PID available"},
		{Type: api.NodeReady, Status: api.ConditionTrue, Reason: ReasonReady, Message: MessageReady},
	}
	for i := range conds {
		conds[i].LastHeartbeatTime = now
		conds[i].LastTransitionTime = now
		for _, p := range prev {
			if p.Type == conds[i].Type && p.Status == conds[i].Status && !p.LastTransitionTime.IsZero() {
				conds[i].LastTransitionTime = p.LastTransitionTime
			}
		}
	}
	return conds
}

// ReadSystemInfo describes this machine for the Node's status.nodeInfo:
// the kernel from /proc/sys/kernel/osrelease (uname -r), the OS from
// /etc/os-release, the architecture, and the podlet's own version, like
// "dev" or "v0.4.0". What cannot be read is left empty.
func ReadSystemInfo(version string) api.NodeSystemInfo {
	info := api.NodeSystemInfo{
		OperatingSystem:         runtime.GOOS,
		Architecture:            runtime.GOARCH,
		KubeletVersion:          "podlab-" + version,
		ContainerRuntimeVersion: "podlab://" + version,
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		info.KernelVersion = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/machine-id"); err == nil {
		info.MachineID = strings.TrimSpace(string(b))
	}
	info.OSImage = "Linux"
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		if name := osImageOf(string(b)); name != "" {
			info.OSImage = name
		}
	}
	return info
}

// osImageOf returns the name of the OS in the text of /etc/os-release:
// PRETTY_NAME, like "Debian GNU/Linux 12 (bookworm)", or else NAME.
func osImageOf(osRelease string) string {
	values := map[string]string{}
	for _, line := range strings.Split(osRelease, "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || strings.HasPrefix(key, "#") {
			continue
		}
		if u, err := strconv.Unquote(value); err == nil {
			value = u
		} else {
			value = strings.Trim(value, `'"`)
		}
		values[key] = value
	}
	if values["PRETTY_NAME"] != "" {
		return values["PRETTY_NAME"]
	}
	return values["NAME"]
}

// NodeAPI is what the podlet needs of the API server for its Node; the
// client's c.Nodes() is one.
type NodeAPI interface {
	Create(ctx context.Context, node *api.Node) (*api.Node, error)
	Get(ctx context.Context, name string) (*api.Node, error)
	Patch(ctx context.Context, name string, patch []byte) (*api.Node, error)
	PatchStatus(ctx context.Context, name string, patch []byte) (*api.Node, error)
}

// NodeReporter registers one node and keeps its status fresh.
type NodeReporter struct {
	api  NodeAPI
	node NodeConfig
	info api.NodeSystemInfo
	log  *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time
	// last is the node's conditions as the API server last returned them.
	last []api.NodeCondition
}

// NewNodeReporter returns a reporter for the node of cfg, writing through
// nodes and logging to log.
func NewNodeReporter(nodes NodeAPI, cfg NodeConfig, info api.NodeSystemInfo, log *slog.Logger) *NodeReporter {
	return &NodeReporter{api: nodes, node: cfg, info: info, log: log, Now: time.Now}
}

// now is the time written to the API: UTC, whole seconds, as the API
// server keeps times.
func (r *NodeReporter) now() time.Time { return r.Now().UTC().Truncate(time.Second) }

// Run registers the node, trying again until it succeeds, then updates
// its status every period, until ctx ends. It returns nil when ctx ends,
// and an error only when registration can never succeed: the API server
// refuses the token, or the Node as invalid.
func (r *NodeReporter) Run(ctx context.Context, period time.Duration) error {
	if err := r.registerUntilDone(ctx, period); err != nil || ctx.Err() != nil {
		return err
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		err := r.Heartbeat(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			failures++
			r.log.Error("node status update failed; trying again at the next heartbeat",
				"node", r.node.Name, "failures", failures, "err", err)
		case failures > 0:
			r.log.Info("node status updated again", "node", r.node.Name, "after-failures", failures)
			failures = 0
		}
	}
}

// registerUntilDone calls Register until it succeeds, waiting longer
// after each failure (from 250 ms up to period), as the kubelet does.
func (r *NodeReporter) registerUntilDone(ctx context.Context, period time.Duration) error {
	wait := min(250*time.Millisecond, period)
	for {
		err := r.Register(ctx)
		if err == nil || ctx.Err() != nil {
			return nil
		}
		if client.IsUnauthorized(err) || client.IsInvalid(err) {
			return err // no retry makes a wrong token or a bad Node right
		}
		r.log.Error("cannot register the node yet; trying again", "node", r.node.Name, "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, period)
	}
}

// Register creates the Node. If it exists already, as after a restart of
// the podlet, it adds the podlet's labels and replaces the status, and
// leaves the spec alone: the podCIDR, taints and cordon are the
// cluster's.
func (r *NodeReporter) Register(ctx context.Context) error {
	now := r.now()
	node := r.node.Node(r.info, now)
	created, err := r.api.Create(ctx, node)
	if err == nil {
		r.last = created.Status.Conditions
		r.log.Info("registered the node", "node", created.Name, "internal-ip", r.node.IP,
			"cpu", r.node.CPU, "memory", r.node.Memory, "pods", r.node.MaxPods)
		return nil
	}
	if !client.IsAlreadyExists(err) {
		return fmt.Errorf("register node %q: %w", r.node.Name, err)
	}
	existing, err := r.api.Get(ctx, r.node.Name)
	if err != nil {
		return fmt.Errorf("register node %q: read the Node that exists: %w", r.node.Name, err)
	}
	if patch := nodeLabelsPatch(existing.Labels, node.Labels); patch != nil {
		if _, err := r.api.Patch(ctx, r.node.Name, patch); err != nil {
			return fmt.Errorf("register node %q: update its labels: %w", r.node.Name, err)
		}
	}
	updated, err := r.patchStatus(ctx, r.node.status(r.info, now, existing.Status.Conditions))
	if err != nil {
		return fmt.Errorf("register node %q: update the status of the Node that exists: %w", r.node.Name, err)
	}
	r.last = updated.Status.Conditions
	r.log.Info("the node was registered already: updated its status", "node", r.node.Name,
		"internal-ip", r.node.IP, "podCIDR", updated.Spec.PodCIDR)
	return nil
}

// nodeLabelsPatch is the merge patch that adds or changes the labels of want
// that have is missing or has otherwise, nil if none. Labels the podlet
// does not set are left alone.
func nodeLabelsPatch(have, want map[string]string) []byte {
	changed := map[string]string{}
	for k, v := range want {
		if cur, ok := have[k]; !ok || cur != v {
			changed[k] = v
		}
	}
	if len(changed) == 0 {
		return nil
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": changed}})
	return patch
}

// Heartbeat writes the node's conditions again with a new
// lastHeartbeatTime: the node lifecycle controller reads it to know that
// the node is alive.
func (r *NodeReporter) Heartbeat(ctx context.Context) error {
	updated, err := r.patchStatus(ctx, api.NodeStatus{Conditions: nodeConditions(r.now(), r.last)})
	if client.IsNotFound(err) {
		// As the kubelet: it registers once, at start.
		return fmt.Errorf("update the status of node %q: the Node was deleted: restart the podlet to register it again: %w", r.node.Name, err)
	}
	if err != nil {
		return fmt.Errorf("update the status of node %q: %w", r.node.Name, err)
	}
	r.last = updated.Status.Conditions
	r.log.Debug("heartbeat", "node", r.node.Name)
	return nil
}

// patchStatus merges status into the Node's. A merge patch replaces a
// list whole, so status.conditions must list every condition.
func (r *NodeReporter) patchStatus(ctx context.Context, status api.NodeStatus) (*api.Node, error) {
	patch, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return nil, err
	}
	n, err := r.api.PatchStatus(ctx, r.node.Name, patch)
	if err == nil && n == nil {
		return nil, errors.New("the API server answered with no Node")
	}
	return n, err
}
