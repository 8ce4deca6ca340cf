package checker

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/podlab/podlab/core/image"
	"github.com/podlab/podlab/core/proc"
)

// A chroot in a new mount namespace hides the host's root from the
// process's own mountinfo, but the namespace still holds it: the whole
// table, which 03.pivot-root reads, must show it.
func TestMountNamespaceSeesPastChroot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: unshare and chroot")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(image.DefaultBusybox)
	if err != nil {
		t.Skipf("no busybox to chroot into: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "chroot", dir, "/bin/busybox", "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var pid int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cmdline := proc.Cmdline(cmd.Process.Pid); len(cmdline) > 0 && cmdline[0] == "/bin/busybox" {
			pid = cmd.Process.Pid
			break
		}
	}
	if pid == 0 {
		t.Fatal("the chrooted process did not start")
	}
	host, _ := proc.Mounts(os.Getpid())
	var rootDev string
	for _, m := range host {
		if m.Point == "/" {
			rootDev = m.Dev
		}
	}
	has := func(list []proc.Mount) bool {
		for _, m := range list {
			if m.Dev == rootDev {
				return true
			}
		}
		return false
	}
	own, _ := proc.Mounts(pid)
	all, err := mountNamespace(pid)
	if err != nil {
		t.Fatal(err)
	}
	if !has(all) {
		t.Errorf("the namespace's table misses the host root %s: %v", rootDev, all)
	}
	t.Logf("own mountinfo shows the host root: %v; the namespace's table: %v", has(own), has(all))
}
