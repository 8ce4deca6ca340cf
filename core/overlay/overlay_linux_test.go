package overlay

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/network"
)

// network.Ping joins namespaces on throw-away threads: the main
// goroutine keeps the main thread (IMPLEMENTATION.md §1.4).
func init() { runtime.LockOSThread() }

// Two "nodes" of the test: network namespaces joined by a veth pair, an
// underlay of two addresses, and a pod subnet each. No pods: a node
// pings the other's overlay address (its subnet's .0 on flannel.1).
type testNode struct {
	name, ns string
	ip       netip.Addr
	subnet   netip.Prefix
}

var (
	nodeA = testNode{"a", "podlabovl-a", netip.MustParseAddr("172.30.9.1"), netip.MustParsePrefix("10.250.1.0/24")}
	nodeB = testNode{"b", "podlabovl-b", netip.MustParseAddr("172.30.9.2"), netip.MustParsePrefix("10.250.2.0/24")}
	pods  = netip.MustParsePrefix("10.250.0.0/16")
)

func (n testNode) path() string { return "/run/netns/" + n.ns }

func (n testNode) config(backend string) Config {
	return Config{Backend: backend, Node: n.name, Subnet: n.subnet, Network: pods, PublicIP: n.ip, NetNS: n.path()}
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// twoNodes makes nodes a and b, and removes them when the test ends.
func twoNodes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("makes network namespaces and links: needs root")
	}
	for _, n := range []testNode{nodeA, nodeB} {
		if _, err := os.Stat(n.path()); err == nil {
			t.Fatalf("%s exists: a test left it? delete it with ip netns del %s", n.path(), n.ns)
		}
	}
	t.Cleanup(func() {
		for _, n := range []testNode{nodeA, nodeB} {
			exec.Command("ip", "netns", "del", n.ns).Run()
		}
	})
	ipCmd(t, "netns", "add", nodeA.ns)
	ipCmd(t, "netns", "add", nodeB.ns)
	ipCmd(t, "-n", nodeA.ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", nodeB.ns)
	for _, n := range []testNode{nodeA, nodeB} {
		ipCmd(t, "-n", n.ns, "addr", "add", n.ip.String()+"/24", "dev", "eth0")
		ipCmd(t, "-n", n.ns, "link", "set", "eth0", "up")
		ipCmd(t, "-n", n.ns, "link", "set", "lo", "up")
	}
}

func mustNew(t *testing.T, cfg Config) Network {
	t.Helper()
	nw, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return nw
}

// entries lists what node n has on flannel.1, as ip and bridge show it.
func entries(t *testing.T, n testNode) (neighs, fdbs, routes []string) {
	t.Helper()
	h, err := network.HandleAt(n.path())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	link, err := h.LinkByName(VXLANDevice)
	if err != nil {
		return nil, nil, nil
	}
	for _, family := range []int{unix.AF_INET, unix.AF_BRIDGE} {
		list, _ := h.NeighList(link.Attrs().Index, family)
		for _, e := range list {
			if e.State&netlink.NUD_PERMANENT == 0 || e.IP == nil {
				continue
			}
			if family == unix.AF_INET {
				neighs = append(neighs, e.IP.String()+" lladdr "+e.HardwareAddr.String())
			} else {
				fdbs = append(fdbs, e.HardwareAddr.String()+" dst "+e.IP.String())
			}
		}
	}
	list, _ := h.RouteList(link, netlink.FAMILY_V4)
	for _, r := range list {
		if r.Dst != nil {
			routes = append(routes, r.Dst.String()+" via "+r.Gw.String()+" onlink="+itoa(r.Flags&int(netlink.FLAG_ONLINK) != 0))
		}
	}
	return neighs, fdbs, routes
}

func itoa(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func TestVXLAN(t *testing.T) {
	twoNodes(t)
	a, b := mustNew(t, nodeA.config(VXLAN)), mustNew(t, nodeB.config(VXLAN))
	la, lb := a.Lease(), b.Lease()
	if a.MTU() != 1450 || len(la.VtepMAC) != 6 || la.VtepMAC[0]&2 == 0 {
		t.Errorf("a: MTU %d, MAC %v: want 1450 and a locally administered MAC", a.MTU(), la.VtepMAC)
	}
	h, _ := network.HandleAt(nodeA.path())
	defer h.Close()
	link, err := h.LinkByName(VXLANDevice)
	if err != nil {
		t.Fatal(err)
	}
	vx := link.(*netlink.Vxlan)
	if vx.VxlanId != 1 || vx.Port != 8472 || vx.Learning || !vx.SrcAddr.Equal(nodeA.ip.AsSlice()) || vx.MTU != 1450 ||
		vx.HardwareAddr.String() != la.VtepMAC.String() || vx.Flags&net.FlagUp == 0 {
		t.Errorf("flannel.1: %+v", vx)
	}
	addrs, _ := h.AddrList(link, netlink.FAMILY_V4)
	if len(addrs) != 1 || addrs[0].IPNet.String() != "10.250.1.0/32" {
		t.Errorf("flannel.1 addresses %v, want 10.250.1.0/32 alone", addrs)
	}

	for range 2 { // twice: the second changes nothing
		if err := a.Sync([]Lease{la, lb}); err != nil {
			t.Fatal(err)
		}
		if err := b.Sync([]Lease{la, lb}); err != nil {
			t.Fatal(err)
		}
	}
	neighs, fdbs, routes := entries(t, nodeA)
	want := [3]string{"10.250.2.0 lladdr " + lb.VtepMAC.String(), lb.VtepMAC.String() + " dst 172.30.9.2", "10.250.2.0/24 via 10.250.2.0 onlink=yes"}
	if strings.Join(neighs, ",") != want[0] || strings.Join(fdbs, ",") != want[1] || strings.Join(routes, ",") != want[2] {
		t.Errorf("a's entries for b:\n neigh %v\n fdb   %v\n route %v\nwant %q", neighs, fdbs, routes, want)
	}
	// Through the tunnel: a's overlay address to b's.
	if err := network.Ping(nodeA.path(), net.ParseIP("10.250.2.0"), 2*time.Second); err != nil {
		t.Errorf("a → b over vxlan: %v", err)
	}

	// flannel.1 deleted by hand: the next sync makes it again, same MAC.
	if err := h.LinkDel(link); err != nil {
		t.Fatal(err)
	}
	if err := a.Sync([]Lease{la, lb}); err != nil {
		t.Fatal(err)
	}
	if a.Lease().VtepMAC.String() != la.VtepMAC.String() {
		t.Errorf("MAC after the device came back: %v, was %v", a.Lease().VtepMAC, la.VtepMAC)
	}
	if err := network.Ping(nodeA.path(), net.ParseIP("10.250.2.0"), 2*time.Second); err != nil {
		t.Errorf("a → b after flannel.1 came back: %v", err)
	}

	// b leaves: a forgets it, route first.
	if err := a.Sync([]Lease{la}); err != nil {
		t.Fatal(err)
	}
	if n, f, r := entries(t, nodeA); len(n)+len(f)+len(r) > 0 {
		t.Errorf("a still has entries for b: %v %v %v", n, f, r)
	}

	// A device someone else made, with another VNI: made again.
	if err := h.LinkDel(mustLink(t, h, VXLANDevice)); err != nil {
		t.Fatal(err)
	}
	ipCmd(t, "-n", nodeA.ns, "link", "add", VXLANDevice, "type", "vxlan", "id", "42", "dstport", "4789", "dev", "eth0")
	a2 := mustNew(t, Config{Backend: VXLAN, Node: "a", Subnet: nodeA.subnet, Network: pods, PublicIP: nodeA.ip, NetNS: nodeA.path(), VtepMAC: la.VtepMAC})
	if vx := mustLink(t, h, VXLANDevice).(*netlink.Vxlan); vx.VxlanId != 1 || vx.Port != 8472 || vx.HardwareAddr.String() != la.VtepMAC.String() {
		t.Errorf("an incompatible flannel.1 was not made again: VNI %d, port %d, MAC %v", vx.VxlanId, vx.Port, vx.HardwareAddr)
	}
	if err := a2.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.LinkByName(VXLANDevice); !network.IsLinkNotFound(err) {
		t.Errorf("flannel.1 after Delete: %v", err)
	}
}

func mustLink(t *testing.T, h *netlink.Handle, name string) netlink.Link {
	t.Helper()
	l, err := h.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestHostGW(t *testing.T) {
	twoNodes(t)
	// a ran vxlan before: host-gw takes its device away.
	mustNew(t, nodeA.config(VXLAN))
	a, b := mustNew(t, nodeA.config(HostGW)), mustNew(t, nodeB.config(HostGW))
	h, _ := network.HandleAt(nodeA.path())
	defer h.Close()
	if _, err := h.LinkByName(VXLANDevice); !network.IsLinkNotFound(err) {
		t.Errorf("flannel.1 is still there under host-gw: %v", err)
	}
	if a.MTU() != 1500 {
		t.Errorf("host-gw MTU %d, want the underlay's 1500: nothing is added to a packet", a.MTU())
	}
	la, lb := a.Lease(), b.Lease()
	if la.VtepMAC != nil || la.BackendType != HostGW {
		t.Errorf("lease %v", la)
	}
	for range 2 {
		if err := a.Sync([]Lease{la, lb}); err != nil {
			t.Fatal(err)
		}
	}
	routes, _ := h.RouteList(nil, netlink.FAMILY_V4)
	var got []string
	for _, r := range routes {
		if r.Dst != nil && pods.Contains(netip.MustParseAddr(r.Dst.IP.String())) {
			got = append(got, r.Dst.String()+" via "+r.Gw.String())
		}
	}
	if strings.Join(got, ",") != "10.250.2.0/24 via 172.30.9.2" {
		t.Errorf("a's routes into the pod network: %v", got)
	}

	// A peer behind a router: refused, by name, and nothing routed to it.
	ipCmd(t, "-n", nodeA.ns, "route", "add", "172.30.10.0/24", "via", "172.30.9.2")
	far := Lease{Node: "c", Subnet: netip.MustParsePrefix("10.250.3.0/24"), PublicIP: netip.MustParseAddr("172.30.10.5"), BackendType: HostGW}
	err := a.Sync([]Lease{la, lb, far})
	if err == nil || !strings.Contains(err.Error(), "node c (172.30.10.5)") || !strings.Contains(err.Error(), "one L2 segment") {
		t.Errorf("a peer behind a gateway: %v", err)
	}
	if r, _ := h.RouteGet(net.ParseIP("10.250.3.1")); len(r) > 0 && r[0].Gw.Equal(net.ParseIP("172.30.10.5")) {
		t.Errorf("a routes to c's subnet although c is not on its segment")
	}

	// b leaves.
	if err := a.Sync([]Lease{la}); err != nil {
		t.Fatal(err)
	}
	if r, _ := h.RouteGet(net.ParseIP("10.250.2.1")); len(r) > 0 && r[0].Gw.Equal(nodeB.ip.AsSlice()) {
		t.Errorf("a still routes b's subnet via b after b left")
	}

	// Reset takes away whatever either backend left.
	if err := b.Sync([]Lease{la, lb}); err != nil {
		t.Fatal(err)
	}
	removed, err := Reset(nodeB.path(), pods)
	if err != nil || len(removed) != 1 || !strings.Contains(removed[0], "10.250.1.0/24 via 172.30.9.1") {
		t.Errorf("Reset: %v %v", removed, err)
	}
	if removed, err := Reset(nodeB.path(), pods); err != nil || len(removed) != 0 {
		t.Errorf("Reset again: %v %v", removed, err)
	}
}
