package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/store"
)

// Propagation policies of a delete (SEMANTICS.md §5.4): what becomes of
// the objects that the deleted one owns, its dependents.
const (
	// propagationBackground removes the owner now; the garbage collector
	// then deletes the dependents that have no other owner.
	propagationBackground = "Background"
	// propagationForeground keeps the owner, marked deleted, until the
	// garbage collector has deleted its dependents.
	propagationForeground = "Foreground"
	// propagationOrphan removes the owner's references from its dependents
	// first: they stay, owned by nobody, and a new controller can adopt
	// them.
	propagationOrphan = "Orphan"
)

// deleteOptions are the options of a DELETE, from its query
// (?gracePeriodSeconds=0&propagationPolicy=Orphan) or from a DeleteOptions
// body, as kubectl sends them.
type deleteOptions struct {
	api.TypeMeta `json:",inline"`
	// GracePeriodSeconds overrides a pod's terminationGracePeriodSeconds.
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds,omitempty"`
	PropagationPolicy  string `json:"propagationPolicy,omitempty"`
	// Preconditions make the delete fail with a Conflict if the object is
	// not this one (uid) or has changed (resourceVersion).
	Preconditions *struct {
		UID             *string `json:"uid,omitempty"`
		ResourceVersion *string `json:"resourceVersion,omitempty"`
	} `json:"preconditions,omitempty"`
}

// deleteAttempts bounds the retries of a DELETE that lost a race with
// another writer of the object, like a node reporting status.
const deleteAttempts = 5

// delete answers DELETE on an object. It answers 200 with the object:
// as it was last if it is gone, or as it is now if it stays a while,
// marked with its deletionTimestamp (a pod on a node, an owner deleted in
// the foreground, a Namespace being emptied).
func (s *Server) delete(w http.ResponseWriter, r *http.Request, t target) error {
	opts, err := parseDeleteOptions(r)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		obj, _, err := s.get(r.Context(), t.res, t.namespace, t.name)
		if err != nil {
			return err
		}
		if err := opts.check(obj, t); err != nil {
			return err
		}
		out, err := s.deleteObject(r.Context(), obj, opts)
		if errors.Is(err, store.ErrConflict) && attempt < deleteAttempts {
			continue // it changed since we read it: read it again
		}
		if errors.Is(err, store.ErrConflict) {
			return conflict(t.res, t.name, modifiedSince)
		}
		if errors.Is(err, store.ErrNotFound) {
			return notFound(t.res, t.name)
		}
		if err != nil {
			return err
		}
		return writeObject(w, http.StatusOK, out)
	}
}

// parseDeleteOptions reads the options of a DELETE from its body, if it
// has one, and from its query, which wins.
func parseDeleteOptions(r *http.Request) (deleteOptions, error) {
	var opts deleteOptions
	body, err := readBody(r)
	if err != nil {
		return opts, err
	}
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&opts); err != nil {
			return opts, badRequest("decode DeleteOptions: %v", err)
		}
		if k := opts.Kind; k != "" && k != "DeleteOptions" {
			return opts, badRequest("the body of a DELETE must be a DeleteOptions, not a %s", k)
		}
	}
	q := r.URL.Query()
	if g := q.Get("gracePeriodSeconds"); g != "" {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			return opts, badRequest("gracePeriodSeconds %q is not an integer", g)
		}
		opts.GracePeriodSeconds = &n
	}
	if p := q.Get("propagationPolicy"); p != "" {
		opts.PropagationPolicy = p
	}
	if g := opts.GracePeriodSeconds; g != nil && *g < 0 {
		return opts, badRequest("gracePeriodSeconds must be 0 or more, not %d", *g)
	}
	switch opts.PropagationPolicy {
	case "", propagationBackground, propagationForeground, propagationOrphan:
	default:
		return opts, badRequest("propagationPolicy %q is not supported: use %q, %q or %q",
			opts.PropagationPolicy, propagationBackground, propagationForeground, propagationOrphan)
	}
	return opts, nil
}

// check answers a Conflict if obj is not the one the preconditions name.
func (o deleteOptions) check(obj api.Object, t target) error {
	if o.Preconditions == nil {
		return nil
	}
	m := obj.GetObjectMeta()
	if uid := o.Preconditions.UID; uid != nil && *uid != m.UID {
		return conflict(t.res, t.name, fmt.Sprintf("Precondition failed: UID in precondition: %s, UID in object meta: %s", *uid, m.UID))
	}
	if rv := o.Preconditions.ResourceVersion; rv != nil && *rv != m.ResourceVersion {
		return conflict(t.res, t.name, fmt.Sprintf("Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %s",
			*rv, m.ResourceVersion))
	}
	return nil
}

// policy is the propagation policy the delete of obj follows: the one
// asked for, or its kind's default, Background for all but the
// ReplicationController, which orphans its pods (SEMANTICS.md §5.3).
func (o deleteOptions) policy(obj api.Object) string {
	switch {
	case o.PropagationPolicy != "":
		return o.PropagationPolicy
	case api.KindOf(obj) == api.KindReplicationController:
		return propagationOrphan
	}
	return propagationBackground
}

// deleteObject deletes obj, as read from the store (its resourceVersion is
// the precondition of every write here), by the rules of its kind and of
// the propagation policy, and returns the object as the DELETE answers it.
// A store ErrConflict means obj changed meanwhile: read it again and retry.
// The garbage collector calls it too, for the dependents it deletes.
//
// Pods and Namespaces have deletions of their own, whatever the policy
// (but Orphan): a pod is stopped by its node first, a Namespace emptied.
func (s *Server) deleteObject(ctx context.Context, obj api.Object, opts deleteOptions) (api.Object, error) {
	m := obj.GetObjectMeta()
	policy := opts.policy(obj)
	if policy == propagationOrphan {
		if err := s.orphanDependents(ctx, obj); err != nil {
			return nil, err
		}
	}
	switch o := obj.(type) {
	case *api.Pod:
		return s.deletePod(ctx, o, opts.GracePeriodSeconds)
	case *api.Namespace:
		return s.deleteNamespace(ctx, o)
	}
	switch {
	case m.DeletionTimestamp != nil:
		return obj, nil // being deleted already: the garbage collector finishes it
	case policy == propagationForeground:
		return s.markDeleted(ctx, obj, foregroundFinalizer)
	case len(m.Finalizers) > 0:
		return s.markDeleted(ctx, obj, "") // the finalizers' owners remove them, then it goes
	}
	return s.remove(ctx, obj)
}

// deletePod deletes a pod gracefully: a pod on a node gets a
// deletionTimestamp grace seconds from now and stays, so that its node
// can stop its containers (SIGTERM, then SIGKILL after the grace period);
// the node then deletes it with grace 0. A pod no node runs, or whose
// containers have all ended, or a grace of 0, is removed at once.
func (s *Server) deletePod(ctx context.Context, p *api.Pod, grace *int64) (api.Object, error) {
	g := podGracePeriod(p, grace)
	if g == 0 && len(p.Finalizers) == 0 {
		return s.remove(ctx, p)
	}
	if old := p.DeletionGracePeriodSeconds; p.DeletionTimestamp != nil && old != nil && *old <= g {
		return p, nil // being deleted already, as fast or faster
	}
	next := api.DeepCopy(p)
	deadline := now().Add(time.Duration(g) * time.Second)
	next.DeletionTimestamp = &deadline
	next.DeletionGracePeriodSeconds = &g
	return s.write(ctx, next, revisionOf(p))
}

// podGracePeriod is how many seconds pod p has to stop: none if no node
// runs it or it has ended, else the grace of the request, else its own
// terminationGracePeriodSeconds (default 30).
func podGracePeriod(p *api.Pod, grace *int64) int64 {
	switch {
	case p.Spec.NodeName == "", p.Status.Phase == api.PodSucceeded, p.Status.Phase == api.PodFailed:
		return 0
	case grace != nil:
		return *grace
	case p.Spec.TerminationGracePeriodSeconds != nil:
		return *p.Spec.TerminationGracePeriodSeconds
	}
	return api.DefaultTerminationGracePeriodSeconds
}

// markDeleted sets the deletionTimestamp of obj, adding finalizer if it is
// not "", and leaves obj in the store until its finalizers are gone (see
// the garbage collector).
func (s *Server) markDeleted(ctx context.Context, obj api.Object, finalizer string) (api.Object, error) {
	next := api.DeepCopy(obj)
	m := next.GetObjectMeta()
	t := now()
	m.DeletionTimestamp = &t
	m.DeletionGracePeriodSeconds = new(int64(0))
	if finalizer != "" && !slices.Contains(m.Finalizers, finalizer) {
		m.Finalizers = append(m.Finalizers, finalizer)
	}
	return s.write(ctx, next, revisionOf(obj))
}

// remove takes obj out of the store, if it is still at the revision it
// was read at, and returns its last value, whose resourceVersion is the
// revision of the delete, as a watch reports it.
func (s *Server) remove(ctx context.Context, obj api.Object) (api.Object, error) {
	last, err := s.store.Delete(ctx, keyOf(obj), revisionOf(obj))
	if err != nil {
		return nil, err
	}
	s.wakeGarbageCollector() // its dependents may be orphans now
	return decodeStored(last.Value, last.Revision)
}

// orphanDependents removes the references to owner from every object that
// has one, before the owner goes: they stay, owned by nobody.
func (s *Server) orphanDependents(ctx context.Context, owner api.Object) error {
	snap, err := s.snapshot(ctx)
	if err != nil {
		return err
	}
	uid := owner.GetObjectMeta().UID
	for _, dep := range snap.dependentsOf(owner) {
		slog.Info("orphaning", "kind", api.KindOf(dep).Kind, "namespace", dep.GetObjectMeta().Namespace,
			"name", dep.GetObjectMeta().Name, "owner", owner.GetObjectMeta().Name)
		if err := ignoreRace(s.removeOwnerReferences(ctx, dep, map[string]bool{uid: true})); err != nil {
			return err
		}
	}
	return nil
}
