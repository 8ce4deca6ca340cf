package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/podlab/podlab/core/api"
)

// EventType names a change, as a Kubernetes watch does.
type EventType string

const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
)

// Event is one change to one object. For Deleted, Object is the object as
// it was last, with the resourceVersion of the delete.
type Event[T api.Object] struct {
	Type   EventType
	Object T
}

// Watcher delivers the events of one watch stream.
type Watcher[T api.Object] struct {
	events chan Event[T]
	err    error // set before events is closed
}

// Events returns the channel of changes. It is closed when the stream
// ends: the watch's context ended, its timeout passed, or it failed; then
// Err tells which.
func (w *Watcher[T]) Events() <-chan Event[T] { return w.events }

// Err returns why the stream ended, once Events is closed: nil after the
// context ended or the timeout passed, an error IsGone if the
// resourceVersion was too old (list again), or another failure.
func (w *Watcher[T]) Err() error { return w.err }

// Watch opens a stream of the changes to the objects that match opts.
// Read it until the channel closes:
//
//	w, err := c.Pods("").Watch(ctx, client.ListOptions{ResourceVersion: rv})
//	for ev := range w.Events() {
//		rv = ev.Object.GetObjectMeta().ResourceVersion // resume point
//	}
//	if client.IsGone(w.Err()) { ... list again ... }
func (r *Resource[T]) Watch(ctx context.Context, opts ListOptions) (*Watcher[T], error) {
	q := opts.query()
	q.Set("watch", "true")
	path := r.path(r.namespace, "", "")
	resp, err := r.c.send(ctx, "GET", path, q, "", nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
		return nil, statusError(resp.StatusCode, data)
	}
	w := &Watcher[T]{events: make(chan Event[T])}
	go w.read(ctx, r, resp.Body)
	return w, nil
}

// watchEvent is one line of the stream.
type watchEvent struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

// read decodes the stream line by line until it ends.
func (w *Watcher[T]) read(ctx context.Context, r *Resource[T], body io.ReadCloser) {
	defer close(w.events)
	defer body.Close()
	// A cancelled ctx aborts the request, which unblocks the read below.
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), maxResponse)
	for sc.Scan() {
		var ev watchEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			w.err = fmt.Errorf("watch %s: decode an event: %w", r.resource, err)
			return
		}
		if ev.Type == "ERROR" {
			var st struct {
				Code int `json:"code"`
			}
			json.Unmarshal(ev.Object, &st)
			w.err = statusError(st.Code, ev.Object)
			return
		}
		obj := r.newObject()
		if err := json.Unmarshal(ev.Object, obj); err != nil {
			w.err = fmt.Errorf("watch %s: decode an object: %w", r.resource, err)
			return
		}
		select {
		case w.events <- Event[T]{Type: EventType(ev.Type), Object: obj}:
		case <-ctx.Done():
			return
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
		w.err = fmt.Errorf("watch %s: %w", r.resource, err)
	}
}
