package cluster

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/network"
)

// bridgeUnderlay is a LAN on one machine: a Linux bridge on the host, the
// switch, and one veth pair per node, the cable. The host is on the LAN
// too, with the bridge's address, so the nodes reach podlab-server there
// and use it as their default gateway.
//
//	ip link add podlab-underlay type bridge; ip addr add 172.30.0.1/24 dev podlab-underlay
//	ip link add podlab-n1 master podlab-underlay type veth peer name eth0 netns podlab-node1
//	ip -n podlab-node1 addr add 172.30.0.11/24 dev eth0; ip -n podlab-node1 route add default via 172.30.0.1
//
// Links are set through netlink handles, each bound to one network
// namespace (netlink.NewHandleAt): no goroutine ever enters a node's
// namespace (IMPLEMENTATION.md §1.1).
type bridgeUnderlay struct {
	bridge   string       // podlab-underlay
	hostAddr netip.Prefix // 172.30.0.1/24
}

func (u bridgeUnderlay) Ensure() (made bool, err error) {
	host, err := netlink.NewHandle()
	if err != nil {
		return false, fmt.Errorf("open netlink: %w", err)
	}
	defer host.Close()
	if err := u.checkFree(host); err != nil {
		return false, err
	}
	link, err := host.LinkByName(u.bridge)
	if network.IsLinkNotFound(err) {
		la := netlink.NewLinkAttrs()
		la.Name = u.bridge
		if err := host.LinkAdd(&netlink.Bridge{LinkAttrs: la}); err != nil {
			return false, fmt.Errorf("create bridge %q: %w", u.bridge, err)
		}
		made = true
		link, err = host.LinkByName(u.bridge) // the kernel fills in the index and MAC
	}
	if err != nil {
		return made, fmt.Errorf("find bridge %q: %w", u.bridge, err)
	}
	br, ok := link.(*netlink.Bridge)
	if !ok {
		return made, fmt.Errorf("link %q exists but is a %s, not a bridge: delete it, or choose another --bridge", u.bridge, link.Type())
	}
	addrMade, err := ensureAddr(host, br, u.hostAddr)
	if err != nil {
		return made, err
	}
	// A bridge takes the lowest MAC address of its ports unless one is
	// set: each new node could change the gateway's MAC under the nodes'
	// ARP caches. Setting it, even to the one it has, pins it.
	if made {
		if err := host.LinkSetHardwareAddr(br, br.HardwareAddr); err != nil {
			return made, fmt.Errorf("pin the MAC address of bridge %q: %w", u.bridge, err)
		}
	}
	if br.Attrs().Flags&net.FlagUp == 0 {
		made = true
		if err := host.LinkSetUp(br); err != nil {
			return made, fmt.Errorf("set bridge %q up: %w", u.bridge, err)
		}
	}
	return made || addrMade, nil
}

// checkFree refuses an underlay that overlaps an address of another
// link: the host is on that network already (a real LAN, a VPN), and
// the cluster would cut it off.
func (u bridgeUnderlay) checkFree(host *netlink.Handle) error {
	addrs, err := host.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("list the host's addresses: %w", err)
	}
	for _, a := range addrs {
		p, ok := network.PrefixOf(a.IPNet)
		if !ok || !p.Overlaps(u.hostAddr.Masked()) {
			continue
		}
		link, err := host.LinkByIndex(a.LinkIndex)
		if err == nil && link.Attrs().Name == u.bridge {
			continue
		}
		name := fmt.Sprint("link ", a.LinkIndex)
		if err == nil {
			name = link.Attrs().Name
		}
		return fmt.Errorf("the underlay %s overlaps %s on %q: choose another --underlay", u.hostAddr.Masked(), p, name)
	}
	return nil
}

// ensureAddr gives link the address addr, unless it has it. A bridge with
// another IPv4 address serves another network: that is an error.
func ensureAddr(h *netlink.Handle, link netlink.Link, addr netip.Prefix) (made bool, err error) {
	addrs, err := h.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		return false, fmt.Errorf("list the addresses of %q: %w", link.Attrs().Name, err)
	}
	for _, a := range addrs {
		if p, ok := network.PrefixOf(a.IPNet); ok && p == addr {
			return false, nil
		}
	}
	if len(addrs) > 0 {
		return false, fmt.Errorf("%q has address %s, not %s: is another cluster using it? (\"podlab down\", or delete it)", link.Attrs().Name, addrs[0].IPNet, addr)
	}
	if err := h.AddrAdd(link, &netlink.Addr{IPNet: network.IPNet(addr)}); err != nil {
		return false, fmt.Errorf("add %s to %q: %w", addr, link.Attrs().Name, err)
	}
	return true, nil
}

func (u bridgeUnderlay) EnsureNode(n NodeNet) (made bool, err error) {
	host, err := netlink.NewHandle()
	if err != nil {
		return false, fmt.Errorf("open netlink: %w", err)
	}
	defer host.Close()
	nodeFd, err := netns.GetFromPath(n.NetNS)
	if err != nil {
		return false, fmt.Errorf("open the network namespace of %s: %w", n.Name, err)
	}
	defer nodeFd.Close()
	node, err := netlink.NewHandleAt(nodeFd, unix.NETLINK_ROUTE)
	if err != nil {
		return false, fmt.Errorf("open netlink in the network namespace of %s: %w", n.Name, err)
	}
	defer node.Close()
	link, err := host.LinkByName(u.bridge)
	if err != nil {
		return false, fmt.Errorf("find bridge %q: %w", u.bridge, err)
	}
	hostEnd, eth0, made, err := ensureVeth(host, node, nodeFd, n.HostVeth, link.Attrs().Index)
	if err != nil {
		return made, fmt.Errorf("node %s: %w", n.Name, err)
	}
	// From here on, Replace (not Add) makes a second run harmless.
	if hostEnd.Attrs().Flags&net.FlagUp == 0 {
		if err := host.LinkSetUp(hostEnd); err != nil {
			return made, fmt.Errorf("set %q up: %w", n.HostVeth, err)
		}
	}
	if err := configureNode(node, eth0, n); err != nil {
		return made, fmt.Errorf("node %s: %w", n.Name, err)
	}
	return made, nil
}

// ensureVeth makes the pair host end <-> eth0 (in the node) exist, the
// host end a port of the bridge with index master, and returns both ends,
// each as its own namespace sees it.
func ensureVeth(host, node *netlink.Handle, nodeFd netns.NsHandle, name string, master int) (hostEnd, eth0 netlink.Link, made bool, err error) {
	hostEnd, herr := host.LinkByName(name)
	eth0, eerr := node.LinkByName(NodeInterface)
	if herr != nil && !network.IsLinkNotFound(herr) {
		return nil, nil, false, fmt.Errorf("find %q: %w", name, herr)
	}
	// A veth's ParentIndex is its peer's index, in the peer's namespace.
	if herr == nil && eerr == nil && hostEnd.Type() == "veth" &&
		hostEnd.Attrs().ParentIndex == eth0.Attrs().Index && eth0.Attrs().ParentIndex == hostEnd.Attrs().Index {
		if hostEnd.Attrs().MasterIndex != master { // the bridge was made again
			if err := host.LinkSetMasterByIndex(hostEnd, master); err != nil {
				return nil, nil, false, fmt.Errorf("attach %q to the bridge: %w", name, err)
			}
			made = true
		}
		return hostEnd, eth0, made, nil
	}
	// Half there, or someone else's: start again.
	if herr == nil {
		if hostEnd.Type() != "veth" {
			return nil, nil, false, fmt.Errorf("link %q exists but is a %s, not a veth: delete it", name, hostEnd.Type())
		}
		if err := host.LinkDel(hostEnd); err != nil && !network.IsLinkNotFound(err) {
			return nil, nil, false, fmt.Errorf("delete stale %q: %w", name, err)
		}
	}
	if eerr == nil {
		if err := node.LinkDel(eth0); err != nil && !network.IsLinkNotFound(err) {
			return nil, nil, false, fmt.Errorf("delete stale %q in the node: %w", NodeInterface, err)
		}
	}
	la := netlink.NewLinkAttrs()
	la.Name, la.MasterIndex = name, master
	pair := netlink.NewVeth(la)
	pair.PeerName = NodeInterface
	pair.PeerNamespace = netlink.NsFd(int(nodeFd))
	if err := host.LinkAdd(pair); err != nil {
		return nil, nil, false, fmt.Errorf("create veth %q with peer %q in the node: %w", name, NodeInterface, err)
	}
	// Re-fetch: the kernel fills in the indexes.
	if hostEnd, err = host.LinkByName(name); err != nil {
		return nil, nil, true, fmt.Errorf("find %q: %w", name, err)
	}
	if eth0, err = node.LinkByName(NodeInterface); err != nil {
		return nil, nil, true, fmt.Errorf("find %q in the node: %w", NodeInterface, err)
	}
	return hostEnd, eth0, true, nil
}

// configureNode brings lo and eth0 up in the node, gives eth0 the node's
// address and routes everything else to the host.
func configureNode(node *netlink.Handle, eth0 netlink.Link, n NodeNet) error {
	lo, err := node.LinkByName("lo")
	if err == nil {
		err = node.LinkSetUp(lo)
	}
	if err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	if err := node.AddrReplace(eth0, &netlink.Addr{IPNet: network.IPNet(n.Addr)}); err != nil {
		return fmt.Errorf("add %s to %q: %w", n.Addr, NodeInterface, err)
	}
	if err := node.LinkSetUp(eth0); err != nil {
		return fmt.Errorf("set %q up: %w", NodeInterface, err)
	}
	// Dst nil is the default route.
	route := &netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: n.Gateway.AsSlice()}
	if err := node.RouteReplace(route); err != nil {
		return fmt.Errorf("add the default route via %s: %w", n.Gateway, err)
	}
	return nil
}

func (u bridgeUnderlay) DeleteNode(n NodeNet) ([]string, error) {
	deleted, err := deleteLink(n.HostVeth, "veth")
	if err != nil || !deleted {
		return nil, err
	}
	return []string{fmt.Sprintf("veth %s (and %s inside)", n.HostVeth, NodeInterface)}, nil
}

func (u bridgeUnderlay) Delete() ([]string, error) {
	deleted, err := deleteLink(u.bridge, "bridge")
	if err != nil || !deleted {
		return nil, err
	}
	return []string{"bridge " + u.bridge}, nil
}

// deleteLink deletes the host's link called name if it is of type kind;
// a link that is gone counts as deleted, one of another kind is not ours.
func deleteLink(name, kind string) (deleted bool, err error) {
	host, err := netlink.NewHandle()
	if err != nil {
		return false, fmt.Errorf("open netlink: %w", err)
	}
	defer host.Close()
	link, err := host.LinkByName(name)
	if network.IsLinkNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find %s %q: %w", kind, name, err)
	}
	if link.Type() != kind {
		return false, fmt.Errorf("%q is a %s, not the %s podlab made: left alone", name, link.Type(), kind)
	}
	if err := host.LinkDel(link); err != nil && !network.IsLinkNotFound(err) {
		return false, fmt.Errorf("delete %s %q: %w", kind, name, err)
	}
	return true, nil
}

// underlay returns the cluster's underlay.
func (st *State) underlay() Underlay {
	return bridgeUnderlay{bridge: st.Bridge, hostAddr: netip.MustParsePrefix(st.HostAddr)}
}

// hostOnUnderlay checks that the host still has its underlay address on
// the bridge. Without it, a request to the API server's address would
// follow the host's default route out of the machine.
func (st *State) hostOnUnderlay() error {
	host, err := netlink.NewHandle()
	if err != nil {
		return fmt.Errorf("open netlink: %w", err)
	}
	defer host.Close()
	link, err := host.LinkByName(st.Bridge)
	if err != nil {
		return fmt.Errorf("the underlay bridge %q is gone: \"podlab up\" makes it again", st.Bridge)
	}
	addrs, err := host.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("list the addresses of %q: %w", st.Bridge, err)
	}
	for _, a := range addrs {
		if p, ok := network.PrefixOf(a.IPNet); ok && p.String() == st.HostAddr {
			return nil
		}
	}
	return fmt.Errorf("the underlay bridge %q lacks the host's address %s: \"podlab up\" gives it again", st.Bridge, st.HostAddr)
}
