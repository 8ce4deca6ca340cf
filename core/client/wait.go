package client

import (
	"context"
	"fmt"

	"github.com/podlab/podlab/core/api"
)

// WaitFor returns the object called name once cond holds for it, as
// "kubectl wait" does: it reads the object, then watches it from that
// revision, so no change in between is missed and nothing is polled. cond
// sees nil-free objects only; an object that does not exist yet is
// waited for. It gives up when ctx ends, with the last object it saw.
//
//	pod, err := client.WaitFor(ctx, c.Pods("default"), "web", func(p *api.Pod) bool {
//		return p.Status.Phase == api.PodRunning
//	})
func WaitFor[T api.Object](ctx context.Context, r *Resource[T], name string, cond func(T) bool) (T, error) {
	var last T
	for {
		obj, err := r.Get(ctx, name)
		rv := ""
		switch {
		case err == nil:
			last = obj
			if cond(obj) {
				return obj, nil
			}
			rv = obj.GetObjectMeta().ResourceVersion
		case !IsNotFound(err):
			return last, err
		}
		w, err := r.Watch(ctx, ListOptions{FieldSelector: "metadata.name=" + name, ResourceVersion: rv})
		if err != nil {
			return last, err
		}
		for ev := range w.Events() {
			if ev.Type == Deleted {
				continue
			}
			last = ev.Object
			if cond(ev.Object) {
				return ev.Object, nil
			}
		}
		if ctx.Err() != nil {
			return last, fmt.Errorf("wait for %s %q: %w", r.resource, name, ctx.Err())
		}
		// The stream ended (a 410 Gone, a server restart): read again.
		if err := w.Err(); err != nil && !IsGone(err) {
			return last, err
		}
	}
}
