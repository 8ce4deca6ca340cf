package preflight

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// On this machine: what the VM items say follows from what it is.
func TestVagrantItemsOnThisHost(t *testing.T) {
	m := readMachine()
	items := vagrantItems()
	byName := map[string]Item{}
	for _, it := range items {
		byName[it.Name] = it
		t.Logf("%s: ok %v: %s", it.Name, it.OK, it.Detail)
	}
	if !m.virtualBox() {
		if it := byName["VirtualBox host-only range"]; !it.OK || it.Detail != "not a VirtualBox VM: nothing to check" {
			t.Errorf("not a VirtualBox VM, but %+v", it)
		}
	}
	if len(m.nodeIPs) == 0 {
		if it := byName["node IP not on the NAT interface"]; !it.OK || !strings.Contains(it.Detail, "nothing to check") {
			t.Errorf("no units, but %+v", it)
		}
	}
	if it := byName["cgroup version"]; m.cgroup != 0 && !strings.Contains(it.Detail, map[int]string{1: "cgroup v1", 2: "cgroup v2"}[m.cgroup]) {
		t.Errorf("cgroup v%d, but %+v", m.cgroup, it)
	}
	if lo, ok := m.addrs[mustAddr(t, "127.0.0.1")]; !ok || lo != "lo" {
		t.Errorf("127.0.0.1 is on %q, %v; the addresses read: %v", lo, ok, m.addrs)
	}
}

func TestBrNetfilterOnThisHost(t *testing.T) {
	it := brNetfilter()
	_, err := os.Stat("/proc/sys/net/bridge/bridge-nf-call-iptables")
	if it.OK != (err == nil) || it.Needed || !strings.Contains(it.Fix, "modprobe br_netfilter") {
		t.Errorf("%+v, with the sysctl: %v", it, err)
	}
	if it.OK && !strings.HasPrefix(it.Detail, "loaded: /proc/sys/net/bridge/bridge-nf-call-iptables = ") {
		t.Errorf("detail %q", it.Detail)
	}
}

func TestModuleShipped(t *testing.T) {
	dir := t.TempDir()
	dep := "kernel/net/bridge/br_netfilter.ko.zst: kernel/net/bridge/bridge.ko.zst kernel/net/802/stp.ko.zst\n" +
		"kernel/net/bridge/bridge.ko.zst: kernel/net/802/stp.ko.zst\n"
	if err := os.WriteFile(filepath.Join(dir, "modules.dep"), []byte(dep), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "modules.builtin"), []byte("kernel/fs/overlayfs/overlay.ko\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for module, want := range map[string]bool{"br_netfilter": true, "bridge": true, "stp": false, "overlay": true, "vxlan": false, "br": false} {
		if got := moduleShipped(dir, module); got != want {
			t.Errorf("moduleShipped(%q) = %v, want %v", module, got, want)
		}
	}
	if moduleShipped(filepath.Join(dir, "none"), "bridge") {
		t.Error("a kernel without module lists ships bridge")
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
