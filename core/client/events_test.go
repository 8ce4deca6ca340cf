package client

import (
	"context"
	"encoding/json"
	"regexp"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/podlab/podlab/core/api"
)

// fakeSink keeps the events a Recorder writes, as the API server would.
type fakeSink struct {
	mu      sync.Mutex
	events  map[string]*api.Event // by namespace/name
	order   []string              // "create ns/name" or "patch ns/name", in order
	release chan struct{}         // if set, each write waits until it is closed
}

func newFakeSink() *fakeSink { return &fakeSink{events: map[string]*api.Event{}} }

func (s *fakeSink) wait(ctx context.Context) error {
	if s.release == nil {
		return nil
	}
	select {
	case <-s.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *fakeSink) create(ctx context.Context, ev *api.Event) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := KeyFor(ev.Namespace, ev.Name)
	if _, ok := s.events[key]; ok {
		return &StatusError{Code: 409, Reason: "AlreadyExists", Message: "events " + key + " already exists"}
	}
	s.events[key] = ev
	s.order = append(s.order, "create "+key)
	return nil
}

func (s *fakeSink) patch(ctx context.Context, ns, name string, patch []byte) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := KeyFor(ns, name)
	ev, ok := s.events[key]
	if !ok {
		return &StatusError{Code: 404, Reason: "NotFound", Message: "events " + key + " not found"}
	}
	if err := json.Unmarshal(patch, ev); err != nil { // a merge patch of two fields
		return err
	}
	s.order = append(s.order, "patch "+key)
	return nil
}

func (s *fakeSink) snapshot() ([]string, map[string]*api.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	events := map[string]*api.Event{}
	for k, ev := range s.events {
		events[k] = api.DeepCopy(ev)
	}
	return append([]string(nil), s.order...), events
}

func flush(t *testing.T, r *Recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := r.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

var eventName = regexp.MustCompile(`^web\.[0-9a-f]{16}$`)

// An event is written in its object's namespace, named after it, with
// every field Kubernetes fills in.
func TestRecorderWritesEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newFakeSink()
		r := newRecorder(sink, "replicaset-controller", "node1")
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "shop", Name: "web", UID: "u1", ResourceVersion: "7"}}
		r.Eventf(p, api.EventTypeNormal, "Scheduled", "assigned %s to %s", "shop/web", "node1")
		p.Name = "changed" // after the call: must not show
		flush(t, r)

		order, events := sink.snapshot()
		if len(order) != 1 {
			t.Fatalf("writes %v, want one create", order)
		}
		var ev *api.Event
		for _, e := range events {
			ev = e
		}
		if ev.Namespace != "shop" || !eventName.MatchString(ev.Name) {
			t.Errorf("event %s/%s, want shop/web.<16 hex digits>", ev.Namespace, ev.Name)
		}
		wantRef := api.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: "shop", Name: "web", UID: "u1", ResourceVersion: "7"}
		if ev.InvolvedObject != wantRef {
			t.Errorf("involvedObject %+v, want %+v", ev.InvolvedObject, wantRef)
		}
		now := time.Now()
		want := api.Event{
			TypeMeta:           api.KindEvent,
			ObjectMeta:         ev.ObjectMeta,
			InvolvedObject:     wantRef,
			Reason:             "Scheduled",
			Message:            "assigned shop/web to node1",
			Source:             api.EventSource{Component: "replicaset-controller", Host: "node1"},
			FirstTimestamp:     now,
			LastTimestamp:      now,
			Count:              1,
			Type:               api.EventTypeNormal,
			ReportingComponent: "replicaset-controller",
			ReportingInstance:  "node1",
		}
		if got, _ := json.Marshal(ev); string(got) != string(must(json.Marshal(want))) {
			t.Errorf("event\n\t%s\nwant\n\t%s", got, must(json.Marshal(want)))
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Events about cluster-scoped objects go to "default", as in Kubernetes.
func TestRecorderClusterScopedObject(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newFakeSink()
		r := newRecorder(sink, "node-controller", "")
		r.Event(&api.Node{ObjectMeta: api.ObjectMeta{Name: "node1", UID: "n1"}}, api.EventTypeWarning, "NodeNotReady", "kubelet stopped posting status")
		flush(t, r)
		_, events := sink.snapshot()
		for _, ev := range events {
			if ev.Namespace != "default" || ev.InvolvedObject.Namespace != "" || ev.InvolvedObject.Kind != "Node" {
				t.Errorf("event %s/%s about %+v; want namespace default, a Node without namespace", ev.Namespace, ev.Name, ev.InvolvedObject)
			}
		}
		if len(events) != 1 {
			t.Errorf("%d events, want 1", len(events))
		}
	})
}

// The same event again within ten minutes of the last raises the count;
// later, or with another message, it is a new Event.
func TestRecorderCountsRepeats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newFakeSink()
		r := newRecorder(sink, "podlet", "node1")
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web", UID: "u1"}}
		backOff := func() { r.Event(p, api.EventTypeWarning, "BackOff", "Back-off restarting failed container") }

		start := time.Now()
		backOff()
		flush(t, r)
		time.Sleep(9 * time.Minute)
		backOff()
		flush(t, r)
		time.Sleep(9 * time.Minute) // 18 min after the first, 9 after the last
		backOff()
		r.Event(p, api.EventTypeWarning, "BackOff", "another message")
		flush(t, r)
		time.Sleep(11 * time.Minute)
		backOff()
		flush(t, r)

		order, events := sink.snapshot()
		if len(order) != 5 || order[0][:7] != "create " || order[1] != "patch "+order[0][7:] ||
			order[2] != order[1] || order[3][:7] != "create " || order[4][:7] != "create " {
			t.Fatalf("writes %v, want create A, patch A, patch A, create B, create C", order)
		}
		first := events[order[0][7:]]
		if first.Count != 3 || !first.FirstTimestamp.Equal(start) || !first.LastTimestamp.Equal(start.Add(18*time.Minute)) {
			t.Errorf("repeated event: count %d, first %v, last %v; want 3, start, start+18m",
				first.Count, first.FirstTimestamp.Sub(start), first.LastTimestamp.Sub(start))
		}
		if last := events[order[4][7:]]; last.Count != 1 || last.Message != "Back-off restarting failed container" {
			t.Errorf("event after the window: count %d, message %q; want a new event", last.Count, last.Message)
		}
	})
}

// If the Event to count on was deleted meanwhile, a new one is written.
func TestRecorderRecreatesDeletedEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newFakeSink()
		r := newRecorder(sink, "podlet", "node1")
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web", UID: "u1"}}
		r.Event(p, api.EventTypeNormal, "Pulled", "pulled")
		flush(t, r)
		sink.mu.Lock()
		clear(sink.events)
		sink.mu.Unlock()
		r.Event(p, api.EventTypeNormal, "Pulled", "pulled")
		flush(t, r)
		order, events := sink.snapshot()
		if len(order) != 2 || len(events) != 1 || order[1][:7] != "create " {
			t.Errorf("writes %v, want two creates", order)
		}
	})
}

// Two events in the same nanosecond still get different names.
func TestRecorderNamesAreUnique(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { // the clock stands still
		sink := newFakeSink()
		r := newRecorder(sink, "test", "")
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web"}}
		for _, reason := range []string{"A", "B", "C"} {
			r.Event(p, api.EventTypeNormal, reason, "same time")
		}
		flush(t, r)
		if order, _ := sink.snapshot(); len(order) != 3 {
			t.Errorf("writes %v, want three creates", order)
		}
	})
}

// Event never blocks: with the writer stuck, the queue fills and further
// events are dropped; once unstuck, the queued ones are written.
func TestRecorderDropsWhenQueueFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newFakeSink()
		sink.release = make(chan struct{})
		r := newRecorder(sink, "test", "")
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web"}}
		// One event for the writer to hold, a full queue, and ten too many.
		for i := range 1 + eventQueueSize + 10 {
			r.Eventf(p, api.EventTypeNormal, "Test", "event %d", i)
			if i == 0 {
				synctest.Wait() // the writer has taken it and waits for release
			}
		}

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		if err := r.Flush(ctx); err != context.DeadlineExceeded {
			t.Errorf("Flush with the writer stuck = %v, want %v", err, context.DeadlineExceeded)
		}
		cancel()

		close(sink.release)
		flush(t, r)
		if order, _ := sink.snapshot(); len(order) != 1+eventQueueSize {
			t.Errorf("%d events written, want %d: the rest dropped", len(order), 1+eventQueueSize)
		}
	})
}

// Bad calls are dropped, not sent.
func TestRecorderDropsBadEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newFakeSink()
		r := newRecorder(sink, "test", "")
		var nilPod *api.Pod
		r.Event(nilPod, api.EventTypeNormal, "Nothing", "about nothing")
		r.Event(&api.Pod{ObjectMeta: api.ObjectMeta{Name: "web"}}, "Fatal", "Oops", "not a type")
		flush(t, r)
		if order, _ := sink.snapshot(); len(order) != 0 {
			t.Errorf("writes %v, want none", order)
		}
	})
}

// The cache of recent events forgets the least recently used first.
func TestEventCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newEventCache(2)
	a, b, d := eventKey{name: "a"}, eventKey{name: "b"}, eventKey{name: "d"}
	c.put(a, seenEvent{name: "a.1"})
	c.put(b, seenEvent{name: "b.1"})
	c.get(a) // a is now the most recent
	c.put(d, seenEvent{name: "d.1"})
	if _, ok := c.get(b); ok {
		t.Error("b still cached, want it evicted as the least recently used")
	}
	for _, k := range []eventKey{a, d} {
		if _, ok := c.get(k); !ok {
			t.Errorf("%s evicted, want it cached", k.name)
		}
	}
	c.put(a, seenEvent{name: "a.1", count: 2})
	if v, _ := c.get(a); v.count != 2 || c.order.Len() != 2 {
		t.Errorf("after updating a: count %d, %d entries; want 2, 2", v.count, c.order.Len())
	}
}
