// Package daemon is the command line of podlab's daemons, podlab-server
// and podlet: each is one urfave/cli App that reads its flags into the
// daemon's options, logs with log/slog to stderr and serves until SIGTERM
// or SIGINT. Both exit 0 after a clean stop, 1 on failure and 2 on a
// mistake on the command line, and print the error once, as
// "podlet: --node-name is required: ...".
//
// It imports no core package: podlet links it, and must not link etcd.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Command is one daemon: its name and flags, how its options are read
// from them, and how it serves.
type Command[O any] struct {
	Name     string
	Usage    string
	Flags    []cli.Flag
	Commands []*cli.Command // like "podlet reset"; set OnUsageError on each
	// Options reads and checks the flags; its errors are usage errors.
	Options func(c *cli.Context) (O, error)
	// Serve runs the daemon with options o until ctx is done.
	Serve func(ctx context.Context, o O, log *slog.Logger) error
}

// Run runs the daemon with the command line args until ctx is done and
// returns the exit status: 0 after a clean stop, 1 on failure, 2 on a
// command-line mistake. Help, the log and the error go to stderr.
func (d Command[O]) Run(ctx context.Context, args []string, stderr io.Writer) int {
	app := &cli.App{
		Name:            d.Name,
		Usage:           d.Usage,
		HideVersion:     true,
		HideHelpCommand: true,
		Flags:           d.Flags,
		Commands:        d.Commands,
		Writer:          stderr,
		ErrWriter:       stderr,
		Action: func(c *cli.Context) error {
			o, err := d.Options(c)
			if err != nil {
				return usageError{err}
			}
			// One format for every line: the components log through
			// slog's default logger.
			log := slog.New(slog.NewTextHandler(stderr, nil))
			slog.SetDefault(log)
			return d.Serve(c.Context, o, log)
		},
		OnUsageError:   OnUsageError,
		ExitErrHandler: func(*cli.Context, error) {}, // Run prints the error once
	}
	err := app.RunContext(ctx, args)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", d.Name, err)
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

// Main runs run with the program's arguments until SIGTERM or SIGINT, and
// exits with the status it returns.
func Main(run func(ctx context.Context, args []string, stderr io.Writer) int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

// Usagef returns a mistake on the command line, which makes Run exit 2.
func Usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// OnUsageError is the OnUsageError of a daemon's subcommand: a flag that
// does not parse is a mistake on the command line.
func OnUsageError(_ *cli.Context, err error, _ bool) error { return usageError{err} }
