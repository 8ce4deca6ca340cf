package client

import (
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/podlab/podlab/core/api"
)

// Limits of a Recorder, close to client-go's.
const (
	// eventQueueSize bounds the events waiting to be written; more are
	// dropped, so that a slow API server never blocks a controller.
	eventQueueSize = 1000
	// eventCacheSize bounds how many recent events are remembered for
	// counting repeats (client-go's maxLruCacheEntries).
	eventCacheSize = 4096
	// eventRepeatWindow: the same event again within this time raises the
	// count of the one written; after it, a new Event is written.
	eventRepeatWindow = 10 * time.Minute
	// eventWriteTimeout bounds each write: events are best-effort.
	eventWriteTimeout = 5 * time.Second
)

// Recorder writes Events about objects, what "podlab describe" and
// "podlab events" show: client-go's EventRecorder in miniature.
//
//	rec := client.NewRecorder(c, "replicaset-controller", hostname)
//	rec.Eventf(rs, api.EventTypeNormal, "SuccessfulCreate", "Created pod: %s", pod.Name)
//
// Recording never blocks and never fails the caller: events are queued
// and written by a goroutine in the background, and dropped (with a
// warning in the log) if the queue is full or the write fails. The same
// event seen again within ten minutes raises the Count of the Event
// already written instead of writing a new one, so a pod in a crash loop
// has one "BackOff" Event with a growing count, not thousands.
//
// A Recorder is safe for concurrent use. Call Flush before a short-lived
// program exits, or the last events may not be written.
type Recorder struct {
	sink      eventSink
	component string
	host      string

	mu      sync.Mutex
	queue   []*api.Event  // waiting to be written, oldest first
	idle    chan struct{} // closed when the writer has emptied the queue; nil if no writer runs
	dropped int           // events dropped since the queue was last empty
	lastNS  int64         // UnixNano of the last name made, to keep names unique

	// Used only by the writer goroutine (there is at most one at a time).
	seen *eventCache
}

// eventSink is where a Recorder writes: the API server, or a fake in tests.
type eventSink interface {
	create(ctx context.Context, ev *api.Event) error
	// patch applies a JSON merge patch to the Event ns/name.
	patch(ctx context.Context, ns, name string, patch []byte) error
}

// clientSink writes events through a Client.
type clientSink struct{ c *Client }

func (s clientSink) create(ctx context.Context, ev *api.Event) error {
	_, err := s.c.Events(ev.Namespace).Create(ctx, ev)
	return err
}

func (s clientSink) patch(ctx context.Context, ns, name string, patch []byte) error {
	_, err := s.c.Events(ns).Patch(ctx, name, patch)
	return err
}

// NewRecorder returns a recorder that writes events through c, signed by
// component (like "default-scheduler") on host (the node name, or "" for
// a component that runs on none in particular).
func NewRecorder(c *Client, component, host string) *Recorder {
	return newRecorder(clientSink{c}, component, host)
}

func newRecorder(sink eventSink, component, host string) *Recorder {
	return &Recorder{sink: sink, component: component, host: host, seen: newEventCache(eventCacheSize)}
}

// Event records that reason happened to obj, with a message for people.
// eventType is api.EventTypeNormal or api.EventTypeWarning. It returns at
// once; the write happens in the background.
func (r *Recorder) Event(obj api.Object, eventType, reason, message string) {
	if isNil(obj) {
		slog.Warn("event about no object dropped", "component", r.component, "reason", reason)
		return
	}
	if eventType != api.EventTypeNormal && eventType != api.EventTypeWarning {
		slog.Warn("event of unknown type dropped", "component", r.component, "type", eventType, "reason", reason)
		return
	}
	// Build the Event now: obj may change after we return.
	ev := r.makeEvent(obj, eventType, reason, message, time.Now())
	r.enqueue(ev)
}

// Eventf is Event with a message formatted as by fmt.Sprintf.
func (r *Recorder) Eventf(obj api.Object, eventType, reason, format string, args ...any) {
	r.Event(obj, eventType, reason, fmt.Sprintf(format, args...))
}

// makeEvent returns a new Event about obj, as Kubernetes writes it: in
// obj's namespace ("default" for a Node), named after obj.
func (r *Recorder) makeEvent(obj api.Object, eventType, reason, message string, now time.Time) *api.Event {
	m := obj.GetObjectMeta()
	kind := api.KindOf(obj)
	if kind == (api.TypeMeta{}) {
		kind = *obj.GetTypeMeta()
	}
	ns := m.Namespace
	if ns == "" {
		ns = api.NamespaceDefault
	}
	return &api.Event{
		TypeMeta:   api.KindEvent,
		ObjectMeta: api.ObjectMeta{Name: m.Name + "." + r.nameSuffix(now), Namespace: ns},
		InvolvedObject: api.ObjectReference{
			Kind:            kind.Kind,
			APIVersion:      kind.APIVersion,
			Namespace:       m.Namespace,
			Name:            m.Name,
			UID:             m.UID,
			ResourceVersion: m.ResourceVersion,
		},
		Reason:             reason,
		Message:            message,
		Source:             api.EventSource{Component: r.component, Host: r.host},
		FirstTimestamp:     now,
		LastTimestamp:      now,
		Count:              1,
		Type:               eventType,
		ReportingComponent: r.component,
		ReportingInstance:  r.host,
	}
}

// nameSuffix returns 16 hex digits of the time in nanoseconds, as
// Kubernetes names events, so their names sort by time. A clock that
// did not move since the last name gets a nanosecond added: names stay
// unique.
func (r *Recorder) nameSuffix(now time.Time) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastNS = max(now.UnixNano(), r.lastNS+1)
	return fmt.Sprintf("%016x", r.lastNS)
}

// enqueue hands ev to the writer goroutine, starting it if none runs, or
// drops ev if the queue is full.
func (r *Recorder) enqueue(ev *api.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.queue) >= eventQueueSize {
		if r.dropped == 0 { // once, not for every event of a burst
			slog.Warn("event queue full, dropping events", "component", r.component, "reason", ev.Reason)
		}
		r.dropped++
		return
	}
	r.queue = append(r.queue, ev)
	if r.idle == nil {
		r.idle = make(chan struct{})
		go r.write()
	}
}

// write writes the queued events, one at a time, until the queue is
// empty; then the goroutine ends, and the next Event starts another.
func (r *Recorder) write() {
	for {
		ev, ok := r.next()
		if !ok {
			return
		}
		r.writeOne(ev)
	}
}

// next takes the oldest queued event. If there is none it marks the
// writer stopped and wakes Flush.
func (r *Recorder) next() (*api.Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.queue) == 0 {
		if r.dropped > 0 {
			slog.Warn("events dropped while the queue was full", "component", r.component, "dropped", r.dropped)
			r.dropped = 0
		}
		close(r.idle)
		r.idle = nil
		return nil, false
	}
	ev := r.queue[0]
	r.queue[0] = nil // let the event be collected
	r.queue = r.queue[1:]
	return ev, true
}

// writeOne writes ev, or raises the count of the same event written
// recently. Failures are logged, not retried.
func (r *Recorder) writeOne(ev *api.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), eventWriteTimeout)
	defer cancel()

	key := eventKeyOf(ev)
	if prev, ok := r.seen.get(key); ok && ev.LastTimestamp.Sub(prev.last) < eventRepeatWindow {
		err := r.repeat(ctx, key, prev, ev.LastTimestamp)
		if err == nil {
			return
		}
		if !IsNotFound(err) {
			slog.Warn("update event failed", "component", r.component,
				"event", prev.namespace+"/"+prev.name, "error", err)
			return
		}
		// The Event was deleted meanwhile: write a new one.
	}
	if err := r.sink.create(ctx, ev); err != nil {
		slog.Warn("write event failed", "component", r.component,
			"event", ev.Namespace+"/"+ev.Name, "reason", ev.Reason, "error", err)
		return
	}
	r.seen.put(key, seenEvent{namespace: ev.Namespace, name: ev.Name, count: 1, last: ev.LastTimestamp})
}

// repeat raises the count and the lastTimestamp of the Event prev
// describes, with a merge patch, and remembers it under key.
func (r *Recorder) repeat(ctx context.Context, key eventKey, prev seenEvent, now time.Time) error {
	patch, err := json.Marshal(struct {
		Count         int32     `json:"count"`
		LastTimestamp time.Time `json:"lastTimestamp"`
	}{prev.count + 1, now})
	if err != nil {
		return err
	}
	if err := r.sink.patch(ctx, prev.namespace, prev.name, patch); err != nil {
		return err
	}
	prev.count++
	prev.last = now
	r.seen.put(key, prev)
	return nil
}

// Flush waits until the queue is empty: every event recorded so far has
// been written or given up on. If ctx ends first it returns ctx's error.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	idle := r.idle
	r.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// eventKey tells when two events are the same event seen again: the same
// thing (reason, message) of the same type about the same object.
type eventKey struct {
	kind, namespace, name, uid string
	eventType, reason, message string
}

func eventKeyOf(ev *api.Event) eventKey {
	o := ev.InvolvedObject
	return eventKey{o.Kind, o.Namespace, o.Name, o.UID, ev.Type, ev.Reason, ev.Message}
}

// seenEvent is what the recorder remembers of an Event it wrote.
type seenEvent struct {
	namespace, name string
	count           int32
	last            time.Time // its lastTimestamp
}

// eventCache remembers the most recently used seenEvents, at most size
// of them: the oldest is forgotten first (least recently used).
type eventCache struct {
	size  int
	order *list.List // of *cacheEntry, most recently used at the front
	items map[eventKey]*list.Element
}

type cacheEntry struct {
	key eventKey
	val seenEvent
}

func newEventCache(size int) *eventCache {
	return &eventCache{size: size, order: list.New(), items: map[eventKey]*list.Element{}}
}

func (c *eventCache) get(key eventKey) (seenEvent, bool) {
	e, ok := c.items[key]
	if !ok {
		return seenEvent{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).val, true
}

func (c *eventCache) put(key eventKey, val seenEvent) {
	if e, ok := c.items[key]; ok {
		e.Value.(*cacheEntry).val = val
		c.order.MoveToFront(e)
		return
	}
	c.items[key] = c.order.PushFront(&cacheEntry{key, val})
	if c.order.Len() > c.size {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*cacheEntry).key)
	}
}
