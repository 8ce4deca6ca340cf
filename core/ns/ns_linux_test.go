package ns

import (
	"os"
	"os/exec"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Like every podlab main: keep the main goroutine on the main thread, so
// throw-away threads can never be the main thread (IMPLEMENTATION.md §1.4).
func init() { goruntime.LockOSThread() }

func needRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates namespaces")
	}
}

func TestInspectSelf(t *testing.T) {
	set, err := Inspect(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []Type{PID, UTS, IPC, Mount, Net} {
		if set[typ] == 0 {
			t.Errorf("no inode for %s", typ)
		}
	}
	if _, err := Inspect(1 << 30); err == nil || !strings.Contains(err.Error(), "no such process") {
		t.Errorf("Inspect of a missing pid: %v", err)
	}
}

func TestCloneFlags(t *testing.T) {
	if got := CloneFlags(Net, UTS); got != syscall.CLONE_NEWNET|syscall.CLONE_NEWUTS {
		t.Fatalf("CloneFlags = %#x", got)
	}
}

// A process started in a new UTS and network namespace, then joined: the
// joined process sees its hostname and network namespace, and this process
// is left in its own.
func TestStartInJoinsAndLeavesCallerAlone(t *testing.T) {
	needRoot(t)
	owner := exec.Command("sleep", "30")
	owner.SysProcAttr = &syscall.SysProcAttr{Cloneflags: CloneFlags(UTS, Net)}
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { owner.Process.Kill(); owner.Wait() }()
	pid := owner.Process.Pid
	if err := Do(map[Type]string{UTS: Path(pid, UTS)}, func() error { return syscall.Sethostname([]byte("joined")) }); err != nil {
		t.Fatal(err)
	}
	if name, err := Hostname(pid); err != nil || name != "joined" {
		t.Fatalf("Hostname = %q, %v", name, err)
	}

	mine, _ := Inspect(os.Getpid())
	theirs, _ := Inspect(pid)
	joiner := exec.Command("sleep", "30")
	if err := StartIn(joiner, map[Type]string{UTS: Path(pid, UTS), Net: Path(pid, Net)}); err != nil {
		t.Fatal(err)
	}
	defer func() { joiner.Process.Kill(); joiner.Wait() }()
	got, _ := Inspect(joiner.Process.Pid)
	if got[Net] != theirs[Net] || got[UTS] != theirs[UTS] || got[IPC] != mine[IPC] {
		t.Errorf("joined process: net %d uts %d ipc %d; want net %d uts %d ipc %d",
			got[Net], got[UTS], got[IPC], theirs[Net], theirs[UTS], mine[IPC])
	}
	// Every thread of this process is still in its own namespaces: the
	// joining thread died with its goroutine.
	after, _ := Inspect(os.Getpid())
	if after[Net] != mine[Net] || after[UTS] != mine[UTS] {
		t.Error("this process's main thread moved")
	}
	// (The throw-away thread exits just after StartIn returns: give it a moment.)
	var strays []string
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		strays = nil
		tasks, _ := os.ReadDir("/proc/self/task")
		for _, task := range tasks {
			link, _ := os.Readlink("/proc/self/task/" + task.Name() + "/ns/net")
			if link != "" && !strings.Contains(link, strconv.FormatUint(mine[Net], 10)) {
				strays = append(strays, task.Name()+" in "+link)
			}
		}
		if len(strays) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(strays) > 0 {
		t.Errorf("threads left in the joined network namespace: %v", strays)
	}
}

func TestStartInRefusesPdeathsig(t *testing.T) {
	cmd := exec.Command("true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := StartIn(cmd, map[Type]string{Net: Path(os.Getpid(), Net)}); err == nil || !strings.Contains(err.Error(), "Pdeathsig") {
		t.Fatalf("StartIn with Pdeathsig: %v", err)
	}
}

func TestJoinMissingNamespace(t *testing.T) {
	needRoot(t)
	err := Do(map[Type]string{Net: "/proc/999999999/ns/net"}, func() error { return nil })
	if err == nil || !strings.Contains(err.Error(), `join`) && !strings.Contains(err.Error(), "open net namespace") {
		t.Fatalf("joining a missing namespace: %v", err)
	}
}
