package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A terminal for "exec -t" is a pseudo-terminal (PTY): a pair of devices.
// The command gets the slave side, /dev/pts/N, as stdin, stdout, stderr
// and controlling terminal, and sees a real terminal: "tty" names it,
// "stty size" reads its size, ^C becomes SIGINT, a shell prints its
// prompt. The caller keeps the master side: what it writes there the
// command reads as typed, what the command prints it reads back (after
// the terminal's line discipline: echo, and "\n" sent as "\r\n"). A
// terminal emulator, sshd and "kubectl exec -t" are all this.
//
// Each container has its own devpts (init_linux.go mounts it): the pair
// comes from the container's /dev/ptmx, so /dev/pts/N is visible in it.

// ttyDrain bounds how long the output may trail the command's exit: a
// process it left in the background may keep the terminal open.
const ttyDrain = time.Second

// ExecTTY runs a command inside a running container of a Pod like Exec,
// on a terminal of its own (kubectl exec -it): it copies what tty.Stdin
// brings to the terminal, what the command prints to tty.Output, applies
// the sizes that come on tty.Resize, and returns the command's exit code
// once it has exited and its output is written. When ctx ends first, the
// command's process group is killed and ExecTTY returns ctx's error.
func (r *Runtime) ExecTTY(ctx context.Context, st *State, argv []string, tty TTY) (int, error) {
	cmd := execCommand(st, argv)
	master, err := r.startExec(st, cmd, &tty.Size)
	if err != nil {
		return -1, err
	}
	// Closing the master hangs the terminal up: whatever still holds the
	// slave gets SIGHUP, or EIO.
	defer master.Close()
	exited := make(chan struct{})
	go typeInto(master, tty.Stdin)
	go applySizes(master, tty.Resize, exited)
	copied := make(chan struct{})
	go func() {
		io.Copy(tty.Output, master) // ends with EIO once nothing holds the slave
		close(copied)
	}()
	code, err := r.waitExec(ctx, st, cmd, true)
	close(exited)
	select {
	case <-copied:
	case <-time.After(ttyDrain):
		master.SetReadDeadline(time.Now())
		<-copied
	}
	return code, err
}

// typeInto writes what the user types to the terminal. At the end of the
// input it types Ctrl-D, the terminal's end of file; if the input failed
// (the user is gone) it hangs the terminal up instead.
func typeInto(master *os.File, in io.Reader) {
	if in == nil {
		return
	}
	if _, err := io.Copy(master, in); err != nil {
		master.Close()
		return
	}
	master.Write([]byte{4}) // ^D, VEOF of a terminal's default settings
}

// applySizes resizes the terminal to each size that comes, until the
// command has exited.
func applySizes(master *os.File, sizes <-chan TerminalSize, exited <-chan struct{}) {
	for {
		select {
		case size := <-sizes:
			setTerminalSize(master, size)
		case <-exited:
			return
		}
	}
}

// onTerminal makes the slave side of a terminal cmd's stdin, stdout,
// stderr and controlling terminal, in a new session: what login and sshd
// do, and what lets ^C on the terminal reach the command as SIGINT.
func onTerminal(cmd *exec.Cmd, slave *os.File) {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0} // Ctty: fd 0 of the child
}

// openPTY opens a new pseudo-terminal from /dev/ptmx and sets its size, as
// posix_openpt(3), unlockpt(3) and ptsname(3) do in C. Paths are those of
// the calling thread's mount namespace: startExec calls it inside the
// container's.
func openPTY(size TerminalSize) (master, slave *os.File, err error) {
	// Each open of /dev/ptmx makes a new pair. os.OpenFile makes the master
	// non-blocking and known to Go's poller, so that a read deadline or a
	// Close can end a read that waits for output.
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("open a terminal: %w (a container started by a podlab without terminals has none: restart it)", err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open a terminal: %w", err)
	}
	var n uint32
	err = control(master, func(fd int) error {
		// The slave stays locked until the master unlocks it (TIOCSPTLCK 0),
		// and TIOCGPTN tells its number N, of /dev/pts/N.
		if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
			return fmt.Errorf("unlock the terminal: %w", err)
		}
		var err error
		if n, err = unix.IoctlGetUint32(fd, unix.TIOCGPTN); err != nil {
			return fmt.Errorf("get the terminal's number: %w", err)
		}
		return nil
	})
	if err == nil && size != (TerminalSize{}) {
		err = setTerminalSize(master, size)
	}
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	// Blocking, as a command expects its stdin to be. O_NOCTTY: the
	// command makes it its controlling terminal itself (Setctty), not us.
	path := fmt.Sprintf("/dev/pts/%d", n)
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("open the terminal %q: %w", path, err)
	}
	return master, os.NewFile(uintptr(fd), path), nil
}

// setTerminalSize sets the size of the terminal of master (TIOCSWINSZ); the
// kernel tells the terminal's foreground processes with SIGWINCH.
func setTerminalSize(master *os.File, size TerminalSize) error {
	err := control(master, func(fd int) error {
		return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: size.Height, Col: size.Width})
	})
	if err != nil {
		return fmt.Errorf("resize the terminal to %dx%d: %w", size.Width, size.Height, err)
	}
	return nil
}

// control runs fn with f's file descriptor. f.Fd() would do as well but
// would switch f to blocking mode, out of Go's poller.
func control(f *os.File, fn func(fd int) error) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var fnErr error
	if err := raw.Control(func(fd uintptr) { fnErr = fn(int(fd)) }); err != nil {
		return err
	}
	return fnErr
}
