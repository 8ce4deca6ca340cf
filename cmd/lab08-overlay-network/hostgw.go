package main

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	podcluster "github.com/podlab/podlab/core/cluster"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/overlay"
	"github.com/podlab/podlab/core/paths"
	. "github.com/podlab/podlab/core/steps"
)

// The host-gw contrast is built beside the cluster, not in it: two more
// nodes, each a network namespace as the cluster's are, joined by one
// veth pair, a cable: the smallest L2 segment. Their pods are connected
// and their overlay is programmed by the code every podlet runs
// (core/network, core/overlay); only the leases, which a podlet would
// learn by watching the Nodes, are handed over by the lab. Nothing of it
// is on the host, so it disturbs neither the cluster nor another one:
//
//	<prefix>-gw1                                            <prefix>-gw2
//	eth0 172.30.8.11/24 ═════════ veth pair (the cable) ═════════ eth0 172.30.8.12/24
//	podlab0 10.244.201.1/24                                  podlab0 10.244.202.1/24
//	  └─ pod <prefix>-gw1-pod 10.244.201.2                     └─ pod <prefix>-gw2-pod 10.244.202.2
//
// The names start with the cluster's prefix (podlab, or the tests'
// podlabl), so two clusters on one machine each have their pair.

var podNetwork = netip.MustParsePrefix("10.244.0.0/16") // flannel's Network, as the cluster's

// gwNode is one node of the host-gw pair.
type gwNode struct {
	name   string       // gw1: the node's name in its lease
	netns  string       // podlab-gw1: its network namespace, in /run/netns
	addr   netip.Prefix // 172.30.8.11/24: its eth0, its public IP
	subnet netip.Prefix // 10.244.201.0/24: its pods
	pod    string       // podlab-gw1-pod: the network namespace of its pod
	nw     overlay.Network
}

func gwPair(prefix string) []*gwNode {
	var pair []*gwNode
	for i := 1; i <= 2; i++ {
		name := fmt.Sprintf("gw%d", i)
		pair = append(pair, &gwNode{name: name, netns: prefix + "-" + name, pod: prefix + "-" + name + "-pod",
			addr:   netip.MustParsePrefix(fmt.Sprintf("172.30.8.%d/24", 10+i)),
			subnet: netip.MustParsePrefix(fmt.Sprintf("10.244.%d.0/24", 200+i))})
	}
	return pair
}

// stateDir keeps a gw node's pod network state, apart from the cluster
// nodes': the IPAM files of its bridge in podlab0/, and beside them the
// ip_forward value from before its first pod.
func (n *gwNode) stateDir() string { return filepath.Join(paths.Run(), "ipam", n.netns) }

// buildGWPair makes the two nodes and the cable, and programs host-gw in
// both, each with the other's lease.
func buildGWPair(r *Run, pair []*gwNode) error {
	for _, n := range pair {
		for _, name := range []string{n.netns, n.pod} {
			if err := r.Created("netns", name); err != nil {
				return err
			}
			if _, err := network.EnsureNetNS(name); err != nil {
				return err
			}
		}
	}
	if err := cable(pair[0], pair[1]); err != nil {
		return err
	}
	var leases []overlay.Lease
	for _, n := range pair {
		nw, err := overlay.New(overlay.Config{Backend: overlay.HostGW, Node: n.name, Subnet: n.subnet,
			Network: podNetwork, PublicIP: n.addr.Addr(), NetNS: network.NetNSPath(n.netns)})
		if err != nil {
			return fmt.Errorf("node %q: %w", n.name, err)
		}
		n.nw = nw
		leases = append(leases, nw.Lease())
	}
	for _, n := range pair {
		if err := n.nw.Sync(leases); err != nil {
			return fmt.Errorf("node %q: %w", n.name, err)
		}
	}
	return nil
}

// cable is `ip -n A link add eth0 type veth peer name eth0 netns B`,
// then an address on each end, and every link up.
func cable(a, b *gwNode) error {
	bFd, err := netns.GetFromPath(network.NetNSPath(b.netns))
	if err != nil {
		return fmt.Errorf("open %q: %w", b.netns, err)
	}
	defer bFd.Close()
	ha, err := network.HandleAt(network.NetNSPath(a.netns))
	if err != nil {
		return err
	}
	defer ha.Close()
	if old, err := ha.LinkByName(podcluster.NodeInterface); err == nil { // a cable of an earlier run
		ha.LinkDel(old)
	}
	la := netlink.NewLinkAttrs()
	la.Name = podcluster.NodeInterface
	if err := ha.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: la.Name, PeerNamespace: netlink.NsFd(int(bFd))}); err != nil {
		return fmt.Errorf("create the cable from %q to %q: %w", a.netns, b.netns, err)
	}
	for _, n := range []*gwNode{a, b} {
		h, err := network.HandleAt(network.NetNSPath(n.netns))
		if err != nil {
			return err
		}
		err = configure(h, n)
		h.Close()
		if err != nil {
			return fmt.Errorf("node %q: %w", n.name, err)
		}
	}
	return nil
}

func configure(h *netlink.Handle, n *gwNode) error {
	for _, name := range []string{"lo", podcluster.NodeInterface} {
		link, err := h.LinkByName(name)
		if err == nil {
			err = h.LinkSetUp(link)
		}
		if err != nil {
			return fmt.Errorf("set %q up: %w", name, err)
		}
		if name != "lo" {
			if err := h.AddrReplace(link, &netlink.Addr{IPNet: network.IPNet(n.addr)}); err != nil {
				return fmt.Errorf("add %s to %q: %w", n.addr, name, err)
			}
		}
	}
	return nil
}

// connectPod gives the node's pod its address on the node's bridge, as
// the podlet does for every pod: the CNI bridge plugin's work, at the
// overlay's MTU.
func connectPod(r *Run, n *gwNode) (*network.Attachment, error) {
	if err := r.Created("dir", n.stateDir()); err != nil {
		return nil, err
	}
	cfg := network.Config{Subnet: network.IPNet(n.subnet), ClusterCIDR: network.IPNet(podNetwork), MTU: n.nw.MTU(),
		NodeNetNS: network.NetNSPath(n.netns), StateDir: filepath.Join(n.stateDir(), network.DefaultBridge)}
	return cfg.Add(n.pod, network.NetNSPath(n.pod))
}

// pingAcross pings the other pod from a pod's network namespace.
func pingAcross(from string, to net.IP) error {
	return network.Ping(network.NetNSPath(from), to, 2*time.Second)
}
