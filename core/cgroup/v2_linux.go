package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// v2 is the driver for unified hosts: one hierarchy, so one group is one
// directory holding every controller's files, e.g.
//
//	/sys/fs/cgroup/podlab/web/{cpu.max,memory.max,pids.max,cgroup.procs}
type v2 struct {
	root string // mountpoint of the cgroup2 filesystem
}

func (d *v2) Version() int { return 2 }

// Create makes the group and any missing parents. On v2 a group only gets a
// controller's files if its parent lists the controller in
// cgroup.subtree_control, so walking from the root down, each ancestor
// hands cpu, memory and pids to the level below before that level is made.
func (d *v2) Create(name string) (Cgroup, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	group, dir := "", d.root
	for _, part := range strings.Split(name, "/") {
		if err := enableControllers(group, dir); err != nil {
			return nil, err
		}
		group, dir = path.Join(group, part), filepath.Join(dir, part)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create cgroup %q: %w", group, pathErr(err))
		}
	}
	return &v2Group{name: name, dir: dir}, nil
}

// enableControllers writes "+cpu +memory +pids" to cgroup.subtree_control of
// dir, the directory of group ("" for the root). Enabling a controller that
// is already on changes nothing, so this is safe to repeat. A group can only
// hand down the controllers it has itself, which cgroup.controllers lists.
func enableControllers(group, dir string) error {
	if group == "" {
		group = "/"
	}
	r := fileReader{group: group}
	have := strings.Fields(r.text(filepath.Join(dir, "cgroup.controllers")))
	if r.err != nil {
		return r.err
	}
	var enable []string
	for _, c := range v2Controllers {
		if !slices.Contains(have, c) {
			return fmt.Errorf("cgroup v2 controller %q is not available in cgroup %q (its cgroup.controllers lists %q): "+
				"a cgroup v1 hierarchy holds it or the kernel lacks it; use the v1 driver, "+
				"or boot with systemd.unified_cgroup_hierarchy=1", c, group, strings.Join(have, " "))
		}
		enable = append(enable, "+"+c)
	}
	return writeFile(group, filepath.Join(dir, "cgroup.subtree_control"), strings.Join(enable, " "))
}

func (d *v2) Open(name string) (Cgroup, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	dir := filepath.Join(d.root, name)
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("open cgroup %q: %w", name, err)
	}
	return &v2Group{name: name, dir: dir}, nil
}

func (d *v2) Children(parent string) ([]string, error) {
	if err := checkParent(parent); err != nil {
		return nil, err
	}
	return listChildren(parent, filepath.Join(d.root, parent))
}

// v2Group is one group: one directory.
type v2Group struct {
	name string
	dir  string
}

func (g *v2Group) file(name string) string { return filepath.Join(g.dir, name) }

func (g *v2Group) Name() string { return g.name }

func (g *v2Group) Set(r Resources) error {
	period := r.CPUPeriod
	if period == 0 {
		period = defaultCPUPeriod
	}
	for _, w := range []struct{ file, value string }{
		// cpu.max holds both numbers: "50000 100000", or "max 100000".
		{"cpu.max", maxOr(r.CPUQuota) + " " + strconv.FormatInt(period, 10)},
		{"memory.max", maxOr(r.MemoryLimit)},
		{"pids.max", maxOr(r.PidsLimit)},
	} {
		if err := writeFile(g.name, g.file(w.file), w.value); err != nil {
			return err
		}
	}
	// With a memory limit, no swap: the container is OOM-killed at its
	// limit, as with the kubelet's default (swap off), instead of swapping.
	swap := "max"
	if r.MemoryLimit > 0 {
		swap = "0"
	}
	if _, err := os.Stat(g.file("memory.swap.max")); err == nil {
		return writeFile(g.name, g.file("memory.swap.max"), swap)
	}
	return nil
}

func (g *v2Group) Resources() (Resources, error) {
	r := fileReader{group: g.name}
	quota, period, _ := strings.Cut(r.text(g.file("cpu.max")), " ")
	res := Resources{
		CPUQuota:    r.parse(g.file("cpu.max"), quota),
		CPUPeriod:   r.parse(g.file("cpu.max"), period),
		MemoryLimit: r.int(g.file("memory.max")),
		PidsLimit:   r.int(g.file("pids.max")),
	}
	if r.err != nil {
		return Resources{}, r.err
	}
	return res, nil
}

// Add writes pid to cgroup.procs. The kernel moves all threads of the
// process, and its future children are born in the group.
func (g *v2Group) Add(pid int) error {
	return writeFile(g.name, g.file("cgroup.procs"), strconv.Itoa(pid))
}

// Start creates cmd directly in the group with clone3(CLONE_INTO_CGROUP).
func (g *v2Group) Start(cmd *exec.Cmd) error {
	fd, err := unix.Open(g.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open cgroup %q: %w", g.name, err)
	}
	defer unix.Close(fd)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.UseCgroupFD = true
	cmd.SysProcAttr.CgroupFD = fd
	return cmd.Start()
}

func (g *v2Group) Procs() ([]int, error) {
	return readProcs(g.name, g.file("cgroup.procs"))
}

func (g *v2Group) Kill() (int, error) {
	procs, err := g.Procs()
	if err != nil {
		return 0, err
	}
	if _, err := os.Stat(g.file("cgroup.kill")); err != nil { // before Linux 5.14
		return killEach(procs), nil
	}
	if err := writeFile(g.name, g.file("cgroup.kill"), "1"); err != nil {
		return 0, err
	}
	return len(procs), nil
}

func (g *v2Group) Stats() (Stats, error) {
	r := fileReader{group: g.name}
	s := Stats{
		CPUUsage:    time.Duration(r.key(g.file("cpu.stat"), "usage_usec")) * time.Microsecond,
		MemoryUsage: uint64(r.int(g.file("memory.current"))),
		OOMKills:    uint64(r.key(g.file("memory.events"), "oom_kill")),
	}
	// memory.peak arrived in Linux 5.19; older kernels keep no peak.
	if _, err := os.Stat(g.file("memory.peak")); err == nil {
		s.MemoryPeak = uint64(r.int(g.file("memory.peak")))
	}
	if r.err != nil {
		return Stats{}, r.err
	}
	return s, nil
}

func (g *v2Group) Files() map[string]string {
	return map[string]string{
		"cpu quota":    g.file("cpu.max"),
		"cpu period":   g.file("cpu.max"),
		"memory limit": g.file("memory.max"),
		"pids limit":   g.file("pids.max"),
		"procs":        g.file("cgroup.procs"),
		"cpu usage":    g.file("cpu.stat"),
		"memory usage": g.file("memory.current"),
		"oom kills":    g.file("memory.events"),
	}
}

func (g *v2Group) Remove() error { return removeDir(g.name, g.dir) }
