package network

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Links, addresses and routes are set through netlink handles, each bound
// to one network namespace: netlink.NewHandleAt joins the namespace only
// for the moment it opens its socket, and the socket stays in it. No
// goroutine ever has to stay in a Pod's namespace (IMPLEMENTATION.md §4).
// Interface indexes are per namespace, so an index is only ever used with
// the handle it came from.

// openNetNS opens the network namespace at path ("" is the caller's) and a
// netlink handle bound to it. The caller closes both.
func openNetNS(path string) (netns.NsHandle, *netlink.Handle, error) {
	var fd netns.NsHandle
	var err error
	if path == "" {
		fd, err = netns.Get()
	} else {
		fd, err = netns.GetFromPath(path)
	}
	if err != nil {
		return netns.None(), nil, fmt.Errorf("open network namespace %q: %w", path, err)
	}
	h, err := netlink.NewHandleAt(fd, unix.NETLINK_ROUTE)
	if err != nil {
		fd.Close()
		return netns.None(), nil, fmt.Errorf("open netlink socket in network namespace %q: %w", path, err)
	}
	return fd, h, nil
}

// HandleAt opens a netlink handle bound to the network namespace at path
// ("" is the caller's), e.g. a Pod's /proc/<pause pid>/ns/net or
// /run/netns/podlab-node1, as `ip -n` would use it. Its socket keeps the
// namespace, so the namespace's fd is closed at once. The caller closes
// the handle.
func HandleAt(path string) (*netlink.Handle, error) {
	fd, h, err := openNetNS(path)
	if err != nil {
		return nil, err
	}
	fd.Close()
	return h, nil
}

// RetryDump repeats a netlink dump the kernel interrupted because the list
// changed while it was read (netlink.ErrDumpInterrupted; the results may
// be inconsistent). CNI's pkg/netlinksafe does the same.
func RetryDump[T any](dump func() ([]T, error)) ([]T, error) {
	var out []T
	var err error
	for range 5 {
		if out, err = dump(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return out, err
}

// IsLinkNotFound says err is netlink's "no such link".
func IsLinkNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf) || errors.Is(err, unix.ENODEV)
}

// ensureBridge makes the node's bridge exist, with the MTU, the gateway
// address and up, and returns it: CNI bridge's ensureBridge.
func ensureBridge(node *netlink.Handle, name string, mtu int, gateway *net.IPNet) (*netlink.Bridge, error) {
	link, err := node.LinkByName(name)
	if IsLinkNotFound(err) {
		la := netlink.NewLinkAttrs()
		la.Name, la.MTU = name, mtu
		if err := node.LinkAdd(&netlink.Bridge{LinkAttrs: la}); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("create bridge %q: %w", name, err)
		}
		// Re-fetch: the kernel fills in the index and the MAC address.
		link, err = node.LinkByName(name)
	}
	if err != nil {
		return nil, fmt.Errorf("find bridge %q: %w", name, err)
	}
	br, ok := link.(*netlink.Bridge)
	if !ok {
		return nil, fmt.Errorf("link %q exists but is a %s, not a bridge: delete it or choose another bridge name", name, link.Type())
	}
	if br.MTU != mtu {
		if err := node.LinkSetMTU(br, mtu); err != nil {
			return nil, fmt.Errorf("set MTU %d on bridge %q: %w", mtu, name, err)
		}
	}
	if err := ensureGatewayAddr(node, br, gateway); err != nil {
		return nil, err
	}
	// A bridge takes the lowest MAC address of its ports unless one is set:
	// each new Pod could change the gateway's MAC under the Pods' ARP caches,
	// and their packets would go astray until the cache expires. Setting it,
	// even to the address it has, pins it (as the CNI bridge plugin does).
	if err := node.LinkSetHardwareAddr(br, br.HardwareAddr); err != nil {
		return nil, fmt.Errorf("pin the MAC address of bridge %q: %w", name, err)
	}
	if err := node.LinkSetUp(br); err != nil {
		return nil, fmt.Errorf("set bridge %q up: %w", name, err)
	}
	return br, nil
}

// ensureGatewayAddr gives the bridge the gateway address, e.g.
// 10.244.0.1/24. Like CNI without forceAddress, it refuses a bridge that
// already has another IPv4 address: that bridge serves another subnet.
func ensureGatewayAddr(node *netlink.Handle, br *netlink.Bridge, gateway *net.IPNet) error {
	addrs, err := RetryDump(func() ([]netlink.Addr, error) { return node.AddrList(br, netlink.FAMILY_V4) })
	if err != nil {
		return fmt.Errorf("list addresses of bridge %q: %w", br.Name, err)
	}
	for _, a := range addrs {
		if a.IPNet.String() == gateway.String() {
			return nil
		}
	}
	if len(addrs) > 0 {
		return fmt.Errorf("bridge %q has address %s, not the gateway %s: does another subnet use it?", br.Name, addrs[0].IPNet, gateway)
	}
	if err := node.AddrAdd(br, &netlink.Addr{IPNet: gateway}); err != nil {
		return fmt.Errorf("add gateway %s to bridge %q: %w", gateway, br.Name, err)
	}
	return nil
}

// deleteBridge deletes the node's bridge if it exists.
func deleteBridge(node *netlink.Handle, name string) error {
	link, err := node.LinkByName(name)
	if IsLinkNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find bridge %q: %w", name, err)
	}
	if _, ok := link.(*netlink.Bridge); !ok {
		return nil // not ours: ensureBridge would have refused it
	}
	// The veths of Pods that just went disappear when the kernel destroys
	// their network namespaces, in the background, within moments. A port
	// that stays belongs to someone else's Pod (a second podlab with its
	// own store, say): then the bridge is still in use and stays.
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ports, err := portsOf(node, link.Attrs().Index)
		if err != nil {
			return err
		}
		if ports == 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil
		}
	}
	if err := node.LinkDel(link); err != nil && !IsLinkNotFound(err) {
		return fmt.Errorf("delete bridge %q: %w", name, err)
	}
	return nil
}

// portsOf counts the links enslaved to the bridge with index br.
func portsOf(node *netlink.Handle, br int) (int, error) {
	links, err := RetryDump(node.LinkList)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range links {
		if l.Attrs().MasterIndex == br {
			n++
		}
	}
	return n, nil
}

// veth is one Pod's veth pair as ensureVeth makes it.
type veth struct {
	podID  string
	name   string // the node's end, VethName(podID)
	bridge *netlink.Bridge
	mtu    int
	podNS  netns.NsHandle // where the other end, eth0, goes
}

// ensureVeth makes the Pod's veth pair exist: the node's end enslaved to
// the bridge, eth0 in the Pod. It returns both ends, each as seen from its
// own namespace. The node's end carries the pod ID as its alias (ip link
// shows it), which tells podlab's veths from others of the same name.
func ensureVeth(node, pod *netlink.Handle, v veth) (host, eth0 netlink.Link, err error) {
	host, err = node.LinkByName(v.name)
	switch {
	case err == nil:
		if host.Attrs().Alias != v.podID {
			return nil, nil, fmt.Errorf("link %q exists and is not the veth of pod %q (its alias is %q): delete it", v.name, v.podID, host.Attrs().Alias)
		}
		if eth0, ok := vethIntact(host, pod, v); ok {
			return host, eth0, nil
		}
		// Left over from an Add that did not finish, or changed: start again.
		if err := node.LinkDel(host); err != nil && !IsLinkNotFound(err) {
			return nil, nil, fmt.Errorf("delete incomplete veth %q: %w", v.name, err)
		}
	case !IsLinkNotFound(err):
		return nil, nil, fmt.Errorf("find veth %q: %w", v.name, err)
	}
	return createVeth(node, pod, v)
}

// vethIntact tells whether host is the node's end of a pair that is still
// as v wants it, with eth0 in the Pod as its peer, and returns eth0. A
// veth's ParentIndex is the index of its peer, in the peer's namespace.
func vethIntact(host netlink.Link, pod *netlink.Handle, v veth) (netlink.Link, bool) {
	eth0, err := pod.LinkByName(PodInterface)
	if err != nil {
		return nil, false
	}
	h, e := host.Attrs(), eth0.Attrs()
	ok := host.Type() == "veth" && h.MasterIndex == v.bridge.Index && h.MTU == v.mtu && e.MTU == v.mtu &&
		h.ParentIndex == e.Index && e.ParentIndex == h.Index
	return eth0, ok
}

// createVeth creates the pair from the node's side, putting the peer
// straight into the Pod (PeerNamespace) and the node's end into the bridge
// (MasterIndex). CNI does the mirror image, from inside the Pod.
func createVeth(node, pod *netlink.Handle, v veth) (host, eth0 netlink.Link, err error) {
	la := netlink.NewLinkAttrs()
	la.Name, la.MTU, la.MasterIndex = v.name, v.mtu, v.bridge.Index
	pair := netlink.NewVeth(la) // NewVeth, not &Veth{}: keeps the default queue length on eth0
	pair.PeerName = PodInterface
	pair.PeerNamespace = netlink.NsFd(int(v.podNS))
	if err := node.LinkAdd(pair); err != nil {
		return nil, nil, fmt.Errorf("create veth %q with peer %q in the pod's network namespace: %w", v.name, PodInterface, err)
	}
	// The kernel ignores an alias given at creation, so set it now; until
	// then the veth is not ours, so a failure removes it here.
	if host, err = node.LinkByName(v.name); err == nil {
		if err = node.LinkSetAlias(host, v.podID); err == nil {
			host, err = node.LinkByName(v.name)
		}
	}
	if err != nil {
		node.LinkDel(&netlink.Veth{LinkAttrs: la})
		return nil, nil, fmt.Errorf("label veth %q with pod %q: %w", v.name, v.podID, err)
	}
	if eth0, err = pod.LinkByName(PodInterface); err != nil {
		return nil, nil, fmt.Errorf("find %q in the pod's network namespace: %w", PodInterface, err)
	}
	return host, eth0, nil
}

// deleteVeth deletes the node's end of the Pod's veth pair, if it exists
// and is the Pod's; the kernel deletes eth0 with it. When the Pod's
// network namespace is gone, so is the pair: nothing to do.
func deleteVeth(node *netlink.Handle, podID string) error {
	name := VethName(podID)
	link, err := node.LinkByName(name)
	if IsLinkNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find veth %q: %w", name, err)
	}
	if link.Attrs().Alias != podID {
		return nil // another pod's or not podlab's: ensureVeth refused it
	}
	if err := node.LinkDel(link); err != nil && !IsLinkNotFound(err) {
		return fmt.Errorf("delete veth %q: %w", name, err)
	}
	return nil
}

// configurePod gives the Pod its address and default route, and brings lo
// and eth0 up. Replace (not Add) makes a second run harmless.
// loopbackUp sets lo up: a new network namespace starts with it down, and
// localhost works only once it is up.
func loopbackUp(pod *netlink.Handle) error {
	lo, err := pod.LinkByName("lo")
	if err == nil {
		err = pod.LinkSetUp(lo)
	}
	if err != nil {
		return fmt.Errorf("set lo up in the pod: %w", err)
	}
	return nil
}

// LoopbackOnly gives a Pod without a network its loopback interface.
func LoopbackOnly(podNetNS string) error {
	h, err := HandleAt(podNetNS)
	if err != nil {
		return err
	}
	defer h.Close()
	return loopbackUp(h)
}

func configurePod(pod *netlink.Handle, eth0 netlink.Link, ip *net.IPNet, gateway net.IP) error {
	if err := loopbackUp(pod); err != nil {
		return err
	}
	if err := pod.AddrReplace(eth0, &netlink.Addr{IPNet: ip}); err != nil {
		return fmt.Errorf("add %s to %q in the pod: %w", ip, PodInterface, err)
	}
	if err := pod.LinkSetUp(eth0); err != nil {
		return fmt.Errorf("set %q up in the pod: %w", PodInterface, err)
	}
	// Dst nil is the default route: everything not on the subnet goes to
	// the bridge, and from there the node routes (and masquerades) it.
	route := &netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: gateway}
	if err := pod.RouteReplace(route); err != nil {
		return fmt.Errorf("add default route via %s in the pod: %w", gateway, err)
	}
	return nil
}
