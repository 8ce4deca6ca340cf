package overlay

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/network"
)

// Device is the vxlan backend's device as a node's kernel holds it, with
// what the backend programmed on it: what `ip -d link show flannel.1`,
// `ip addr`, `ip neigh`, `bridge fdb` and `ip route` show of it. Labs and
// checks read it to compare the kernel with the leases.
type Device struct {
	Link     *netlink.Vxlan  // flannel.1: VNI, port, learning, local IP, VTEP MAC, MTU
	Underlay netlink.Link    // the interface its packets leave by (eth0)
	Addrs    []netip.Prefix  // its IPv4 addresses: <subnet>.0/32
	Neighs   []netlink.Neigh // AF_INET: each peer's <subnet>.0 → its VTEP MAC
	FDB      []netlink.Neigh // AF_BRIDGE: each peer's VTEP MAC → its public IP
	Routes   []netlink.Route // each peer's subnet via <subnet>.0, onlink
}

// ReadDevice reads flannel.1 and its entries in the network namespace at
// netnsPath ("" is the caller's), e.g. /run/netns/podlab-node1.
func ReadDevice(netnsPath string) (*Device, error) {
	h, err := network.HandleAt(netnsPath)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	link, err := h.LinkByName(vxlanDevice)
	if err != nil {
		return nil, fmt.Errorf("find %q in %q: %w", vxlanDevice, netnsPath, err)
	}
	d := &Device{}
	var ok bool
	if d.Link, ok = link.(*netlink.Vxlan); !ok {
		return nil, fmt.Errorf("%q in %q is a %s, not a vxlan device", vxlanDevice, netnsPath, link.Type())
	}
	if d.Underlay, err = h.LinkByIndex(d.Link.VtepDevIndex); err != nil {
		return nil, fmt.Errorf("find the underlay interface of %q in %q: %w", vxlanDevice, netnsPath, err)
	}
	addrs, err := network.RetryDump(func() ([]netlink.Addr, error) { return h.AddrList(link, netlink.FAMILY_V4) })
	if err != nil {
		return nil, fmt.Errorf("list the addresses of %q in %q: %w", vxlanDevice, netnsPath, err)
	}
	for _, a := range addrs {
		if p, ok := network.PrefixOf(a.IPNet); ok {
			d.Addrs = append(d.Addrs, p)
		}
	}
	idx := link.Attrs().Index
	if d.Neighs, err = network.RetryDump(func() ([]netlink.Neigh, error) { return h.NeighList(idx, unix.AF_INET) }); err != nil {
		return nil, fmt.Errorf("list the neighbours on %q in %q: %w", vxlanDevice, netnsPath, err)
	}
	if d.FDB, err = network.RetryDump(func() ([]netlink.Neigh, error) { return h.NeighList(idx, unix.AF_BRIDGE) }); err != nil {
		return nil, fmt.Errorf("list the FDB entries on %q in %q: %w", vxlanDevice, netnsPath, err)
	}
	if d.Routes, err = network.RetryDump(func() ([]netlink.Route, error) { return h.RouteList(link, netlink.FAMILY_V4) }); err != nil {
		return nil, fmt.Errorf("list the routes on %q in %q: %w", vxlanDevice, netnsPath, err)
	}
	return d, nil
}
