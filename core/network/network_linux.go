package network

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"

	"github.com/vishvananda/netlink"
)

// Add connects the Pod podID, whose network namespace is at podNetNS (e.g.
// /proc/<pause pid>/ns/net), to the node's bridge, in the order of CNI ADD:
//
//  1. reserve an IP address (IPAM);
//  2. ensure the bridge, with the gateway address;
//  3. ensure the veth pair: the node's end in the bridge, eth0 in the Pod;
//  4. in the Pod: the address on eth0, lo and eth0 up, the default route;
//  5. the node's end up;
//  6. for the first Pod only: ip_forward and the MASQUERADE rule.
//
// Add is idempotent: for a Pod that is already connected it checks every
// step and returns the same address. If a step fails, Add undoes what it
// did (like Del), so the Pod is left without network and without address.
//
// The whole of Add holds the IPAM lock, so that a concurrent Del of the
// last Pod cannot delete the bridge in the middle of it.
func (c Config) Add(podID, podNetNS string) (_ *Attachment, err error) {
	if c, err = c.withDefaults(); err != nil {
		return nil, err
	}
	if podID == "" || podNetNS == "" {
		return nil, fmt.Errorf("connect pod to bridge %q: pod ID and network namespace are required", c.Bridge)
	}
	podNS, pod, err := openNetNS(podNetNS)
	if err != nil {
		return nil, fmt.Errorf("connect pod %q: %w", podID, err)
	}
	defer podNS.Close()
	defer pod.Close()
	node, err := HandleAt(c.NodeNetNS)
	if err != nil {
		return nil, fmt.Errorf("connect pod %q: %w", podID, err)
	}
	defer node.Close()
	s, err := lockStore(c.StateDir)
	if err != nil {
		return nil, fmt.Errorf("connect pod %q: %w", podID, err)
	}
	defer s.unlock()

	ip, first, err := s.reserve(podID, c.Subnet)
	if err != nil {
		return nil, err
	}
	success := false
	defer func() {
		if !success {
			if undoErr := c.remove(node, s, podID, true); undoErr != nil {
				err = fmt.Errorf("%w (and undoing it failed: %v)", err, undoErr)
			}
		}
	}()
	att, err := c.connect(node, pod, veth{podID: podID, name: VethName(podID), mtu: c.MTU, podNS: podNS}, ip)
	if err != nil {
		return nil, fmt.Errorf("connect pod %q: %w", podID, err)
	}
	if first {
		if err := c.ensureNode(s); err != nil {
			return nil, fmt.Errorf("connect pod %q: %w", podID, err)
		}
	}
	success = true
	return att, nil
}

// connect does steps 2 to 5 of Add for the Pod's veth v and address ip.
func (c Config) connect(node, pod *netlink.Handle, v veth, ip net.IP) (*Attachment, error) {
	gateway := c.gateway()
	prefix := c.Subnet.Mask
	br, err := ensureBridge(node, c.Bridge, c.MTU, &net.IPNet{IP: gateway, Mask: prefix})
	if err != nil {
		return nil, err
	}
	v.bridge = br
	host, eth0, err := ensureVeth(node, pod, v)
	if err != nil {
		return nil, err
	}
	addr := net.IPNet{IP: ip, Mask: prefix}
	if err := configurePod(pod, eth0, &addr, gateway); err != nil {
		return nil, err
	}
	if err := node.LinkSetUp(host); err != nil {
		return nil, fmt.Errorf("set veth %q up: %w", v.name, err)
	}
	return &Attachment{
		PodID:       v.podID,
		IP:          addr,
		Gateway:     gateway,
		HostVeth:    v.name,
		HostIfindex: host.Attrs().Index,
		PodIfindex:  eth0.Attrs().Index,
	}, nil
}

// Del disconnects the Pod podID: it releases its address and, while the
// Pod's network namespace lives (podNetNS given), deletes its veth pair;
// after the last Pod it removes the MASQUERADE rule, restores ip_forward
// and deletes the bridge. With podNetNS "" the namespace is gone or going,
// and the kernel destroys the pair with it: deleting links one by one costs
// an RCU grace period each, so a runtime tearing down a Pod lets the kernel
// do it. Deleting a Pod that is not connected is not an error.
func (c Config) Del(podID, podNetNS string) error {
	c, err := c.withDefaults()
	if err != nil {
		return err
	}
	node, err := HandleAt(c.NodeNetNS)
	if err != nil {
		return fmt.Errorf("disconnect pod %q: %w", podID, err)
	}
	defer node.Close()
	if _, err := os.Stat(c.StateDir); errors.Is(err, fs.ErrNotExist) {
		// No Pod ever had an address here; only a stray veth can be left.
		return deleteVeth(node, podID)
	}
	s, err := lockStore(c.StateDir)
	if err != nil {
		return fmt.Errorf("disconnect pod %q: %w", podID, err)
	}
	defer s.unlock()
	if err := c.remove(node, s, podID, podNetNS != ""); err != nil {
		return fmt.Errorf("disconnect pod %q: %w", podID, err)
	}
	return nil
}

// remove is Del with the store locked; Add also uses it to undo itself.
func (c Config) remove(node *netlink.Handle, s *store, podID string, veth bool) error {
	if veth {
		if err := deleteVeth(node, podID); err != nil {
			return err
		}
	}
	released, left, err := s.release(podID)
	if err != nil || !released || left > 0 {
		return err
	}
	return c.teardownNode(node, s)
}

// Reservations reads the IPAM directory: reserved IP -> pod ID.
func (c Config) Reservations() (map[string]string, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(c.StateDir); errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	s, err := lockStore(c.StateDir)
	if err != nil {
		return nil, err
	}
	defer s.unlock()
	return s.reservations()
}
