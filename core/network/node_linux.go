package network

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/coreos/go-iptables/iptables"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/ns"
)

// The node-wide part of the network: the bridge (link_linux.go), and here
// IP forwarding, so the node routes the Pods' packets, and masquerading,
// so that replies to packets leaving the pod subnet find their way back.
// Neither is netlink:
//
//   - ip_forward is a file under /proc/sys/net, and the kernel resolves
//     those files against the network namespace of the calling *thread*;
//   - iptables is a program, and a child is born in the network namespace
//     of the thread that forks it.
//
// So both run on a throw-away thread that has joined the node's network
// namespace (ns.Do), and that thread dies with the call.

const ipForward = "/proc/sys/net/ipv4/ip_forward"

// inNode runs fn on a throw-away thread in the node's network namespace.
func (c Config) inNode(fn func() error) error {
	if c.NodeNetNS == "" {
		return ns.Do(nil, fn) // still a thread of its own: fn may fork
	}
	return ns.Do(map[ns.Type]string{ns.Net: c.NodeNetNS}, fn)
}

// where names the node's network namespace in errors.
func (c Config) where() string {
	if c.NodeNetNS == "" {
		return "the host's network namespace"
	}
	return fmt.Sprintf("network namespace %q", c.NodeNetNS)
}

// ensureNode sets up what all Pods of the node share, when the first one
// arrives: IP forwarding, then the MASQUERADE rule.
func (c Config) ensureNode(s *store) error {
	if err := c.ensureForwarding(s); err != nil {
		return err
	}
	return c.ensureMasquerade()
}

// teardownNode undoes ensureNode and ensureBridge after the last Pod left.
// It tries every step and reports every failure.
func (c Config) teardownNode(node *netlink.Handle, s *store) error {
	return errors.Join(c.deleteMasquerade(), deleteBridge(node, c.Bridge), c.restoreForwarding(node, s))
}

// netnsInode identifies the node's network namespace.
func (c Config) netnsInode() (uint64, error) {
	path := c.NodeNetNS
	if path == "" {
		path = "/proc/self/ns/net"
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("network namespace %q: %w", path, err)
	}
	return st.Ino, nil
}

// ensureForwarding sets net.ipv4.ip_forward to 1 in the node's namespace,
// first saving the value it had, for restoreForwarding. A value saved
// already (by another bridge, or an earlier run) is kept: it is the one
// from before podlab.
func (c Config) ensureForwarding(s *store) error {
	ino, err := c.netnsInode()
	if err != nil {
		return err
	}
	_, saved, err := s.savedForward(ino)
	if err != nil {
		return err
	}
	return c.inNode(func() error {
		if !saved {
			old, err := os.ReadFile(ipForward)
			if err != nil {
				return fmt.Errorf("read ip_forward in %s: %w", c.where(), err)
			}
			if err := s.saveForward(ino, strings.TrimSpace(string(old))); err != nil {
				return err
			}
		}
		if err := os.WriteFile(ipForward, []byte("1"), 0o644); err != nil {
			return fmt.Errorf("enable ip_forward in %s: %w", c.where(), err)
		}
		return nil
	})
}

// routesPods tells whether a podlab bridge other than bridge has a pod's
// veth (VethName: "veth" and 8 hex digits) as a port: Pods still need
// ip_forward. The bridge of a local cluster's underlay, whose ports are
// the nodes' links, needs none.
func routesPods(links []netlink.Link, bridge string) bool {
	others := map[int]bool{}
	for _, l := range links {
		if _, ok := l.(*netlink.Bridge); ok && l.Attrs().Name != bridge && strings.HasPrefix(l.Attrs().Name, "podlab") {
			others[l.Attrs().Index] = true
		}
	}
	for _, l := range links {
		if name := l.Attrs().Name; others[l.Attrs().MasterIndex] && vethName.MatchString(name) {
			return true
		}
	}
	return false
}

// vethName is the shape of VethName.
var vethName = regexp.MustCompile(`^veth[0-9a-f]{8}$`)

// restoreForwarding puts back the ip_forward value saved by
// ensureForwarding, unless another podlab bridge in the namespace still
// routes Pods.
func (c Config) restoreForwarding(node *netlink.Handle, s *store) error {
	links, err := RetryDump(node.LinkList)
	if err != nil {
		return err
	}
	if routesPods(links, c.Bridge) {
		return nil
	}
	ino, err := c.netnsInode()
	if err != nil {
		return err
	}
	old, saved, err := s.savedForward(ino)
	if err != nil || !saved {
		return err
	}
	err = c.inNode(func() error { return os.WriteFile(ipForward, []byte(old), 0o644) })
	if err != nil {
		return fmt.Errorf("restore ip_forward=%s in %s: %w", old, c.where(), err)
	}
	return s.forgetForward(ino)
}

// masqueradeRule is the nat POSTROUTING rule that rewrites the source of
// packets from a Pod to anywhere outside the pod network (ClusterCIDR, or
// the node's subnet without one) to the node's own address, as `iptables
// -t nat -S POSTROUTING` shows it:
//
//	-A POSTROUTING -s 10.244.1.0/24 ! -d 10.244.0.0/16 -m comment --comment "podlab: masquerade pods of podlab0" -j MASQUERADE
//
// Pod to pod, across nodes too, keeps the pod's address: the overlay
// carries it, and the other pod sees who called.
//
// (CNI's ipMasq makes one chain per container instead; one rule per node
// does the same with one iptables call per node rather than per Pod.)
func (c Config) masqueradeRule() []string {
	dst := c.Subnet.String()
	if c.ClusterCIDR != nil {
		dst = c.ClusterCIDR.String()
	}
	return []string{"-s", c.Subnet.String(), "!", "-d", dst,
		"-m", "comment", "--comment", "podlab: masquerade pods of " + c.Bridge,
		"-j", "MASQUERADE"}
}

// ensureMasquerade appends the MASQUERADE rule unless it is there.
func (c Config) ensureMasquerade() error {
	err := c.inNode(func() error {
		ipt, err := iptables.New()
		if err != nil {
			return err
		}
		return ipt.AppendUnique("nat", "POSTROUTING", c.masqueradeRule()...)
	})
	if err != nil {
		return fmt.Errorf("add MASQUERADE rule for %s in %s: %w", c.Subnet, c.where(), err)
	}
	return nil
}

// deleteMasquerade deletes the MASQUERADE rule if it is there.
func (c Config) deleteMasquerade() error {
	err := c.inNode(func() error {
		ipt, err := iptables.New()
		if err != nil {
			return err
		}
		return ipt.DeleteIfExists("nat", "POSTROUTING", c.masqueradeRule()...)
	})
	if err != nil {
		return fmt.Errorf("delete MASQUERADE rule for %s in %s: %w", c.Subnet, c.where(), err)
	}
	return nil
}
