// Command podlab is the user's tool: containers and images on this machine
// now; pods and the cluster in later labs.
package main

import (
	"errors"
	"fmt"
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

func run(args []string) int {
	app := &cli.App{
		Name:  "podlab",
		Usage: "build Kubernetes Pods from Linux primitives",
		Commands: []*cli.Command{
			containerCommand,
			podCommand,
			imageCommand,
		},
		EnableBashCompletion: true,
		OnUsageError:         onUsageError,
		CommandNotFound: func(c *cli.Context, name string) {
			notFound = fmt.Errorf("unknown command %q: see \"%s --help\"", name, c.Command.HelpName)
		},
		ExitErrHandler: func(*cli.Context, error) {}, // errors are printed once, below
	}
	usageEverywhere(app.Commands)
	err := app.Run(args)
	if notFound != nil {
		err = usageError{notFound}
	}

	if err == nil {
		return 0
	}
	var exit cli.ExitCoder
	if errors.As(err, &exit) {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "podlab: "+msg)
		}
		return exit.ExitCode()
	}
	fmt.Fprintln(os.Stderr, "podlab: "+err.Error())
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
