// Package network gives Pods their IP addresses: what the CNI "bridge"
// plugin with "host-local" IPAM does on every Kubernetes node that runs
// flannel.
//
// One node, two Pods:
//
//	node network namespace                          pod network namespaces
//	podlab0 (bridge, 10.244.0.1/24, the gateway)
//	  ├── veth1a2b3c4d ═══════ veth pair ═══════════ eth0 10.244.0.2/24
//	  └── veth5e6f7a8b ═══════ veth pair ═══════════ eth0 10.244.0.3/24
//	nat POSTROUTING: -s 10.244.0.0/24 ! -d <ClusterCIDR> -j MASQUERADE
//	net.ipv4.ip_forward = 1
//
// Add connects a Pod, Del disconnects it; both are idempotent. The pod
// addresses are handed out from files in Config.StateDir, one per reserved
// IP, as host-local does in /var/lib/cni/networks/<network>:
//
//	10.244.0.2        contains the pod ID that holds the address
//	last_reserved_ip  where the next search for a free address starts
//	lock              flock(2)ed during every Add and Del
//
// The bridge, ip_forward and the MASQUERADE rule are node-wide. Every Add
// ensures the bridge; ip_forward and the rule are set up only when the
// first address is reserved (iptables runs once per node, not per Pod).
// All three go when the last address is released, so a node without Pods
// is left as it was found.
//
// Every program that uses this package must lock its main goroutine to the
// main thread (func init() { runtime.LockOSThread() }), because it joins
// network namespaces with ns.Do (IMPLEMENTATION.md §1.4).
package network

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"path/filepath"

	"github.com/podlab/podlab/core/paths"
)

// Defaults of Config, as in the CNI bridge plugin (which calls its bridge
// cni0; flannel's is also cni0).
const (
	DefaultBridge = "podlab0"
	DefaultMTU    = 1500
)

// PodInterface is the name of the Pod's end of the veth pair, as the
// kubelet asks for it (CNI_IFNAME).
const PodInterface = "eth0"

// maxNameLen is IFNAMSIZ-1: the kernel refuses longer interface names.
const maxNameLen = 15

// Config is the network of one node: a bridge with the node's pod subnet.
type Config struct {
	// Bridge is the node's bridge, default "podlab0" (at most 15 characters).
	Bridge string `json:"bridge,omitempty"`
	// Subnet is the node's pod subnet (podCIDR), e.g. 10.244.0.0/24. Its
	// first address is the gateway, on the bridge; Pods get the others.
	Subnet *net.IPNet `json:"subnet"`
	// ClusterCIDR is every node's pods, like 10.244.0.0/16: packets to
	// it are not masqueraded. nil is Subnet: a node without an overlay.
	ClusterCIDR *net.IPNet `json:"clusterCIDR,omitempty"`
	// MTU of the bridge and of both ends of every veth, default 1500. Under
	// an overlay it must be the overlay's (e.g. 1450 for VXLAN).
	MTU int `json:"mtu,omitempty"`
	// NodeNetNS is the path of the node's network namespace, e.g.
	// /proc/<pid>/ns/net; "" is the caller's (the host's). The bridge, the
	// host veths, ip_forward and the MASQUERADE rule all live there.
	NodeNetNS string `json:"nodeNetNS,omitempty"`
	// StateDir holds the IPAM files, default paths.Run()/ipam/<Bridge>.
	// Nodes that share a host (one network namespace each) need one each.
	StateDir string `json:"stateDir,omitempty"`
}

// Attachment is how one Pod is connected: what the CNI result reports.
type Attachment struct {
	PodID       string    `json:"podID"`
	IP          net.IPNet `json:"ip"`          // the Pod's address with the subnet's prefix, e.g. 10.244.0.2/24
	Gateway     net.IP    `json:"gateway"`     // the bridge's address, the Pod's default route
	HostVeth    string    `json:"hostVeth"`    // the node's end of the veth pair, e.g. veth1a2b3c4d
	HostIfindex int       `json:"hostIfindex"` // its index in the node's network namespace
	PodIfindex  int       `json:"podIfindex"`  // the index of eth0 in the Pod's network namespace
}

// VethName is the name of the node's end of the veth pair of pod podID:
// "veth" and 8 hex digits of a hash of the ID. Like CNI's random names it
// fits in IFNAMSIZ; unlike them it can be found again from the pod ID
// alone, so Del needs no other state.
func VethName(podID string) string {
	sum := sha256.Sum256([]byte(podID))
	return "veth" + hex.EncodeToString(sum[:4])
}

// withDefaults fills in the defaults and checks the config; every exported
// method starts with it.
func (c Config) withDefaults() (Config, error) {
	if c.Bridge == "" {
		c.Bridge = DefaultBridge
	}
	if len(c.Bridge) > maxNameLen {
		return c, fmt.Errorf("bridge name %q is longer than %d characters", c.Bridge, maxNameLen)
	}
	if c.MTU == 0 {
		c.MTU = DefaultMTU
	}
	if c.StateDir == "" {
		c.StateDir = filepath.Join(paths.Run(), "ipam", c.Bridge)
	}
	if c.Subnet == nil {
		return c, fmt.Errorf("bridge %q has no pod subnet", c.Bridge)
	}
	ip4 := c.Subnet.IP.To4()
	ones, bits := c.Subnet.Mask.Size()
	if ip4 == nil || bits != 32 {
		return c, fmt.Errorf("pod subnet %s of bridge %q is not IPv4: podlab networks are IPv4 only", c.Subnet, c.Bridge)
	}
	if ones > 30 {
		return c, fmt.Errorf("pod subnet %s of bridge %q is too small: it needs a gateway and at least one pod address (/30 or larger)", c.Subnet, c.Bridge)
	}
	// 10.244.0.7/24 means the subnet 10.244.0.0/24.
	c.Subnet = &net.IPNet{IP: ip4.Mask(c.Subnet.Mask), Mask: c.Subnet.Mask}
	if c.ClusterCIDR != nil {
		cones, cbits := c.ClusterCIDR.Mask.Size()
		if cbits != 32 || cones > ones || !c.ClusterCIDR.Contains(c.Subnet.IP) {
			return c, fmt.Errorf("pod subnet %s of bridge %q is not inside the cluster's pod network %s", c.Subnet, c.Bridge, c.ClusterCIDR)
		}
		c.ClusterCIDR = &net.IPNet{IP: c.ClusterCIDR.IP.Mask(c.ClusterCIDR.Mask), Mask: c.ClusterCIDR.Mask}
	}
	return c, nil
}

// gateway is the first address of the subnet, which the bridge holds
// (host-local's default gateway).
func (c Config) gateway() net.IP { return toIP(toUint32(c.Subnet.IP) + 1) }

// podRange are the addresses Pods may get: all but the network address,
// the gateway and the broadcast address. In 10.244.0.0/24: .2 to .254.
type podRange struct{ first, last uint32 }

func rangeOf(subnet *net.IPNet) podRange {
	network := toUint32(subnet.IP)
	ones, _ := subnet.Mask.Size()
	broadcast := network | (1<<(32-ones) - 1)
	return podRange{first: network + 2, last: broadcast - 1}
}

// size is the number of pod addresses: 253 in a /24.
func (r podRange) size() int { return int(r.last - r.first + 1) }

func (r podRange) contains(ip uint32) bool { return ip >= r.first && ip <= r.last }

// next is the address after ip, wrapping around from the last to the first.
func (r podRange) next(ip uint32) uint32 {
	if ip >= r.last || ip < r.first {
		return r.first
	}
	return ip + 1
}

// An IPv4 address as a number, so that "the next address" is +1.
func toUint32(ip net.IP) uint32 { return binary.BigEndian.Uint32(ip.To4()) }

func toIP(n uint32) net.IP { return binary.BigEndian.AppendUint32(make(net.IP, 0, 4), n) }
