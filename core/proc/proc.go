// Package proc reads what the kernel says about processes under /proc:
// their state and parent, their PID in each PID namespace, their command
// line and their mount table. The checker and the labs read the truth here.
package proc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Stat is the part of /proc/PID/stat podlab uses.
type Stat struct {
	Pid, PPid int
	State     byte   // R running, S sleeping, Z zombie, ...
	Comm      string // the executable's name, at most 15 characters
	StartTime uint64 // clock ticks since boot: with the PID, names one process for ever
}

// ReadStat parses /proc/PID/stat.
func ReadStat(pid int) (Stat, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stat{}, err
	}
	// The name (field 2) is in parentheses and may itself contain spaces
	// or parentheses: split at the first '(' and the last ')'.
	s := string(data)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return Stat{}, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(s[close+1:])
	if len(f) < 20 {
		return Stat{}, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	st := Stat{Pid: pid, State: f[0][0], Comm: s[open+1 : close]}
	st.PPid, _ = strconv.Atoi(f[1])
	st.StartTime, _ = strconv.ParseUint(f[19], 10, 64) // field 22 overall
	return st, nil
}

// Alive reports whether pid is still the process that started at start and
// has not exited (a zombie has exited; only its parent's wait is missing).
func Alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st, err := ReadStat(pid)
	return err == nil && st.StartTime == start && st.State != 'Z'
}

// List returns the PIDs of all processes.
func List() []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// NSpid returns the PIDs of a process in each nested PID namespace,
// outermost first: "NSpid: 4242 1" is host PID 4242 and PID 1 inside.
func NSpid(pid int) ([]int, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
			var ids []int
			for _, f := range strings.Fields(rest) {
				n, _ := strconv.Atoi(f)
				ids = append(ids, n)
			}
			return ids, nil
		}
	}
	return nil, fmt.Errorf("no NSpid line in /proc/%d/status", pid)
}

// Cmdline returns the argv of a process.
func Cmdline(pid int) []string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
}

// InCgroup reports whether /proc/PID/cgroup places pid in the cgroup name
// ("podlab/web") in any hierarchy.
func InCgroup(pid int, name string) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		// hierarchy-ID:controllers:path, e.g. "5:memory:/podlab/web"
		if parts := strings.SplitN(line, ":", 3); len(parts) == 3 && parts[2] == "/"+name {
			return true
		}
	}
	return false
}

// Mount is one line of /proc/PID/mountinfo.
type Mount struct {
	Dev     string // major:minor of the filesystem, e.g. "254:0"
	Point   string // where it is mounted, as the process sees it
	FSType  string // overlay, proc, tmpfs, ext4, ...
	Source  string
	Options string // the filesystem's own options: lowerdir=...,upperdir=...
}

// Mounts reads the mount table as process pid sees it: the mounts of its
// mount namespace that lie under its root directory.
func Mounts(pid int) ([]Mount, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		return nil, err
	}
	return ParseMounts(data), nil
}

// ParseMounts parses the text of a mountinfo file.
func ParseMounts(data []byte) []Mount {
	var list []Mount
	for _, line := range strings.Split(string(data), "\n") {
		// id parent major:minor root point options [optional...] - fstype source super-options
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		a, b := strings.Fields(pre), strings.Fields(post)
		if len(a) < 5 || len(b) < 3 {
			continue
		}
		list = append(list, Mount{Dev: a[2], Point: a[4], FSType: b[0], Source: b[1], Options: b[2]})
	}
	return list
}

// Option returns the value of key in a comma-separated option list.
func Option(opts, key string) string {
	for _, o := range strings.Split(opts, ",") {
		if v, ok := strings.CutPrefix(o, key+"="); ok {
			return v
		}
	}
	return ""
}
