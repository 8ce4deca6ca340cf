package runtime

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// screen is the output of a terminal, written by ExecTTY and read by the
// test as it comes.
type screen struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitShown waits until the screen matches re.
func (s *screen) waitShown(t *testing.T, re string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if regexp.MustCompile(re).MatchString(s.String()) {
			return
		}
	}
	t.Fatalf("the screen never showed %q; it shows %q", re, s.String())
}

// An interactive shell on a terminal of its own in a container: it is
// /dev/pts/N there, has the size given and then the size sent, and its
// exit code comes back.
func TestExecTTYShell(t *testing.T) {
	ps := runPod(t, `{apiVersion: v1, kind: Pod, metadata: {name: ttyshell}, spec: {terminationGracePeriodSeconds: 1,
		containers: [{name: app, image: busybox, command: [sleep, "3600"]}]}}`, nil)
	st, err := rt.PodContainer(ps, "app")
	if err != nil {
		t.Fatal(err)
	}
	keyboard, typing := io.Pipe()
	defer typing.Close()
	var out screen
	resize := make(chan TerminalSize)
	type result struct {
		code int
		err  error
	}
	done := make(chan result)
	go func() {
		code, err := rt.ExecTTY(context.Background(), st, []string{"sh"},
			TTY{Stdin: keyboard, Output: &out, Size: TerminalSize{Width: 80, Height: 24}, Resize: resize})
		done <- result{code, err}
	}()
	io.WriteString(typing, "tty; stty size\n")
	out.waitShown(t, `(?m)^/dev/pts/\d+\r\n24 80\r\n`)
	resize <- TerminalSize{Width: 132, Height: 43}
	io.WriteString(typing, "stty size; echo to stderr >&2\n")
	out.waitShown(t, "\r\n43 132\r\nto stderr\r\n")
	io.WriteString(typing, "exit 3\n")
	select {
	case r := <-done:
		if r.code != 3 || r.err != nil {
			t.Errorf("ExecTTY: %d %v, want the shell's exit code 3", r.code, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the shell did not exit; the screen shows %q", out.String())
	}
	// The terminal was the container's, not the host's: it is gone with
	// the command.
	if got, _ := execIn(t, ps, "app", "ls", "/dev/pts"); strings.TrimSpace(got) != "ptmx" {
		t.Errorf("/dev/pts of the container after the exec: %q, want only ptmx", got)
	}
}

// The end of the input is an end of file for the command, as ^D; input
// that fails hangs the terminal up, and the command goes with it: a user
// who went away leaves nothing running in the container.
func TestExecTTYInputEnds(t *testing.T) {
	ps := runPod(t, `{apiVersion: v1, kind: Pod, metadata: {name: ttyeof}, spec: {terminationGracePeriodSeconds: 1,
		containers: [{name: app, image: busybox, command: [sleep, "3600"]}]}}`, nil)
	st, err := rt.PodContainer(ps, "app")
	if err != nil {
		t.Fatal(err)
	}
	var out screen
	code, err := rt.ExecTTY(context.Background(), st, []string{"cat"}, TTY{Stdin: strings.NewReader("hello\n"), Output: &out})
	// "hello" twice: the terminal's echo of the typing, then cat's copy.
	if code != 0 || err != nil || out.String() != "hello\r\nhello\r\n" {
		t.Errorf("cat until the end of the input: %d %v %q", code, err, out.String())
	}

	keyboard, typing := io.Pipe()
	out = screen{}
	done := make(chan int)
	go func() {
		code, _ := rt.ExecTTY(context.Background(), st, []string{"sh"}, TTY{Stdin: keyboard, Output: &out})
		done <- code
	}()
	io.WriteString(typing, "echo ready\n")
	out.waitShown(t, "\r\nready\r\n")
	typing.CloseWithError(errors.New("the user is gone"))
	select {
	case code := <-done:
		if code != 128+1 {
			t.Errorf("the shell of a hung-up terminal exited with %d, want 129 (SIGHUP)", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the shell of a hung-up terminal goes on")
	}
	cg, err := rt.Cgroups.Open(st.Cgroup)
	if err != nil {
		t.Fatal(err)
	}
	if procs, _ := cg.Procs(); len(procs) != 1 || procs[0] != st.Pid {
		t.Errorf("processes of the container after the exec: %v, want only its own %d", procs, st.Pid)
	}
}

// A container that does not run, or has no /dev/ptmx (one started before
// podlab gave containers terminals), gets a clear error.
func TestExecTTYErrors(t *testing.T) {
	st := &State{Spec: Spec{Name: "gone"}, Status: Exited}
	if _, err := rt.ExecTTY(context.Background(), st, []string{"sh"}, TTY{Output: io.Discard}); err == nil || err.Error() != `container "gone" is not running` {
		t.Errorf("ExecTTY in an exited container: %v", err)
	}
	ps := runPod(t, `{apiVersion: v1, kind: Pod, metadata: {name: ttyold}, spec: {terminationGracePeriodSeconds: 1,
		containers: [{name: app, image: busybox, command: [sleep, "3600"]}]}}`, nil)
	execIn(t, ps, "app", "rm", "/dev/ptmx")
	st, err := rt.PodContainer(ps, "app")
	if err != nil {
		t.Fatal(err)
	}
	_, err = rt.ExecTTY(context.Background(), st, []string{"sh"}, TTY{Output: io.Discard})
	if err == nil || !strings.Contains(err.Error(), `exec "sh" in container "ttyold-app`) || !strings.Contains(err.Error(), "open /dev/ptmx: no such file or directory") {
		t.Errorf("ExecTTY in a container without /dev/ptmx: %v", err)
	}
}
