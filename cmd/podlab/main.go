// Command podlab is the user's tool: containers, pods and images on this
// machine, and kubectl's verbs (apply, get, describe, ...) against the
// API server of a cluster.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	goruntime "runtime"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/runtime"
)

// Keep the main goroutine on the main thread, so that joining namespaces on
// throw-away threads can never wedge the main thread inside a container's
// namespaces (IMPLEMENTATION.md §1.4).
func init() { goruntime.LockOSThread() }

func main() {
	if runtime.Reexec() { // this binary is also the container shim and init
		return
	}
	os.Exit(run(os.Args))
}

func run(args []string) int { return runApp(newApp(os.Stdout, os.Stderr), args) }

// newApp returns the command line of podlab, writing to stdout and stderr.
func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:  "podlab",
		Usage: "build Kubernetes from Linux primitives",
		UsageText: "podlab command [command options] [arguments...]\n\n" +
			"on this machine: podlab container|pod|image ...\n" +
			"a local cluster: podlab up|status|down (as root)\n" +
			"on a cluster:    podlab apply|create|get|describe|delete|scale|label|events|logs|exec|top ... (as kubectl)",
		Commands: []*cli.Command{
			containerCommand,
			podCommand,
			imageCommand,
			upCommand,
			statusCommand,
			downCommand,
			nodeCommand,
			systemdUnitCommand,
			applyCommand,
			createCommand,
			getCommand,
			describeCommand,
			deleteCommand,
			scaleCommand,
			labelCommand,
			eventsCommand,
			logsCommand,
			execCommand,
			topCommand,
			completionCommand,
		},
		Writer:               stdout,
		ErrWriter:            stderr,
		EnableBashCompletion: true,
		OnUsageError:         onUsageError,
		CommandNotFound: func(c *cli.Context, name string) {
			notFound = fmt.Errorf("unknown command %q: see \"%s --help\"", name, c.Command.HelpName)
		},
		ExitErrHandler: func(*cli.Context, error) {}, // errors are printed once, below
	}
	usageEverywhere(app.Commands)
	return app
}

// runApp runs app with the command line args and returns the exit status,
// after printing the error, if any, once.
func runApp(app *cli.App, args []string) int {
	notFound = nil
	err := app.Run(flagsFirst(app, args))
	if notFound != nil {
		err = usageError{notFound}
	}

	if err == nil {
		return 0
	}
	var exit cli.ExitCoder
	if errors.As(err, &exit) {
		if msg := errorText(err); msg != "" {
			fmt.Fprintln(app.ErrWriter, "podlab: "+msg)
		}
		return exit.ExitCode()
	}
	fmt.Fprintln(app.ErrWriter, "podlab: "+errorText(err))
	var usage usageError
	if errors.As(err, &usage) {
		return 2
	}
	return 1
}

// notFound is set when the command line names a command that does not exist.
var notFound error

func onUsageError(c *cli.Context, err error, _ bool) error { return usageError{err} }

// usageEverywhere makes every command report flag mistakes as usage errors.
func usageEverywhere(cmds []*cli.Command) {
	for _, c := range cmds {
		c.OnUsageError = onUsageError
		usageEverywhere(c.Subcommands)
	}
}

// usageError marks a mistake on the command line: exit status 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// newRuntime opens the container runtime, refusing early when not root.
func newRuntime() (*runtime.Runtime, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("containers need root (namespaces, mounts, cgroups): run with sudo")
	}
	return runtime.New()
}
