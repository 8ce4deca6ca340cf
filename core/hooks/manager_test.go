package hooks

import (
	"cmp"
	"maps"
	"reflect"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/podlab/podlab/core/api"
)

// probedApp returns a container with a startup, a liveness and a
// readiness probe, each an exec command named after it, every second.
func probedApp() *api.Container {
	probe := func(command string, failure int32) *api.Probe {
		p := execProbe(command)
		p.PeriodSeconds, p.FailureThreshold = 1, failure
		return p
	}
	return &api.Container{Name: "app",
		StartupProbe:   probe("startup", 10),
		LivenessProbe:  probe("live", 2),
		ReadinessProbe: probe("ready", 1)}
}

// boolp shows a *bool in messages.
func boolp(b *bool) string {
	if b == nil {
		return "nil"
	}
	if *b {
		return "true"
	}
	return "false"
}

// want checks what m says of container app.
func want(t *testing.T, m *Manager, started, ready string, unhealthy map[string]string) {
	t.Helper()
	if got := boolp(m.Started("app")); got != started {
		t.Errorf("Started = %s, want %s", got, started)
	}
	if got := boolp(m.Ready("app")); got != ready {
		t.Errorf("Ready = %s, want %s", got, ready)
	}
	if got := m.Unhealthy(); !maps.Equal(got, unhealthy) {
		t.Errorf("Unhealthy = %v, want %v", got, unhealthy)
	}
}

// The startup probe holds the liveness and readiness probes back; once it
// succeeds they begin, and a failed liveness probe marks the container
// unhealthy.
func TestManagerStartupGatesLivenessAndReadiness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		answers := func(argv []string, n int) (string, int) {
			if argv[0] == "startup" && n < 3 {
				return "not yet", 1 // fails at 0, 1 and 2 s, succeeds at 3 s
			}
			return "", 0
		}
		exec := newFakeExec(answers)
		rec := &recorder{start: time.Now()}
		m := NewManager(rec.report, nil)
		defer m.Stop()
		in := Instance{Container: probedApp(), ID: "podlab://app-1", StartedAt: time.Now(), Target: Target{Exec: exec.exec}}
		m.Add(in)

		time.Sleep(2500 * time.Millisecond)
		synctest.Wait()
		want(t, m, "false", "false", map[string]string{})
		if n, r := exec.count("live"), exec.count("ready"); n != 0 || r != 0 {
			t.Errorf("before startup: %d liveness and %d readiness attempts, want none", n, r)
		}

		time.Sleep(time.Second) // 3.5 s
		synctest.Wait()
		want(t, m, "true", "true", map[string]string{})
		if n, r := exec.count("live"), exec.count("ready"); n != 1 || r != 1 {
			t.Errorf("after startup: %d liveness and %d readiness attempts, want 1 each, at once", n, r)
		}

		// Adding the same instance again changes nothing.
		m.Add(in)
		want(t, m, "true", "true", map[string]string{})

		// The app stops answering: after 2 failures it is to be restarted.
		exec.setAnswer(always("", 1))
		time.Sleep(2 * time.Second) // 5.5 s
		synctest.Wait()
		const liveness = "Container app failed liveness probe, will be restarted"
		want(t, m, "true", "false", map[string]string{"app": liveness})
		// Sorted by time, then kind: the workers report concurrently.
		wantReports := []report{
			{3 * time.Second, Readiness, Success, ""},
			{3 * time.Second, Startup, Success, ""},
			{4 * time.Second, Readiness, Failure, `Readiness probe failed: command "ready" exited with code 1`},
			{5 * time.Second, Liveness, Failure, `Liveness probe failed: command "live" exited with code 1`},
		}
		got := rec.get()
		slices.SortStableFunc(got, func(a, b report) int {
			return cmp.Or(cmp.Compare(a.At, b.At), cmp.Compare(a.Kind, b.Kind))
		})
		if !reflect.DeepEqual(got, wantReports) {
			t.Errorf("reports\n%+v\nwant\n%+v", got, wantReports)
		}

		// The restarted container is a new instance: probed afresh.
		exec = newFakeExec(answers)
		in.ID, in.StartedAt, in.Target = "podlab://app-2", time.Now(), Target{Exec: exec.exec}
		m.Add(in)
		want(t, m, "false", "false", map[string]string{})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		want(t, m, "true", "true", map[string]string{})

		// A container that no longer runs is no longer probed.
		m.Remove("app")
		want(t, m, "nil", "nil", map[string]string{})
		calls := exec.count("ready")
		time.Sleep(time.Minute)
		synctest.Wait()
		if exec.count("ready") != calls {
			t.Errorf("probed %d more times after Remove", exec.count("ready")-calls)
		}
	})
}

// A startup probe that keeps failing marks the container unhealthy; its
// liveness probe never runs.
func TestManagerStartupFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		exec := newFakeExec(always("", 1))
		m := NewManager(nil, nil)
		defer m.Stop()
		m.Add(Instance{Container: probedApp(), ID: "1", StartedAt: time.Now(), Target: Target{Exec: exec.exec}})
		time.Sleep(time.Minute)
		synctest.Wait()
		want(t, m, "false", "false", map[string]string{"app": "Container app failed startup probe, will be restarted"})
		if s, l := exec.count("startup"), exec.count("live"); s != 10 || l != 0 {
			t.Errorf("%d startup and %d liveness attempts, want 10 and 0", s, l)
		}
	})
}

// Without a startup probe, liveness and readiness begin at once; without
// probes, the Manager has nothing to say.
func TestManagerWithoutStartupProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		exec := newFakeExec(always("", 0))
		m := NewManager(nil, nil)
		defer m.Stop()
		c := probedApp()
		c.StartupProbe = nil
		m.Add(Instance{Container: c, ID: "1", StartedAt: time.Now(), Target: Target{Exec: exec.exec}})
		want(t, m, "nil", "false", map[string]string{})
		synctest.Wait()
		want(t, m, "nil", "true", map[string]string{})

		m.Add(Instance{Container: &api.Container{Name: "app"}, ID: "2", StartedAt: time.Now()})
		want(t, m, "nil", "nil", map[string]string{})
	})
}

// After Stop no probe runs and no result is kept.
func TestManagerStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		exec := newFakeExec(always("", 0))
		m := NewManager(nil, nil)
		m.Add(Instance{Container: probedApp(), ID: "1", StartedAt: time.Now(), Target: Target{Exec: exec.exec}})
		synctest.Wait()
		m.Stop()
		calls := exec.count("startup")
		time.Sleep(time.Minute)
		synctest.Wait()
		if exec.count("startup") != calls {
			t.Error("probes ran after Stop")
		}
		want(t, m, "nil", "nil", map[string]string{})
	})
}
