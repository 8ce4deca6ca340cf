package ns

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"
)

// Inode returns the inode number of namespace t of process pid, the number
// that `ls -l /proc/PID/ns` shows as "net:[4026531833]".
func Inode(pid int, t Type) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(Path(pid, t), &st); err != nil {
		return 0, fmt.Errorf("inspect %s namespace of pid %d: %w", t, pid, err)
	}
	return st.Ino, nil
}

// Inspect returns the namespaces of process pid. Types the kernel does not
// have are left out.
func Inspect(pid int) (Set, error) {
	set := Set{}
	for _, t := range All {
		ino, err := Inode(pid, t)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				if _, statErr := os.Stat(fmt.Sprintf("/proc/%d", pid)); statErr != nil {
					return nil, fmt.Errorf("inspect namespaces of pid %d: no such process", pid)
				}
				continue
			}
			return nil, err
		}
		set[t] = ino
	}
	return set, nil
}

// setns moves the calling OS thread into the namespace at path.
//
// Hazard: only the calling *thread* moves, and goroutines hop between
// threads. Callers must hold runtime.LockOSThread and must never unlock:
// the thread is then destroyed with its goroutine instead of being reused
// by unrelated goroutines (see IMPLEMENTATION.md §1.1, P3).
func setns(path string, t Type) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s namespace %q: %w", t, path, err)
	}
	defer unix.Close(fd)
	if t == Mount {
		// A thread that shares its filesystem context (cwd, root) with other
		// threads cannot change mount namespace: setns would fail with
		// EINVAL. Go threads share it, so detach it first.
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			return fmt.Errorf("unshare filesystem context before joining %q: %w", path, err)
		}
	}
	if err := unix.Setns(fd, int(t.CloneFlag())); err != nil {
		return fmt.Errorf("join %s namespace %q: %w", t, path, err)
	}
	return nil
}

// joinOrder: the mount namespace last, since after it paths resolve in the
// joined mount table.
var joinOrder = []Type{IPC, UTS, Net, PID, Cgroup, Mount}

// onThrowawayThread runs fn on a fresh OS thread that first joins the
// namespaces in join (type -> /proc/PID/ns/TYPE path). The thread is locked
// and never unlocked, so the Go runtime destroys it when fn returns: no
// other goroutine ever runs in the joined namespaces.
//
// Every program that calls this must lock its main thread in an init
// function (runtime.LockOSThread). Otherwise the goroutine may land on the
// main thread, which the runtime cannot destroy: it would be left wedged in
// the joined namespaces, and /proc/self/ns would lie about the program
// (IMPLEMENTATION.md §1.4).
func onThrowawayThread(join map[Type]string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // deliberately never unlocked
		for _, t := range joinOrder {
			path, ok := join[t]
			if !ok {
				continue
			}
			if err := setns(path, t); err != nil {
				errc <- err
				return
			}
		}
		errc <- fn()
	}()
	return <-errc
}

// Do runs fn inside the namespaces in join (type -> path such as
// Path(pid, Net)). Use it for short work such as reading a hostname or
// opening a socket; goroutines that fn starts do NOT inherit the namespaces.
// Joining PID only affects children forked afterwards (setns(2)).
func Do(join map[Type]string, fn func() error) error {
	return onThrowawayThread(join, fn)
}

// StartIn starts cmd so that it is born inside the namespaces in join. The
// fork happens on a thread that has joined them, and a child inherits its
// parent thread's namespaces; cmd.SysProcAttr.Cloneflags may add new ones
// (e.g. a new mount namespace for a container that joins a Pod's network).
//
// Hazard: Pdeathsig fires when the *forking thread* exits, which here is at
// once; StartIn refuses a cmd that sets it.
func StartIn(cmd *exec.Cmd, join map[Type]string) error {
	if cmd.SysProcAttr != nil && cmd.SysProcAttr.Pdeathsig != 0 {
		return fmt.Errorf("start %q in namespaces: Pdeathsig would kill the child when the throw-away thread exits", cmd.Path)
	}
	if len(join) == 0 {
		return cmd.Start()
	}
	return onThrowawayThread(join, cmd.Start)
}

// Hostname reads the hostname in the UTS namespace of process pid.
func Hostname(pid int) (string, error) {
	var name string
	err := Do(map[Type]string{UTS: Path(pid, UTS)}, func() error {
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			return err
		}
		name = unix.ByteSliceToString(u.Nodename[:])
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("read hostname of pid %d: %w", pid, err)
	}
	return name, nil
}
