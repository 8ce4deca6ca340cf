package preflight

import (
	"fmt"
	"net/netip"
	"strings"
)

// The pitfalls of a cluster on VMs, the Vagrant one above all: a node IP
// on the NAT interface, an address VirtualBox does not allow on a
// host-only network, cgroup v1 where v2 is expected, and the kernel
// modules of the overlay and of bridged traffic. Each item is a pure
// function of what the machine says about itself (machine), so that the
// tests can ask about any machine.

// The units "podlab systemd-unit" writes and the provisioning installs
// (cluster.UnitDir, cluster.PodletUnitName, cluster.ServerUnitName).
const (
	podletUnit = "/etc/systemd/system/podlet.service"
	serverUnit = "/etc/systemd/system/podlab-server.service"
)

var (
	// hostOnlyRange is where VirtualBox 6.1.28 and later allow host-only
	// addresses, unless /etc/vbox/networks.conf on the host says more.
	hostOnlyRange = netip.MustParsePrefix("192.168.56.0/21")
	// virtualBoxNAT is VirtualBox's NAT network: every VM is 10.0.2.15 on
	// it, so no VM can reach another at its address there.
	virtualBoxNAT = netip.MustParsePrefix("10.0.2.0/24")
)

// machine is what this machine says about itself.
type machine struct {
	product string // DMI product name: "VirtualBox" on a VirtualBox VM
	vendor  string // DMI system vendor: "QEMU" on a libvirt (KVM) VM
	vagrant bool   // a user named vagrant exists, as on every Vagrant box
	cgroup  int    // the cgroup version, 1 or 2; 0 if none was found
	// nodeIPs are the addresses the cluster's units on this machine give
	// the daemons: podlet --node-ip, podlab-server --listen.
	nodeIPs []configuredIP
	addrs   map[netip.Addr]string // every IPv4 address here → its interface
	nat     string                // the interface of the default route
}

// configuredIP is an address and the flag and file that set it.
type configuredIP struct {
	addr   netip.Addr
	source string // "podlet --node-ip in /etc/systemd/system/podlet.service"
}

func (m machine) virtualBox() bool { return m.product == "VirtualBox" }

// vagrantBox: a VM (VirtualBox, or QEMU/KVM as libvirt runs it) with the
// user every Vagrant box has.
func (m machine) vagrantBox() bool {
	return m.vagrant && (m.virtualBox() || m.vendor == "QEMU" || strings.Contains(m.product, "KVM"))
}

// cgroupVersionItem says which cgroup version runs. Both work: podlab has
// a v1 and a v2 driver; a current Ubuntu LTS box, the Vagrant cluster's,
// has v2, as Kubernetes nodes have today.
func cgroupVersionItem(m machine) Item {
	it := Item{Name: "cgroup version", Lab: "02", OK: true,
		Fix: "boot with systemd.unified_cgroup_hierarchy=1 on the kernel command line, or take a current Ubuntu LTS box (PODLAB_BOX)"}
	switch {
	case m.cgroup == 0:
		it.Detail = "no cgroup hierarchy found (see the cgroups item)"
	case m.cgroup == 2:
		it.Detail = "cgroup v2 (unified): podlab's v2 driver runs here"
	case m.vagrantBox():
		it.OK = false
		it.Detail = "cgroup v1 on a Vagrant box: the Vagrant cluster expects v2, as a current Ubuntu LTS box has"
	default:
		it.Detail = "cgroup v1: podlab's v1 driver runs here; the Vagrant boxes have v2"
	}
	return it
}

// hostOnlyItem checks that the cluster's addresses on a VirtualBox VM are
// in the host-only range VirtualBox allows: another one makes "vagrant
// up" fail on the host, or needs /etc/vbox/networks.conf there.
func hostOnlyItem(m machine) Item {
	it := Item{Name: "VirtualBox host-only range", Lab: "09", OK: true,
		Fix: "give the VMs addresses in " + hostOnlyRange.String() + " (PODLAB_NETWORK=192.168.56 for the Vagrantfile), or allow the range in /etc/vbox/networks.conf on the host"}
	if !m.virtualBox() {
		it.Detail = "not a VirtualBox VM: nothing to check"
		return it
	}
	var in, out []string
	for _, ip := range m.nodeIPs {
		if virtualBoxNAT.Contains(ip.addr) {
			continue // the NAT item's business
		}
		s := fmt.Sprintf("%s (%s)", ip.addr, ip.source)
		if hostOnlyRange.Contains(ip.addr) {
			in = append(in, s)
		} else {
			out = append(out, s)
		}
	}
	switch {
	case len(out) > 0:
		it.OK = false
		it.Detail = strings.Join(out, ", ") + " outside " + hostOnlyRange.String() + ", the host-only range VirtualBox allows by default"
	case len(in) > 0:
		it.Detail = strings.Join(in, ", ") + " in " + hostOnlyRange.String()
	default:
		it.Detail = "a VirtualBox VM with no podlet or podlab-server unit yet: nothing to check"
	}
	return it
}

// natItem checks that no daemon of the cluster is given the address of
// the NAT interface: on VirtualBox every VM has 10.0.2.15 there and no VM
// reaches another at it; on any Vagrant box it is the interface of the
// default route, not the network the VMs share. It also checks that each
// address is on an interface of this machine at all.
func natItem(m machine) Item {
	it := Item{Name: "node IP not on the NAT interface", Lab: "09", OK: true,
		Fix: "give the host-only address (the Vagrantfile's private_network, like 192.168.56.11): podlab systemd-unit podlet --node-ip <it> ... > " + podletUnit + "; systemctl daemon-reload; systemctl restart podlet (vagrant provision does it)"}
	if len(m.nodeIPs) == 0 {
		it.Detail = "no podlet or podlab-server unit here: nothing to check"
		return it
	}
	var good, bad []string
	for _, ip := range m.nodeIPs {
		iface, here := m.addrs[ip.addr]
		switch {
		case !here:
			bad = append(bad, fmt.Sprintf("%s (%s) is on no interface of this machine", ip.addr, ip.source))
		case virtualBoxNAT.Contains(ip.addr) && m.virtualBox():
			bad = append(bad, fmt.Sprintf("%s (%s) is on %s, VirtualBox's NAT interface: every VM has this address and none reaches another at it", ip.addr, ip.source, iface))
		case iface == m.nat && m.vagrantBox():
			bad = append(bad, fmt.Sprintf("%s (%s) is on %s, the NAT interface of this Vagrant box (the default route's), not on the network the VMs share", ip.addr, ip.source, iface))
		default:
			good = append(good, fmt.Sprintf("%s (%s) on %s", ip.addr, ip.source, iface))
		}
	}
	if len(bad) > 0 {
		it.OK = false
		it.Detail = strings.Join(bad, "; ")
	} else {
		it.Detail = strings.Join(good, ", ")
	}
	return it
}

// unitAddr returns the value of flag in the ExecStart line of a unit, as
// an address: the IP of --node-ip, or of --listen's IP:PORT.
func unitAddr(unit, flag string) (netip.Addr, bool) {
	for _, line := range strings.Split(unit, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "ExecStart=")
		if !ok {
			continue
		}
		words := strings.Fields(rest)
		for i, w := range words {
			value, ok := strings.CutPrefix(w, flag+"=")
			if w == flag && i+1 < len(words) {
				value, ok = words[i+1], true
			}
			if !ok {
				continue
			}
			if ap, err := netip.ParseAddrPort(value); err == nil {
				return ap.Addr(), true
			}
			a, err := netip.ParseAddr(value)
			return a, err == nil
		}
	}
	return netip.Addr{}, false
}
