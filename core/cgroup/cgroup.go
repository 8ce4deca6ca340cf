// Package cgroup puts processes into control groups and reads back their
// limits and usage. It has two drivers behind one small interface:
//
//   - v1 (legacy and hybrid hosts): one hierarchy per controller, e.g.
//     /sys/fs/cgroup/memory/podlab/web/memory.limit_in_bytes
//   - v2 (unified hosts, the Vagrant boxes): one hierarchy, e.g.
//     /sys/fs/cgroup/podlab/web/memory.max
//
// Each limit maps to exactly one file a student can cat; Files names them.
package cgroup

import (
	"os/exec"
	"time"
)

// Resources are the limits of one cgroup. A zero field means "no limit".
type Resources struct {
	// CPUQuota and CPUPeriod, in microseconds: the group may run CPUQuota
	// out of every CPUPeriod (50000/100000 = half a CPU).
	CPUQuota  int64
	CPUPeriod int64
	// MemoryLimit in bytes; above it the kernel reclaims, then OOM-kills.
	MemoryLimit int64
	// PidsLimit caps the number of tasks (fork bombs stop here).
	PidsLimit int64
}

// Stats is the usage of one cgroup, read from the kernel.
type Stats struct {
	CPUUsage    time.Duration // total CPU time consumed by the group
	MemoryUsage uint64        // bytes in use now
	MemoryPeak  uint64        // high-water mark in bytes (0 if the kernel does not report it)
	OOMKills    uint64        // processes of this group killed by the OOM killer
}

// Cgroup is one control group of one container.
type Cgroup interface {
	// Name is the path below the hierarchy root, e.g. "podlab/web".
	Name() string
	// Set writes the limits; zero fields are written as "no limit".
	Set(Resources) error
	// Resources reads the limits back from the kernel.
	Resources() (Resources, error)
	// Add moves a process into the group.
	Add(pid int) error
	// Start starts cmd so that it is born inside the group: it never runs a
	// single instruction outside its limits, and no move is needed later.
	// Moving a whole process (Add) takes a global lock whose first writer
	// waits for an RCU grace period, about 10 ms on an idle host.
	//   - v2: clone3(CLONE_INTO_CGROUP) creates the child in the group.
	//   - v1: the calling thread first moves itself into the group ("0"
	//     written to tasks moves one thread, which skips that lock), then
	//     forks; a child starts in its parent thread's cgroups.
	// Call it on a locked thread that is thrown away afterwards (ns.Do):
	// on v1 that thread stays in the group.
	Start(cmd *exec.Cmd) error
	// Procs lists the processes in the group (cgroup.procs).
	Procs() ([]int, error)
	// Kill sends SIGKILL to every process of the group (on v2, of the
	// groups below it too), and returns how many it saw. They leave the group a
	// moment later, when the kernel has reaped them.
	//   - v2: "1" written to cgroup.kill (Linux 5.14): the kernel kills the
	//     whole subtree at once, a process that forks meanwhile included.
	//   - v1, or a v2 kernel without cgroup.kill: kill(2) of each pid in
	//     cgroup.procs; the caller repeats until the group is empty.
	Kill() (int, error)
	// Stats reads usage counters.
	Stats() (Stats, error)
	// Files maps each concept to the kernel file that holds it, for lessons:
	// "cpu quota", "cpu period", "memory limit", "pids limit", "procs",
	// "cpu usage", "memory usage", "oom kills".
	Files() map[string]string
	// Remove deletes the group (rmdir, never RemoveAll). It fails while
	// processes remain; removing a group that is already gone is not an error.
	Remove() error
}

// Driver creates and opens cgroups on one cgroup version.
type Driver interface {
	// Version is 1 or 2.
	Version() int
	// Create makes the group (and missing parents, enabling the controllers
	// podlab needs on v2) and returns it. Creating an existing group opens it.
	Create(name string) (Cgroup, error)
	// Open returns an existing group, or an error wrapping fs.ErrNotExist.
	Open(name string) (Cgroup, error)
	// Children lists the names of the direct child groups of parent
	// ("podlab" -> ["podlab/web", "podlab/db"]); a missing parent gives none.
	Children(parent string) ([]string, error)
}
