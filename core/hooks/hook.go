package hooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/podlab/podlab/core/api"
)

// Run runs hook h (a postStart or preStop) of container c in target t
// and returns when it is done, or when ctx ends: the podlet bounds a
// preStop by the grace period. It returns an error if the hook failed:
//
//   - exec: the command could not run, or exited non-zero (the error
//     holds what it printed);
//   - httpGet: the request could not be made. The response is thrown
//     away, as the kubelet does: any status, 500 too, is a success;
//   - sleep: ctx ended before the time was up.
//
// The podlet records a FailedPostStartHook or FailedPreStopHook event
// with the error; a failed postStart kills the container, a failed
// preStop lets the stop go on.
func Run(ctx context.Context, h *api.LifecycleHandler, c *api.Container, t Target) error {
	switch {
	case h == nil:
		return nil
	case h.Exec != nil:
		return runExecHook(ctx, h.Exec.Command, t)
	case h.HTTPGet != nil:
		return runHTTPHook(ctx, h.HTTPGet, c, t)
	case h.Sleep != nil:
		return runSleepHook(ctx, h.Sleep.Seconds)
	case h.TCPSocket != nil:
		return errors.New("tcpSocket is not supported as a lifecycle hook")
	}
	return errors.New("the hook has no handler: set exec, httpGet or sleep")
}

func runExecHook(ctx context.Context, argv []string, t Target) error {
	if len(argv) == 0 {
		return errors.New("exec hook has no command")
	}
	output, code, err := execIn(ctx, t, argv)
	if err != nil {
		return err
	}
	if code != 0 {
		return errors.New(exitMessage(argv, code, output))
	}
	return nil
}

func runHTTPHook(ctx context.Context, h *api.HTTPGetAction, c *api.Container, t Target) error {
	req, err := newHTTPRequest(ctx, h, c, t, "podlab-lifecycle")
	if err != nil {
		return err
	}
	_, err = httpGet(req, t) // the status does not count: see Run
	return err
}

// runSleepHook waits seconds, or until ctx ends: a preStop sleep that
// outlasts the grace period is cut short, and that is an error.
func runSleepHook(ctx context.Context, seconds int64) error {
	timer := time.NewTimer(time.Duration(seconds) * time.Second)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sleep of %ds cut short: %w", seconds, ctx.Err())
	}
}
