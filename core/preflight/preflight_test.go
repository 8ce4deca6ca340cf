package preflight

import (
	"os"
	"testing"
)

func TestMissingKeepsOnlyNeededFailures(t *testing.T) {
	items := []Item{
		{Name: "a", Needed: true, OK: true},
		{Name: "b", Needed: true, OK: false, Fix: "fix b"},
		{Name: "c", Needed: false, OK: false},
	}
	got := Missing(items)
	if len(got) != 1 || got[0].Name != "b" {
		t.Fatalf("Missing = %+v, want only b", got)
	}
}

func TestRunOnThisHost(t *testing.T) {
	items := Run()
	byName := map[string]Item{}
	for _, it := range items {
		byName[it.Name] = it
		if !it.OK && it.Fix == "" {
			t.Errorf("%s is missing but says no fix", it.Name)
		}
	}
	if root := byName["root"]; root.OK != (os.Geteuid() == 0) {
		t.Errorf("root item = %+v", root)
	}
	for _, name := range []string{"pid namespace", "net namespace", "overlayfs", "cgroups", "busybox-static", "veth", "bridge", "vxlan", "ip", "iptables",
		"br_netfilter", "cgroup version", "VirtualBox host-only range", "node IP not on the NAT interface"} {
		if _, ok := byName[name]; !ok {
			t.Errorf("no item for %s", name)
		}
	}
	// The pitfalls of VMs warn; they never fail lab 00.
	for _, name := range []string{"br_netfilter", "cgroup version", "VirtualBox host-only range", "node IP not on the NAT interface"} {
		if byName[name].Needed {
			t.Errorf("%s is needed: %+v", name, byName[name])
		}
	}
	if os.Geteuid() == 0 {
		// The CI host is prepared by make deps: everything must be there.
		if missing := Missing(items); len(missing) > 0 {
			t.Errorf("missing on this host: %+v", missing)
		}
	}
}
