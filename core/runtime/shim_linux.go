package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
)

const (
	shimArg0 = "podlab-shim"
	initArg0 = "podlab-init"
)

// Reexec runs the shim or the container init when this binary was started
// as one of them, and then exits; otherwise it returns false at once. Call it
// first thing in main of every program that runs containers:
//
//	func main() {
//		if runtime.Reexec() {
//			return
//		}
//		...
//	}
func Reexec() bool {
	if len(os.Args) < 2 {
		return false
	}
	switch os.Args[0] {
	case shimArg0, initArg0:
		// Show the role in ps instead of "exe" (the name of /proc/self/exe).
		// This names the calling thread, which is the main one: main locks it.
		name, _ := unix.BytePtrFromString(os.Args[0])
		unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(name)), 0, 0, 0)
	}
	switch os.Args[0] {
	case shimArg0:
		os.Exit(shimMain(os.Args[1]))
	case initArg0:
		os.Exit(initMain(os.Args[1]))
	}
	return false
}

// shimMain is the parent of one container. It reports the start to the
// caller on fd 3, then waits for the workload and records how it ended.
func shimMain(dir string) int {
	report := os.NewFile(3, "report")
	say := func(r shimReport) {
		data, _ := json.Marshal(r)
		report.Write(append(data, '\n'))
		report.Close()
	}
	// The shim outlives the terminal that started it: hang-ups and Ctrl-C
	// must not end it; the container is stopped through its pidfd. Catch
	// them rather than ignore them: an ignored signal stays ignored in
	// every child, across exec, and the workload could not trap SIGINT.
	signal.Notify(make(chan os.Signal, 1), unix.SIGHUP, unix.SIGINT)

	st, err := readState(dir)
	if err != nil {
		say(shimReport{Error: err.Error()})
		return 1
	}
	cmd, err := startInit(st)
	if err != nil {
		st.Status, st.Error, st.FinishedAt = Exited, err.Error(), time.Now()
		writeState(st)
		say(shimReport{Error: err.Error()})
		return 1
	}
	st.Status = Running
	st.Pid = cmd.Process.Pid
	st.PidStart = startTime(st.Pid)
	st.ShimPid = os.Getpid()
	st.ShimStart = startTime(st.ShimPid)
	st.StartedAt = time.Now()
	if err := writeState(st); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		say(shimReport{Error: err.Error()})
		return 1
	}
	say(shimReport{State: st})
	sandboxDied := watchSandbox(st.Spec.Sandbox, cmd.Process)

	err = cmd.Wait()
	st.Status, st.FinishedAt = Exited, time.Now()
	st.ExitCode, st.Signal = exitStatus(cmd.ProcessState, err)
	st.OOMKilled = oomKilled(st)
	if sandboxDied.Load() {
		st.Error = "the pod's pause process died: its containers die with it"
	}
	if err := writeState(st); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// watchSandbox kills the container when its pod's pause process dies, as
// the kubelet does when it finds a pod's sandbox gone. The flag tells why
// the container ended.
func watchSandbox(sandbox *Process, container *os.Process) *atomic.Bool {
	died := new(atomic.Bool)
	if sandbox == nil {
		return died
	}
	fd, err := openPidfd(sandbox.Pid, sandbox.Start)
	if err != nil { // already gone
		died.Store(true)
		container.Kill()
		return died
	}
	go func() {
		defer unix.Close(fd)
		for !waitPidfd(context.Background(), fd, time.Hour) {
		}
		died.Store(true)
		container.Kill()
	}()
	return died
}

// startInit starts the container init in its namespaces and cgroup and
// waits until the workload is exec'd.
func startInit(st *State) (_ *exec.Cmd, err error) {
	logf, err := os.OpenFile(filepath.Join(st.Dir, logFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	defer logf.Close()
	execR, execW, err := os.Pipe() // closed by execve on success; carries the error otherwise
	if err != nil {
		return nil, err
	}
	defer execR.Close()
	cg, err := st.openCgroup()
	if err != nil {
		return nil, err
	}

	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{initArg0, st.Dir},
		Stdout:     logf,
		Stderr:     logf,
		ExtraFiles: []*os.File{execW}, // fd 3 in the init
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: newNamespaces(st.Spec),
		},
	}
	// The fork happens on a throw-away thread that has joined the Pod's
	// namespaces, if any; the child is born in its cgroup, so the workload
	// never runs outside its limits. No Pdeathsig: it would fire when
	// that thread exits, at once (IMPLEMENTATION.md §1.1).
	err = ns.Do(st.Spec.Join, func() error { return cg.Start(cmd) })
	execW.Close()
	if err != nil {
		return nil, fmt.Errorf("start init: %w", err)
	}
	msg, _ := io.ReadAll(execR)
	if len(msg) > 0 {
		cmd.Wait()
		return nil, errors.New(string(msg))
	}
	return cmd, nil
}

// newNamespaces is the set of namespaces created for the container: every
// one it does not join, the network only when asked. A new mount namespace
// always: the overlay root must not be seen by the host.
func newNamespaces(spec Spec) uintptr {
	types := []ns.Type{ns.Mount}
	for _, t := range []ns.Type{ns.PID, ns.UTS, ns.IPC} {
		if _, joined := spec.Join[t]; !joined {
			types = append(types, t)
		}
	}
	if _, joined := spec.Join[ns.Net]; spec.Network && !joined {
		types = append(types, ns.Net)
	}
	return ns.CloneFlags(types...)
}

// exitStatus turns a wait status into Kubernetes terms: the exit code, or
// 128+N and the signal name when signal N killed the process.
func exitStatus(ps *os.ProcessState, err error) (int, string) {
	if ps == nil {
		return -1, ""
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return 128 + int(ws.Signal()), ws.Signal().String()
	}
	return ps.ExitCode(), ""
}

// oomKilled: the kernel's OOM killer chose a process of this cgroup.
func oomKilled(st *State) bool {
	cg, err := st.openCgroup()
	if err != nil {
		return false
	}
	stats, err := cg.Stats()
	return err == nil && stats.OOMKills > 0
}

// openCgroup opens the container's cgroup from inside the shim or init,
// which have the state but not the caller's Runtime.
func (st *State) openCgroup() (cgroup.Cgroup, error) {
	drv, err := cgroup.Detect()
	if err != nil {
		return nil, err
	}
	return drv.Open(st.Cgroup)
}

func startTime(pid int) uint64 {
	st, _ := proc.ReadStat(pid)
	return st.StartTime
}
