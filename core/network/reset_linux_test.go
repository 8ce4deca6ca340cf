package network

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Reset of a node whose two Pods are still connected: their veths and
// addresses go, then the rule, the bridge and ip_forward, the subnet
// found on the bridge.
func TestResetWithPodsLeft(t *testing.T) {
	needRoot(t)
	node, pod1, pod2 := newNetNS(t), newNetNS(t), newNetNS(t)
	c := testConfig(t, node, testSubnet)
	for id, pod := range map[string]*scratchNetNS{"pod-1": pod1, "pod-2": pod2} {
		if _, err := c.Add(id, pod.path); err != nil {
			t.Fatal(err)
		}
	}
	reset := c
	reset.Subnet = nil
	removed, err := reset.Reset()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"address 10.244.99.2 of pod", "address 10.244.99.3 of pod", "MASQUERADE rule for 10.244.99.0/24",
		"bridge " + testBridge, "ip_forward 0 restored"}
	if len(removed) != len(want) {
		t.Fatalf("removed %q, want %q", removed, want)
	}
	for i := range want {
		if !strings.HasPrefix(removed[i], want[i]) {
			t.Errorf("removed[%d] = %q, want %q...", i, removed[i], want[i])
		}
	}
	wantNodeClean(t, c, node)
	if removed, err := reset.Reset(); err != nil || len(removed) > 0 {
		t.Errorf("Reset again: removed %q, %v", removed, err)
	}
}

// A MASQUERADE rule left alone, without bridge or IPAM directory, is found
// by its comment.
func TestResetFindsARuleByItsComment(t *testing.T) {
	needRoot(t)
	node := newNetNS(t)
	c := testConfig(t, node, testSubnet)
	if err := c.ensureMasquerade(); err != nil {
		t.Fatal(err)
	}
	reset := Config{Bridge: testBridge, NodeNetNS: node.path, StateDir: filepath.Join(t.TempDir(), "none")}
	removed, err := reset.Reset()
	if err != nil || !slices.Equal(removed, []string{"MASQUERADE rule for " + testSubnet}) {
		t.Errorf("Reset: removed %q, %v", removed, err)
	}
	wantNodeClean(t, c, node)
	if _, err := os.Stat(reset.StateDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Reset made the IPAM directory: %v", err)
	}
}
