package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testTerminal opens a pseudo-terminal for podlab's stdin: the test types
// on the master, podlab reads the slave.
func testTerminal(t *testing.T, width, height uint16) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: height, Col: width}); err != nil {
		t.Fatal(err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Closing the master ends a read of the slave that podlab left behind.
	t.Cleanup(func() { master.Close(); slave.Close() })
	return master, slave
}

// termios is the mode of a terminal.
func termios(t *testing.T, f *os.File) unix.Termios {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return *tio
}

// podlabOnTerminal runs podlab against the fake cluster with the terminal
// as its stdin, in the background; it returns podlab's stdout and its
// exit status when done.
func podlabOnTerminal(t *testing.T, f *fakeServer, n *fakeNode, stdin *os.File, args ...string) (*syncBuffer, *syncBuffer, <-chan int) {
	t.Helper()
	t.Setenv("PODLAB_CONFIG", t.TempDir()+"/no-config")
	out, errw := &syncBuffer{}, &syncBuffer{}
	app := newApp(out, errw)
	app.Reader = stdin
	full := slices.Concat([]string{"podlab", args[0], "--server", f.URL, "--token", "s3cret", "--node-api-port", n.port()}, args[1:])
	done := make(chan int, 1)
	go func() { done <- runApp(app, full) }()
	return out, errw, done
}

// exec -it on a terminal: podlab sends its size, puts it in raw mode while
// the command runs, sends the new size when the window changes, and
// restores the terminal when the command exits, or when the exec fails.
func TestExecOnATerminal(t *testing.T) {
	f, n := clusterWithNodes(t)
	master, slave := testTerminal(t, 100, 40)
	cooked := termios(t, slave)
	if cooked.Lflag&unix.ICANON == 0 {
		t.Fatal("a new terminal is not in canonical mode")
	}

	out, errw, done := podlabOnTerminal(t, f, n, slave, "exec", "-it", "web", "--", "sh")
	master.WriteString("hi")
	waitFor(t, func() bool { return strings.Contains(out.String(), "hi") })
	if raw := termios(t, slave); raw.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != 0 {
		t.Errorf("the terminal during exec -it: lflag %#x, want raw: no ICANON, ECHO, ISIG", raw.Lflag)
	}
	// The window grows: the kernel would send SIGWINCH to the terminal's
	// foreground process group, which podlab is not in here.
	unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 50, Col: 120})
	unix.Kill(os.Getpid(), unix.SIGWINCH)
	waitFor(t, func() bool { return strings.Contains(out.String(), "resize 120x50") })
	master.WriteString("exit")
	select {
	case code := <-done:
		if code != 5 {
			t.Errorf("exec -it: exit status %d, want the command's 5; stderr %q", code, errw.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("exec -it did not end with the command")
	}
	if got := termios(t, slave); got != cooked {
		t.Errorf("the terminal after exec -it: %+v, want it restored to %+v", got, cooked)
	}
	want := "POST /exec/default/web/app?command=sh&height=40&stdin=true&tty=true&width=100"
	n.mu.Lock()
	asked := slices.Clone(n.requests)
	n.mu.Unlock()
	if !slices.Contains(asked, want) {
		t.Errorf("the node was asked %q, want %q", asked, want)
	}

	// The node refuses: the terminal is restored all the same.
	_, errw, done = podlabOnTerminal(t, f, n, slave, "exec", "-it", "web", "-c", "side", "--", "sh")
	if code := <-done; code != 1 || !strings.Contains(errw.String(), "is waiting to start") {
		t.Errorf("exec -it in a container that does not run: %d %q", code, errw.String())
	}
	if got := termios(t, slave); got != cooked {
		t.Errorf("the terminal after a failed exec -it: %+v, want it restored to %+v", got, cooked)
	}

	// SIGTERM while the command runs ends the exec, not podlab at once: the
	// terminal is restored first. (A new terminal: the reader of the last
	// exec's stdin, left behind, would take what is typed on the old one.)
	master, slave = testTerminal(t, 100, 40)
	cooked = termios(t, slave)
	out, errw, done = podlabOnTerminal(t, f, n, slave, "exec", "-it", "web", "--", "sh")
	master.WriteString("again")
	waitFor(t, func() bool { return strings.Contains(out.String(), "again") })
	unix.Kill(os.Getpid(), unix.SIGTERM)
	if code := <-done; code != 1 || !strings.Contains(errw.String(), "podlab: exec: terminated signal received") {
		t.Errorf("exec -it sent SIGTERM: %d %q", code, errw.String())
	}
	if got := termios(t, slave); got != cooked {
		t.Errorf("the terminal after SIGTERM: %+v, want it restored to %+v", got, cooked)
	}

	// -t without -i: refused before anything is asked.
	n.mu.Lock()
	before := len(n.requests)
	n.mu.Unlock()
	_, errw, done = podlabOnTerminal(t, f, n, slave, "exec", "-t", "web", "--", "sh")
	if code := <-done; code != 2 || !strings.Contains(errw.String(), "exec -t needs -i too") {
		t.Errorf("exec -t without -i: %d %q", code, errw.String())
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.requests) != before {
		t.Errorf("exec -t without -i asked the node %q", n.requests[before:])
	}
}
