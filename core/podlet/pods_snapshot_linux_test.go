package podlet

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/runtime"
)

// What the sync loop makes of the runtime's state and of its own records,
// without a runtime: these run without root.

func TestContainerSnapshot(t *testing.T) {
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := &runtime.State{Spec: runtime.Spec{Name: "web-app"}, Status: runtime.Exited, ExitCode: 137, Signal: "killed",
		CreatedAt: created, StartedAt: created.Add(time.Second), FinishedAt: created.Add(time.Minute)}
	crash := &api.ContainerStateTerminated{ExitCode: 1, Reason: ReasonError}
	ours := &instanceRecord{CreatedAt: created, RestartCount: 4, LastTermination: crash}

	s, ok := containerSnapshot("app", st, ours, 9)
	if !ok || s.ContainerID != "podlab://web-app" || s.State != ContainerExited || s.ExitCode != 137 ||
		!s.FinishedAt.Equal(st.FinishedAt) || s.RestartCount != 4 || s.LastTermination != crash {
		t.Errorf("recorded instance: %+v", s)
	}
	// An instance the podlet has no record of (it stopped before it wrote
	// one): the runtime's count, no last termination.
	other := &instanceRecord{CreatedAt: created.Add(-time.Hour), RestartCount: 4, LastTermination: crash}
	if s, _ := containerSnapshot("app", st, other, 9); s.RestartCount != 9 || s.LastTermination != nil {
		t.Errorf("unrecorded instance: %+v", s)
	}
	// A start that failed after this instance: the podlet stands in for it.
	failed := &instanceRecord{RestartCount: 5, LastTermination: crash, StartError: "image \"nope\" not found", FailedAt: created.Add(2 * time.Minute)}
	s, ok = containerSnapshot("app", st, failed, 9)
	if !ok || !s.exited() || s.Error == "" || !s.FinishedAt.Equal(failed.FailedAt) || s.RestartCount != 5 ||
		s.terminated().Reason != ReasonStartError || s.terminated().ExitCode != 128 {
		t.Errorf("failed start: %+v", s)
	}
	if _, ok := containerSnapshot("app", nil, nil, 0); ok {
		t.Error("an instance out of nothing")
	}
	// Lost with its shim: no finishedAt, but a time that stays put, for
	// the back-off to count from.
	lost := *st
	lost.FinishedAt, lost.ExitCode, lost.Error = time.Time{}, -1, "the container's process and its shim are gone"
	s1, _ := containerSnapshot("app", &lost, ours, 0)
	s2, _ := containerSnapshot("app", &lost, ours, 0)
	if s1.FinishedAt.IsZero() || !s1.FinishedAt.Equal(s2.FinishedAt) {
		t.Errorf("lost instance finished at %v, then %v", s1.FinishedAt, s2.FinishedAt)
	}
}

func TestRecordStore(t *testing.T) {
	s := recordStore{dir: filepath.Join(t.TempDir(), "podlet")}
	rec := podRecord{Sandbox: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Containers: map[string]instanceRecord{
		"app": {CreatedAt: time.Date(2026, 3, 1, 12, 0, 1, 5, time.UTC), RestartCount: 2,
			LastTermination: &api.ContainerStateTerminated{ExitCode: 1, Reason: ReasonError}}}}
	if err := s.save("uid-1", rec); err != nil {
		t.Fatal(err)
	}
	if got := s.load("uid-1"); !reflect.DeepEqual(got, rec) {
		t.Errorf("read back %+v, want %+v", got, rec)
	}
	if uids := s.uids(); !reflect.DeepEqual(uids, []string{"uid-1"}) {
		t.Errorf("uids %v", uids)
	}
	if err := s.save("uid-1", podRecord{}); err != nil || len(s.uids()) != 0 {
		t.Errorf("an empty record is kept: %v %v", err, s.uids())
	}
	if got := s.load("../../etc/passwd"); !got.Sandbox.IsZero() || s.file("../../x") != filepath.Join(s.dir, "x.json") {
		t.Errorf("a uid that names another file: %q", s.file("../../x"))
	}
	none := recordStore{}
	if err := none.save("uid-1", rec); err != nil || !none.load("uid-1").Sandbox.IsZero() {
		t.Error("a store without a directory keeps records")
	}
}

// The status the podlet wrote last wins over a cache that lags, but the
// conditions others own are the cache's.
func TestWithOwnStatus(t *testing.T) {
	cached := &api.Pod{Status: api.PodStatus{Phase: api.PodRunning, Conditions: []api.PodCondition{
		{Type: api.PodReady, Status: api.ConditionTrue},
		{Type: "DisruptionTarget", Status: api.ConditionTrue},
	}}}
	mem := &podMemory{}
	if p := withOwnStatus(cached, mem); !reflect.DeepEqual(p.Status, cached.Status) || p == cached {
		t.Errorf("before the first write: %+v", p.Status)
	}
	mem.written = []byte(`{"phase":"Succeeded","conditions":[{"type":"Ready","status":"False"},{"type":"Stale","status":"True"}]}`)
	p := withOwnStatus(cached, mem)
	want := []api.PodCondition{{Type: api.PodReady, Status: api.ConditionFalse}, {Type: "DisruptionTarget", Status: api.ConditionTrue}}
	if p.Status.Phase != api.PodSucceeded || !reflect.DeepEqual(p.Status.Conditions, want) {
		t.Errorf("own status: %+v", p.Status)
	}
	if cached.Status.Phase != api.PodRunning {
		t.Error("the cached pod was changed")
	}
}

func TestNewerRV(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"12", "9", true}, {"9", "12", false}, {"9", "9", false}, {"9", "", true}, {"", "9", false}} {
		if got := newerRV(c.a, c.b); got != c.want {
			t.Errorf("newerRV(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

func TestPLEGEvents(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	before := map[string]seenState{"": {"Running", t0}, "app": {"running", t0}, "init": {"exited", t0}, "side": {"running", t0}}
	after := map[string]seenState{"": {"Running", t0}, "app": {"exited", t0}, "init": {"exited", t0}, "web": {"running", t1}}
	want := []string{"ContainerDied app", "ContainerStarted web", "ContainerRemoved side"}
	if got := plegEvents(before, after); !reflect.DeepEqual(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	// A new instance in the same state is an event too: the restart came
	// and went between two relists.
	if got := plegEvents(after, map[string]seenState{"": {"Running", t0}, "app": {"exited", t1}, "init": {"exited", t0}, "web": {"running", t1}}); !reflect.DeepEqual(got, []string{"ContainerDied app"}) {
		t.Errorf("events %q", got)
	}
	if got := plegEvents(after, after); len(got) != 0 {
		t.Errorf("events without a change: %q", got)
	}
	if got := plegEvents(nil, map[string]seenState{"": {"Dead", t0}}); !reflect.DeepEqual(got, []string{"SandboxChanged Dead"}) {
		t.Errorf("events %q", got)
	}
}
