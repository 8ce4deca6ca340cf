package hooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/podlab/podlab/core/api"
)

// Result is the result of a probe, or of one attempt of it.
type Result string

const (
	// Unknown: not probed yet, the first result of a startup probe.
	Unknown Result = "Unknown"
	Success Result = "Success"
	Failure Result = "Failure"
)

// ProbeKind names one of a container's three probes. Its value starts the
// messages, as in Kubernetes: "Liveness probe failed: ...".
type ProbeKind string

const (
	Startup   ProbeKind = "Startup"
	Liveness  ProbeKind = "Liveness"
	Readiness ProbeKind = "Readiness"
)

// InitialResult is what a probe of kind k says before its first attempt
// (SEMANTICS.md §4.3): a container is alive until proven dead, not ready
// until proven ready, and not known to have started.
func (k ProbeKind) InitialResult() Result {
	switch k {
	case Liveness:
		return Success
	case Readiness:
		return Failure
	}
	return Unknown
}

// Of returns the probe of kind k of container c, nil if it has none.
func (k ProbeKind) Of(c *api.Container) *api.Probe {
	switch k {
	case Startup:
		return c.StartupProbe
	case Liveness:
		return c.LivenessProbe
	case Readiness:
		return c.ReadinessProbe
	}
	return nil
}

// Probe makes one attempt of probe p of container c in target t, bounded
// by p's timeoutSeconds, and returns Success or Failure with a message:
// what the handler said, like the output of the command or
// "HTTP probe failed with statuscode: 500". A nil probe succeeds.
func Probe(ctx context.Context, p *api.Probe, c *api.Container, t Target) (Result, string) {
	if p == nil {
		return Success, ""
	}
	timeout := seconds(p.TimeoutSeconds, api.DefaultProbeTimeoutSeconds)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var result Result
	var message string
	var err error
	switch {
	case p.Exec != nil:
		result, message, err = probeExec(ctx, p.Exec.Command, t)
	case p.HTTPGet != nil:
		result, message, err = probeHTTP(ctx, p.HTTPGet, c, t)
	case p.TCPSocket != nil:
		result, message, err = probeTCP(ctx, p.TCPSocket, c, t)
	default:
		return Failure, "the probe has no handler: set exec, httpGet or tcpSocket"
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return Failure, fmt.Sprintf("%s timed out after %s", message, timeout)
	case err != nil:
		return Failure, err.Error()
	}
	return result, message
}

// The probe handlers return a result and a message; or an error, with
// the message naming what timed out if the error is a timeout.

// probeExec succeeds if argv exits 0.
func probeExec(ctx context.Context, argv []string, t Target) (Result, string, error) {
	what := fmt.Sprintf("command %q", commandLine(argv))
	if len(argv) == 0 {
		return Failure, "exec probe has no command", nil
	}
	output, code, err := execIn(ctx, t, argv)
	switch {
	case err != nil:
		return Failure, what, err
	case code != 0:
		return Failure, exitMessage(argv, code, output), nil
	}
	return Success, output, nil
}

// probeHTTP succeeds if the GET is answered with a status from 200 to 399.
func probeHTTP(ctx context.Context, h *api.HTTPGetAction, c *api.Container, t Target) (Result, string, error) {
	req, err := newHTTPRequest(ctx, h, c, t, "podlab-probe")
	if err != nil {
		return Failure, "", err
	}
	status, err := httpGet(req, t)
	switch {
	case err != nil:
		return Failure, "GET " + req.URL.String(), err
	case status < 200 || status >= 400:
		return Failure, fmt.Sprintf("HTTP probe failed with statuscode: %d", status), nil
	}
	return Success, "", nil
}

// probeTCP succeeds if a TCP connection is accepted.
func probeTCP(ctx context.Context, s *api.TCPSocketAction, c *api.Container, t Target) (Result, string, error) {
	addr, err := address(s.Host, s.Port, c, t)
	if err != nil {
		return Failure, "", err
	}
	if err := tcpConnect(ctx, addr, t); err != nil {
		return Failure, "TCP connection to " + addr, err
	}
	return Success, "", nil
}

// seconds turns a probe's number of seconds into a duration, def if unset.
func seconds(n int32, def int32) time.Duration {
	if n <= 0 {
		n = def
	}
	return time.Duration(n) * time.Second
}
