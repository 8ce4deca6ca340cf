package podlet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/ns"
)

// Reset of a node whose records are gone but a process of a pod is not:
// it is killed and its cgroup removed, the podlet's state goes, what
// else is in the state directory stays, and so the directory; the node's
// cgroup parent goes, and podlab's above it. Again: nothing to do.
func TestResetWithoutRecords(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: cgroups")
	}
	parent := fmt.Sprintf("podlabt-reset-%d", os.Getpid())
	t.Setenv("PODLAB_CGROUP", parent)
	drv, err := cgroup.Detect()
	if err != nil {
		t.Fatal(err)
	}
	stray, err := drv.Create(NodeCgroupParent("node1") + "/pod-stray/c")
	if err != nil {
		t.Fatal(err)
	}
	sleep := exec.Command("sleep", "60")
	if err := ns.Do(nil, func() error { return stray.Start(sleep) }); err != nil {
		stray.Remove()
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- sleep.Wait() }()

	dir := filepath.Join(t.TempDir(), "node1")
	for _, d := range []string{"containers/web-c", "pods/names", "podlet", "ipam"} {
		os.MkdirAll(filepath.Join(dir, d), 0o700)
	}
	os.WriteFile(filepath.Join(dir, "ip_forward.4026531840"), []byte("0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not the podlet's\n"), 0o644)

	var said []string
	cfg := ResetConfig{NodeName: "node1", StateDir: dir, Grace: time.Second, NetworkGone: true,
		Say: func(format string, args ...any) { said = append(said, fmt.Sprintf(format, args...)) }}
	n, err := Reset(context.Background(), cfg)
	if err != nil || n != 0 {
		t.Fatalf("Reset: %d pods, %v", n, err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		sleep.Process.Kill()
		t.Fatal("the stray process still runs")
	}
	want := []string{"removed cgroup " + parent + "/node1/pod-stray, of no recorded pod (killed 1 process(es))",
		"removed the podlet's state in " + dir}
	if strings.Join(said, "\n") != strings.Join(want, "\n") {
		t.Errorf("Reset said\n%s\nwant\n%s", strings.Join(said, "\n"), strings.Join(want, "\n"))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "notes.txt" {
		t.Errorf("state left: %v, want notes.txt alone", entries)
	}
	if _, err := drv.Open(parent); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cgroup %s is still there: %v", parent, err)
	}

	os.Remove(filepath.Join(dir, "notes.txt"))
	said = nil
	if n, err := Reset(context.Background(), cfg); err != nil || n != 0 || len(said) != 1 || said[0] != "removed the state directory "+dir {
		t.Errorf("Reset again: %d pods, %v, said %q", n, err, said)
	}
}
