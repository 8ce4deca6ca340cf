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
	node, err := HandleAt(c.NodeNetNS)
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
	rules, err := c.masquerades()
	if err != nil {
		return removed, err
	}
	var errs []error
	for _, m := range rules {
		if err := m.deleteMasquerade(); err != nil {
			errs = append(errs, err)
		} else {
			removed = append(removed, "MASQUERADE rule for "+m.Subnet.String())
		}
	}
	if _, err := node.LinkByName(c.Bridge); err == nil {
		if err := deleteBridge(node, c.Bridge); err != nil {
			errs = append(errs, err)
		} else if _, err := node.LinkByName(c.Bridge); IsLinkNotFound(err) {
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

// masquerades are the MASQUERADE rules of the bridge: c with the Subnet
// and ClusterCIDR of each, read back from the rules that name the bridge
// in their comment:
//
//	-A POSTROUTING -s 10.244.1.0/24 ! -d 10.244.0.0/16 -m comment --comment "podlab: masquerade pods of podlab0" -j MASQUERADE
func (c Config) masquerades() ([]Config, error) {
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
	comment := fmt.Sprintf("%q", "podlab: masquerade pods of "+c.Bridge)
	var found []Config
	for _, rule := range rules {
		f := strings.Fields(rule)
		if !strings.Contains(rule, comment) || len(f) < 7 || f[2] != "-s" || f[4] != "!" || f[5] != "-d" {
			continue
		}
		_, src, err1 := net.ParseCIDR(f[3])
		_, dst, err2 := net.ParseCIDR(f[6])
		if err1 == nil && err2 == nil {
			m := c
			m.Subnet, m.ClusterCIDR = src, dst
			found = append(found, m)
		}
	}
	return found, nil
}
