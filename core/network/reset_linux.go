package network

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coreos/go-iptables/iptables"
	"github.com/vishvananda/netlink"

	"github.com/podlab/podlab/core/paths"
)

// Reset takes the node's pod network down, whatever its IPAM files say:
// the last step of a node reset, once its Pods are removed. (kubeadm
// reset leaves this to the admin: "delete cni0, flush iptables"; podlab
// knows what it made.) It deletes the veth of every Pod that still holds
// an address and releases the address; then, as Del does after the last
// Pod, it deletes the MASQUERADE rule and the bridge and puts ip_forward
// back. It returns what it removed, like "bridge podlab0", for the caller
// to tell: a node whose Pods all went through Del gives nothing.
//
// Subnet may be nil: the subnets are then found on the bridge's gateway
// address and in the rules' comments, which name the bridge. The IPAM
// directory itself stays, with its lock: it is the caller's state.
func (c Config) Reset() (removed []string, err error) {
	c.Bridge = cmp.Or(c.Bridge, DefaultBridge)
	if c.StateDir == "" {
		c.StateDir = filepath.Join(paths.Run(), "ipam", c.Bridge) // as withDefaults
	}
	node, err := handleAt(c.NodeNetNS)
	if err != nil {
		return nil, fmt.Errorf("reset the pod network of bridge %q: %w", c.Bridge, err)
	}
	defer node.Close()

	// The IPAM lock, as in Add and Del, if there is a store at all: Reset
	// does not create one.
	s := &store{dir: c.StateDir}
	if _, err := os.Stat(c.StateDir); err == nil {
		if s, err = lockStore(c.StateDir); err != nil {
			return nil, err
		}
		defer s.unlock()
		if removed, err = releaseAll(node, s); err != nil {
			return removed, err
		}
	}
	subnets, err := c.subnets(node)
	if err != nil {
		return removed, err
	}
	var errs []error
	for _, subnet := range subnets {
		c.Subnet = subnet
		if had, err := c.hasMasquerade(); err != nil || !had {
			errs = append(errs, err)
			continue
		}
		if err := c.deleteMasquerade(); err != nil {
			errs = append(errs, err)
		} else {
			removed = append(removed, "MASQUERADE rule for "+subnet.String())
		}
	}
	if _, err := node.LinkByName(c.Bridge); err == nil {
		if err := deleteBridge(node, c.Bridge); err != nil {
			errs = append(errs, err)
		} else if _, err := node.LinkByName(c.Bridge); isNotFound(err) {
			removed = append(removed, "bridge "+c.Bridge)
		}
	}
	// Put back ip_forward, unless another podlab bridge still routes Pods
	// here: then the saved value stays saved.
	if ino, err := c.netnsInode(); err == nil {
		if old, saved, _ := s.savedForward(ino); saved {
			errs = append(errs, c.restoreForwarding(node, s))
			if _, still, _ := s.savedForward(ino); !still {
				removed = append(removed, "ip_forward "+old+" restored")
			}
		}
	}
	return removed, errors.Join(errs...)
}

// releaseAll deletes the veth of every Pod that holds an address, and
// releases the address.
func releaseAll(node *netlink.Handle, s *store) (removed []string, err error) {
	held, err := s.reservations()
	if err != nil {
		return nil, err
	}
	for _, addr := range slices.Sorted(maps.Keys(held)) {
		pod := held[addr]
		if err := deleteVeth(node, pod); err != nil {
			return removed, err
		}
		if err := os.Remove(filepath.Join(s.dir, addr)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("release %s: %w", addr, err)
		}
		removed = append(removed, fmt.Sprintf("address %s of pod %s", addr, pod))
	}
	return removed, nil
}

// subnets are the pod subnets the bridge served: c.Subnet, the one of the
// bridge's gateway address, those of MASQUERADE rules that name the
// bridge in their comment.
func (c Config) subnets(node *netlink.Handle) ([]*net.IPNet, error) {
	var found []*net.IPNet
	add := func(n *net.IPNet) {
		n = &net.IPNet{IP: n.IP.Mask(n.Mask), Mask: n.Mask}
		if !slices.ContainsFunc(found, func(f *net.IPNet) bool { return f.String() == n.String() }) {
			found = append(found, n)
		}
	}
	if c.Subnet != nil {
		add(c.Subnet)
	}
	if br, err := node.LinkByName(c.Bridge); err == nil {
		addrs, err := retryDump(func() ([]netlink.Addr, error) { return node.AddrList(br, netlink.FAMILY_V4) })
		if err != nil {
			return nil, fmt.Errorf("list addresses of bridge %q: %w", c.Bridge, err)
		}
		for _, a := range addrs {
			add(a.IPNet)
		}
	}
	var rules []string
	err := c.inNode(func() error {
		ipt, err := iptables.New()
		if err == nil {
			rules, err = ipt.List("nat", "POSTROUTING")
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list nat POSTROUTING in %s: %w", c.where(), err)
	}
	// -A POSTROUTING -s 10.244.0.0/24 ! -d 10.244.0.0/24 -m comment --comment "podlab: masquerade pods of podlab0" -j MASQUERADE
	comment := fmt.Sprintf("%q", "podlab: masquerade pods of "+c.Bridge)
	for _, rule := range rules {
		f := strings.Fields(rule)
		if !strings.Contains(rule, comment) || len(f) < 4 || f[2] != "-s" {
			continue
		}
		if _, n, err := net.ParseCIDR(f[3]); err == nil {
			add(n)
		}
	}
	return found, nil
}

// hasMasquerade tells whether the MASQUERADE rule of c.Subnet is there.
func (c Config) hasMasquerade() (bool, error) {
	var has bool
	err := c.inNode(func() error {
		ipt, err := iptables.New()
		if err == nil {
			has, err = ipt.Exists("nat", "POSTROUTING", c.masqueradeRule()...)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("look for the MASQUERADE rule for %s in %s: %w", c.Subnet, c.where(), err)
	}
	return has, nil
}
