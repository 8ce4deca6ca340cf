package preflight

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/cgroup"
)

// vagrantItems checks the pitfalls of a cluster on VMs (vagrant.go).
func vagrantItems() []Item {
	m := readMachine()
	return []Item{cgroupVersionItem(m), hostOnlyItem(m), natItem(m)}
}

// readMachine reads what this machine says about itself; what it cannot
// read stays empty, which the items take as "nothing to check".
func readMachine() machine {
	m := machine{
		product: readTrimmed("/sys/class/dmi/id/product_name"),
		vendor:  readTrimmed("/sys/class/dmi/id/sys_vendor"),
		addrs:   map[netip.Addr]string{},
	}
	_, err := user.Lookup("vagrant")
	m.vagrant = err == nil
	if drv, err := cgroup.Detect(); err == nil {
		m.cgroup = drv.Version()
	}
	for _, u := range []struct{ path, flag, daemon string }{
		{podletUnit, "--node-ip", "podlet"},
		{serverUnit, "--listen", "podlab-server"},
	} {
		if data, err := os.ReadFile(u.path); err == nil {
			if a, ok := unitAddr(string(data), u.flag); ok {
				m.nodeIPs = append(m.nodeIPs, configuredIP{a, fmt.Sprintf("%s %s in %s", u.daemon, u.flag, u.path)})
			}
		}
	}
	ifaces, _ := net.Interfaces()
	for _, ifi := range ifaces {
		addrs, _ := ifi.Addrs()
		for _, a := range addrs {
			if ipnet, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipnet.IP.To4()); ok {
					m.addrs[ip] = ifi.Name
				}
			}
		}
	}
	routes, _ := netlink.RouteList(nil, netlink.FAMILY_V4)
	for _, r := range routes {
		if isDefault(r.Dst) {
			if link, err := netlink.LinkByIndex(r.LinkIndex); err == nil {
				m.nat = link.Attrs().Name
				break
			}
		}
	}
	return m
}

// isDefault tells whether a route's destination is the default route's:
// none, or 0.0.0.0/0.
func isDefault(dst *net.IPNet) bool {
	if dst == nil {
		return true
	}
	ones, _ := dst.Mask.Size()
	return ones == 0
}

func readTrimmed(path string) string {
	data, _ := os.ReadFile(path)
	return strings.TrimSpace(string(data))
}

// brNetfilter: with the module loaded, traffic between pods on one
// bridge goes through iptables too, which Services need (the rules of
// kube-proxy). Preflight does not load it: it changes how every bridge
// of this machine filters.
func brNetfilter() Item {
	it := Item{Name: "br_netfilter", Lab: "18",
		Fix: "modprobe br_netfilter (and at boot: echo br_netfilter > /etc/modules-load.d/podlab.conf)"}
	const sysctl = "/proc/sys/net/bridge/bridge-nf-call-iptables"
	if v, err := os.ReadFile(sysctl); err == nil {
		it.OK = true
		it.Detail = fmt.Sprintf("loaded: %s = %s", sysctl, strings.TrimSpace(string(v)))
		return it
	}
	var uts unix.Utsname
	unix.Uname(&uts)
	release := unix.ByteSliceToString(uts.Release[:])
	it.Detail = "not loaded: no " + sysctl
	if moduleShipped(filepath.Join("/lib/modules", release), "br_netfilter") {
		it.Detail += " (the module is there for kernel " + release + ")"
	} else {
		it.Detail += " and no br_netfilter module for kernel " + release
	}
	return it
}

// moduleShipped tells whether the kernel's modules.dep or modules.builtin
// in dir names module.
func moduleShipped(dir, module string) bool {
	for _, list := range []string{"modules.dep", "modules.builtin"} {
		data, err := os.ReadFile(filepath.Join(dir, list))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			path, _, _ := strings.Cut(line, ":")
			base := filepath.Base(path)
			if base == module+".ko" || strings.HasPrefix(base, module+".ko.") {
				return true
			}
		}
	}
	return false
}
