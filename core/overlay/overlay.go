// Package overlay connects the pod subnets of all nodes into one pod
// network: what flannel does on every node of a Kubernetes cluster.
//
// Every node has a lease: its subnet (the Node's spec.podCIDR, like
// 10.244.2.0/24), the address other nodes reach it at (its public IP, on
// the underlay), and what its backend needs to know. The podlet publishes
// its lease as annotations on its Node, the way flannel's kube subnet
// manager does, and learns the other nodes' leases by watching Nodes
// (kube.go). Its Network then programs the kernel so that a packet for a
// pod of another node goes to that node:
//
//	vxlan    encapsulate it in UDP (port 8472) through the device flannel.1:
//	         per peer, a neighbour entry (its subnet's .0 → its VTEP MAC),
//	         an FDB entry (VTEP MAC → its node IP) and an onlink route
//	         (its subnet via its .0), in that order (vxlan_linux.go)
//	host-gw  route it to that node's IP as the next hop, unencapsulated:
//	         every node must then be on one L2 segment (hostgw_linux.go)
//	alloc    nothing: the node takes its subnet and publishes its lease,
//	         and its pods reach only their own node (flannel's alloc)
//
// A Network is level-triggered: Sync(peers) makes the kernel hold exactly
// the entries of those peers, and removes the entries of nodes that are
// gone; Run calls it whenever the peers change, and every few seconds, so
// a deleted device comes back.
package overlay

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
)

// The backends, by the name --backend takes (flannel's Backend.Type). The
// map is the whole registry: no init() side effects (STYLE.md rule 2).
var backends = map[string]func(Config) (Network, error){
	VXLAN:  newVXLAN,
	HostGW: newHostGW,
	Alloc:  newAlloc,
}

// Backend names.
const (
	VXLAN  = "vxlan"
	HostGW = "host-gw"
	Alloc  = "alloc"
)

// Backends lists the backend names, sorted.
func Backends() []string {
	names := make([]string, 0, len(backends))
	for name := range backends {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// CheckBackend returns an error naming the choices if name is no backend.
func CheckBackend(name string) error {
	if _, ok := backends[name]; !ok {
		return fmt.Errorf("unknown overlay backend %q: choose one of %s", name, strings.Join(Backends(), ", "))
	}
	return nil
}

// Config is what a node's Network is made from.
type Config struct {
	Backend string // VXLAN or HostGW
	// Node is this node's name, for the lease.
	Node string
	// Subnet is this node's pod subnet, its Node's spec.podCIDR.
	Subnet netip.Prefix
	// Network is every pod's range, like 10.244.0.0/16 (flannel's
	// "Network"): the overlay's routes are inside it, and nothing else.
	Network netip.Prefix
	// PublicIP is this node's address on the underlay, its InternalIP.
	// The interface that holds it carries the overlay's traffic.
	PublicIP netip.Addr
	// VtepMAC is the MAC the vxlan device had before, read back from the
	// Node's annotations, so a restarted node keeps it (peers need not
	// learn a new one); nil picks a random one.
	VtepMAC net.HardwareAddr
	// NetNS is the network namespace to program, a path like
	// /run/netns/podlab-node1; "" is the caller's.
	NetNS string
}

func (c Config) check() error {
	if err := CheckBackend(c.Backend); err != nil {
		return err
	}
	if !c.Network.IsValid() || !c.Network.Addr().Is4() {
		return fmt.Errorf("overlay: the pod network %v is not an IPv4 CIDR", c.Network)
	}
	if !c.Subnet.IsValid() || c.Subnet.Bits() < c.Network.Bits() || !c.Network.Contains(c.Subnet.Addr()) {
		return fmt.Errorf("overlay: the node's pod subnet %v is not inside the pod network %s", c.Subnet, c.Network)
	}
	if !c.PublicIP.Is4() {
		return fmt.Errorf("overlay: the node's public IP %v is not IPv4", c.PublicIP)
	}
	return nil
}

// New makes the Network of cfg.Backend in the kernel: the vxlan device,
// or for host-gw nothing yet. It removes what the other backend left (a
// switch from vxlan to host-gw deletes flannel.1 and its routes).
func New(cfg Config) (Network, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg.Subnet = cfg.Subnet.Masked()
	return backends[cfg.Backend](cfg)
}

// Network is one node's side of the overlay.
type Network interface {
	// Lease is this node's lease, to publish for the others.
	Lease() Lease
	// MTU is what the node's bridge and pod veths must use: the
	// underlay's, less what the encapsulation takes.
	MTU() int
	// Sync makes the kernel hold this node's part (like the device) and
	// the entries of exactly these peers, removing those of nodes that
	// left. Leases of this node, or of another backend, are ignored.
	Sync(peers []Lease) error
	// Delete removes everything the Network made in the kernel.
	Delete() error
}

// Lease is one node's part of the pod network (flannel's subnet lease).
type Lease struct {
	Node        string           // node2
	Subnet      netip.Prefix     // 10.244.2.0/24: its Node's spec.podCIDR
	PublicIP    netip.Addr       // 172.30.0.12: where packets for that subnet go
	BackendType string           // vxlan or host-gw
	VtepMAC     net.HardwareAddr // vxlan: the MAC of its flannel.1
}

func (l Lease) String() string {
	s := fmt.Sprintf("%s %s via %s (%s", l.Node, l.Subnet, l.PublicIP, l.BackendType)
	if l.VtepMAC != nil {
		s += " VTEP " + l.VtepMAC.String()
	}
	return s + ")"
}

// allocNetwork is the alloc backend: a lease and nothing in the kernel.
type allocNetwork struct{ cfg Config }

func newAlloc(cfg Config) (Network, error) { return allocNetwork{cfg}, nil }

func (n allocNetwork) Lease() Lease {
	return Lease{Node: n.cfg.Node, Subnet: n.cfg.Subnet, PublicIP: n.cfg.PublicIP, BackendType: Alloc}
}
func (allocNetwork) MTU() int           { return 1500 }
func (allocNetwork) Sync([]Lease) error { return nil }
func (allocNetwork) Delete() error      { return nil }

// peersOf keeps the leases a Network of backend typ programs: the other
// nodes', of the same backend, with a subnet inside the network.
func peersOf(leases []Lease, self Lease, network netip.Prefix) []Lease {
	var peers []Lease
	for _, l := range leases {
		if l.Node == self.Node || l.BackendType != self.BackendType || !l.Subnet.IsValid() ||
			!network.Contains(l.Subnet.Addr()) || l.Subnet.Masked() == self.Subnet || !l.PublicIP.Is4() {
			continue
		}
		if l.BackendType == VXLAN && len(l.VtepMAC) != 6 {
			continue
		}
		l.Subnet = l.Subnet.Masked()
		peers = append(peers, l)
	}
	return peers
}

// SubnetEnv is what flannel writes to /run/flannel/subnet.env for the CNI
// plugin of its node, for network nw of this node: the pod network, the
// node's subnet with its gateway (.1), the MTU for the bridge and the pod
// veths, and whether the node masquerades what leaves the pod network.
//
//	FLANNEL_NETWORK=10.244.0.0/16
//	FLANNEL_SUBNET=10.244.1.1/24
//	FLANNEL_MTU=1450
//	FLANNEL_IPMASQ=true
func SubnetEnv(network netip.Prefix, nw Network, ipMasq bool) string {
	l := nw.Lease()
	return fmt.Sprintf("FLANNEL_NETWORK=%s\nFLANNEL_SUBNET=%s\nFLANNEL_MTU=%d\nFLANNEL_IPMASQ=%t\n",
		network, netip.PrefixFrom(l.Subnet.Addr().Next(), l.Subnet.Bits()), nw.MTU(), ipMasq)
}
