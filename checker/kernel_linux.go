package checker

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/paths"
	"github.com/podlab/podlab/core/proc"
	"github.com/podlab/podlab/core/runtime"
)

// This file reads the kernel's view of podlab's containers. The runtime's
// state file is used to find a container's directory and exit record, but a
// process only counts as the container when the kernel says so: it must sit
// in the container's cgroup.

// container is one podlab container as the checker sees it.
type container struct {
	name  string
	state *runtime.State // the runtime's record: exit code, layers, directory
	pid   int            // host PID of its PID 1, 0 when not running
	cg    cgroup.Cgroup  // its cgroup, nil when gone
}

// findContainer looks a container up and verifies its PID 1 against the
// kernel. A container whose process is gone is returned with pid 0.
func findContainer(name string) (*container, error) {
	rt, err := runtime.New()
	if err != nil {
		return nil, err
	}
	st, err := rt.Get(name)
	if err != nil {
		return nil, err
	}
	c := &container{name: name, state: st}
	c.cg, _ = rt.Cgroups.Open(st.Cgroup)
	if st.Status == runtime.Running && proc.InCgroup(st.Pid, st.Cgroup) {
		c.pid = st.Pid
	}
	return c, nil
}

// rtLog is the file holding the container's output.
func (c *container) rtLog() string { return filepath.Join(c.state.Dir, "container.log") }

// runningContainers lists the containers that have a process in a cgroup
// under podlab's parent cgroup: the kernel's list, not the runtime's.
func runningContainers() ([]*container, error) {
	drv, err := cgroup.Detect()
	if err != nil {
		return nil, err
	}
	names, err := drv.Children(paths.CgroupParent())
	if err != nil {
		return nil, err
	}
	var list []*container
	for _, cgName := range names {
		c, err := findContainer(filepath.Base(cgName))
		if err == nil && c.pid != 0 {
			list = append(list, c)
		}
	}
	return list, nil
}

// procsInPIDNamespace lists the processes whose PID namespace has inode ino.
func procsInPIDNamespace(ino uint64) []proc.Stat {
	var list []proc.Stat
	for _, pid := range proc.List() {
		if got, err := ns.Inode(pid, ns.PID); err != nil || got != ino {
			continue
		}
		if st, err := proc.ReadStat(pid); err == nil {
			list = append(list, st)
		}
	}
	return list
}

func zombies(list []proc.Stat) []proc.Stat {
	var z []proc.Stat
	for _, p := range list {
		if p.State == 'Z' {
			z = append(z, p)
		}
	}
	return z
}

// mountNamespace reads every mount of the mount namespace of pid, also
// those outside the process's root directory, which /proc/PID/mountinfo
// leaves out (a chroot hides the host's root there). A throw-away thread
// joins the namespace, which sets its root to the namespace's root, and
// reads its own mountinfo through the host's /proc, opened beforehand.
func mountNamespace(pid int) ([]proc.Mount, error) {
	procfs, err := unix.Open("/proc", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /proc: %w", err)
	}
	defer unix.Close(procfs)
	var data []byte
	err = ns.Do(map[ns.Type]string{ns.Mount: ns.Path(pid, ns.Mount)}, func() error {
		fd, err := unix.Openat(procfs, "thread-self/mountinfo", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		f := os.NewFile(uintptr(fd), "mountinfo")
		defer f.Close()
		data, err = io.ReadAll(f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read the mount table of pid %d: %w", pid, err)
	}
	return proc.ParseMounts(data), nil
}
