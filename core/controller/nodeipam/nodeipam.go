// Package nodeipam gives every Node its own range of pod IP addresses,
// spec.podCIDR, as kube-controller-manager's node IPAM controller does
// with --allocate-node-cidrs: the cluster's pod range (10.244.0.0/16) is
// cut into one /24 per node, 10.244.0.0/24 for the first node to register,
// 10.244.1.0/24 for the next, and so on. The node agent then gives its
// pods addresses from its own /24 (lab 09), and the overlay routes each
// /24 to its node (lab 08).
//
// A node keeps its range for as long as it exists; a deleted node's range
// is free again for the next node.
package nodeipam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

// NodeMaskSize is the size of each node's range: 256 addresses, the
// default of --node-cidr-mask-size for IPv4.
const NodeMaskSize = 24

// ErrFull means every range of the cluster's pod range is taken.
var ErrFull = errors.New("no pod range left")

// Allocate returns the first /maskBits range of cluster that overlaps none
// of used. It fails with ErrFull when there is none.
func Allocate(cluster netip.Prefix, maskBits int, used []netip.Prefix) (netip.Prefix, error) {
	cluster = cluster.Masked()
	if maskBits < cluster.Bits() || maskBits > 32 || !cluster.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("cannot cut %s into /%d ranges", cluster, maskBits)
	}
	n := 1 << (maskBits - cluster.Bits()) // how many ranges there are
	step := uint32(1) << (32 - maskBits)  // addresses in each
	base := ipv4(cluster.Addr())
	for i := range n {
		candidate := netip.PrefixFrom(fromIPv4(base+uint32(i)*step), maskBits)
		if !overlapsAny(candidate, used) {
			return candidate, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("%s cut into /%d ranges (%d of them): %w", cluster, maskBits, n, ErrFull)
}

func overlapsAny(p netip.Prefix, used []netip.Prefix) bool {
	for _, u := range used {
		if p.Overlaps(u) {
			return true
		}
	}
	return false
}

func ipv4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func fromIPv4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// Run gives each Node without a spec.podCIDR one from cluster, until ctx ends.
func Run(ctx context.Context, c *client.Client, rec *client.Recorder, cluster netip.Prefix) {
	ctl := &controller{
		client:   c,
		recorder: rec,
		cluster:  cluster,
		nodes:    client.NewInformer(c.Nodes(), client.ListOptions{}, 5*time.Minute),
		queue:    client.NewQueue(),
		given:    map[string]netip.Prefix{},
	}
	enqueue := func(n *api.Node) { ctl.queue.Add(n.Name) }
	ctl.nodes.AddHandler(client.Handler[*api.Node]{
		OnAdd:    enqueue,
		OnUpdate: func(_, n *api.Node) { enqueue(n) },
		OnDelete: func(n *api.Node) { ctl.forget(n.Name) },
	})
	go ctl.nodes.Run(ctx)
	if !client.WaitForSync(ctx, ctl.nodes) {
		return
	}
	slog.Info("allocating node pod ranges", "cluster-cidr", cluster, "node-mask-size", NodeMaskSize)
	// One worker, so two new nodes are never given the same range.
	(&client.Controller{Name: "nodeipam", Workers: 1, Sync: ctl.sync, Queue: ctl.queue}).Run(ctx)
}

type controller struct {
	client   *client.Client
	recorder *client.Recorder
	cluster  netip.Prefix
	nodes    *client.Informer[*api.Node]
	queue    *client.Queue

	// given holds the ranges written but maybe not yet back in the cache
	// (node → range), so the next node does not get the same one.
	mu    sync.Mutex
	given map[string]netip.Prefix
}

func (c *controller) forget(node string) {
	c.mu.Lock()
	delete(c.given, node)
	c.mu.Unlock()
}

// sync gives node name a range if it has none.
func (c *controller) sync(ctx context.Context, name string) error {
	node, ok := c.nodes.Get(name)
	if !ok || node.Spec.PodCIDR != "" {
		return nil // gone, or has one
	}
	c.mu.Lock()
	cidr, ok := c.given[name]
	c.mu.Unlock()
	if !ok {
		var err error
		if cidr, err = Allocate(c.cluster, NodeMaskSize, c.used()); err != nil {
			c.recorder.Eventf(node, api.EventTypeWarning, "CIDRNotAvailable", "node %s: %v", name, err)
			return err
		}
	}
	patch, _ := json.Marshal(map[string]any{"spec": map[string]string{"podCIDR": cidr.String()}})
	if _, err := c.client.Nodes().Patch(ctx, name, patch); err != nil {
		if client.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("give node %q the pod range %s: %w", name, cidr, err)
	}
	c.mu.Lock()
	c.given[name] = cidr
	c.mu.Unlock()
	slog.Info("gave a node its pod range", "node", name, "podCIDR", cidr)
	c.recorder.Eventf(node, api.EventTypeNormal, "CIDRAssignmentSucceeded", "Node %s was given pod range %s", name, cidr)
	return nil
}

// used returns the ranges the nodes hold, in the cache or just given.
func (c *controller) used() []netip.Prefix {
	var used []netip.Prefix
	for _, n := range c.nodes.List(api.Everything()) {
		if p, err := netip.ParsePrefix(n.Spec.PodCIDR); err == nil {
			used = append(used, p)
		}
	}
	c.mu.Lock()
	for _, p := range c.given {
		used = append(used, p)
	}
	c.mu.Unlock()
	return used
}
