package overlay

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/network"
)

// vxlanNetwork is the vxlan backend, as vxlan.go draws it.
type vxlanNetwork struct {
	cfg Config
	nl  *netlink.Handle

	mu    sync.Mutex
	ext   netlink.Link // the underlay interface, holding cfg.PublicIP
	mtu   int
	mac   net.HardwareAddr // of flannel.1, as the kernel has it
	peers map[string]Lease // what the last Sync programmed, by node
}

func newVXLAN(cfg Config) (Network, error) {
	nl, err := network.HandleAt(cfg.NetNS)
	if err != nil {
		return nil, err
	}
	n := &vxlanNetwork{cfg: cfg, nl: nl, mac: cfg.VtepMAC}
	if err := deleteHostGWRoutes(nl, cfg.Network); err != nil {
		nl.Close()
		return nil, err
	}
	if err := n.ensureDevice(); err != nil {
		nl.Close()
		return nil, err
	}
	return n, nil
}

func (n *vxlanNetwork) Lease() Lease {
	n.mu.Lock()
	defer n.mu.Unlock()
	return Lease{Node: n.cfg.Node, Subnet: n.cfg.Subnet, PublicIP: n.cfg.PublicIP, BackendType: VXLAN,
		VtepMAC: n.mac}
}

func (n *vxlanNetwork) MTU() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.mtu
}

// ensureDevice makes flannel.1 exist as the config says, up, with its
// address: the lease's network address as /32 (10.244.1.0/32), the source
// of the node's own packets to other nodes' pods.
func (n *vxlanNetwork) ensureDevice() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	ext, err := externalInterface(n.nl, n.cfg.PublicIP)
	if err != nil {
		return err
	}
	n.ext, n.mtu = ext, ext.Attrs().MTU-vxlanOverhead
	if n.mac == nil { // no MAC announced before: keep the device's, if it has one
		if l, err := n.nl.LinkByName(vxlanDevice); err == nil && l.Type() == "vxlan" {
			n.mac = l.Attrs().HardwareAddr
		}
	}
	if n.mac == nil {
		if n.mac, err = randomMAC(); err != nil {
			return err
		}
	}
	want := &netlink.Vxlan{
		LinkAttrs:    netlink.LinkAttrs{Name: vxlanDevice, MTU: n.mtu, HardwareAddr: n.mac},
		VxlanId:      vxlanVNI,
		VtepDevIndex: ext.Attrs().Index,
		SrcAddr:      n.cfg.PublicIP.AsSlice(),
		Port:         vxlanPort,
		Learning:     false,
	}
	dev, err := ensureVXLAN(n.nl, want)
	if err != nil {
		return err
	}
	addr := netip.PrefixFrom(n.cfg.Subnet.Addr(), 32)
	if err := ensureOnlyAddr(n.nl, dev, addr); err != nil {
		return err
	}
	if err := n.nl.LinkSetUp(dev); err != nil {
		return fmt.Errorf("set %q up: %w", vxlanDevice, err)
	}
	// udev's MACAddressPolicy may change the MAC as the link comes up
	// (flannel issue #1795): the lease must carry the MAC really in use.
	mac, err := verifyMAC(n.nl, n.mac)
	if err != nil {
		return err
	}
	n.mac = mac
	return nil
}

// ensureVXLAN makes the device of want exist: an existing one with
// another VNI, port, source or underlay interface is deleted and made
// again (flannel's vxlanLinksIncompat); a wrong MTU is just set.
func ensureVXLAN(nl *netlink.Handle, want *netlink.Vxlan) (*netlink.Vxlan, error) {
	old, err := nl.LinkByName(want.Name)
	switch {
	case err == nil:
		have, ok := old.(*netlink.Vxlan)
		if ok && have.VxlanId == want.VxlanId && have.Port == want.Port && have.VtepDevIndex == want.VtepDevIndex &&
			have.SrcAddr.Equal(want.SrcAddr) && !have.Learning {
			if have.MTU != want.MTU {
				if err := nl.LinkSetMTU(have, want.MTU); err != nil {
					return nil, fmt.Errorf("set MTU %d on %q: %w", want.MTU, want.Name, err)
				}
			}
			return have, nil
		}
		if err := nl.LinkDel(old); err != nil {
			return nil, fmt.Errorf("delete %q, which has another configuration: %w", want.Name, err)
		}
	case !network.IsLinkNotFound(err):
		return nil, fmt.Errorf("find %q: %w", want.Name, err)
	}
	if err := nl.LinkAdd(want); err != nil {
		return nil, fmt.Errorf("create vxlan device %q (VNI %d, port %d): %w", want.Name, want.VxlanId, want.Port, err)
	}
	// Re-fetch: the kernel fills in the index.
	link, err := nl.LinkByName(want.Name)
	if err != nil {
		return nil, fmt.Errorf("find %q: %w", want.Name, err)
	}
	dev, ok := link.(*netlink.Vxlan)
	if !ok {
		return nil, fmt.Errorf("%q is a %s, not a vxlan device", want.Name, link.Type())
	}
	return dev, nil
}

// verifyMAC reads flannel.1's MAC back, sets it again once if it is not
// mac, and returns the MAC in use.
func verifyMAC(nl *netlink.Handle, mac net.HardwareAddr) (net.HardwareAddr, error) {
	for range 2 {
		link, err := nl.LinkByName(vxlanDevice)
		if err != nil {
			return nil, fmt.Errorf("find %q: %w", vxlanDevice, err)
		}
		if link.Attrs().HardwareAddr.String() == mac.String() {
			return mac, nil
		}
		if err := nl.LinkSetHardwareAddr(link, mac); err != nil {
			return nil, fmt.Errorf("set MAC %s on %q: %w", mac, vxlanDevice, err)
		}
	}
	return nil, fmt.Errorf("%q does not keep MAC %s: does udev's MACAddressPolicy change it?", vxlanDevice, mac)
}

// Sync programs every peer: neighbour, FDB entry and route, in that
// order, so that the kernel never asks ARP for a gateway it cannot reach.
// NeighSet and RouteReplace replace what is there: syncing twice is
// harmless. Entries of nodes that are no longer peers go, route first.
func (n *vxlanNetwork) Sync(leases []Lease) error {
	if err := n.ensureDevice(); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	dev, err := n.nl.LinkByName(vxlanDevice)
	if err != nil {
		return fmt.Errorf("find %q: %w", vxlanDevice, err)
	}
	idx := dev.Attrs().Index
	self := Lease{Node: n.cfg.Node, Subnet: n.cfg.Subnet, BackendType: VXLAN}
	peers := peersOf(leases, self, n.cfg.Network)
	var errs []error
	for _, p := range peers {
		errs = append(errs, n.addPeer(idx, p))
	}
	errs = append(errs, n.removeOthers(idx, peers))
	n.peers = map[string]Lease{}
	for _, p := range peers {
		n.peers[p.Node] = p
	}
	return errors.Join(errs...)
}

// The three entries of peer p, as netlink objects.
func vxlanNeigh(idx int, p Lease) *netlink.Neigh {
	return &netlink.Neigh{LinkIndex: idx, Family: unix.AF_INET, State: netlink.NUD_PERMANENT, Type: unix.RTN_UNICAST,
		IP: p.Subnet.Addr().AsSlice(), HardwareAddr: p.VtepMAC}
}

func vxlanFDB(idx int, p Lease) *netlink.Neigh {
	return &netlink.Neigh{LinkIndex: idx, Family: unix.AF_BRIDGE, State: netlink.NUD_PERMANENT, Flags: netlink.NTF_SELF,
		IP: p.PublicIP.AsSlice(), HardwareAddr: p.VtepMAC}
}

func vxlanRoute(idx int, p Lease) *netlink.Route {
	r := &netlink.Route{LinkIndex: idx, Scope: netlink.SCOPE_UNIVERSE, Dst: network.IPNet(p.Subnet), Gw: p.Subnet.Addr().AsSlice()}
	r.SetFlag(netlink.FLAG_ONLINK)
	return r
}

// addPeer adds the entries of peer p; if one fails, it takes back the
// ones before it.
func (n *vxlanNetwork) addPeer(idx int, p Lease) error {
	neigh, fdb, route := vxlanNeigh(idx, p), vxlanFDB(idx, p), vxlanRoute(idx, p)
	if err := n.nl.NeighSet(neigh); err != nil {
		return fmt.Errorf("peer %s: add neighbour %s → %s on %q: %w", p.Node, p.Subnet.Addr(), p.VtepMAC, vxlanDevice, err)
	}
	if err := n.nl.NeighSet(fdb); err != nil {
		_ = n.nl.NeighDel(neigh)
		return fmt.Errorf("peer %s: add FDB entry %s → %s on %q: %w", p.Node, p.VtepMAC, p.PublicIP, vxlanDevice, err)
	}
	if err := n.nl.RouteReplace(route); err != nil {
		_ = n.nl.NeighDel(fdb)
		_ = n.nl.NeighDel(neigh)
		return fmt.Errorf("peer %s: add route %s via %s on %q: %w", p.Node, p.Subnet, p.Subnet.Addr(), vxlanDevice, err)
	}
	return nil
}

// removeOthers deletes the routes, FDB entries and neighbours on
// flannel.1 that belong to no peer: those of nodes that left, or that
// changed their MAC or IP.
func (n *vxlanNetwork) removeOthers(idx int, peers []Lease) error {
	subnets := map[netip.Prefix]bool{}
	neighs := map[string]bool{} // ip|mac
	fdbs := map[string]bool{}   // mac|ip
	for _, p := range peers {
		subnets[p.Subnet] = true
		neighs[p.Subnet.Addr().String()+"|"+p.VtepMAC.String()] = true
		fdbs[p.VtepMAC.String()+"|"+p.PublicIP.String()] = true
	}
	var errs []error
	routes, err := network.RetryDump(func() ([]netlink.Route, error) {
		return n.nl.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{LinkIndex: idx}, netlink.RT_FILTER_OIF)
	})
	errs = append(errs, err)
	for _, r := range routes {
		if dst, ok := network.PrefixOf(r.Dst); ok && n.cfg.Network.Contains(dst.Addr()) && !subnets[dst] {
			errs = append(errs, ignoreGone(n.nl.RouteDel(&r)))
		}
	}
	for _, family := range []int{unix.AF_BRIDGE, unix.AF_INET} {
		entries, err := network.RetryDump(func() ([]netlink.Neigh, error) { return n.nl.NeighList(idx, family) })
		errs = append(errs, err)
		for _, e := range entries {
			if e.IP == nil || e.HardwareAddr == nil || e.State&netlink.NUD_PERMANENT == 0 {
				continue
			}
			ip, _ := netip.AddrFromSlice(e.IP)
			keep := fdbs[e.HardwareAddr.String()+"|"+ip.Unmap().String()]
			if family == unix.AF_INET {
				keep = neighs[ip.Unmap().String()+"|"+e.HardwareAddr.String()]
			}
			if !keep {
				errs = append(errs, ignoreGone(n.nl.NeighDel(&e)))
			}
		}
	}
	return errors.Join(errs...)
}

// Delete removes flannel.1; its neighbours, FDB entries and routes go
// with it.
func (n *vxlanNetwork) Delete() error {
	defer n.nl.Close()
	return deleteVXLAN(n.nl)
}

func deleteVXLAN(nl *netlink.Handle) error {
	link, err := nl.LinkByName(vxlanDevice)
	if network.IsLinkNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find %q: %w", vxlanDevice, err)
	}
	if _, ok := link.(*netlink.Vxlan); !ok {
		return nil // not ours
	}
	if err := nl.LinkDel(link); err != nil && !network.IsLinkNotFound(err) {
		return fmt.Errorf("delete %q: %w", vxlanDevice, err)
	}
	return nil
}

// randomMAC is a random unicast, locally administered MAC, as the
// kernel's eth_random_addr.
func randomMAC() (net.HardwareAddr, error) {
	mac := make(net.HardwareAddr, 6)
	if _, err := rand.Read(mac); err != nil {
		return nil, err
	}
	mac[0] = mac[0]&0xfe | 0x02
	return mac, nil
}

// deviceChanges tells, until ctx ends, of every change to flannel.1 (or
// to the underlay interface under it) that netlink announces, so that Run
// makes a deleted device again at once rather than at its next resync:
// flannel subscribes to netlink the same way. nil if the subscription
// cannot be made (the resync still does the job).
func (n *vxlanNetwork) deviceChanges(ctx context.Context) <-chan struct{} {
	var opts netlink.LinkSubscribeOptions
	if n.cfg.NetNS != "" {
		fd, err := netns.GetFromPath(n.cfg.NetNS)
		if err != nil {
			return nil
		}
		defer fd.Close()
		opts.Namespace = &fd
	}
	updates := make(chan netlink.LinkUpdate, 16)
	if err := netlink.LinkSubscribeWithOptions(updates, ctx.Done(), opts); err != nil {
		return nil
	}
	changed := make(chan struct{}, 1)
	go func() {
		for u := range updates { // closed when ctx ends
			n.mu.Lock()
			ext := ""
			if n.ext != nil {
				ext = n.ext.Attrs().Name
			}
			n.mu.Unlock()
			if name := u.Link.Attrs().Name; name == vxlanDevice || name == ext {
				select {
				case changed <- struct{}{}:
				default:
				}
			}
		}
	}()
	return changed
}
