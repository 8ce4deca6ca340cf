package cgroup

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// v1 is the driver for legacy and hybrid hosts. There, each controller has
// its own hierarchy, so one group is one directory per controller:
//
//	/sys/fs/cgroup/cpu/podlab/web      cpu.cfs_quota_us, cpu.cfs_period_us
//	/sys/fs/cgroup/cpuacct/podlab/web  cpuacct.usage
//	/sys/fs/cgroup/memory/podlab/web   memory.limit_in_bytes, memory.oom_control
//	/sys/fs/cgroup/pids/podlab/web     pids.max
type v1 struct {
	mounts map[string]string // controller -> mountpoint of its hierarchy
}

// v1NoMemoryLimit: v1 shows "no memory limit" as the largest page-aligned
// int64 (9223372036854771712 with 4 KiB pages). Anything this big is no limit.
const v1NoMemoryLimit = 1 << 62

func (d *v1) Version() int { return 1 }

// group returns the handle of name without touching the filesystem.
func (d *v1) group(name string) (*v1Group, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	g := &v1Group{name: name, dirs: map[string]string{}}
	for _, c := range v1Controllers {
		mount, ok := d.mounts[c]
		if !ok {
			return nil, errV1NotMounted(c)
		}
		g.dirs[c] = filepath.Join(mount, name)
	}
	return g, nil
}

// Create makes the group's directory in each hierarchy; the kernel fills it
// with the interface files. If one mkdir fails, it removes the group
// directories it made, so no half-made group is left.
func (d *v1) Create(name string) (_ Cgroup, err error) {
	g, err := d.group(name)
	if err != nil {
		return nil, err
	}
	var made []string
	defer func() {
		if err != nil {
			for _, dir := range slices.Backward(made) {
				os.Remove(dir)
			}
		}
	}()
	for _, c := range v1Controllers {
		dir := g.dirs[c]
		if _, err := os.Stat(dir); err == nil {
			continue // creating an existing group opens it
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create cgroup %q in the %q hierarchy: %w", name, c, pathErr(err))
		}
		made = append(made, dir)
	}
	return g, nil
}

func (d *v1) Open(name string) (Cgroup, error) {
	g, err := d.group(name)
	if err != nil {
		return nil, err
	}
	for _, dir := range g.dirs {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("open cgroup %q: %w", name, err)
		}
	}
	return g, nil
}

// Children lists the child groups found in any of the hierarchies, so that a
// group left behind in only one of them is still found and can be removed.
func (d *v1) Children(parent string) ([]string, error) {
	if err := checkParent(parent); err != nil {
		return nil, err
	}
	var all []string
	for _, c := range v1Controllers {
		mount, ok := d.mounts[c]
		if !ok {
			return nil, errV1NotMounted(c)
		}
		names, err := listChildren(parent, filepath.Join(mount, parent))
		if err != nil {
			return nil, err
		}
		all = append(all, names...)
	}
	slices.Sort(all)
	return slices.Compact(all), nil
}

// v1Group is one group: the same name in each hierarchy.
type v1Group struct {
	name string
	dirs map[string]string // controller -> the group's directory in its hierarchy
}

// file is the path of one interface file, in the hierarchy of controller.
func (g *v1Group) file(controller, name string) string {
	return filepath.Join(g.dirs[controller], name)
}

func (g *v1Group) Name() string { return g.name }

func (g *v1Group) Set(r Resources) error {
	period, quota, memory := r.CPUPeriod, r.CPUQuota, r.MemoryLimit
	if period == 0 {
		period = defaultCPUPeriod
	}
	if quota == 0 {
		quota = -1 // v1 spells "no quota" -1
	}
	if memory == 0 {
		memory = -1 // and "no memory limit" too
	}
	for _, w := range []struct{ controller, file, value string }{
		{"cpu", "cpu.cfs_period_us", strconv.FormatInt(period, 10)},
		{"cpu", "cpu.cfs_quota_us", strconv.FormatInt(quota, 10)},
		{"pids", "pids.max", maxOr(r.PidsLimit)},
	} {
		if err := writeFile(g.name, g.file(w.controller, w.file), w.value); err != nil {
			return err
		}
	}
	return g.setMemory(memory)
}

// setMemory writes the memory limit, and the same limit on memory plus
// swap where the kernel accounts swap: like the kubelet with swap off, a
// container over its limit is OOM-killed instead of being swapped out. The
// kernel insists memsw >= memory at every moment, so the order depends on
// whether the limit goes up or down.
func (g *v1Group) setMemory(limit int64) error {
	mem := g.file("memory", "memory.limit_in_bytes")
	memsw := g.file("memory", "memory.memsw.limit_in_bytes")
	if _, err := os.Stat(memsw); err != nil { // no swap accounting
		return writeFile(g.name, mem, strconv.FormatInt(limit, 10))
	}
	order := []string{mem, memsw}
	reader := fileReader{group: g.name}
	if current := reader.int(mem); limit == -1 || limit > current {
		order = []string{memsw, mem}
	}
	for _, f := range order {
		if err := writeFile(g.name, f, strconv.FormatInt(limit, 10)); err != nil {
			return err
		}
	}
	return nil
}

func (g *v1Group) Resources() (Resources, error) {
	r := fileReader{group: g.name}
	res := Resources{
		CPUQuota:    max(0, r.int(g.file("cpu", "cpu.cfs_quota_us"))), // -1: no quota
		CPUPeriod:   r.int(g.file("cpu", "cpu.cfs_period_us")),
		MemoryLimit: r.int(g.file("memory", "memory.limit_in_bytes")),
		PidsLimit:   r.int(g.file("pids", "pids.max")),
	}
	if res.MemoryLimit >= v1NoMemoryLimit {
		res.MemoryLimit = 0
	}
	if r.err != nil {
		return Resources{}, r.err
	}
	return res, nil
}

// Add writes pid into cgroup.procs of every hierarchy. The kernel moves all
// threads of the process, and its future children are born in the group.
func (g *v1Group) Add(pid int) error {
	for _, c := range v1Controllers {
		if err := writeFile(g.name, g.file(c, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
			return err
		}
	}
	return nil
}

// Start moves the calling thread into the group in every hierarchy, then
// forks cmd from it (see Cgroup.Start).
func (g *v1Group) Start(cmd *exec.Cmd) error {
	for _, c := range v1Controllers {
		if err := writeFile(g.name, g.file(c, "tasks"), "0"); err != nil {
			return err
		}
	}
	return cmd.Start()
}

// Procs reads the pids hierarchy; Add puts a process in all four alike.
func (g *v1Group) Procs() ([]int, error) {
	return readProcs(g.name, g.file("pids", "cgroup.procs"))
}

// Kill kills each process of the pids hierarchy: v1 has no cgroup.kill.
// Child groups are the caller's to kill (podlab makes none below a
// container's).
func (g *v1Group) Kill() (int, error) {
	procs, err := g.Procs()
	if err != nil {
		return 0, err
	}
	return killEach(procs), nil
}

func (g *v1Group) Stats() (Stats, error) {
	r := fileReader{group: g.name}
	s := Stats{
		CPUUsage:    time.Duration(r.int(g.file("cpuacct", "cpuacct.usage"))), // nanoseconds
		MemoryUsage: uint64(r.int(g.file("memory", "memory.usage_in_bytes"))),
		MemoryPeak:  uint64(r.int(g.file("memory", "memory.max_usage_in_bytes"))),
		OOMKills:    uint64(r.key(g.file("memory", "memory.oom_control"), "oom_kill")),
	}
	if r.err != nil {
		return Stats{}, r.err
	}
	return s, nil
}

func (g *v1Group) Files() map[string]string {
	return map[string]string{
		"cpu quota":    g.file("cpu", "cpu.cfs_quota_us"),
		"cpu period":   g.file("cpu", "cpu.cfs_period_us"),
		"memory limit": g.file("memory", "memory.limit_in_bytes"),
		"pids limit":   g.file("pids", "pids.max"),
		"procs":        g.file("pids", "cgroup.procs"),
		"cpu usage":    g.file("cpuacct", "cpuacct.usage"),
		"memory usage": g.file("memory", "memory.usage_in_bytes"),
		"oom kills":    g.file("memory", "memory.oom_control"),
	}
}

// Remove rmdirs the group in every hierarchy. A live process is in all of
// them, so the first rmdir already fails and the group stays whole.
func (g *v1Group) Remove() error {
	for _, c := range v1Controllers {
		if err := removeDir(g.name, g.dirs[c]); err != nil {
			return err
		}
	}
	return nil
}
