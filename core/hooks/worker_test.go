package hooks

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/podlab/podlab/core/api"
)

// report is one call of a ReportFunc, with the seconds since the
// container started.
type report struct {
	At      time.Duration
	Kind    ProbeKind
	Result  Result
	Message string
}

// recorder collects reports.
type recorder struct {
	mu      sync.Mutex
	start   time.Time
	reports []report
}

func (r *recorder) report(container string, kind ProbeKind, result Result, message string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports = append(r.reports, report{time.Since(r.start), kind, result, message})
}

func (r *recorder) get() []report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]report(nil), r.reports...)
}

// script answers the n-th run of a command with exit code 0 for 'S' and
// 1 for 'F' in results, and 0 after the end.
func script(results string) func([]string, int) (string, int) {
	return func(argv []string, n int) (string, int) {
		if n < len(results) && results[n] == 'F' {
			return "unhealthy", 1
		}
		return "", 0
	}
}

// runWorker runs a worker of kind on a container with probe p in the
// bubble for d, and returns its reports, the times of its attempts (since
// the start) and whether Run returned on its own.
func runWorker(t *testing.T, kind ProbeKind, p *api.Probe, exec *fakeExec, d time.Duration) (reports []report, attempts []time.Duration, returned bool) {
	t.Helper()
	c := &api.Container{Name: "app"}
	switch kind {
	case Startup:
		c.StartupProbe = p
	case Liveness:
		c.LivenessProbe = p
	case Readiness:
		c.ReadinessProbe = p
	}
	rec := &recorder{start: time.Now()}
	w := &Worker{Kind: kind, Container: c, Target: Target{Exec: exec.exec}, StartedAt: time.Now(), Report: rec.report}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		w.Run(ctx)
		close(done)
	}()
	time.Sleep(d)
	synctest.Wait()
	select {
	case <-done:
		returned = true
	default:
	}
	cancel()
	<-done
	for _, at := range exec.times(p.Exec.Command[0]) {
		attempts = append(attempts, at.Sub(rec.start))
	}
	return rec.get(), attempts, returned
}

// secs turns numbers of seconds into durations.
func secs(s ...int) []time.Duration {
	var ds []time.Duration
	for _, n := range s {
		ds = append(ds, time.Duration(n)*time.Second)
	}
	return ds
}

// A liveness probe fails after failureThreshold failures in a row, once,
// and then stops: the container is to be killed.
func TestWorkerLivenessFailureThreshold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := execProbe("check")
		p.InitialDelaySeconds = 5
		reports, attempts, returned := runWorker(t, Liveness, p, newFakeExec(always("", 1)), time.Minute)
		want := []report{{25 * time.Second, Liveness, Failure, `Liveness probe failed: command "check" exited with code 1`}}
		if !reflect.DeepEqual(reports, want) {
			t.Errorf("reports %+v, want %+v", reports, want)
		}
		if want := secs(5, 15, 25); !reflect.DeepEqual(attempts, want) {
			t.Errorf("attempts at %v, want %v (initial delay 5 s, period 10 s)", attempts, want)
		}
		if !returned {
			t.Error("Run still probes after the liveness probe failed")
		}
	})
}

// A success between failures starts the count again.
func TestWorkerFailuresMustBeInARow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := execProbe("check")
		p.PeriodSeconds = 1
		reports, _, _ := runWorker(t, Liveness, p, newFakeExec(script("FFSFFSFFF")), 20*time.Second)
		if len(reports) != 1 || reports[0].At != 8*time.Second || reports[0].Result != Failure {
			t.Errorf("reports %+v, want one Failure at 8s (the 9th attempt)", reports)
		}
	})
}

// A readiness probe starts as Failure, needs successThreshold successes
// to become ready, failureThreshold failures to become unready, and goes
// on probing.
func TestWorkerReadinessThresholds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := execProbe("check")
		p.PeriodSeconds, p.SuccessThreshold, p.FailureThreshold = 1, 2, 2
		// attempt:  0 1 2 3 4 5 6 7 8 9
		results := "FSSFSFFFSS"
		reports, attempts, returned := runWorker(t, Readiness, p, newFakeExec(script(results)), 9500*time.Millisecond)
		want := []report{
			{2 * time.Second, Readiness, Success, ""},
			{6 * time.Second, Readiness, Failure, `Readiness probe failed: command "check" exited with code 1: "unhealthy"`},
			{9 * time.Second, Readiness, Success, ""},
		}
		if !reflect.DeepEqual(reports, want) {
			t.Errorf("reports\n%+v\nwant\n%+v", reports, want)
		}
		if len(attempts) != 10 || returned {
			t.Errorf("%d attempts, returned %v; want 10, still probing", len(attempts), returned)
		}
	})
}

// A readiness probe that fails from its first attempt never changes its
// result (it starts as Failure), yet every failed attempt is told, for
// the kubelet's Unhealthy event.
func TestWorkerFailedAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := execProbe("check")
		p.PeriodSeconds = 1
		var failed []string
		c := &api.Container{Name: "app", ReadinessProbe: p}
		w := &Worker{Kind: Readiness, Container: c, Target: Target{Exec: newFakeExec(always("down", 1)).exec}, StartedAt: time.Now(),
			Report: func(string, ProbeKind, Result, string) { t.Errorf("a report, but the result stays Failure") },
			Failed: func(container string, kind ProbeKind, message string) {
				failed = append(failed, container+": "+message)
			}}
		ctx, cancel := context.WithCancel(t.Context())
		go w.Run(ctx)
		time.Sleep(2500 * time.Millisecond)
		synctest.Wait()
		cancel()
		synctest.Wait()
		want := `app: Readiness probe failed: command "check" exited with code 1: "down"`
		if len(failed) != 3 || failed[0] != want {
			t.Errorf("failed attempts %q, want 3 of %q", failed, want)
		}
	})
}

// A startup probe reports once, when it succeeds, and stops.
func TestWorkerStartupSucceeds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := execProbe("check")
		p.PeriodSeconds, p.FailureThreshold = 2, 30
		reports, attempts, returned := runWorker(t, Startup, p, newFakeExec(script("FFFF")), time.Minute)
		want := []report{{8 * time.Second, Startup, Success, ""}}
		if !reflect.DeepEqual(reports, want) || len(attempts) != 5 || !returned {
			t.Errorf("reports %+v, %d attempts, returned %v; want %+v, 5, true", reports, len(attempts), returned, want)
		}
	})
}

func TestWorkerStartupFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := execProbe("check")
		p.PeriodSeconds, p.FailureThreshold = 1, 4
		reports, attempts, returned := runWorker(t, Startup, p, newFakeExec(always("", 1)), time.Minute)
		if len(reports) != 1 || reports[0].Result != Failure || reports[0].At != 3*time.Second ||
			len(attempts) != 4 || !returned {
			t.Errorf("reports %+v, %d attempts, returned %v; want one Failure at 3s, 4 attempts, true", reports, len(attempts), returned)
		}
	})
}

// An attempt that takes longer than timeoutSeconds is a failure.
func TestWorkerTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := execProbe("check")
		p.TimeoutSeconds, p.PeriodSeconds, p.FailureThreshold = 2, 5, 1
		c := &api.Container{Name: "app", LivenessProbe: p}
		hang := func(ctx context.Context, argv []string) (string, int, error) {
			<-ctx.Done()
			return "", -1, ctx.Err()
		}
		rec := &recorder{start: time.Now()}
		w := &Worker{Kind: Liveness, Container: c, Target: Target{Exec: hang}, StartedAt: time.Now(), Report: rec.report}
		w.Run(t.Context()) // returns: the liveness probe failed
		want := []report{{2 * time.Second, Liveness, Failure, `Liveness probe failed: command "check" timed out after 2s`}}
		if got := rec.get(); !reflect.DeepEqual(got, want) {
			t.Errorf("reports %+v, want %+v", got, want)
		}
	})
}

// Cancelling ctx stops a worker, during the initial delay as well as
// between attempts, without a report.
func TestWorkerStops(t *testing.T) {
	for _, delay := range []int32{0, 60} {
		t.Run(fmt.Sprintf("initialDelaySeconds %d", delay), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := execProbe("check")
				p.InitialDelaySeconds = delay
				reports, _, returned := runWorker(t, Readiness, p, newFakeExec(always("", 1)), 30*time.Second)
				if len(reports) != 0 || returned {
					t.Errorf("reports %+v, returned %v before the cancel", reports, returned)
				}
			})
		})
	}
}

// A container without the probe needs no worker.
func TestWorkerWithoutProbe(t *testing.T) {
	w := &Worker{Kind: Liveness, Container: &api.Container{Name: "app"}}
	w.Run(t.Context()) // returns at once
}
