package apiserver

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/store"
)

// The garbage collector finishes deletions, as Kubernetes' garbage
// collector and namespace controllers do (SEMANTICS.md §5.4). A DELETE
// only does what can be done at once, and leaves the rest to it:
//
//   - Background: the owner is removed; the collector then deletes the
//     dependents that have no owner left, then theirs, and so on down a
//     Deployment → ReplicaSet → Pod chain;
//   - Foreground: the owner stays, with a deletionTimestamp and the
//     finalizer "foregroundDeletion"; the collector deletes the dependents
//     and drops the finalizer once none that blocks (blockOwnerDeletion)
//     is left; then it removes the owner;
//   - a Namespace: marked Terminating; the collector deletes everything in
//     it, then removes it (namespaces.go).
//
// It is level-triggered: a sweep reads every object in one List, at one
// revision, so that an owner missing from the picture is really gone,
// and takes the steps that picture calls for. Every write is conditional
// on the revision the object was read at: a step based on an outdated
// picture fails, and the next sweep looks again. Because it works from
// what is stored, not from what it was told, a server that restarts in the
// middle of a cascade finishes it in its first sweep.

// foregroundFinalizer keeps an owner deleted in the foreground until its
// dependents are gone.
const foregroundFinalizer = "foregroundDeletion"

// gcInterval is how often the collector sweeps when nothing wakes it: it
// catches an object created for an owner that was deleted meanwhile.
const gcInterval = 30 * time.Second

// maxSweeps bounds the sweeps of one collection; a long chain of owners
// is finished by the next one.
const maxSweeps = 10

// registryPrefix is the prefix of every object in the store.
const registryPrefix = "/registry/"

// RunGarbageCollector sweeps the store at once, then whenever a delete
// wakes it and every 30 s, until ctx ends. podlab-server runs it in a
// goroutine: without it, deleted owners leave their dependents behind
// and Namespaces stay Terminating.
func (s *Server) RunGarbageCollector(ctx context.Context) {
	slog.Info("starting the garbage collector", "interval", gcInterval)
	ticker := time.NewTicker(gcInterval)
	defer ticker.Stop()
	for {
		if err := s.collectGarbage(ctx); err != nil && ctx.Err() == nil {
			slog.Error("garbage collector", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.gcWake:
		case <-ticker.C:
		}
	}
}

// wakeGarbageCollector asks for a sweep soon. It never blocks: many wakes
// before the sweep starts make one sweep.
func (s *Server) wakeGarbageCollector() {
	select {
	case s.gcWake <- struct{}{}:
	default:
	}
}

// collectGarbage sweeps until a sweep finds nothing to do.
func (s *Server) collectGarbage(ctx context.Context) error {
	for range maxSweeps {
		acted, err := s.sweep(ctx)
		if err != nil || !acted {
			return err
		}
	}
	return nil
}

// sweep takes the steps one picture of the store calls for, and reports
// whether it took any.
func (s *Server) sweep(ctx context.Context) (acted bool, err error) {
	snap, err := s.snapshot(ctx)
	if err != nil {
		return false, err
	}
	var errs []error
	for _, obj := range snap.objects {
		did, err := s.collect(ctx, snap, obj)
		acted = acted || did
		errs = append(errs, ignoreRace(err))
	}
	return acted, errors.Join(errs...)
}

// collect takes the step obj calls for, if any.
func (s *Server) collect(ctx context.Context, snap *snapshot, obj api.Object) (acted bool, err error) {
	m := obj.GetObjectMeta()
	switch {
	case m.DeletionTimestamp == nil && len(m.OwnerReferences) > 0:
		return s.collectDependent(ctx, snap, obj)
	case m.DeletionTimestamp == nil:
		return false, nil
	case api.KindOf(obj) == api.KindNamespace:
		return s.finishNamespace(ctx, snap, obj)
	case slices.Contains(m.Finalizers, foregroundFinalizer):
		return s.finishForeground(ctx, snap, obj)
	case len(m.Finalizers) == 0 && readyToRemove(obj):
		slog.Info("garbage collector: removing, its finalizers are done", objectAttrs(obj)...)
		_, err := s.remove(ctx, obj)
		return true, err
	}
	return false, nil
}

// readyToRemove reports whether an object marked deleted, without
// finalizers, can go: any object but a pod that a node is still stopping.
func readyToRemove(obj api.Object) bool {
	if _, ok := obj.(*api.Pod); !ok {
		return true
	}
	g := obj.GetObjectMeta().DeletionGracePeriodSeconds
	return g != nil && *g == 0
}

// collectDependent deletes obj if all its owners are gone, or removes its
// references to the owners that are gone if some are left.
func (s *Server) collectDependent(ctx context.Context, snap *snapshot, obj api.Object) (acted bool, err error) {
	gone := map[string]bool{}
	for _, ref := range obj.GetObjectMeta().OwnerReferences {
		if _, ok := snap.owner(obj, ref); !ok {
			gone[ref.UID] = true
		}
	}
	switch {
	case len(gone) == 0:
		return false, nil
	case len(gone) == len(obj.GetObjectMeta().OwnerReferences):
		slog.Info("garbage collector: deleting, its owners are gone", objectAttrs(obj)...)
		_, err := s.deleteObject(ctx, obj, deleteOptions{PropagationPolicy: propagationBackground})
		return true, err
	default:
		slog.Info("garbage collector: removing references to owners that are gone", objectAttrs(obj)...)
		return true, s.removeOwnerReferences(ctx, obj, gone)
	}
}

// finishForeground deletes the dependents of an owner deleted in the
// foreground, and drops its finalizer once none that blocks is left. A
// dependent with dependents of its own is deleted in the foreground too,
// so that the owner waits for the whole tree.
func (s *Server) finishForeground(ctx context.Context, snap *snapshot, owner api.Object) (acted bool, err error) {
	blocking := 0
	var errs []error
	for _, dep := range snap.dependentsOf(owner) {
		if blocks(dep, owner) {
			blocking++
		}
		if dep.GetObjectMeta().DeletionTimestamp != nil {
			continue // on its way out
		}
		opts := deleteOptions{PropagationPolicy: propagationBackground}
		if len(snap.dependentsOf(dep)) > 0 {
			opts.PropagationPolicy = propagationForeground
		}
		slog.Info("garbage collector: deleting, its owner is deleted in the foreground", objectAttrs(dep)...)
		_, err := s.deleteObject(ctx, dep, opts)
		errs = append(errs, ignoreRace(err))
		acted = true
	}
	if blocking > 0 {
		return acted, errors.Join(errs...)
	}
	slog.Info("garbage collector: dependents gone, removing", objectAttrs(owner)...)
	next := api.DeepCopy(owner)
	m := next.GetObjectMeta()
	m.Finalizers = slices.DeleteFunc(m.Finalizers, func(f string) bool { return f == foregroundFinalizer })
	if len(m.Finalizers) == 0 {
		_, err = s.remove(ctx, owner)
	} else {
		_, err = s.write(ctx, next, revisionOf(owner))
	}
	return true, errors.Join(append(errs, err)...)
}

// blocks reports whether dep keeps a foreground deletion of owner waiting:
// its reference to owner has blockOwnerDeletion.
func blocks(dep, owner api.Object) bool {
	for _, ref := range dep.GetObjectMeta().OwnerReferences {
		if ref.UID == owner.GetObjectMeta().UID && ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion {
			return true
		}
	}
	return false
}

// objectAttrs are the log attributes that name obj.
func objectAttrs(obj api.Object) []any {
	m := obj.GetObjectMeta()
	return []any{"kind", api.KindOf(obj).Kind, "namespace", m.Namespace, "name", m.Name}
}

// snapshot is every object of the store at one revision, indexed the
// ways the collector looks them up.
type snapshot struct {
	objects     []api.Object
	byUID       map[string]api.Object
	dependents  map[string][]api.Object // owner uid → the objects that reference it
	inNamespace map[string][]api.Object // namespace → the objects in it
}

// snapshot reads every object of every kind in one List.
func (s *Server) snapshot(ctx context.Context) (*snapshot, error) {
	stored, _, err := s.store.List(ctx, registryPrefix)
	if err != nil {
		return nil, err
	}
	snap := &snapshot{byUID: map[string]api.Object{}, dependents: map[string][]api.Object{}, inNamespace: map[string][]api.Object{}}
	for _, so := range stored {
		obj, err := decodeStored(so.Value, so.Revision)
		if err != nil {
			continue // not an object of a kind podlab serves
		}
		m := obj.GetObjectMeta()
		snap.objects = append(snap.objects, obj)
		snap.byUID[m.UID] = obj
		for _, ref := range m.OwnerReferences {
			if !slices.Contains(snap.dependents[ref.UID], obj) {
				snap.dependents[ref.UID] = append(snap.dependents[ref.UID], obj)
			}
		}
		if m.Namespace != "" {
			snap.inNamespace[m.Namespace] = append(snap.inNamespace[m.Namespace], obj)
		}
	}
	return snap, nil
}

// owner returns the owner that ref of dep names, if it exists: an object
// with its uid, in dep's namespace or in none (an owner in another
// namespace does not count, as in Kubernetes).
func (snap *snapshot) owner(dep api.Object, ref api.OwnerReference) (api.Object, bool) {
	owner, ok := snap.byUID[ref.UID]
	if !ok {
		return nil, false
	}
	ns := owner.GetObjectMeta().Namespace
	return owner, ns == "" || ns == dep.GetObjectMeta().Namespace
}

// dependentsOf returns the objects that reference owner, in its namespace
// (or in any, for a cluster-scoped owner).
func (snap *snapshot) dependentsOf(owner api.Object) []api.Object {
	m := owner.GetObjectMeta()
	var deps []api.Object
	for _, dep := range snap.dependents[m.UID] {
		if m.Namespace == "" || m.Namespace == dep.GetObjectMeta().Namespace {
			deps = append(deps, dep)
		}
	}
	return deps
}

// ignoreRace drops the errors of a write that lost a race with another
// writer: the object changed (conflict) or is gone (not found). The next
// sweep sees the new state.
func ignoreRace(err error) error {
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) || hasReason(err, ReasonNotFound) {
		return nil
	}
	return err
}
