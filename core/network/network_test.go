package network

import (
	"net"
	"regexp"
	"strings"
	"testing"
)

func mustCIDR(t *testing.T, s string) *net.IPNet {
	t.Helper()
	_, subnet, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	return subnet
}

func TestVethName(t *testing.T) {
	a, b := VethName("pod-a"), VethName("pod-b")
	for _, name := range []string{a, b} {
		if !regexp.MustCompile(`^veth[0-9a-f]{8}$`).MatchString(name) || len(name) > maxNameLen {
			t.Errorf("VethName = %q, want veth and 8 hex digits", name)
		}
	}
	if a == b || a != VethName("pod-a") {
		t.Errorf("VethName must be stable and differ between pods: %q %q", a, b)
	}
}

func TestPodRange(t *testing.T) {
	for _, tc := range []struct {
		cidr        string
		first, last string
		size        int
	}{
		{"10.244.0.0/24", "10.244.0.2", "10.244.0.254", 253},
		{"10.244.99.0/30", "10.244.99.2", "10.244.99.2", 1},
		{"10.244.0.0/16", "10.244.0.2", "10.244.255.254", 65533},
	} {
		r := rangeOf(mustCIDR(t, tc.cidr))
		if toIP(r.first).String() != tc.first || toIP(r.last).String() != tc.last || r.size() != tc.size {
			t.Errorf("%s: range %s-%s (%d), want %s-%s (%d)", tc.cidr, toIP(r.first), toIP(r.last), r.size(), tc.first, tc.last, tc.size)
		}
		if r.next(r.last) != r.first || r.next(r.first-1) != r.first {
			t.Errorf("%s: next does not wrap around to the first address", tc.cidr)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Setenv("PODLAB_RUN", "/tmp/run")
	c, err := Config{Subnet: mustCIDR(t, "10.244.0.0/24")}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.Bridge != "podlab0" || c.MTU != 1500 || c.StateDir != "/tmp/run/ipam/podlab0" || c.gateway().String() != "10.244.0.1" {
		t.Errorf("defaults: %+v, gateway %s", c, c.gateway())
	}
	c, err = Config{Subnet: &net.IPNet{IP: net.ParseIP("10.244.0.7"), Mask: net.CIDRMask(24, 32)}}.withDefaults()
	if err != nil || c.Subnet.String() != "10.244.0.0/24" {
		t.Errorf("a host address should mean its subnet: %v, %v", c.Subnet, err)
	}
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{}, "no pod subnet"},
		{Config{Subnet: mustCIDR(t, "10.244.0.0/31")}, "too small"},
		{Config{Subnet: mustCIDR(t, "fd00::/64")}, "not IPv4"},
		{Config{Bridge: "a-very-long-bridge", Subnet: mustCIDR(t, "10.244.0.0/24")}, "longer than 15"},
	} {
		if _, err := tc.c.withDefaults(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.c, err, tc.want)
		}
	}
}
