package network

import (
	"net"
	"net/netip"
)

// netlink speaks net.IPNet; podlab's configs speak netip.Prefix. These
// two convert, for every package that programs links and routes.

// IPNet is prefix p as a net.IPNet, like 10.244.1.0/24.
func IPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// PrefixOf is n as a netip.Prefix (an IPv4 address in IPv6 form
// unmapped); false if n is nil or not an address.
func PrefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}
