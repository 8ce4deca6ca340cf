package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/checker"
)

// Exit statuses, for scripts and CI.
const (
	exitPassed = 0 // every selected check passed
	exitFailed = 1 // a check failed, or the checker could not finish
	exitUsage  = 2 // the command line was wrong; nothing ran
)

// errChecksFailed means the report was written and shows failures; there is
// nothing more to print.
var errChecksFailed = errors.New("some checks failed")

// usageError is a mistake on the command line. It is printed as one line
// naming the valid choices, never as a page of help text.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// app builds the command line around a registry of checks. Output goes to
// stdout and stderr rather than os.Stdout and os.Stderr, so that tests can
// run it with fake checks and read what it printed.
func app(reg *checker.Registry, stdout, stderr io.Writer) *cli.App {
	a := &cli.App{
		Name:        "checker",
		Usage:       "verify the concepts of each lab on the live system, and grade them",
		HideVersion: true,
		Writer:      stdout,
		ErrWriter:   stderr,
		Commands: []*cli.Command{
			listCommand(reg),
			runCommand(reg),
			gradeCommand(reg),
		},
		Action: func(cCtx *cli.Context) error {
			if cCtx.Args().Present() {
				return usagef("unknown command %q: commands are %s", cCtx.Args().First(), commandNames(cCtx.App))
			}
			return cli.ShowAppHelp(cCtx)
		},
		OnUsageError: flagError,
		// urfave/cli would otherwise call os.Exit itself; run decides.
		ExitErrHandler: func(*cli.Context, error) {},
	}
	for _, c := range a.Commands {
		c.OnUsageError = flagError
	}
	return a
}

// run runs the app and turns its result into an exit status.
func run(ctx context.Context, a *cli.App, args []string) int {
	err := a.RunContext(ctx, args)
	var usage usageError
	var cliExit cli.ExitCoder // "checker help nosuchcommand"
	switch {
	case err == nil:
		return exitPassed
	case errors.Is(err, errChecksFailed):
		return exitFailed
	case errors.As(err, &usage):
		fmt.Fprintf(a.ErrWriter, "checker: %v\n", err)
		return exitUsage
	case errors.As(err, &cliExit):
		fmt.Fprintf(a.ErrWriter, "checker: %v: commands are %s\n", err, commandNames(a))
		return exitUsage
	default:
		fmt.Fprintf(a.ErrWriter, "checker: %v\n", err)
		return exitFailed
	}
}

// flagError replaces urfave/cli's "Incorrect Usage" and help page with one
// line that names the command's flags.
func flagError(cCtx *cli.Context, err error, isSubcommand bool) error {
	var flags []string
	for _, f := range cCtx.Command.VisibleFlags() {
		flags = append(flags, "--"+f.Names()[0])
	}
	if isSubcommand {
		err = fmt.Errorf("%s: %w", cCtx.Command.Name, err)
	}
	return usagef("%v; flags are %s", err, strings.Join(flags, ", "))
}

func commandNames(a *cli.App) string {
	var names []string
	for _, c := range a.VisibleCommands() {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

// selectChecks returns the checks of the labs named on the command line,
// all of them if none is named.
func selectChecks(cCtx *cli.Context, reg *checker.Registry) ([]checker.Check, error) {
	labs := cCtx.Args().Slice()
	for _, arg := range labs {
		// urfave/cli stops reading flags at the first lab number, so in
		// "run 01 --json" the flag would otherwise be an unknown lab.
		if strings.HasPrefix(arg, "-") {
			return nil, usagef("flag %q must come before the lab numbers: checker %s [flags] [NN...]", arg, cCtx.Command.Name)
		}
	}
	checks, err := reg.Select(labs...)
	if err != nil {
		return nil, usageError{err}
	}
	return checks, nil
}

func timeoutFlag() *cli.DurationFlag {
	return &cli.DurationFlag{
		Name:  "timeout",
		Value: checker.DefaultTimeout,
		Usage: "time limit for each check",
	}
}

// runChecks selects the checks the command line names and runs them, each
// within --timeout: what "run" and "grade" share.
func runChecks(cCtx *cli.Context, reg *checker.Registry) (checker.Report, error) {
	checks, err := selectChecks(cCtx, reg)
	if err != nil {
		return checker.Report{}, err
	}
	timeout, err := timeoutOf(cCtx)
	if err != nil {
		return checker.Report{}, err
	}
	warnIfNotRoot(cCtx.App.ErrWriter)
	return checker.Run(cCtx.Context, checks, timeout), nil
}

func timeoutOf(cCtx *cli.Context) (time.Duration, error) {
	d := cCtx.Duration("timeout")
	if d <= 0 {
		return 0, usagef("--timeout must be positive, got %s", d)
	}
	return d, nil
}

// geteuid is a variable so that tests can pretend not to be root.
var geteuid = os.Geteuid

// warnIfNotRoot warns but lets the checks run: reading other processes'
// /proc/PID/ns and joining namespaces needs root, yet the checks that fail
// without it still show the student what they look at.
func warnIfNotRoot(w io.Writer) {
	if geteuid() != 0 {
		fmt.Fprintln(w, "checker: not root; checks that read other processes' namespaces will fail — run with sudo")
	}
}
