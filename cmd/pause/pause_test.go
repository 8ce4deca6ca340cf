package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildFlags are the Makefile's flags for bin/pause. -s -w drop the symbol
// table and DWARF (a smaller file); -gcflags=all=-l turns off inlining, which
// shrinks the runtime's text and so the pages every pause maps (~25 KiB).
var buildFlags = []string{"-trimpath", "-ldflags=-s -w", "-gcflags=all=-l"}

// build compiles pause as the Makefile does; GOFLAGS from the environment
// apply as well.
func build(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pause")
	args := append(append([]string{"build"}, buildFlags...), "-o", bin, ".")
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// pause is a running pause and what it wrote to stderr.
type pause struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer // read it only after wait
	pid    int
}

// start runs pause with -ready-fd 3 and returns once it has said "ok". With
// inPod it starts it as the runtime does, in new PID, UTS, network and IPC
// namespaces (root only); -hostname is safe only then, never on the host.
func start(t testing.TB, bin string, inPod bool, args ...string) *pause {
	t.Helper()
	p, line := run(t, bin, inPod, args...)
	if line != "ok\n" {
		p.wait(t)
		t.Fatalf("pause said %q on its ready fd, want \"ok\\n\"; stderr: %s", line, p.stderr)
	}
	return p
}

// run starts pause with -ready-fd 3 and returns the line it wrote there.
func run(t testing.TB, bin string, inPod bool, args ...string) (*pause, string) {
	t.Helper()
	if inPod && os.Geteuid() != 0 {
		t.Skip("needs root: starts pause in new namespaces, as the runtime does")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := &pause{cmd: exec.Command(bin, append(args, "-ready-fd", "3")...), stderr: new(bytes.Buffer)}
	p.cmd.Stderr = p.stderr
	p.cmd.ExtraFiles = []*os.File{w}     // the child's fd 3
	p.cmd.Env = []string{"GOMAXPROCS=1"} // as the runtime starts it (core/runtime startPause)
	if inPod {
		p.cmd.SysProcAttr = &syscall.SysProcAttr{
			Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC,
		}
	}
	err = p.cmd.Start()
	w.Close() // else the read below never sees EOF if pause dies
	if err != nil {
		t.Fatal(err)
	}
	p.pid = p.cmd.Process.Pid
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(r).ReadString('\n')
	return p, line
}

// wait waits at most 5 s for pause to exit and returns its exit code.
func (p *pause) wait(t testing.TB) int {
	t.Helper()
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
		return p.cmd.ProcessState.ExitCode() // -1 if killed by a signal
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
		t.Fatal("pause still running after 5s")
		return -1
	}
}

func TestVersion(t *testing.T) {
	bin := build(t)
	for _, args := range [][]string{{"-v"}, {"other", "-V"}} {
		out, err := exec.Command(bin, args...).Output()
		if want := "pause.go podlab " + version + "\n"; err != nil || string(out) != want {
			t.Errorf("pause %s: %q, %v; want %q, exit 0", strings.Join(args, " "), out, err, want)
		}
	}
}

func TestReadyFD(t *testing.T) {
	bin := build(t)
	p := start(t, bin, false) // checks the "ok"
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t)
	if !strings.Contains(p.stderr.String(), "warning: not PID 1") {
		t.Errorf("stderr %q: want a warning, pause is not PID 1", p.stderr)
	}

	p, line := run(t, bin, false, "-bogus", "x")
	if code := p.wait(t); code != 1 || !strings.HasPrefix(line, "error: usage: ") {
		t.Errorf("pause -bogus x: said %q and exited %d; want \"error: usage: ...\" and 1", line, code)
	}
}

func TestExitsZeroOnSignal(t *testing.T) {
	bin := build(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		p := start(t, bin, false)
		p.cmd.Process.Signal(sig)
		code := p.wait(t)
		name := map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"}[sig]
		if want := "pause: terminated by " + name; code != 0 || !strings.Contains(p.stderr.String(), want) {
			t.Errorf("after %s: exit %d, stderr %q; want 0 and %q", name, code, p.stderr, want)
		}
	}
}

// TestPodSandbox starts pause as the runtime does for a Pod that shares its
// PID namespace: pause is PID 1 there, names the Pod's UTS namespace, and
// reaps the orphans that the kernel re-parents to it.
func TestPodSandbox(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: starts pause in new namespaces, as the runtime does")
	}
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Skip("needs nsenter (util-linux) to enter pause's namespaces")
	}
	p := start(t, build(t), true, "-hostname", "podtest")
	pid := strconv.Itoa(p.pid)
	if nspid := status(t, p.pid)["NSpid"]; !strings.HasSuffix(nspid, "\t1") {
		t.Errorf("NSpid %q: pause is not PID 1 of its namespace", nspid)
	}
	out, err := exec.Command("nsenter", "-t", pid, "-u", "hostname").Output()
	if got := strings.TrimSpace(string(out)); err != nil || got != "podtest" {
		t.Errorf("hostname in pause's UTS namespace: %q, %v; want podtest", got, err)
	}

	// nsenter forks sh into pause's PID namespace; the subshell starts sleep
	// and exits at once, so sleep is an orphan and the kernel gives it to PID
	// 1 of its namespace: pause. It exits 1 s later and must not stay a zombie.
	// (Run, not Output: sleep would hold an output pipe open for its 1 s.)
	if err := exec.Command("nsenter", "-t", pid, "-p", "--", "sh", "-c", "(sleep 1 &); exit 0").Run(); err != nil {
		t.Fatalf("nsenter: %v", err)
	}
	orphans := children(p.pid)
	if len(orphans) == 0 {
		t.Fatal("no orphan was re-parented to pause")
	}
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if len(children(p.pid)) == 0 {
			return // reaped: no longer in /proc at all
		}
	}
	t.Errorf("children of pause (pid:state) still there after 3 s, Z = zombie: %v", children(p.pid))
}

// children returns the PIDs (in the test's PID namespace) whose parent is
// ppid, each with its state: R, S, Z (zombie), ...
func children(ppid int) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces, so cut after ')'.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(ppid) {
			found = append(found, e.Name()+":"+f[0])
		}
	}
	return found
}

// status reads /proc/PID/status into a map of its "Key:\tvalue" lines.
func status(t testing.TB, pid int) map[string]string {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// kib parses a status value such as "1980 kB".
func kib(t testing.TB, v string) float64 {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSuffix(v, " kB"))
	if err != nil {
		t.Fatalf("status value %q: %v", v, err)
	}
	return float64(n)
}

// BenchmarkPauseVmHWM reports the peak resident memory (VmHWM) of a running
// pause, median of b.N starts: one runs per Pod. Goal 1.5 MiB; most of it is
// the binary's own pages (RssFile, shared by all pauses through the page
// cache), the rest the Go runtime's heap and stacks (RssAnon, per Pod).
func BenchmarkPauseVmHWM(b *testing.B) {
	bin := build(b)
	inPod := os.Geteuid() == 0 // as the runtime starts it; else plain
	var args []string
	if inPod {
		args = []string{"-hostname", "bench"}
	}
	var hwm, anon, file []float64
	for range b.N {
		p := start(b, bin, inPod, args...)
		time.Sleep(100 * time.Millisecond) // let it settle, as it would
		st := status(b, p.pid)
		hwm = append(hwm, kib(b, st["VmHWM"]))
		anon = append(anon, kib(b, st["RssAnon"]))
		file = append(file, kib(b, st["RssFile"]))
		p.cmd.Process.Signal(syscall.SIGTERM)
		if code := p.wait(b); code != 0 {
			b.Fatalf("pause exited %d after SIGTERM", code)
		}
	}
	b.ReportMetric(median(hwm), "KiB-VmHWM")
	b.ReportMetric(median(anon), "KiB-RssAnon")
	b.ReportMetric(median(file), "KiB-RssFile")
	b.ReportMetric(0, "ns/op")
}

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}
