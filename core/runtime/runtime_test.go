package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/image"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
)

// The test binary is also the shim and the init of the containers it starts
// (they re-execute /proc/self/exe), so it locks its main thread like every
// podlab main does.
func init() { goruntime.LockOSThread() }

var rt *Runtime // an isolated runtime: its own directories and parent cgroup

func TestMain(m *testing.M) {
	if Reexec() {
		return
	}
	if os.Geteuid() != 0 {
		fmt.Println("skipping core/runtime tests: they need root (namespaces, mounts, cgroups)")
		os.Exit(0)
	}
	if os.Getenv(nodeChildEnv) != "" {
		os.Exit(nodeChildMain(m))
	}
	// Shims and pause processes of the child test process that plays a node
	// agent (TestSandboxInNodeNetns) outlive it: as a subreaper this process
	// adopts them, and can reap them and see any left behind.
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	// /run is a tmpfs, as in production: state writes cost no disk I/O.
	tmp, err := os.MkdirTemp("/run", "podlab-runtime-test-")
	if err != nil {
		panic(err)
	}
	rt, err = New()
	if err != nil {
		panic(err)
	}
	rt.Root = filepath.Join(tmp, "containers")
	rt.Images = &image.Store{Root: filepath.Join(tmp, "images")}
	rt.CgroupParent = fmt.Sprintf("podlab-test-%d", os.Getpid())
	if _, err := rt.Images.BuildBase(image.Ref{Name: "busybox", Tag: "latest"}, image.DefaultBusybox); err != nil {
		fmt.Println("cannot build the busybox image:", err)
		os.Exit(1)
	}
	code := m.Run()
	if left := leftovers(); left != "" {
		fmt.Println("the tests left state behind:", left)
		code = 1
	}
	os.RemoveAll(tmp)
	os.Exit(code)
}

// leftovers describes anything the tests did not clean up.
func leftovers() string {
	var left []string
	if entries, _ := os.ReadDir(rt.Root); len(entries) > 0 {
		left = append(left, fmt.Sprintf("%d container directories", len(entries)))
	}
	if entries, _ := os.ReadDir(rt.PodsDir()); len(entries) > 1 || len(entries) == 1 && entries[0].Name() != "names" {
		left = append(left, fmt.Sprintf("%d pod directories", len(entries)))
	}
	if names, _ := os.ReadDir(filepath.Join(rt.PodsDir(), "names")); len(names) > 0 {
		left = append(left, fmt.Sprintf("%d pod names", len(names)))
	}
	if _, err := rt.Cgroups.Open(rt.CgroupParent); err == nil {
		left = append(left, "cgroup "+rt.CgroupParent)
	}
	for _, m := range mountsUnder(filepath.Dir(rt.Root)) {
		left = append(left, "mount "+m)
	}
	return strings.Join(left, ", ")
}

func run(t *testing.T, spec Spec) *State {
	t.Helper()
	if spec.Image == "" {
		spec.Image = "busybox"
	}
	st, err := rt.Run(context.Background(), spec)
	if err != nil {
		t.Fatalf("run %q: %v", spec.Name, err)
	}
	t.Cleanup(func() {
		if err := rt.ForceRemove(context.Background(), spec.Name); err != nil {
			t.Errorf("remove %q: %v", spec.Name, err)
		}
	})
	return st
}

func wait(t *testing.T, name string) *State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := rt.Wait(ctx, name)
	if err != nil {
		t.Fatalf("wait %q: %v", name, err)
	}
	return st
}

func TestExitCodeAndLog(t *testing.T) {
	run(t, Spec{Name: "exit3", Args: []string{"sh", "-c", "echo out; echo err >&2; exit 3"}})
	st := wait(t, "exit3")
	if st.Status != Exited || st.ExitCode != 3 || st.OOMKilled {
		t.Fatalf("state = %s exit %d oom %v; want exited 3", st.Status, st.ExitCode, st.OOMKilled)
	}
	log, _ := os.ReadFile(rt.LogPath("exit3"))
	if string(log) != "out\nerr\n" {
		t.Fatalf("log = %q", log)
	}
}

func TestNamespacesHostnameEnv(t *testing.T) {
	st := run(t, Spec{Name: "box", Hostname: "kube", Network: true, Env: []string{"GREETING=hi"},
		WorkingDir: "/tmp", Args: []string{"sh", "-c", "echo $GREETING $(pwd) $(hostname); exec sleep 30"}})
	host, _ := ns.Inspect(os.Getpid())
	box, err := ns.Inspect(st.Pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []ns.Type{ns.PID, ns.UTS, ns.IPC, ns.Mount, ns.Net} {
		if box[typ] == host[typ] {
			t.Errorf("%s namespace shared with the host (%d)", typ, box[typ])
		}
	}
	if box[ns.User] != host[ns.User] {
		t.Error("a user namespace was created, but none was asked for")
	}
	if ids, _ := proc.NSpid(st.Pid); len(ids) != 2 || ids[1] != 1 {
		t.Errorf("NSpid = %v, want [host 1]", ids)
	}
	if name, err := ns.Hostname(st.Pid); err != nil || name != "kube" {
		t.Errorf("hostname = %q, %v", name, err)
	}
	if !proc.InCgroup(st.Pid, st.Cgroup) {
		t.Errorf("pid %d is not in cgroup %q", st.Pid, st.Cgroup)
	}
	// The workload ran in the image, not the host: its / is the overlay.
	if m := mountsUnder(st.Dir); len(m) != 0 {
		t.Errorf("the container's mounts leak into the host: %v", m)
	}
	waitLog(t, "box", "hi /tmp kube\n")
}

// waitLog waits until the container's log is exactly want.
func waitLog(t *testing.T, name, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		log, _ := os.ReadFile(rt.LogPath(name))
		if string(log) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log of %q = %q, want %q", name, log, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStopGraceAndKill(t *testing.T) {
	// busybox sleep installs no SIGTERM handler: as PID 1 it ignores
	// SIGTERM and must be killed when the grace period ends.
	run(t, Spec{Name: "stubborn", Args: []string{"sleep", "30"}})
	start := time.Now()
	st, err := rt.Stop(context.Background(), "stubborn", 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if st.ExitCode != 137 || st.Signal != "killed" || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("stop: exit %d (%s) after %v; want 137 after the grace period", st.ExitCode, st.Signal, time.Since(start))
	}
	// A shell with a TERM trap exits by itself within the grace period.
	// (The trap must be set before SIGTERM comes: PID 1 without a handler
	// would ignore it.)
	run(t, Spec{Name: "polite", Args: []string{"sh", "-c", "trap 'exit 0' TERM; echo ready; while :; do sleep 0.05; done"}})
	waitLog(t, "polite", "ready\n")
	st, err = rt.Stop(context.Background(), "polite", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if st.ExitCode != 0 {
		t.Fatalf("polite stop: exit %d, want 0", st.ExitCode)
	}
}

func TestOOMKilled(t *testing.T) {
	run(t, Spec{Name: "hog", Resources: cgroup.Resources{MemoryLimit: 16 << 20},
		Args: []string{"sh", "-c", `x=$(head -c 64000000 /dev/zero | tr '\0' a); echo survived`}})
	st := wait(t, "hog")
	if st.ExitCode != 137 || !st.OOMKilled {
		t.Fatalf("exit %d, OOMKilled %v; want 137 and true", st.ExitCode, st.OOMKilled)
	}
}

func TestReapingInit(t *testing.T) {
	// The subshell exits at once, so its sleep is orphaned: re-parented to
	// PID 1, which must reap it when it exits.
	st := run(t, Spec{Name: "reaper", Init: true, Args: []string{"sh", "-c", "(sleep 0.1 &); sleep 0.6; exit 7"}})
	if got := proc.Cmdline(st.Pid)[0]; got != initArg0 {
		t.Errorf("PID 1 is %q, want the reaping init", got)
	}
	time.Sleep(400 * time.Millisecond)
	ino, err := ns.Inode(st.Pid, ns.PID)
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range proc.List() {
		if i, err := ns.Inode(pid, ns.PID); err == nil && i == ino {
			if s, _ := proc.ReadStat(pid); s.State == 'Z' {
				t.Errorf("zombie %d (%s, parent %d) under the reaping init", pid, s.Comm, s.PPid)
			}
		}
	}
	if st := wait(t, "reaper"); st.ExitCode != 7 {
		t.Fatalf("exit %d, want the workload's 7", st.ExitCode)
	}
}

func TestBadInputLeavesNothing(t *testing.T) {
	run(t, Spec{Name: "taken", Args: []string{"sleep", "30"}})
	cases := []struct {
		spec Spec
		want string
	}{
		{Spec{Name: "nocmd", Image: "busybox", Args: []string{"no-such-command"}}, `exec "no-such-command": not found in image "busybox"`},
		{Spec{Name: "nowd", Image: "busybox", WorkingDir: "/nope", Args: []string{"true"}}, `working directory "/nope"`},
		{Spec{Name: "noimage", Image: "nginx", Args: []string{"true"}}, `image "nginx:latest" not found`},
		{Spec{Name: "badimage", Image: "../x", Args: []string{"true"}}, `invalid image name "../x"`},
		{Spec{Name: "../x", Image: "busybox"}, `invalid container name "../x"`},
		{Spec{Name: "Upper", Image: "busybox"}, `invalid container name "Upper"`},
		{Spec{Name: "taken", Image: "busybox", Args: []string{"true"}}, `container "taken" already exists`},
	}
	for _, c := range cases {
		_, err := rt.Run(context.Background(), c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run %q: error %v, want it to say %s", c.spec.Name, err, c.want)
		}
		if c.spec.Name == "taken" {
			continue
		}
		if _, err := os.Stat(filepath.Join(rt.Root, c.spec.Name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("run %q failed but left its directory", c.spec.Name)
		}
		if _, err := rt.Cgroups.Open(rt.CgroupParent + "/" + c.spec.Name); err == nil {
			t.Errorf("run %q failed but left its cgroup", c.spec.Name)
		}
	}
	if st, err := rt.Get("taken"); err != nil || st.Status != Running {
		t.Errorf("the existing container was disturbed: %v %v", st, err)
	}
}

func TestRemove(t *testing.T) {
	st, err := rt.Run(context.Background(), Spec{Name: "gone", Image: "busybox", Args: []string{"sleep", "30"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Remove(context.Background(), "gone", false); err == nil || !strings.Contains(err.Error(), "is running") {
		t.Fatalf("remove of a running container: %v", err)
	}
	if err := rt.Remove(context.Background(), "gone", true); err != nil {
		t.Fatal(err)
	}
	if proc.Alive(st.Pid, st.PidStart) {
		t.Error("the process survived its removal")
	}
	if _, err := os.Stat(st.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Error("the directory survived")
	}
	if _, err := rt.Get("gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get after remove: %v", err)
	}
	if err := rt.ForceRemove(context.Background(), "gone"); err != nil {
		t.Errorf("removing twice: %v", err)
	}
}

func TestListSorted(t *testing.T) {
	run(t, Spec{Name: "b-list", Args: []string{"sleep", "30"}})
	run(t, Spec{Name: "a-list", Args: []string{"true"}})
	wait(t, "a-list")
	list, err := rt.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, st := range list {
		names = append(names, st.Spec.Name+":"+string(st.Status))
	}
	if !sort.StringsAreSorted(names) || strings.Join(names, ",") != "a-list:exited,b-list:running" {
		t.Fatalf("list = %v", names)
	}
}

// BenchmarkContainerStart measures the time from Run to the workload
// running (exec'd in its namespaces, cgroup and root filesystem), with the
// image present, and reports the median: the goal is 10 ms or less.
func BenchmarkContainerStart(b *testing.B) {
	var times []time.Duration
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("bench-%d", i)
		start := time.Now()
		_, err := rt.Run(context.Background(), Spec{Name: name, Image: "busybox", Args: []string{"sleep", "30"}})
		times = append(times, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := rt.ForceRemove(context.Background(), name); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	median := times[len(times)/2]
	b.ReportMetric(float64(median.Microseconds())/1000, "ms-median-start")
	b.ReportMetric(0, "ns/op")
}

func TestPidsLimitCountsOnlyTheWorkload(t *testing.T) {
	// 3 processes: sh and two sleeps; the third sleep cannot fork.
	run(t, Spec{Name: "pids", Resources: cgroup.Resources{PidsLimit: 3},
		Args: []string{"sh", "-c", "sleep 5 & sleep 5 & sleep 5 & echo done"}})
	st := wait(t, "pids")
	log, _ := os.ReadFile(rt.LogPath("pids"))
	if !strings.Contains(string(log), "can't fork") || strings.Contains(string(log), "goroutine") {
		t.Fatalf("exit %d, log %q: want the shell's fork refused, not podlab's init", st.ExitCode, log)
	}
	cg, err := rt.Cgroups.Open(st.Cgroup)
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := cg.Resources(); res.PidsLimit != 3 {
		t.Errorf("pids limit = %d, want 3", res.PidsLimit)
	}
}

func TestWorkloadSignalsNotIgnored(t *testing.T) {
	// As under nohup: the caller ignores SIGHUP and SIGQUIT.
	signal.Ignore(syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Reset(syscall.SIGHUP, syscall.SIGQUIT)
	st := run(t, Spec{Name: "sigs", Args: []string{"sleep", "30"}})
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", st.Pid))
	for _, line := range strings.Split(string(status), "\n") {
		// Signals 1-31; 32 and 33 belong to the C library's threads.
		if v, ok := strings.CutPrefix(line, "SigIgn:"); ok {
			mask, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if mask&0x7fffffff != 0 {
				t.Errorf("the workload starts with ignored signals: SigIgn %s", strings.TrimSpace(v))
			}
		}
	}
}

// A start interrupted at any moment leaves nothing: no directory, no
// cgroup, no process.
func TestCancelledStartLeavesNothing(t *testing.T) {
	for i := 0; i < 10; i++ {
		name := fmt.Sprintf("cancel-%d", i)
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i)*time.Millisecond)
		_, err := rt.Run(ctx, Spec{Name: name, Image: "busybox", Args: []string{"sleep", "30"}})
		cancel()
		if err == nil {
			rt.ForceRemove(context.Background(), name)
			continue
		}
		if _, serr := os.Stat(filepath.Join(rt.Root, name)); serr == nil {
			t.Errorf("%s: interrupted (%v) but its directory stays", name, err)
		}
		if _, cerr := rt.Cgroups.Open(rt.CgroupParent + "/" + name); cerr == nil {
			t.Errorf("%s: interrupted (%v) but its cgroup stays", name, err)
		}
	}
}
