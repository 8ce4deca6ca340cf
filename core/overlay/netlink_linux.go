package overlay

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/network"
)

// externalInterface is the interface that holds ip: the one the overlay's
// traffic leaves by (flannel's --iface, found from --public-ip). It is
// never guessed from the first interface: on Vagrant that is the NAT one.
func externalInterface(nl *netlink.Handle, ip netip.Addr) (netlink.Link, error) {
	addrs, err := network.RetryDump(func() ([]netlink.Addr, error) { return nl.AddrList(nil, netlink.FAMILY_V4) })
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	for _, a := range addrs {
		if a.IP.Equal(ip.AsSlice()) {
			link, err := nl.LinkByIndex(a.LinkIndex)
			if err != nil {
				return nil, fmt.Errorf("find the interface of %s: %w", ip, err)
			}
			return link, nil
		}
	}
	return nil, fmt.Errorf("no interface has the node's IP %s: is --node-ip right?", ip)
}

// ensureOnlyAddr makes addr the only IPv4 address of link.
func ensureOnlyAddr(nl *netlink.Handle, link netlink.Link, addr netip.Prefix) error {
	addrs, err := network.RetryDump(func() ([]netlink.Addr, error) { return nl.AddrList(link, netlink.FAMILY_V4) })
	if err != nil {
		return fmt.Errorf("list the addresses of %q: %w", link.Attrs().Name, err)
	}
	for _, a := range addrs {
		if p, ok := network.PrefixOf(a.IPNet); !ok || p != addr {
			if err := nl.AddrDel(link, &a); err != nil {
				return fmt.Errorf("delete %s from %q: %w", a.IPNet, link.Attrs().Name, err)
			}
		}
	}
	if err := nl.AddrReplace(link, &netlink.Addr{IPNet: network.IPNet(addr)}); err != nil {
		return fmt.Errorf("add %s to %q: %w", addr, link.Attrs().Name, err)
	}
	return nil
}

// removeRoutes deletes the main table's IPv4 routes to destinations
// inside network for which drop says so.
func removeRoutes(nl *netlink.Handle, pods netip.Prefix, drop func(r netlink.Route, dst netip.Prefix) bool) error {
	routes, err := network.RetryDump(func() ([]netlink.Route, error) {
		return nl.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return fmt.Errorf("list routes: %w", err)
	}
	var errs []error
	for _, r := range routes {
		dst, ok := network.PrefixOf(r.Dst)
		if !ok || !pods.Contains(dst.Addr()) || dst.Bits() < pods.Bits() || !drop(r, dst) {
			continue
		}
		if err := ignoreGone(nl.RouteDel(&r)); err != nil {
			errs = append(errs, fmt.Errorf("delete route %s: %w", dst, err))
		}
	}
	return errors.Join(errs...)
}

// ignoreGone counts an entry that is gone already as deleted.
func ignoreGone(err error) error {
	if errors.Is(err, unix.ESRCH) || errors.Is(err, unix.ENOENT) || network.IsLinkNotFound(err) {
		return nil
	}
	return err
}

// Reset removes what either backend made in the network namespace at
// netnsPath ("" is the caller's): the vxlan device (its entries go with
// it) and the host-gw routes into network. It returns what it removed.
func Reset(netnsPath string, pods netip.Prefix) (removed []string, err error) {
	nl, err := network.HandleAt(netnsPath)
	if err != nil {
		return nil, err
	}
	defer nl.Close()
	if _, err := nl.LinkByName(vxlanDevice); err == nil {
		if err := deleteVXLAN(nl); err != nil {
			return nil, err
		}
		removed = append(removed, "vxlan device "+vxlanDevice)
	}
	err = removeRoutes(nl, pods, func(r netlink.Route, dst netip.Prefix) bool {
		if !isHostGWRoute(r, dst) {
			return false
		}
		removed = append(removed, fmt.Sprintf("host-gw route %s via %s", dst, r.Gw))
		return true
	})
	return removed, err
}
