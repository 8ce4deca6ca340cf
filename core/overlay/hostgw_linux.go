package overlay

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink"

	"github.com/podlab/podlab/core/network"
)

// The host-gw backend, as flannel's (pkg/backend/hostgw): no device and
// no encapsulation. A packet for 10.244.2.7 on node1 goes:
//
//	route    10.244.2.0/24 via 172.30.0.12 dev eth0
//	→ out of eth0 as it is, to node2's MAC; node2 routes it to its bridge.
//
// The next hop of a route must be on the same link, so every node must be
// on one L2 segment: a peer behind a router cannot be reached this way.
// Packets keep their full size: the MTU is the underlay's.

type hostGWNetwork struct {
	cfg Config
	nl  *netlink.Handle

	mu  sync.Mutex
	ext netlink.Link
}

func newHostGW(cfg Config) (Network, error) {
	nl, err := network.HandleAt(cfg.NetNS)
	if err != nil {
		return nil, err
	}
	n := &hostGWNetwork{cfg: cfg, nl: nl}
	// A node that ran vxlan before: its device and its routes go.
	if err := deleteVXLAN(nl); err != nil {
		nl.Close()
		return nil, err
	}
	if n.ext, err = externalInterface(nl, cfg.PublicIP); err != nil {
		nl.Close()
		return nil, err
	}
	return n, nil
}

func (n *hostGWNetwork) Lease() Lease {
	return Lease{Node: n.cfg.Node, Subnet: n.cfg.Subnet, PublicIP: n.cfg.PublicIP, BackendType: HostGW}
}

func (n *hostGWNetwork) MTU() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ext.Attrs().MTU
}

// Sync routes every peer's subnet to the peer's IP, and removes the
// routes of nodes that left. It refuses peers that are not on this
// node's L2 segment, naming them.
func (n *hostGWNetwork) Sync(leases []Lease) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	ext, err := externalInterface(n.nl, n.cfg.PublicIP)
	if err != nil {
		return err
	}
	n.ext = ext
	peers := peersOf(leases, n.Lease(), n.cfg.Network)
	var errs []error
	var routed []Lease
	for _, p := range peers {
		if err := n.checkOnLink(p); err != nil {
			errs = append(errs, err)
			continue
		}
		r := &netlink.Route{LinkIndex: ext.Attrs().Index, Dst: network.IPNet(p.Subnet), Gw: p.PublicIP.AsSlice()}
		if err := n.nl.RouteReplace(r); err != nil {
			errs = append(errs, fmt.Errorf("peer %s: add route %s via %s dev %q: %w", p.Node, p.Subnet, p.PublicIP, ext.Attrs().Name, err))
			continue
		}
		routed = append(routed, p)
	}
	errs = append(errs, removeRoutes(n.nl, n.cfg.Network, func(r netlink.Route, dst netip.Prefix) bool {
		if r.Gw == nil || dst == n.cfg.Subnet {
			return false
		}
		for _, p := range routed {
			if p.Subnet == dst && r.LinkIndex == ext.Attrs().Index && r.Gw.Equal(p.PublicIP.AsSlice()) {
				return false
			}
		}
		return true
	}))
	return errors.Join(errs...)
}

// checkOnLink says whether the kernel reaches peer p directly, without a
// gateway, through the external interface: on the same L2 segment.
func (n *hostGWNetwork) checkOnLink(p Lease) error {
	routes, err := n.nl.RouteGet(p.PublicIP.AsSlice())
	if err != nil {
		return fmt.Errorf("peer %s: find the route to %s: %w", p.Node, p.PublicIP, err)
	}
	for _, r := range routes {
		if r.Gw != nil || r.LinkIndex != n.ext.Attrs().Index {
			return fmt.Errorf("host-gw needs every node on one L2 segment, but node %s (%s) is reached through the gateway %v, not directly on %q: use --backend vxlan",
				p.Node, p.PublicIP, r.Gw, n.ext.Attrs().Name)
		}
	}
	return nil
}

// Delete removes the routes to the other nodes' subnets.
func (n *hostGWNetwork) Delete() error {
	defer n.nl.Close()
	return deleteHostGWRoutes(n.nl, n.cfg.Network)
}

// deleteHostGWRoutes deletes every route into network with a gateway:
// what host-gw adds (the bridge's own route to its subnet has none).
func deleteHostGWRoutes(nl *netlink.Handle, network netip.Prefix) error {
	return removeRoutes(nl, network, isHostGWRoute)
}

// isHostGWRoute tells a host-gw route: into the pod network, with a
// gateway that is no vxlan peer's onlink one.
func isHostGWRoute(r netlink.Route, _ netip.Prefix) bool {
	return r.Gw != nil && r.Flags&int(netlink.FLAG_ONLINK) == 0
}
