package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResetUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"reset"}, "--node-name is required"},
		{[]string{"reset", "--node-name", "node1", "--grace", "-1s"}, "--grace -1s: must not be negative"},
		{[]string{"reset", "--node-name", "node1", "now"}, `unexpected argument "now"`},
		{[]string{"reset", "--no-such-flag"}, "flag provided but not defined"},
	} {
		var out bytes.Buffer
		if code := run(context.Background(), append([]string{"podlet"}, tc.args...), &out); code != 2 || !strings.Contains(out.String(), tc.want) {
			t.Errorf("podlet %v: exit %d, %q; want 2 and %q", tc.args, code, out.String(), tc.want)
		}
	}
}

// A node that never ran a pod: reset removes its state directory and says
// it is reset. (No pod network without IPAM files: the host's is safe.)
func TestResetEmptyNode(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the runtime opens the cgroups")
	}
	t.Setenv("PODLAB_CGROUP", fmt.Sprintf("podlabt-reset-%d", os.Getpid()))
	dir := filepath.Join(t.TempDir(), "node1")
	os.MkdirAll(filepath.Join(dir, "podlet"), 0o700)
	var out bytes.Buffer
	code := run(context.Background(), []string{"podlet", "reset", "--node-name", "node1", "--state-dir", dir}, &out)
	want := "removed the state directory " + dir + "\nnode node1 is reset: 0 pod(s) removed\n"
	if code != 0 || out.String() != want {
		t.Errorf("podlet reset: exit %d, %q; want 0 and %q", code, out.String(), want)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s is still there", dir)
	}
}
