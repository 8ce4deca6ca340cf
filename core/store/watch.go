package store

import (
	"context"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// EventType names a change the way a Kubernetes watch does.
type EventType string

const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
)

// Event is one change to one object. Object.Revision is the revision of the
// change; for DELETED, Object.Value is the last value the object had.
type Event struct {
	Type   EventType
	Object Object
	// PrevValue is the value before a MODIFIED change (nil for ADDED, and
	// if etcd no longer has it). A watch with a selector needs it: an
	// object that stops matching must be reported as gone.
	PrevValue []byte
}

// Watch delivers, in order, every change to the keys under prefix made after
// revision fromRev (usually the revision returned by List); fromRev 0 means
// the changes from now on. Both channels are closed when ctx ends or the
// watch fails; a failure is sent on the error channel first. If fromRev has
// been compacted away the error is ErrCompacted and the caller must List
// again. Read it like this:
//
//	events, errs := s.Watch(ctx, prefix, rev)
//	for ev := range events {
//		rev = ev.Object.Revision // resume point after a cancel
//	}
//	if err := <-errs; err != nil { ... } // nil after a cancel
func (s *Store) Watch(ctx context.Context, prefix string, fromRev int64) (<-chan Event, <-chan error) {
	events := make(chan Event)
	errs := make(chan error, 1) // never blocks: at most one error is sent

	opts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithPrevKV()}
	if fromRev > 0 {
		// etcd's WithRev is inclusive; we want what the caller has not seen.
		opts = append(opts, clientv3.WithRev(fromRev+1))
	}
	// WithRequireLeader ends the watch if the etcd member loses its leader,
	// instead of silently delivering nothing from a partitioned member.
	wch := s.client.Watch(clientv3.WithRequireLeader(ctx), prefix, opts...)

	go func() {
		defer close(events)
		defer close(errs)
		for resp := range wch {
			if resp.CompactRevision != 0 {
				errs <- fmt.Errorf("watch %q from revision %d (oldest kept is %d): %w",
					prefix, fromRev, resp.CompactRevision, ErrCompacted)
				return
			}
			if err := resp.Err(); err != nil {
				if ctx.Err() == nil { // a cancel is not a failure
					errs <- fmt.Errorf("watch %q: %w", prefix, err)
				}
				return
			}
			for _, ev := range resp.Events {
				select {
				case events <- toEvent(ev):
				case <-ctx.Done():
					return
				}
			}
		}
		// clientv3 closes the channel when ctx ends or the client is closed.
		if ctx.Err() == nil {
			errs <- fmt.Errorf("watch %q: closed by the etcd client", prefix)
		}
	}()
	return events, errs
}

// toEvent turns an etcd event into a Kubernetes-style one. etcd only knows
// PUT and DELETE; a PUT that created the key (its CreateRevision is this
// revision) is ADDED, any other PUT is MODIFIED.
func toEvent(ev *clientv3.Event) Event {
	obj := Object{Key: string(ev.Kv.Key), Value: ev.Kv.Value, Revision: ev.Kv.ModRevision}
	switch {
	case ev.Type == mvccpb.DELETE:
		// A delete carries no value; WithPrevKV added the one it removed.
		obj.Value = nil
		if ev.PrevKv != nil {
			obj.Value = ev.PrevKv.Value
		}
		return Event{Type: Deleted, Object: obj}
	case ev.IsCreate():
		return Event{Type: Added, Object: obj}
	default:
		e := Event{Type: Modified, Object: obj}
		if ev.PrevKv != nil {
			e.PrevValue = ev.PrevKv.Value
		}
		return e
	}
}
