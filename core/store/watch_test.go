package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// next returns the next event, failing the test if none comes in time.
func next(t *testing.T, events <-chan Event, errs <-chan error) Event {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatalf("watch ended early: %v", <-errs)
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no watch event within 5s")
		return Event{}
	}
}

// expect checks the next event's type, key, value and revision.
func expect(t *testing.T, events <-chan Event, errs <-chan error, typ EventType, key, value string, rev int64) {
	t.Helper()
	ev := next(t, events, errs)
	if ev.Type != typ || ev.Object.Key != key || string(ev.Object.Value) != value || ev.Object.Revision != rev {
		t.Errorf("event %s %s %s at %d, want %s %s %s at %d",
			ev.Type, ev.Object.Key, ev.Object.Value, ev.Object.Revision, typ, key, value, rev)
	}
}

// revOf returns a function that returns the revision of a write and fails
// the test on an error: rev := must(s.Create(ctx, key, value)).
func revOf(t *testing.T) func(int64, error) int64 {
	return func(rev int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
}

func TestWatchFromRevision(t *testing.T) {
	must := revOf(t)
	s, _ := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	prefix := Key("pods", "default", "")
	a, b := Key("pods", "default", "a"), Key("pods", "default", "b")

	from := must(s.Create(ctx, a, []byte(`1`)))
	// Written before the watch starts: replayed from etcd's history.
	r1 := must(s.Create(ctx, b, []byte(`1`)))
	r2 := must(s.Update(ctx, b, []byte(`2`), r1))
	events, errs := s.Watch(ctx, prefix, from)
	// Written after: delivered live. Other prefixes are not seen.
	must(s.Create(ctx, Key("pods", "other", "x"), []byte(`1`)))
	del, err := s.Delete(ctx, b, 0)
	if err != nil {
		t.Fatal(err)
	}

	// Nothing at or before from (the creation of a), then exactly these.
	expect(t, events, errs, Added, b, `1`, r1)
	expect(t, events, errs, Modified, b, `2`, r2)
	expect(t, events, errs, Deleted, b, `2`, del.Revision) // the last value
	marker := must(s.Create(ctx, Key("pods", "default", "marker"), []byte(`1`)))
	expect(t, events, errs, Added, Key("pods", "default", "marker"), `1`, marker)

	cancel()
	for ev := range events {
		t.Errorf("event after cancel: %+v", ev)
	}
	if err := <-errs; err != nil {
		t.Errorf("error after cancel: %v, want nil", err)
	}
}

func TestWatchResume(t *testing.T) {
	must := revOf(t)
	s, _ := newStore(t)
	ctx := context.Background()
	prefix := Key("nodes", "", "")
	n1, n2 := Key("nodes", "", "node1"), Key("nodes", "", "node2")

	_, from, err := s.List(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	events, errs := s.Watch(wctx, prefix, from)
	r1 := must(s.Create(ctx, n1, []byte(`1`)))
	expect(t, events, errs, Added, n1, `1`, r1)
	seen := r1
	cancel()
	for range events {
	}

	// Changes while nobody watches...
	r2 := must(s.Create(ctx, n2, []byte(`1`)))
	r3 := must(s.Update(ctx, n1, []byte(`2`), r1))

	// ...are delivered by a watch from the last revision seen, exactly once.
	events, errs = s.Watch(ctx, prefix, seen)
	expect(t, events, errs, Added, n2, `1`, r2)
	if ev := next(t, events, errs); ev.Type != Modified || string(ev.Object.Value) != `2` || ev.Object.Revision != r3 ||
		string(ev.PrevValue) != `1` {
		t.Errorf("event %s %s at %d, previous value %s; want MODIFIED 2 at %d, previous value 1",
			ev.Type, ev.Object.Value, ev.Object.Revision, ev.PrevValue, r3)
	}
	r4 := must(s.Create(ctx, Key("nodes", "", "marker"), []byte(`1`)))
	expect(t, events, errs, Added, Key("nodes", "", "marker"), `1`, r4)
}

func TestWatchCompacted(t *testing.T) {
	must := revOf(t)
	s, e := newStore(t)
	ctx := context.Background()
	key := Key("pods", "default", "web")
	prefix := Key("pods", "", "")

	r1 := must(s.Create(ctx, key, []byte(`1`)))
	r2 := must(s.Update(ctx, key, []byte(`2`), r1))
	r3 := must(s.Update(ctx, key, []byte(`3`), r2))
	// Forget the history before r3, as the periodic compaction does.
	if _, err := e.Client().Compact(ctx, r3); err != nil {
		t.Fatal(err)
	}

	events, errs := s.Watch(ctx, prefix, r1) // r2 is gone
	for ev := range events {
		t.Errorf("event from a compacted revision: %+v", ev)
	}
	if err := <-errs; !errors.Is(err, ErrCompacted) {
		t.Errorf("watch from a compacted revision: err = %v, want ErrCompacted", err)
	}

	// The cure: list again and watch from the list's revision.
	_, rev, err := s.List(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, errs = s.Watch(wctx, prefix, rev)
	r4 := must(s.Update(ctx, key, []byte(`4`), r3))
	expect(t, events, errs, Modified, key, `4`, r4)
}
