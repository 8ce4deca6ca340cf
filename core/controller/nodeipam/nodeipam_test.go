package nodeipam

import (
	"errors"
	"net/netip"
	"testing"
)

func TestAllocate(t *testing.T) {
	cluster := netip.MustParsePrefix("10.244.0.0/16")
	p := netip.MustParsePrefix
	tests := []struct {
		name string
		used []netip.Prefix
		want string
	}{
		{"first node gets the first range", nil, "10.244.0.0/24"},
		{"next free range", []netip.Prefix{p("10.244.0.0/24"), p("10.244.1.0/24")}, "10.244.2.0/24"},
		{"a hole left by a deleted node is reused", []netip.Prefix{p("10.244.0.0/24"), p("10.244.2.0/24")}, "10.244.1.0/24"},
		{"a range set by hand that overlaps is skipped", []netip.Prefix{p("10.244.0.0/23")}, "10.244.2.0/24"},
		{"ranges outside the cluster do not matter", []netip.Prefix{p("10.96.0.0/24")}, "10.244.0.0/24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Allocate(cluster, NodeMaskSize, tt.used)
			if err != nil || got.String() != tt.want {
				t.Fatalf("Allocate = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestAllocateFull(t *testing.T) {
	cluster := netip.MustParsePrefix("10.244.0.0/23") // room for two /24
	used := []netip.Prefix{netip.MustParsePrefix("10.244.0.0/24"), netip.MustParsePrefix("10.244.1.0/24")}
	if _, err := Allocate(cluster, 24, used); !errors.Is(err, ErrFull) {
		t.Fatalf("Allocate in a full range: err = %v, want ErrFull", err)
	}
}

func TestAllocateBadMask(t *testing.T) {
	if _, err := Allocate(netip.MustParsePrefix("10.244.0.0/16"), 8, nil); err == nil {
		t.Fatal("a /8 out of a /16: no error")
	}
}
