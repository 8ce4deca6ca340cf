package cgroup

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// mountRoot is where systemd and every distribution mount cgroups.
const mountRoot = "/sys/fs/cgroup"

// v1Controllers are the v1 hierarchies a podlab container joins: one for each
// kind of limit it sets or counter it reads.
var v1Controllers = []string{"cpu", "cpuacct", "memory", "pids"}

// v2Controllers are the controllers podlab enables for its groups on v2, where
// cpu.stat reports usage without a separate cpuacct controller.
var v2Controllers = []string{"cpu", "memory", "pids"}

// Detect returns the driver for this host. Like systemd and containerd, it
// asks which filesystem is mounted at /sys/fs/cgroup.
func Detect() (Driver, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(mountRoot, &st); err != nil {
		return nil, fmt.Errorf("detect cgroup version: statfs %q: %w", mountRoot, err)
	}
	if versionFor(int64(st.Type)) == 2 {
		return NewV2(mountRoot), nil
	}
	mounts, err := V1Mounts()
	if err != nil {
		return nil, err
	}
	return NewV1(mounts), nil
}

// versionFor maps the filesystem magic of /sys/fs/cgroup to the cgroup
// version podlab uses. cgroup2 there means a unified host. Anything else
// (a tmpfs holding one mount per v1 controller) is a legacy or hybrid host.
// We use v1 on hybrid hosts too: their extra cgroup2 mount at
// /sys/fs/cgroup/unified has no cpu, memory or pids controller, because the
// v1 hierarchies hold them.
func versionFor(magic int64) int {
	if magic == unix.CGROUP2_SUPER_MAGIC {
		return 2
	}
	return 1
}

// NewV1 returns the driver for cgroup v1. mounts maps each controller podlab
// uses (cpu, cpuacct, memory, pids) to the mountpoint of its hierarchy, as
// V1Mounts finds them.
func NewV1(mounts map[string]string) Driver {
	m := make(map[string]string, len(v1Controllers))
	for _, c := range v1Controllers {
		if dir, ok := mounts[c]; ok {
			m[c] = dir
		}
	}
	return &v1{mounts: m}
}

// NewV2 returns the driver for the unified cgroup v2 hierarchy mounted at
// root, normally /sys/fs/cgroup.
func NewV2(root string) Driver { return &v2{root: root} }

// V1Mounts finds where the cgroup v1 hierarchies of cpu, cpuacct, memory and
// pids are mounted, by reading /proc/self/mountinfo. It fails, naming the
// controller and the fix, if one of them is not mounted.
func V1Mounts() (map[string]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("find cgroup v1 mounts: %w", err)
	}
	defer f.Close()
	return parseV1Mounts(f)
}

// parseV1Mounts reads mountinfo lines such as
//
//	35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
//	                 ^ mountpoint                    ^ type   ^ super options
//
// The super options name the controllers of a v1 hierarchy. One hierarchy
// can hold several ("rw,cpu,cpuacct" on systemd hosts); then they share a
// mountpoint.
func parseV1Mounts(r io.Reader) (map[string]string, error) {
	mounts := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// " - " ends the optional fields, whose number varies.
		mount, super, ok := strings.Cut(sc.Text(), " - ")
		fields, superFields := strings.Fields(mount), strings.Fields(super)
		if !ok || len(fields) < 5 || len(superFields) < 3 || superFields[0] != "cgroup" {
			continue
		}
		for _, c := range strings.Split(superFields[2], ",") {
			if _, seen := mounts[c]; slices.Contains(v1Controllers, c) && !seen {
				mounts[c] = unescapeMountinfo(fields[4])
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("find cgroup v1 mounts: read mountinfo: %w", err)
	}
	for _, c := range v1Controllers {
		if _, ok := mounts[c]; !ok {
			return nil, errV1NotMounted(c)
		}
	}
	return mounts, nil
}

// unescapeMountinfo undoes the octal escapes the kernel uses in mountinfo for
// space, tab, newline and backslash.
var unescapeMountinfo = strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace

// errV1NotMounted says that controller c has no v1 hierarchy, and how to add one.
func errV1NotMounted(c string) error {
	return fmt.Errorf("cgroup v1 controller %q is not mounted (see /proc/cgroups); "+
		"mount it with \"mkdir -p %[2]s/%[1]s && mount -t cgroup -o %[1]s cgroup %[2]s/%[1]s\"", c, mountRoot)
}
