package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The kernel's whole cgroup API is small text files in a directory. The
// helpers here read and write one file each, and name the file and the
// group in their errors, e.g.
//
//	write "memory.max" of cgroup "podlab/web": invalid argument

// defaultCPUPeriod is the kernel's default CFS period, 100 ms in µs. A quota
// is always a share of some period, so a zero CPUPeriod means this one.
const defaultCPUPeriod = 100000

// writeFile writes value to one interface file of group.
func writeFile(group, file, value string) error {
	// No O_CREATE: the kernel makes the interface files itself, so a missing
	// file means the controller is not enabled for this group, and we want
	// the student to see "no such file or directory" rather than a file
	// created by us.
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_TRUNC, 0)
	if err == nil {
		// The kernel checks the value here, in write(2), not in open(2).
		_, err = f.WriteString(value)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("write %q of cgroup %q: %w", filepath.Base(file), group, pathErr(err))
	}
	return nil
}

// fileReader reads several files of one group and keeps the first error, so
// a method that reads four files checks for an error once ("errors are
// values", go.dev/blog/errors-are-values). After an error it reads nothing.
type fileReader struct {
	group string
	err   error
}

// text returns the content of file without the trailing newline.
func (r *fileReader) text(file string) string {
	if r.err != nil {
		return ""
	}
	b, err := os.ReadFile(file)
	if err != nil {
		r.err = fmt.Errorf("read %q of cgroup %q: %w", filepath.Base(file), r.group, pathErr(err))
	}
	return strings.TrimSpace(string(b))
}

// int reads a file that holds one number, such as memory.current or pids.max.
func (r *fileReader) int(file string) int64 {
	return r.parse(file, r.text(file))
}

// key reads the number on the line "key N" of a flat-keyed file such as
// cpu.stat, memory.events or memory.oom_control.
func (r *fileReader) key(file, key string) int64 {
	for line := range strings.Lines(r.text(file)) {
		if k, v, _ := strings.Cut(strings.TrimSpace(line), " "); k == key {
			return r.parse(file, v)
		}
	}
	if r.err == nil {
		r.err = fmt.Errorf("read %q of cgroup %q: no %q line", filepath.Base(file), r.group, key)
	}
	return 0
}

// parse turns s, read from file, into a number. "max" is how v2 files and
// pids.max say "no limit"; it reads as 0, the Resources value for no limit.
func (r *fileReader) parse(file, s string) int64 {
	if r.err != nil || s == "max" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		r.err = fmt.Errorf("parse %q of cgroup %q: %w", filepath.Base(file), r.group, err)
	}
	return n
}

// maxOr writes n for a limit file in which "max" means no limit (v2 files,
// pids.max); 0 means no limit in Resources.
func maxOr(n int64) string {
	if n == 0 {
		return "max"
	}
	return strconv.FormatInt(n, 10)
}

// readProcs lists the pids in a cgroup.procs file, one per line, but
// never the caller's own: on cgroup v1 a process is listed while any one
// of its threads is in the group, and podlab starts a container's first
// process from a throw-away thread that joins the container's cgroup for
// a moment (see Start). Whoever kills "every process of the group" in that
// moment must not kill itself.
func readProcs(group, file string) ([]int, error) {
	r := fileReader{group: group}
	var pids []int
	self := os.Getpid()
	for line := range strings.Lines(r.text(file)) {
		if pid := int(r.parse(file, strings.TrimSpace(line))); pid != self {
			pids = append(pids, pid)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return pids, nil
}

// removeDir deletes one cgroup directory with rmdir(2). Never RemoveAll: the
// interface files inside cannot be unlinked, only the directory as a whole
// can go, and only once no process and no child group is left in it.
func removeDir(group, dir string) error {
	err := os.Remove(dir)
	switch {
	case err == nil || errors.Is(err, fs.ErrNotExist):
		return nil // already gone is fine: Remove is idempotent
	case errors.Is(err, unix.EBUSY):
		if pids, _ := readProcs(group, filepath.Join(dir, "cgroup.procs")); len(pids) > 0 {
			return fmt.Errorf("remove cgroup %q: processes %v are still in it; stop them first: %w", group, pids, unix.EBUSY)
		}
		return fmt.Errorf("remove cgroup %q: child groups or exiting processes are still in it: %w", group, unix.EBUSY)
	}
	return fmt.Errorf("remove cgroup %q: %w", group, pathErr(err))
}

// listChildren returns the names of the directories in dir, which holds the
// cgroup called parent. A missing dir has no children.
func listChildren(parent, dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list children of cgroup %q: %w", parent, pathErr(err))
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, path.Join(parent, e.Name()))
		}
	}
	return names, nil
}

// checkName refuses names that would leave the hierarchy, such as "../etc"
// or "/podlab", and the root itself: every path this package touches, and
// may rmdir, is the hierarchy root joined with a name.
func checkName(name string) error {
	if name == "" || name == "." || path.IsAbs(name) || path.Clean(name) != name ||
		name == ".." || strings.HasPrefix(name, "../") {
		return fmt.Errorf("invalid cgroup name %q: want a relative path such as \"podlab/web\"", name)
	}
	return nil
}

// checkParent is checkName for Children, where "" means the root.
func checkParent(parent string) error {
	if parent == "" {
		return nil
	}
	return checkName(parent)
}

// pathErr drops the *fs.PathError around err: our messages already name the
// file and the group, and the errno (still matched by errors.Is) is the news.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// killEach sends SIGKILL to each of pids and returns how many it reached
// (a process that exited meanwhile is not counted).
func killEach(pids []int) int {
	n := 0
	for _, pid := range pids {
		if unix.Kill(pid, unix.SIGKILL) == nil {
			n++
		}
	}
	return n
}
