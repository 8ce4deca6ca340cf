// Command checker verifies every concept of the labs on the live system and
// grades it:
//
//	sudo checker list
//	sudo checker run 01 02
//	sudo checker grade --student alice --format junit --out report.xml
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/podlab/podlab/checker"
)

func init() {
	// Checks join namespaces on throw-away goroutines that lock their thread
	// and never unlock it, so the runtime destroys the thread afterwards. It
	// cannot destroy the main thread (m0): a throw-away goroutine landing
	// there would leave it wedged inside a pod's namespace. Keeping the main
	// goroutine locked to m0 keeps every other goroutine off it.
	// See IMPLEMENTATION.md §1.4.
	runtime.LockOSThread()
}

func main() {
	reg, err := checker.NewRegistry(checker.All()...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "checker: %v\n", err)
		os.Exit(exitFailed)
	}

	// Ctrl-C stops the running check through its context; the report of what
	// ran so far is still printed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, app(reg, os.Stdout, os.Stderr), os.Args)
	stop()
	os.Exit(code)
}
