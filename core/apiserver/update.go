package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/api/field"
	"github.com/podlab/podlab/core/store"
)

// update answers PUT on an object: the body replaces it, but for what the
// server decides (uid, creationTimestamp, generation, the deletion) and
// for its status, which only the status subresource writes. The body must
// carry the resourceVersion it was read at: if the object changed since,
// the answer is 409 Conflict and the client reads again (optimistic
// concurrency).
func (s *Server) update(w http.ResponseWriter, r *http.Request, t target) error {
	body, err := decodeBody(r, t.res)
	if err != nil {
		return err
	}
	if err := checkIdentity(body, t); err != nil {
		return err
	}
	if body.GetObjectMeta().ResourceVersion == "" {
		return invalid(t.res.kind, t.name, field.ErrorList{field.Invalid(field.NewPath("metadata").Child("resourceVersion"),
			0, "must be specified for an update")})
	}
	out, err := s.guaranteedUpdate(r.Context(), t, func(cur api.Object) (api.Object, error) {
		return updatedObject(t, cur, body)
	})
	if err != nil {
		return err
	}
	return writeObject(w, http.StatusOK, out)
}

// updateStatus answers PUT on an object's status: only the status of the
// body is taken. Without a resourceVersion in the body the write is
// unconditional, the last writer wins.
func (s *Server) updateStatus(w http.ResponseWriter, r *http.Request, t target) error {
	body, err := decodeBody(r, t.res)
	if err != nil {
		return err
	}
	if err := checkIdentity(body, t); err != nil {
		return err
	}
	out, err := s.guaranteedUpdate(r.Context(), t, func(cur api.Object) (api.Object, error) {
		return statusUpdated(t, cur, body)
	})
	if err != nil {
		return err
	}
	return writeObject(w, http.StatusOK, out)
}

// guaranteedUpdate reads the object of t, calls mutate with it and writes
// the result if nobody wrote in between; if somebody did, it reads again
// and calls mutate again, which decides whether that is a conflict (the
// client named a resourceVersion) or not. mutate must not change cur. A
// result equal to cur writes nothing. It returns the object as stored.
func (s *Server) guaranteedUpdate(ctx context.Context, t target, mutate func(cur api.Object) (api.Object, error)) (api.Object, error) {
	for {
		cur, stored, err := s.get(ctx, t.res, t.namespace, t.name)
		if err != nil {
			return nil, err
		}
		next, err := mutate(cur)
		if err != nil {
			return nil, err
		}
		value, err := encodeForStore(next)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(value, stored.Value) {
			return cur, nil // nothing changed: no write, no new resourceVersion
		}
		rev, err := s.store.Update(ctx, t.key(), value, stored.Revision)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound(t.res, t.name)
		}
		if err != nil {
			return nil, err
		}
		setRevision(next, rev)
		s.afterWrite(next)
		return next, nil
	}
}

// write stores next over the object read at revision expectRev, and
// returns it with its new resourceVersion. It fails with a store
// ErrConflict if the object changed meanwhile.
func (s *Server) write(ctx context.Context, next api.Object, expectRev int64) (api.Object, error) {
	value, err := encodeForStore(next)
	if err != nil {
		return nil, err
	}
	rev, err := s.store.Update(ctx, keyOf(next), value, expectRev)
	if err != nil {
		return nil, err
	}
	setRevision(next, rev)
	s.afterWrite(next)
	return next, nil
}

// afterWrite wakes the garbage collector after a write to an object being
// deleted: its last finalizer may be gone, and then so must it.
func (s *Server) afterWrite(obj api.Object) {
	if obj.GetObjectMeta().DeletionTimestamp != nil {
		s.wakeGarbageCollector()
	}
}

// updatedObject is what a PUT of body makes of the stored object cur: the
// body, with cur's resourceVersion as precondition, but with the fields
// the server decides kept from cur, defaulted and validated.
func updatedObject(t target, cur, body api.Object) (api.Object, error) {
	if body.GetObjectMeta().ResourceVersion != cur.GetObjectMeta().ResourceVersion {
		return nil, conflict(t.res, t.name, modifiedSince)
	}
	next := api.DeepCopy(body)
	m, old := next.GetObjectMeta(), cur.GetObjectMeta()
	m.UID = old.UID
	m.CreationTimestamp = old.CreationTimestamp
	m.GenerateName = old.GenerateName
	m.DeletionTimestamp = old.DeletionTimestamp
	m.DeletionGracePeriodSeconds = old.DeletionGracePeriodSeconds
	copyStatus(next, cur)
	api.Default(next)
	m.Generation = old.Generation
	if specChanged(cur, next) {
		m.Generation++
	}
	if errs := append(api.Validate(next), validateUpdate(next, cur)...); len(errs) > 0 {
		return nil, invalid(t.res.kind, t.name, errs)
	}
	return next, nil
}

// statusUpdated is what a PUT of body on the status subresource makes of
// the stored object cur: cur with the status of body. A resourceVersion
// in body is a precondition.
func statusUpdated(t target, cur, body api.Object) (api.Object, error) {
	if rv := body.GetObjectMeta().ResourceVersion; rv != "" && rv != cur.GetObjectMeta().ResourceVersion {
		return nil, conflict(t.res, t.name, modifiedSince)
	}
	next := api.DeepCopy(cur)
	copyStatus(next, api.DeepCopy(body))
	api.Default(next)
	if errs := api.Validate(next); len(errs) > 0 {
		return nil, invalid(t.res.kind, t.name, errs)
	}
	return next, nil
}

// validateUpdate checks what may not change in an update, as Kubernetes'
// update validation does: a pod's node is set once, by a binding; a
// controller's selector is fixed, or it would lose its pods; and an object
// being deleted takes no new finalizers.
func validateUpdate(next, old api.Object) field.ErrorList {
	var errs field.ErrorList
	if n, o := next.GetObjectMeta(), old.GetObjectMeta(); o.DeletionTimestamp != nil {
		for _, f := range n.Finalizers {
			if !slices.Contains(o.Finalizers, f) {
				errs = append(errs, field.Forbidden(field.NewPath("metadata").Child("finalizers"),
					"no new finalizers can be added if the object is being deleted"))
				break
			}
		}
	}
	if p, ok := next.(*api.Pod); ok && p.Spec.NodeName != old.(*api.Pod).Spec.NodeName {
		errs = append(errs, field.Forbidden(field.NewPath("spec").Child("nodeName"),
			"may not be changed by an update: the scheduler sets it once, with a binding"))
	}
	if sel, oldSel, ok := selectors(next, old); ok && !sameJSON(sel, oldSel) {
		errs = append(errs, field.Invalid(field.NewPath("spec").Child("selector"), selectorString(sel), "field is immutable"))
	}
	return errs
}

// sameJSON reports whether a and b encode alike: unlike reflect.DeepEqual,
// it takes an empty map for a missing one, as the API does.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// selectorString shows a selector in the form of "kubectl get -l".
func selectorString(sel *api.LabelSelector) string {
	if s, err := sel.AsSelector(); err == nil {
		return s.String()
	}
	return fmt.Sprintf("%+v", *sel)
}

// selectors returns the label selectors of next and old, for the kinds
// whose selector is immutable.
func selectors(next, old api.Object) (sel, oldSel *api.LabelSelector, ok bool) {
	switch n := next.(type) {
	case *api.ReplicaSet:
		return n.Spec.Selector, old.(*api.ReplicaSet).Spec.Selector, true
	case *api.Deployment:
		return n.Spec.Selector, old.(*api.Deployment).Spec.Selector, true
	case *api.StatefulSet:
		return n.Spec.Selector, old.(*api.StatefulSet).Spec.Selector, true
	case *api.DaemonSet:
		return n.Spec.Selector, old.(*api.DaemonSet).Spec.Selector, true
	case *api.Job:
		return n.Spec.Selector, old.(*api.Job).Spec.Selector, true
	}
	return nil, nil, false
}

// removeOwnerReferences removes from obj its references to the owners
// whose uids are in uids.
func (s *Server) removeOwnerReferences(ctx context.Context, obj api.Object, uids map[string]bool) error {
	m := obj.GetObjectMeta()
	t := target{res: resourceOf(api.KindOf(obj)), namespace: m.Namespace, name: m.Name}
	_, err := s.guaranteedUpdate(ctx, t, func(cur api.Object) (api.Object, error) {
		next := api.DeepCopy(cur)
		nm := next.GetObjectMeta()
		nm.OwnerReferences = slices.DeleteFunc(nm.OwnerReferences, func(ref api.OwnerReference) bool { return uids[ref.UID] })
		return next, nil
	})
	return err
}
