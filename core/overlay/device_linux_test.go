package overlay

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/vishvananda/netlink"
)

func TestReadDevice(t *testing.T) {
	twoNodes(t)
	if _, err := ReadDevice(nodeA.path()); err == nil {
		t.Error("ReadDevice before the vxlan backend made flannel.1: no error")
	}
	a, b := mustNew(t, nodeA.config(VXLAN)), mustNew(t, nodeB.config(VXLAN))
	la, lb := a.Lease(), b.Lease()
	if err := a.Sync([]Lease{la, lb}); err != nil {
		t.Fatal(err)
	}
	d, err := ReadDevice(nodeA.path())
	if err != nil {
		t.Fatal(err)
	}
	if d.Link.VxlanId != 1 || d.Link.HardwareAddr.String() != la.VtepMAC.String() || d.Underlay.Attrs().Name != "eth0" {
		t.Errorf("flannel.1: VNI %d, MAC %v, underlay %q; want 1, %v, eth0", d.Link.VxlanId, d.Link.HardwareAddr, d.Underlay.Attrs().Name, la.VtepMAC)
	}
	if want := []netip.Prefix{netip.MustParsePrefix("10.250.1.0/32")}; !slices.Equal(d.Addrs, want) {
		t.Errorf("addresses %v, want %v", d.Addrs, want)
	}
	// b's entries: its .0 → its MAC, its MAC → its node IP, its subnet via its .0.
	hasNeigh := slices.ContainsFunc(d.Neighs, func(n netlink.Neigh) bool {
		return n.IP.String() == "10.250.2.0" && n.HardwareAddr.String() == lb.VtepMAC.String()
	})
	hasFDB := slices.ContainsFunc(d.FDB, func(n netlink.Neigh) bool {
		return n.IP.String() == "172.30.9.2" && n.HardwareAddr.String() == lb.VtepMAC.String()
	})
	hasRoute := slices.ContainsFunc(d.Routes, func(r netlink.Route) bool {
		return r.Dst != nil && r.Dst.String() == "10.250.2.0/24" && r.Gw.String() == "10.250.2.0"
	})
	if !hasNeigh || !hasFDB || !hasRoute {
		t.Errorf("b's entries on a: neighbour %v, FDB %v, route %v\n neighs %v\n fdb %v\n routes %v", hasNeigh, hasFDB, hasRoute, d.Neighs, d.FDB, d.Routes)
	}
}
