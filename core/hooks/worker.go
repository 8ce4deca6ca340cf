package hooks

import (
	"context"
	"fmt"
	"time"

	"github.com/podlab/podlab/core/api"
)

// ReportFunc receives a probe's new result: Success, or Failure with a
// message like "Liveness probe failed: HTTP probe failed with statuscode:
// 500" (the kubelet's Unhealthy event).
type ReportFunc func(container string, kind ProbeKind, result Result, message string)

// FailedFunc receives every failed attempt of a probe, with the
// message of the kubelet's Unhealthy event ("Readiness probe failed:
// ..."): the kubelet records one per failed attempt, whether or not the
// probe's result changes (a readiness probe that fails from its first
// attempt never changes: it starts as Failure).
type FailedFunc func(container string, kind ProbeKind, message string)

// Worker runs one probe of one container instance periodically, as the
// kubelet's probe worker does: the first attempt initialDelaySeconds
// after the container started, then one every periodSeconds. It reports
// each change of the probe's result, which starts at Kind's
// InitialResult and changes after failureThreshold failures, or
// successThreshold successes, in a row.
//
// Run stops on its own once its result is final for this instance: a
// startup probe that succeeded (nothing left to check) or failed, a
// liveness probe that failed (the container is to be killed; its next
// instance gets a new worker).
type Worker struct {
	Kind      ProbeKind
	Container *api.Container
	Target    Target
	// StartedAt is when the container instance started.
	StartedAt time.Time
	Report    ReportFunc
	Failed    FailedFunc // may be nil
}

// Run probes until ctx ends or the result is final (see Worker). It
// returns at once if the container has no probe of Kind.
func (w *Worker) Run(ctx context.Context) {
	p := w.Kind.Of(w.Container)
	if p == nil {
		return
	}
	if !sleepUntil(ctx, w.StartedAt.Add(time.Duration(p.InitialDelaySeconds)*time.Second)) {
		return
	}
	ticker := time.NewTicker(seconds(p.PeriodSeconds, api.DefaultProbePeriodSeconds))
	defer ticker.Stop()
	th := newThresholds(w.Kind, p)
	for {
		result, message := Probe(ctx, p, w.Container, w.Target)
		if ctx.Err() != nil {
			return // stopped during the attempt: its result is of no use
		}
		if result == Failure {
			message = fmt.Sprintf("%s probe failed: %s", w.Kind, message)
			if w.Failed != nil {
				w.Failed(w.Container.Name, w.Kind, message)
			}
		} else {
			message = ""
		}
		if th.observe(result) {
			w.Report(w.Container.Name, w.Kind, result, message)
		}
		if w.final(th.result) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// final reports whether result ends the probing of this instance.
func (w *Worker) final(result Result) bool {
	switch w.Kind {
	case Startup:
		return result != Unknown
	case Liveness:
		return result == Failure
	}
	return false // readiness goes on as long as the container runs
}

// thresholds turns attempts into the probe's result: it changes after
// successThreshold successes, or failureThreshold failures, in a row.
type thresholds struct {
	success, failure int32
	last             Result // the result of the latest attempt
	run              int32  // how many attempts in a row gave last
	result           Result // the probe's result
}

func newThresholds(kind ProbeKind, p *api.Probe) *thresholds {
	return &thresholds{
		success: max(p.SuccessThreshold, 1),
		failure: max(p.FailureThreshold, 1),
		last:    Unknown,
		result:  kind.InitialResult(),
	}
}

// observe counts the result of one attempt and reports whether the
// probe's result changed.
func (t *thresholds) observe(r Result) bool {
	if r == t.last {
		t.run++
	} else {
		t.last, t.run = r, 1
	}
	need := t.failure
	if r == Success {
		need = t.success
	}
	if t.run < need || r == t.result {
		return false
	}
	t.result = r
	return true
}

// sleepUntil waits until deadline and reports true, or false if ctx
// ends first.
func sleepUntil(ctx context.Context, deadline time.Time) bool {
	timer := time.NewTimer(time.Until(deadline)) // fires at once if the deadline has passed
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
