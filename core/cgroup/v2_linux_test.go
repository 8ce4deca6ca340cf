package cgroup

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeV2Files are the interface files the kernel puts in a cgroup2 directory
// (the subset podlab uses), with the contents and formats of a fresh group.
var fakeV2Files = map[string]string{
	"cgroup.controllers":     "cpuset cpu io memory pids\n",
	"cgroup.subtree_control": "\n",
	"cgroup.procs":           "",
	"cpu.max":                "max 100000\n",
	"cpu.stat":               "usage_usec 123\nuser_usec 100\nsystem_usec 23\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n",
	"memory.max":             "max\n",
	"memory.current":         "4096\n",
	"memory.peak":            "8192\n",
	"memory.events":          "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n",
	"pids.max":               "max\n",
}

// fakeV2 builds a directory tree that looks like a cgroup2 mount: the root
// and each of groups get the files above. It is needed because mkdir in a
// plain directory, unlike in cgroupfs, creates no files.
func fakeV2(t *testing.T, groups ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, g := range append([]string{""}, groups...) {
		dir := filepath.Join(root, g)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range fakeV2Files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func readFake(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestV2CreateEnablesControllers(t *testing.T) {
	root := fakeV2(t, "podlab", "podlab/web")
	g, err := NewV2(root).Create("podlab/web")
	if err != nil {
		t.Fatal(err)
	}
	if g.Name() != "podlab/web" {
		t.Errorf("Name() = %q", g.Name())
	}
	// Every ancestor hands the controllers down; the new group itself has
	// no children yet, so its subtree_control stays untouched.
	for dir, want := range map[string]string{
		root:                                 "+cpu +memory +pids",
		filepath.Join(root, "podlab"):        "+cpu +memory +pids",
		filepath.Join(root, "podlab", "web"): "\n",
	} {
		if got := readFake(t, filepath.Join(dir, "cgroup.subtree_control")); got != want {
			t.Errorf("%s/cgroup.subtree_control = %q, want %q", dir, got, want)
		}
	}
	// A missing leaf is made; its parent already exists.
	if _, err := NewV2(root).Create("podlab/new"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(root, "podlab", "new")); err != nil || !fi.IsDir() {
		t.Errorf("Create did not make the directory: %v", err)
	}
}

// TestV2MissingController: on a hybrid host the cgroup2 root lists only
// hugetlb; Create must name the missing controller and touch nothing.
func TestV2MissingController(t *testing.T) {
	root := fakeV2(t)
	if err := os.WriteFile(filepath.Join(root, "cgroup.controllers"), []byte("hugetlb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewV2(root).Create("podlab")
	if err == nil || !strings.Contains(err.Error(), `controller "cpu" is not available in cgroup "/"`) {
		t.Errorf("Create on a root without cpu: got error %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "podlab")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Create made the group despite the error: %v", err)
	}
	if got := readFake(t, filepath.Join(root, "cgroup.subtree_control")); got != "\n" {
		t.Errorf("cgroup.subtree_control = %q, want it untouched", got)
	}
}

func TestV2SetResources(t *testing.T) {
	root := fakeV2(t, "podlab", "podlab/web")
	g, err := NewV2(root).Open("podlab/web")
	if err != nil {
		t.Fatal(err)
	}
	// Fresh group: everything "max", the kernel's default period.
	if got, err := g.Resources(); err != nil || got != (Resources{CPUPeriod: 100000}) {
		t.Errorf("Resources() of a fresh group = %+v, %v", got, err)
	}

	want := Resources{CPUQuota: 50000, CPUPeriod: 100000, MemoryLimit: 64 << 20, PidsLimit: 32}
	if err := g.Set(want); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "podlab", "web")
	for file, content := range map[string]string{
		"cpu.max":    "50000 100000",
		"memory.max": "67108864",
		"pids.max":   "32",
	} {
		if got := readFake(t, filepath.Join(dir, file)); got != content {
			t.Errorf("%s = %q, want %q", file, got, content)
		}
	}
	if got, err := g.Resources(); err != nil || got != want {
		t.Errorf("Resources() = %+v, %v; want %+v", got, err, want)
	}

	// Zero means no limit, written the way the kernel spells it.
	if err := g.Set(Resources{}); err != nil {
		t.Fatal(err)
	}
	if got := readFake(t, filepath.Join(dir, "cpu.max")); got != "max 100000" {
		t.Errorf("cpu.max = %q, want %q", got, "max 100000")
	}
	if got := readFake(t, filepath.Join(dir, "memory.max")); got != "max" {
		t.Errorf("memory.max = %q, want %q", got, "max")
	}
	if got, err := g.Resources(); err != nil || got != (Resources{CPUPeriod: 100000}) {
		t.Errorf("Resources() after Set(Resources{}) = %+v, %v", got, err)
	}
}

func TestV2SetErrorNamesFileAndGroup(t *testing.T) {
	root := fakeV2(t, "podlab", "podlab/web")
	if err := os.Remove(filepath.Join(root, "podlab", "web", "memory.max")); err != nil {
		t.Fatal(err)
	}
	g, _ := NewV2(root).Open("podlab/web")
	err := g.Set(Resources{MemoryLimit: 1 << 20})
	want := `write "memory.max" of cgroup "podlab/web": no such file or directory`
	if err == nil || err.Error() != want {
		t.Errorf("Set without memory.max: got %v, want %q", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
}

func TestV2StatsAndProcs(t *testing.T) {
	root := fakeV2(t, "podlab", "podlab/web")
	g, _ := NewV2(root).Open("podlab/web")
	s, err := g.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{CPUUsage: 123 * time.Microsecond, MemoryUsage: 4096, MemoryPeak: 8192, OOMKills: 1}
	if s != want {
		t.Errorf("Stats() = %+v, want %+v", s, want)
	}

	// Kernels before 5.19 have no memory.peak: the peak reads as 0.
	os.Remove(filepath.Join(root, "podlab", "web", "memory.peak"))
	if s, err := g.Stats(); err != nil || s.MemoryPeak != 0 || s.OOMKills != 1 {
		t.Errorf("Stats() without memory.peak = %+v, %v", s, err)
	}

	if err := g.Add(4242); err != nil {
		t.Fatal(err)
	}
	if got := readFake(t, filepath.Join(root, "podlab", "web", "cgroup.procs")); got != "4242" {
		t.Errorf("cgroup.procs = %q, want %q", got, "4242")
	}
	os.WriteFile(filepath.Join(root, "podlab", "web", "cgroup.procs"), []byte("4242\n4243\n"), 0o644)
	if pids, err := g.Procs(); err != nil || !slices.Equal(pids, []int{4242, 4243}) {
		t.Errorf("Procs() = %v, %v; want [4242 4243]", pids, err)
	}

	// Every file Files names exists in a real cgroup2 group.
	for concept, path := range g.Files() {
		if _, ok := fakeV2Files[filepath.Base(path)]; !ok {
			t.Errorf("Files()[%q] = %q, not a cgroup2 interface file", concept, path)
		}
	}
}

func TestV2ChildrenOpenRemove(t *testing.T) {
	root := fakeV2(t, "podlab")
	d := NewV2(root)
	for _, name := range []string{"podlab/web", "podlab/db"} {
		if _, err := d.Create(name); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := d.Children("podlab"); err != nil || !slices.Equal(got, []string{"podlab/db", "podlab/web"}) {
		t.Errorf("Children(podlab) = %v, %v", got, err)
	}
	if got, err := d.Children("missing"); err != nil || len(got) != 0 {
		t.Errorf("Children(missing) = %v, %v; want none", got, err)
	}

	g, err := d.Open("podlab/web")
	if err != nil {
		t.Fatal(err)
	}
	// The groups made by Create in the fake tree are empty directories, as
	// a real group is once the kernel's files are discounted, so rmdir works.
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := g.Remove(); err != nil {
		t.Errorf("second Remove = %v, want nil (already gone)", err)
	}
	if _, err := d.Open("podlab/web"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open after Remove = %v, want fs.ErrNotExist", err)
	}
	if got, _ := d.Children("podlab"); !slices.Equal(got, []string{"podlab/db"}) {
		t.Errorf("Children(podlab) after Remove = %v", got)
	}
}

// Kill writes "1" to cgroup.kill, which kills the whole subtree; a kernel
// without it (before 5.14) gets kill(2) of each process instead.
func TestV2Kill(t *testing.T) {
	root := fakeV2(t, "podlab", "podlab/web")
	kill := filepath.Join(root, "podlab/web", "cgroup.kill")
	if err := os.WriteFile(kill, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A pid that is nobody's: kill(2) must never be called on it here.
	if err := os.WriteFile(filepath.Join(root, "podlab/web", "cgroup.procs"), []byte("2147483647\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := NewV2(root).Open("podlab/web")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := g.Kill(); n != 1 || err != nil {
		t.Errorf("Kill = %d, %v; want 1 process seen", n, err)
	}
	if got := readFake(t, kill); got != "1" {
		t.Errorf("cgroup.kill = %q, want \"1\"", got)
	}
	os.Remove(kill)
	if n, err := g.Kill(); n != 0 || err != nil {
		t.Errorf("Kill without cgroup.kill = %d, %v; want 0 reached (pid 2147483647 is no process)", n, err)
	}
}
