package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// build compiles pause the way the Makefile does.
func build(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pause")
	out, err := exec.Command("go", "build", "-ldflags=-s -w", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// start runs pause (in new namespaces when root) and waits for its "ok".
func start(t testing.TB, bin string, args ...string) *exec.Cmd {
	t.Helper()
	r, w, _ := os.Pipe()
	defer r.Close()
	cmd := exec.Command(bin, append(args, "-ready-fd", "3")...)
	cmd.ExtraFiles = []*os.File{w}
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	line, _ := bufio.NewReader(r).ReadString('\n')
	if line != "ok\n" {
		t.Fatalf("pause said %q, want ok", line)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(build(t), "-V").Output()
	if err != nil || !strings.HasPrefix(string(out), "pause.go "+version) {
		t.Fatalf("pause -V: %q %v", out, err)
	}
}

func TestExitsZeroOnSIGTERM(t *testing.T) {
	cmd := start(t, build(t))
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v, want status 0", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pause ignored SIGTERM")
	}
}

// As PID 1 of its namespace, pause inherits orphans and reaps them.
func TestReapsOrphansAsPID1(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a new PID namespace")
	}
	cmd := start(t, build(t), "-hostname", "podtest")
	pid := cmd.Process.Pid
	host, err := exec.Command("nsenter", "-t", strconv.Itoa(pid), "-u", "hostname").Output()
	if err != nil || strings.TrimSpace(string(host)) != "podtest" {
		t.Errorf("hostname in pause's UTS namespace: %q %v", host, err)
	}
	// A subshell exits at once: its sleep is orphaned to PID 1 (pause).
	sh := exec.Command("nsenter", "-t", strconv.Itoa(pid), "-p", "-F", "--", "/bin/busybox", "sh", "-c", "(sleep 0.1 &) ; exit 0")
	if out, err := sh.CombinedOutput(); err != nil {
		t.Skipf("cannot enter pause's PID namespace: %v %s", err, out)
	}
	time.Sleep(500 * time.Millisecond)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
		if len(f) > 1 && f[0] == "Z" && f[1] == strconv.Itoa(pid) {
			t.Errorf("zombie %s under pause", e.Name())
		}
	}
}

// BenchmarkPauseVmHWM reports the peak resident memory of a running pause:
// it runs once per Pod. Goal: 1.5 MiB.
func BenchmarkPauseVmHWM(b *testing.B) {
	bin := build(b)
	var kib int
	for i := 0; i < b.N; i++ {
		cmd := start(b, bin)
		data, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status")
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kib, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	b.ReportMetric(float64(kib), "KiB-VmHWM")
	b.ReportMetric(0, "ns/op")
}
