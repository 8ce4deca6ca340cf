package preflight

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podlab/podlab/core/cluster"
)

// A VirtualBox Vagrant box: eth0 is the NAT interface (the default
// route's), eth1 the host-only one.
func virtualBoxVM(nodeIP string) machine {
	m := machine{product: "VirtualBox", vendor: "innotek GmbH", vagrant: true, cgroup: 2, nat: "eth0",
		addrs: map[netip.Addr]string{
			netip.MustParseAddr("127.0.0.1"):     "lo",
			netip.MustParseAddr("10.0.2.15"):     "eth0",
			netip.MustParseAddr("192.168.56.11"): "eth1",
		}}
	if nodeIP != "" {
		m.nodeIPs = []configuredIP{{netip.MustParseAddr(nodeIP), "podlet --node-ip in " + podletUnit}}
	}
	return m
}

func TestCgroupVersionItem(t *testing.T) {
	vagrantV1 := virtualBoxVM("")
	vagrantV1.cgroup = 1
	libvirtV1 := machine{product: "Standard PC (Q35 + ICH9, 2009)", vendor: "QEMU", vagrant: true, cgroup: 1}
	for _, tc := range []struct {
		name string
		m    machine
		ok   bool
		want string
	}{
		{"v2", machine{cgroup: 2}, true, "cgroup v2 (unified)"},
		{"v1 on a machine of its own", machine{cgroup: 1, vagrant: true}, true, "cgroup v1: podlab's v1 driver runs here"},
		{"v1 on a VirtualBox Vagrant box", vagrantV1, false, "the Vagrant cluster expects v2"},
		{"v1 on a libvirt Vagrant box", libvirtV1, false, "the Vagrant cluster expects v2"},
		{"none", machine{}, true, "no cgroup hierarchy found"},
	} {
		it := cgroupVersionItem(tc.m)
		if it.OK != tc.ok || it.Needed || !strings.Contains(it.Detail, tc.want) || it.Fix == "" {
			t.Errorf("%s: %+v, want OK %v and %q, never needed", tc.name, it, tc.ok, tc.want)
		}
	}
}

func TestHostOnlyItem(t *testing.T) {
	outside := virtualBoxVM("192.168.100.11")
	outside.addrs[netip.MustParseAddr("192.168.100.11")] = "eth1"
	for _, tc := range []struct {
		name string
		m    machine
		ok   bool
		want string
	}{
		{"not VirtualBox", machine{product: "Standard PC (Q35 + ICH9, 2009)", vendor: "QEMU", vagrant: true,
			nodeIPs: []configuredIP{{netip.MustParseAddr("192.168.100.11"), "podlet --node-ip"}}}, true, "not a VirtualBox VM: nothing to check"},
		{"no units yet", virtualBoxVM(""), true, "no podlet or podlab-server unit yet"},
		{"in range", virtualBoxVM("192.168.56.11"), true, "192.168.56.11 (podlet --node-ip in /etc/systemd/system/podlet.service) in 192.168.56.0/21"},
		{"the range's last /24", virtualBoxVM("192.168.63.254"), true, "in 192.168.56.0/21"},
		{"outside", outside, false, "192.168.100.11 (podlet --node-ip in /etc/systemd/system/podlet.service) outside 192.168.56.0/21"},
		{"the NAT address is the NAT item's", virtualBoxVM("10.0.2.15"), true, "nothing to check"},
	} {
		it := hostOnlyItem(tc.m)
		if it.OK != tc.ok || it.Needed || !strings.Contains(it.Detail, tc.want) || !strings.Contains(it.Fix, "/etc/vbox/networks.conf") {
			t.Errorf("%s: %+v, want OK %v and %q", tc.name, it, tc.ok, tc.want)
		}
	}
}

func TestNATItem(t *testing.T) {
	// libvirt: eth0 is the management network (the default route's),
	// eth1 the private network.
	libvirt := func(nodeIP string) machine {
		return machine{product: "Standard PC (Q35 + ICH9, 2009)", vendor: "QEMU", vagrant: true, nat: "eth0",
			addrs: map[netip.Addr]string{
				netip.MustParseAddr("192.168.121.57"): "eth0",
				netip.MustParseAddr("192.168.56.12"):  "eth1",
			},
			nodeIPs: []configuredIP{{netip.MustParseAddr(nodeIP), "podlet --node-ip"}}}
	}
	// A server of its own with one interface: its node IP is on the
	// default route's interface, and that is right.
	server := machine{nat: "ens3", addrs: map[netip.Addr]string{netip.MustParseAddr("203.0.113.7"): "ens3"},
		nodeIPs: []configuredIP{{netip.MustParseAddr("203.0.113.7"), "podlet --node-ip"}}}
	for _, tc := range []struct {
		name string
		m    machine
		ok   bool
		want string
	}{
		{"no units", machine{}, true, "no podlet or podlab-server unit here: nothing to check"},
		{"host-only", virtualBoxVM("192.168.56.11"), true, "192.168.56.11 (podlet --node-ip in /etc/systemd/system/podlet.service) on eth1"},
		{"VirtualBox NAT", virtualBoxVM("10.0.2.15"), false, "10.0.2.15 (podlet --node-ip in /etc/systemd/system/podlet.service) is on eth0, VirtualBox's NAT interface"},
		{"on no interface", virtualBoxVM("192.168.56.13"), false, "192.168.56.13 (podlet --node-ip in /etc/systemd/system/podlet.service) is on no interface of this machine"},
		{"libvirt management network", libvirt("192.168.121.57"), false, "is on eth0, the NAT interface of this Vagrant box"},
		{"libvirt private network", libvirt("192.168.56.12"), true, "192.168.56.12 (podlet --node-ip) on eth1"},
		{"a server of its own", server, true, "203.0.113.7 (podlet --node-ip) on ens3"},
	} {
		it := natItem(tc.m)
		if it.OK != tc.ok || it.Needed || !strings.Contains(it.Detail, tc.want) || !strings.Contains(it.Fix, "podlab systemd-unit podlet --node-ip") {
			t.Errorf("%s: %+v, want OK %v and %q", tc.name, it, tc.ok, tc.want)
		}
	}
}

// Preflight reads the units "podlab systemd-unit" writes, at the paths
// the provisioning installs them.
func TestUnitAddr(t *testing.T) {
	if podletUnit != filepath.Join(cluster.UnitDir, cluster.PodletUnitName) || serverUnit != filepath.Join(cluster.UnitDir, cluster.ServerUnitName) {
		t.Errorf("preflight reads %s and %s, the units are %s/{%s,%s}", podletUnit, serverUnit, cluster.UnitDir, cluster.PodletUnitName, cluster.ServerUnitName)
	}
	podlet, err := cluster.PodletUnit("/usr/local/bin/podlet", cluster.UnitPodletFlags("node1", "192.168.56.11", "http://192.168.56.10:6443"))
	if err != nil {
		t.Fatal(err)
	}
	server, err := cluster.ServerUnit("/usr/local/bin/podlab-server", cluster.UnitServerFlags("192.168.56.10:6443"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		unit, flag string
		want       string // "" for none
	}{
		{podlet, "--node-ip", "192.168.56.11"},
		{server, "--listen", "192.168.56.10"},
		{server, "--node-ip", ""},
		{"[Service]\nExecStart=/opt/podlet --node-name n --node-ip=10.0.2.15\n", "--node-ip", "10.0.2.15"},
		{"[Service]\n# ExecStart=/opt/podlet --node-ip 10.0.2.15\n", "--node-ip", ""},
	} {
		a, ok := unitAddr(tc.unit, tc.flag)
		if got := map[bool]string{true: a.String()}[ok]; got != tc.want {
			t.Errorf("%s in\n%s\ngave %q, want %q", tc.flag, tc.unit, got, tc.want)
		}
	}
}
