package cluster

import "net/netip"

// Underlay is the network the host and the nodes share: what the LAN is
// to a real cluster. It is a seam: podlab's is a bridge on the host with a
// veth pair to every node (bridgeUnderlay, underlay_linux.go); the
// overlay (VXLAN between the nodes, or host-gw routes) comes later and
// rides on it, as flannel rides on a real LAN.
//
// Every method is idempotent, and the Delete ones count what is gone
// already as deleted.
type Underlay interface {
	// Ensure makes the host's side exist, like the bridge with the
	// host's address. made is false if it was all there.
	Ensure() (made bool, err error)
	// EnsureNode connects the network namespace of a node, and gives the
	// node its address and default route.
	EnsureNode(n NodeNet) (made bool, err error)
	// DeleteNode disconnects a node; removed lists what it deleted.
	DeleteNode(n NodeNet) (removed []string, err error)
	// Delete deletes the host's side.
	Delete() (removed []string, err error)
}

// NodeNet is one node's place on the underlay.
type NodeNet struct {
	Name     string       // the node, like node1
	NetNS    string       // the path of its network namespace, like /run/netns/podlab-node1
	HostVeth string       // the host's end of its link, like podlab-n1
	Addr     netip.Prefix // its address, like 172.30.0.11/24, on its eth0
	Gateway  netip.Addr   // its default route: the host, 172.30.0.1
}

// NodeInterface is the name of the node's end of its link, as a real
// machine's first NIC.
const NodeInterface = "eth0"

// nodeNet returns the underlay settings of node n.
func (st *State) nodeNet(n Node) NodeNet {
	return NodeNet{Name: n.Name, NetNS: netnsPath(n.NetNS), HostVeth: n.HostVeth,
		Addr: netip.MustParsePrefix(n.Addr), Gateway: netip.MustParsePrefix(st.HostAddr).Addr()}
}

// netnsDir is where `ip netns` keeps named network namespaces: each one
// is a file with the namespace bind-mounted on it, so it lives without a
// process in it.
const netnsDir = "/run/netns"

// netnsPath is the file of the named network namespace, for `ip netns
// exec NAME` or setns(2).
func netnsPath(name string) string { return netnsDir + "/" + name }
