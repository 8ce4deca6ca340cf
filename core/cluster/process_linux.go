package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
)

// daemon is a program up runs in the background: podlab-server, or a
// podlet.
type daemon struct {
	exe   string   // its path, also its argv[0]
	args  []string // its flags
	log   string   // stdout and stderr, appended
	netns string   // the network namespace to start it in, like /run/netns/podlab-node1; "" is the host's
}

// start starts d, detached from podlab: in a session of its own (setsid),
// so that a Ctrl-C in the terminal of "podlab up" does not reach it and
// it outlives podlab; stdin is /dev/null and its output goes to its log.
// The channel gets its exit status if it exits while this podlab runs.
//
// A podlet is born in its node's network namespace: ns.StartIn forks it
// from a throw-away thread that joined the namespace, and a child starts
// in the namespaces of the thread that forked it. It joins the network
// namespace only; `ip netns exec` would also give it a mount namespace of
// its own (to remount /sys), and the mounts it makes for its pods later
// would be hidden from the host, from the checker and from "podlab down".
func start(d daemon) (*Process, <-chan error, error) {
	logf, err := os.OpenFile(d.log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open the log of %s: %w", d.exe, err)
	}
	defer logf.Close() // the child has its own copy
	cmd := exec.Command(d.exe, d.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var join map[ns.Type]string
	if d.netns != "" {
		join = map[ns.Type]string{ns.Net: d.netns}
	}
	if err := ns.StartIn(cmd, join); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", d.exe, err)
	}
	p := &Process{PID: cmd.Process.Pid, Exe: d.exe}
	st, err := proc.ReadStat(p.PID)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, nil, fmt.Errorf("read the start time of %s (pid %d): %w", d.exe, p.PID, err)
	}
	p.StartTime = st.StartTime
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reaps it, if it dies before podlab exits
	return p, exited, nil
}

// Alive tells whether p still runs: the process with its PID started when
// p did (a PID is reused once its process is gone), as p.Exe
// (/proc/PID/cmdline), and has not exited (a zombie has).
func (p *Process) Alive() bool {
	if p == nil || !proc.Alive(p.PID, p.StartTime) {
		return false
	}
	args := proc.Cmdline(p.PID)
	return len(args) > 0 && args[0] == p.Exe
}

// inNetNS tells whether p runs in the network namespace at path: after
// `ip netns del` and up again, a podlet may still run in the old one.
func (p *Process) inNetNS(path string) bool {
	ino, err := ns.Inode(p.PID, ns.Net)
	var st unix.Stat_t
	return err == nil && unix.Stat(path, &st) == nil && st.Ino == ino
}

// stop ends p: SIGTERM, then SIGKILL if it still runs after grace. It
// reports whether p was running.
//
// It signals through a pidfd, not the PID: once the pidfd is open it
// names that one process for good, so checking that the process is p and
// then signalling it cannot hit another process that took the PID in
// between (pidfd_open(2)). The pidfd also becomes readable when the
// process exits, which is how stop waits for it.
func (p *Process) stop(grace time.Duration) (wasRunning bool, err error) {
	if p == nil {
		return false, nil
	}
	fd, err := unix.PidfdOpen(p.PID, 0)
	if errors.Is(err, unix.ESRCH) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open pid %d: %w", p.PID, err)
	}
	defer unix.Close(fd)
	if !p.Alive() { // another process has the PID now, or p is a zombie
		return false, nil
	}
	for _, sig := range []unix.Signal{unix.SIGTERM, unix.SIGKILL} {
		if err := unix.PidfdSendSignal(fd, sig, nil, 0); errors.Is(err, unix.ESRCH) {
			return true, nil
		} else if err != nil {
			return true, fmt.Errorf("send %v to pid %d: %w", sig, p.PID, err)
		}
		if exitedWithin(fd, grace) {
			return true, nil
		}
		grace = 5 * time.Second // for SIGKILL
	}
	return true, fmt.Errorf("pid %d still runs after SIGKILL", p.PID)
}

// exitedWithin waits up to d for the process of pidfd fd to exit.
func exitedWithin(fd int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return err == nil && n > 0
	}
}

// logTail returns the last n lines of the log at path, indented, for an
// error message: what the daemon said before it failed.
func logTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	return "\n    " + strings.Join(lines, "\n    ")
}
