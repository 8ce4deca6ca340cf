package overlay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

// The kube subnet manager: leases live on the Nodes, in the API (so in
// etcd, under /registry/nodes/<node>). A node's subnet is its
// spec.podCIDR, which the node IPAM controller gave it; the rest of its
// lease is in annotations, flannel's own names:
//
//	flannel.alpha.coreos.com/backend-type: vxlan
//	flannel.alpha.coreos.com/backend-data: {"VNI":1,"VtepMAC":"0e:6c:2a:91:5b:0d"}
//	flannel.alpha.coreos.com/public-ip: 172.30.0.11
//	flannel.alpha.coreos.com/kube-subnet-manager: "true"
const (
	AnnotationBackendType      = "flannel.alpha.coreos.com/backend-type"
	AnnotationBackendData      = "flannel.alpha.coreos.com/backend-data"
	AnnotationPublicIP         = "flannel.alpha.coreos.com/public-ip"
	AnnotationKubeSubnetManage = "flannel.alpha.coreos.com/kube-subnet-manager"
)

// backendData is the vxlan backend's part of a lease, as flannel writes it.
type backendData struct {
	VNI     int    `json:"VNI"`
	VtepMAC string `json:"VtepMAC"`
}

// LeaseOf reads the lease of node n; ok is false until the node has a
// podCIDR and its podlet has published the rest.
func LeaseOf(n *api.Node) (l Lease, ok bool) {
	a := n.Annotations
	subnet, err := netip.ParsePrefix(n.Spec.PodCIDR)
	if err != nil || a[AnnotationBackendType] == "" {
		return l, false
	}
	ip, err := netip.ParseAddr(a[AnnotationPublicIP])
	if err != nil {
		return l, false
	}
	l = Lease{Node: n.Name, Subnet: subnet, PublicIP: ip, BackendType: a[AnnotationBackendType]}
	if l.BackendType == VXLAN {
		var d backendData
		if json.Unmarshal([]byte(a[AnnotationBackendData]), &d) != nil {
			return l, false
		}
		if l.VtepMAC, err = net.ParseMAC(d.VtepMAC); err != nil {
			return l, false
		}
	}
	return l, true
}

// annotations are the annotations that publish lease l.
func (l Lease) annotations() map[string]string {
	data := "null" // host-gw has no backend data: flannel writes null
	if l.BackendType == VXLAN {
		b, _ := json.Marshal(backendData{VNI: vxlanVNI, VtepMAC: l.VtepMAC.String()})
		data = string(b)
	}
	return map[string]string{
		AnnotationBackendType:      l.BackendType,
		AnnotationBackendData:      data,
		AnnotationPublicIP:         l.PublicIP.String(),
		AnnotationKubeSubnetManage: "true",
	}
}

// Publish writes lease l on its Node, with a merge patch of the
// annotations (nothing else of the Node changes), and returns the Node's
// new resourceVersion.
func Publish(ctx context.Context, nodes *client.Resource[*api.Node], l Lease) (string, error) {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": l.annotations()}})
	if err != nil {
		return "", err
	}
	n, err := nodes.Patch(ctx, l.Node, patch)
	if err != nil {
		return "", fmt.Errorf("publish the lease of node %q: %w", l.Node, err)
	}
	return n.ResourceVersion, nil
}

// resyncPeriod is how often Run syncs even when no Node changed: what it
// did not hear of (a route deleted by hand) is back within that time.
const resyncPeriod = 2 * time.Second

// Run publishes the Network's lease and keeps the kernel in step with
// every other node's, until ctx is done: each change of a Node, and every
// resyncPeriod, calls Sync with the leases of all Nodes. A failed sync or
// publish is logged and tried again at the next one.
func Run(ctx context.Context, c *client.Client, nw Network, log *slog.Logger) {
	var published Lease // nothing yet
	nodes := client.NewInformer(c.Nodes(), client.ListOptions{}, 0)
	changed := make(chan struct{}, 1)
	poke := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	nodes.AddHandler(client.Handler[*api.Node]{
		OnAdd:    func(*api.Node) { poke() },
		OnUpdate: func(_, _ *api.Node) { poke() },
		OnDelete: func(*api.Node) { poke() },
	})
	go nodes.Run(ctx)
	if !client.WaitForSync(ctx, nodes) {
		return
	}
	tick := time.NewTicker(resyncPeriod)
	defer tick.Stop()
	// A backend that watches its device (vxlan) says when it changed.
	var device <-chan struct{}
	if w, ok := nw.(interface {
		deviceChanges(context.Context) <-chan struct{}
	}); ok {
		device = w.deviceChanges(ctx)
	}
	var lastErr string
	var publishedRV uint64 // of our Node after the last publish
	for {
		var leases []Lease
		var mine *Lease // our lease as the cache has it, once it has our publish
		for _, n := range nodes.List(api.Everything()) {
			l, ok := LeaseOf(n)
			if ok {
				leases = append(leases, l)
			}
			if rv, _ := strconv.ParseUint(n.ResourceVersion, 10, 64); n.Name == published.Node && rv >= publishedRV {
				mine = &l
			}
		}
		err := nw.Sync(leases)
		// The first time; or the device was made again with another MAC,
		// or someone edited our Node's annotations: publish the lease as
		// it is now.
		if self := nw.Lease(); !sameLease(self, published) || (mine != nil && !sameLease(*mine, self)) {
			if rv, perr := Publish(ctx, c.Nodes(), self); perr == nil {
				log.Info("overlay: published the lease", "lease", self.String(), "mtu", nw.MTU())
				published = self
				publishedRV, _ = strconv.ParseUint(rv, 10, 64)
			} else if ctx.Err() == nil {
				err = errors.Join(err, perr)
			}
		}
		if err != nil && ctx.Err() == nil {
			if err.Error() != lastErr {
				log.Error("overlay: sync failed; trying again", "err", err)
			}
			lastErr = err.Error()
		} else if err == nil && lastErr != "" {
			log.Info("overlay: in sync again")
			lastErr = ""
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-device:
		case <-tick.C:
		}
	}
}

func sameLease(a, b Lease) bool {
	return a.Node == b.Node && a.Subnet == b.Subnet && a.PublicIP == b.PublicIP && a.BackendType == b.BackendType &&
		a.VtepMAC.String() == b.VtepMAC.String()
}
