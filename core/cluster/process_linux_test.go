package cluster

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary be the daemon of the process tests: a
// program that sleeps, one that ignores SIGTERM too. (A shell that execs
// sleep would not do: its argv[0] changes with the exec.) As a podlet it
// knows no "podlet reset", as an old podlet would not.
func TestMain(m *testing.M) {
	switch os.Getenv("PODLAB_CLUSTER_TEST_DAEMON") {
	case "sleep":
		if len(os.Args) > 1 && os.Args[1] == "reset" {
			fmt.Println("podlet: unexpected argument \"reset\"")
			os.Exit(2)
		}
		fmt.Println("started")
		time.Sleep(time.Minute)
		os.Exit(0)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("started")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startDaemon starts the test binary as a daemon that does what: sleep
// or ignore-term; it returns once the daemon has said it started.
func startDaemon(t *testing.T, what string) (*Process, <-chan error, string) {
	t.Helper()
	t.Setenv("PODLAB_CLUSTER_TEST_DAEMON", what)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "daemon.log")
	p, exited, err := start(daemon{exe: self, args: []string{"-test.run=^$"}, log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(0) })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if data, _ := os.ReadFile(log); string(data) == "started\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the daemon did not start")
		}
	}
	return p, exited, log
}

func TestStartAliveStop(t *testing.T) {
	p, exited, log := startDaemon(t, "sleep")
	if !p.Alive() {
		t.Fatal("not alive after start")
	}
	if self, _ := os.Executable(); p.StartTime == 0 || p.Exe != self {
		t.Errorf("process %+v", p)
	}
	// Another start time is another process that took the PID.
	if other := (&Process{PID: p.PID, StartTime: p.StartTime + 1, Exe: p.Exe}); other.Alive() {
		t.Error("a process with another start time is alive")
	}
	if other := (&Process{PID: p.PID, StartTime: p.StartTime, Exe: "/bin/other"}); other.Alive() {
		t.Error("a process started as another program is alive")
	}
	if other := (&Process{PID: p.PID, StartTime: p.StartTime + 1, Exe: p.Exe}); mustStop(t, other) {
		t.Error("stop signalled a process that is not the one recorded")
	}
	if !p.Alive() {
		t.Fatal("stop of another process stopped this one")
	}
	start := time.Now()
	if !mustStop(t, p) {
		t.Error("stop: not running")
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("stop took %v: SIGTERM should do", time.Since(start))
	}
	if err := <-exited; err == nil || !strings.Contains(err.Error(), "terminated") {
		t.Errorf("exit: %v", err)
	}
	if p.Alive() || mustStop(t, p) {
		t.Error("alive after stop")
	}
	// stdout went to the log, appended.
	if data, _ := os.ReadFile(log); string(data) != "started\n" {
		t.Errorf("log %q", data)
	}
	if tail := logTail(log, 5); tail != "\n    started" {
		t.Errorf("logTail %q", tail)
	}
}

func mustStop(t *testing.T, p *Process) bool {
	t.Helper()
	stopped, err := p.stop(2 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return stopped
}

// A process that ignores SIGTERM gets SIGKILL after the grace period.
func TestStopKillsAfterGrace(t *testing.T) {
	p, exited, _ := startDaemon(t, "ignore-term")
	start := time.Now()
	stopped, err := p.stop(300 * time.Millisecond)
	if !stopped || err != nil {
		t.Fatalf("stop: %v %v", stopped, err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("stopped after %v: SIGTERM should not have done it", d)
	}
	if err := <-exited; err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("exit: %v", err)
	}
}

func TestBinaries(t *testing.T) {
	dir := t.TempDir()
	_, _, err := binaries(dir)
	if err == nil || err.Error() != "podlab-server not found in --bin-dir "+dir+": run make build" {
		t.Errorf("empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "podlab-server"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(dir, "podlet"), []byte("not executable"), 0o644)
	if _, _, err := binaries(dir); err == nil || !strings.HasPrefix(err.Error(), "podlet not found in --bin-dir") {
		t.Errorf("podlet not executable: %v", err)
	}
	os.Chmod(filepath.Join(dir, "podlet"), 0o755)
	server, podlet, err := binaries(dir)
	if err != nil || server != filepath.Join(dir, "podlab-server") || podlet != filepath.Join(dir, "podlet") {
		t.Errorf("binaries: %q %q %v", server, podlet, err)
	}
	self, _ := os.Executable()
	if _, _, err := binaries(""); err == nil || err.Error() != "podlab-server not found next to "+self+": run make build" {
		t.Errorf("next to the test: %v", err)
	}
}
