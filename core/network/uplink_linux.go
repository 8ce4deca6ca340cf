package network

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/coreos/go-iptables/iptables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// An uplink is a stand-in for "another machine": a network namespace
// reached from the node over a veth pair, the way a real node reaches its
// LAN through its NIC. The MASQUERADE rule only rewrites packets the node
// forwards out of an interface (nat POSTROUTING), never packets for the
// node itself, so showing it takes a destination beyond the node:
//
//	node network namespace                                                      /run/netns/podlab-upstream
//	podlab0 10.244.0.1/24 ── routing, MASQUERADE ── podlab-up0 172.30.255.1/30 ═══ eth0 172.30.255.2/30
//
// The upstream knows only its /30, not the pod subnet: like a real
// machine on the node's network it can answer a Pod only if the node
// rewrote the Pod's source address to its own (172.30.255.1).
const (
	UplinkNetNS    = "podlab-upstream" // the upstream's name, for `ip netns exec podlab-upstream ...`
	UplinkVeth     = "podlab-up0"      // the node's end of the uplink's veth pair
	UplinkHostCIDR = "172.30.255.1/30" // the node's address on the uplink
	UplinkPeerCIDR = "172.30.255.2/30" // the upstream's address
)

// UplinkPath is where the named upstream's network namespace is mounted,
// e.g. /run/netns/podlab-upstream.
func UplinkPath(name string) string { return NetNSPath(name) }

// EnsureUplink makes the named upstream network namespace and the veth
// pair to it exist: UplinkVeth with hostAddr in the caller's (the node's)
// namespace, eth0 with peerAddr in the upstream, both up, and lo up. It
// returns the path of the upstream's namespace. Running it again is
// harmless; if it fails, it deletes the uplink (DeleteUplink), so nothing
// is left half made.
func EnsureUplink(name string, hostAddr, peerAddr *net.IPNet) (nsPath string, err error) {
	nsPath = UplinkPath(name)
	defer func() {
		if err != nil {
			err = fmt.Errorf("uplink %q: %w", name, err)
			if undoErr := DeleteUplink(name); undoErr != nil {
				err = fmt.Errorf("%w (and undoing it failed: %v)", err, undoErr)
			}
		}
	}()
	if _, err := EnsureNetNS(name); err != nil {
		return "", err
	}
	upFd, up, err := openNetNS(nsPath)
	if err != nil {
		return "", err
	}
	defer upFd.Close()
	defer up.Close()
	node, err := HandleAt("")
	if err != nil {
		return "", err
	}
	defer node.Close()
	host, eth0, err := ensureUplinkVeth(node, up, upFd)
	if err != nil {
		return "", err
	}
	if err := node.AddrReplace(host, &netlink.Addr{IPNet: hostAddr}); err != nil {
		return "", fmt.Errorf("add %s to %q: %w", hostAddr, UplinkVeth, err)
	}
	if err := node.LinkSetUp(host); err != nil {
		return "", fmt.Errorf("set %q up: %w", UplinkVeth, err)
	}
	// No default route in the upstream, on purpose: see the comment above.
	if err := configurePeer(up, eth0, peerAddr); err != nil {
		return "", err
	}
	return nsPath, nil
}

// ensureUplinkVeth makes the pair UplinkVeth (node) <-> eth0 (upstream)
// exist and returns both ends, each from its own namespace.
func ensureUplinkVeth(node, up *netlink.Handle, upFd netns.NsHandle) (host, eth0 netlink.Link, err error) {
	host, err = node.LinkByName(UplinkVeth)
	if err != nil && !IsLinkNotFound(err) {
		return nil, nil, fmt.Errorf("find %q: %w", UplinkVeth, err)
	}
	if err == nil && host.Type() != "veth" {
		return nil, nil, fmt.Errorf("link %q exists but is a %s, not a veth: delete it", UplinkVeth, host.Type())
	}
	eth0, eerr := up.LinkByName(PodInterface)
	// A veth's ParentIndex is its peer's index, in the peer's namespace.
	if err == nil && eerr == nil && host.Attrs().ParentIndex == eth0.Attrs().Index && eth0.Attrs().ParentIndex == host.Attrs().Index {
		return host, eth0, nil
	}
	// Half there or changed: start again.
	if err == nil {
		if err := node.LinkDel(host); err != nil && !IsLinkNotFound(err) {
			return nil, nil, fmt.Errorf("delete stale %q: %w", UplinkVeth, err)
		}
	}
	if eth0, eerr = up.LinkByName(PodInterface); eerr == nil {
		if err := up.LinkDel(eth0); err != nil && !IsLinkNotFound(err) {
			return nil, nil, fmt.Errorf("delete stale %q in the upstream: %w", PodInterface, err)
		}
	}
	la := netlink.NewLinkAttrs()
	la.Name = UplinkVeth
	pair := netlink.NewVeth(la)
	pair.PeerName = PodInterface
	pair.PeerNamespace = netlink.NsFd(int(upFd))
	if err := node.LinkAdd(pair); err != nil {
		return nil, nil, fmt.Errorf("create veth %q with peer %q in the upstream: %w", UplinkVeth, PodInterface, err)
	}
	// Re-fetch: the kernel fills in the indexes.
	if host, err = node.LinkByName(UplinkVeth); err != nil {
		return nil, nil, fmt.Errorf("find %q: %w", UplinkVeth, err)
	}
	if eth0, err = up.LinkByName(PodInterface); err != nil {
		return nil, nil, fmt.Errorf("find %q in the upstream: %w", PodInterface, err)
	}
	return host, eth0, nil
}

// configurePeer gives the upstream's eth0 its address and brings lo and
// eth0 up.
func configurePeer(up *netlink.Handle, eth0 netlink.Link, addr *net.IPNet) error {
	lo, err := up.LinkByName("lo")
	if err == nil {
		err = up.LinkSetUp(lo)
	}
	if err != nil {
		return fmt.Errorf("set lo up in the upstream: %w", err)
	}
	if err := up.AddrReplace(eth0, &netlink.Addr{IPNet: addr}); err != nil {
		return fmt.Errorf("add %s to %q in the upstream: %w", addr, PodInterface, err)
	}
	if err := up.LinkSetUp(eth0); err != nil {
		return fmt.Errorf("set %q up in the upstream: %w", PodInterface, err)
	}
	return nil
}

// DeleteUplink deletes the uplink's veth pair and the named network
// namespace, like `ip link del podlab-up0; ip netns del <name>`. What is
// already gone counts as deleted.
func DeleteUplink(name string) error {
	node, err := HandleAt("")
	if err != nil {
		return fmt.Errorf("delete uplink %q: %w", name, err)
	}
	defer node.Close()
	link, err := node.LinkByName(UplinkVeth)
	switch {
	case err == nil && link.Type() == "veth":
		if err := node.LinkDel(link); err != nil && !IsLinkNotFound(err) {
			return fmt.Errorf("delete uplink %q: delete %q: %w", name, UplinkVeth, err)
		}
	case err != nil && !IsLinkNotFound(err):
		return fmt.Errorf("delete uplink %q: find %q: %w", name, UplinkVeth, err)
	}
	if _, err := DeleteNetNS(name); err != nil {
		return fmt.Errorf("delete uplink %q: %w", name, err)
	}
	return nil
}

// Masquerade finds the node's MASQUERADE rule for the pod subnet in nat
// POSTROUTING and its packet counter, as `iptables -t nat -v -S
// POSTROUTING` shows them; rule is "" when there is none. The counter
// counts connections rather than packets: conntrack sends only the first
// packet of a connection through the nat table and rewrites the rest the
// same way.
func (c Config) Masquerade() (rule string, packets uint64, err error) {
	if c, err = c.withDefaults(); err != nil {
		return "", 0, err
	}
	var lines []string
	err = c.inNode(func() error {
		ipt, err := iptables.New()
		if err == nil {
			lines, err = ipt.ListWithCounters("nat", "POSTROUTING")
		}
		return err
	})
	if err != nil {
		return "", 0, fmt.Errorf("list nat POSTROUTING in %s: %w", c.where(), err)
	}
	match := strings.Join(c.masqueradeRule()[:5], " ") + " " // -s SUBNET ! -d DST
	for _, line := range lines {
		f := strings.Fields(line)
		if !strings.Contains(line, match) || f[len(f)-1] != "MASQUERADE" {
			continue
		}
		// "... -c PACKETS BYTES -j MASQUERADE": show the rule without them.
		for i := range len(f) - 2 {
			if f[i] == "-c" {
				packets, _ = strconv.ParseUint(f[i+1], 10, 64)
				f = append(f[:i:i], f[i+3:]...)
				break
			}
		}
		return strings.Join(f, " "), packets, nil
	}
	return "", 0, nil
}
