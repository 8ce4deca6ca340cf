package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/podlab/podlab/core/podlet"
	"github.com/podlab/podlab/core/runtime"
)

// "exec -it" lends podlab's own terminal to the command, which has a
// terminal of its own in the container (a PTY). podlab's is put in raw
// mode: no echo, no line editing, no signals, so that every key (^C, ^D,
// Tab, the arrows) goes to the container as typed, and the container's
// terminal does the echo, the editing and the signals for its command.
// Its size goes along at start and at every SIGWINCH. As ssh and kubectl
// do, podlab puts the terminal back as it found it however the exec
// ends.

// errNoTerminal refuses "-t" when podlab's stdin is not a terminal: a pipe
// or a file has no keys to send one by one, and no size.
var errNoTerminal = errors.New("-t needs a terminal on stdin; drop -t to pipe input")

// localTerminal is podlab's stdin, a terminal.
type localTerminal struct{ fd int }

// stdinTerminal returns stdin as a terminal, or errNoTerminal.
func stdinTerminal(stdin io.Reader) (*localTerminal, error) {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, errNoTerminal
	}
	return &localTerminal{fd: int(f.Fd())}, nil
}

// size is the terminal's size now; zero when it cannot be read.
func (t *localTerminal) size() runtime.TerminalSize {
	w, h, err := term.GetSize(t.fd)
	if err != nil {
		return runtime.TerminalSize{}
	}
	return runtime.TerminalSize{Width: uint16(w), Height: uint16(h)}
}

// execOn runs node.Exec of the command in opts with this terminal as the
// command's: opts.Stdin reads it in raw mode, its size is sent at start and
// after each change. The terminal's mode is restored when execOn returns,
// whatever happened: the command ended, the connection failed, or podlab
// got SIGINT, SIGTERM or SIGHUP (they end the exec instead of podlab).
func (t *localTerminal) execOn(ctx context.Context, node *podlet.NodeClient, namespace, pod, container string, opts podlet.ExecOptions) (int, error) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, unix.SIGTERM, unix.SIGHUP)
	defer stop()
	sizes, stopWatching := t.watchSize()
	defer stopWatching()
	opts.TTY, opts.Size, opts.Resize = true, t.size(), sizes
	old, err := term.MakeRaw(t.fd)
	if err != nil {
		return -1, fmt.Errorf("put the terminal in raw mode: %w", err)
	}
	defer term.Restore(t.fd, old)
	return node.Exec(ctx, namespace, pod, container, opts)
}

// watchSize sends the terminal's size each time the kernel says it
// changed (SIGWINCH: the window was resized), until stop is called.
func (t *localTerminal) watchSize() (sizes <-chan runtime.TerminalSize, stop func()) {
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, unix.SIGWINCH)
	out, done := make(chan runtime.TerminalSize), make(chan struct{})
	go func() {
		for {
			select {
			case <-winch:
				select {
				case out <- t.size():
				case <-done:
					return
				}
			case <-done:
				return
			}
		}
	}()
	return out, func() {
		signal.Stop(winch)
		close(done)
	}
}
