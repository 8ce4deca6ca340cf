package apiserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/podlab/podlab/core/api"
)

// A Namespace's life, as in Kubernetes:
//
//  1. it is created, by a client or by EnsureDefaultNamespaces, and
//     objects can then be created in it;
//  2. a DELETE marks it Terminating (deletionTimestamp, status.phase):
//     nothing new can be created in it;
//  3. the garbage collector deletes every object in it, and removes the
//     Namespace once the last one is gone (finishNamespace). Pods running
//     on a node keep it Terminating until their node has stopped them.

// defaultNamespaces exist in every cluster: "default" for objects that
// name no namespace, "kube-system" for the cluster's own, and
// "kube-node-lease" for the nodes' heartbeats. They cannot be deleted.
var defaultNamespaces = []string{"default", "kube-system", "kube-node-lease"}

// EnsureDefaultNamespaces creates the default namespaces that do not exist
// yet. podlab-server calls it at start; calling it again does nothing.
func (s *Server) EnsureDefaultNamespaces(ctx context.Context) error {
	for _, name := range defaultNamespaces {
		ns := &api.Namespace{TypeMeta: api.KindNamespace, ObjectMeta: api.ObjectMeta{Name: name}}
		_, err := s.createObject(ctx, namespaces, ns)
		if hasReason(err, ReasonAlreadyExists) {
			continue
		}
		if err != nil {
			return fmt.Errorf("ensure namespace %q: %w", name, err)
		}
		slog.Info("created namespace", "namespace", name)
	}
	return nil
}

// checkNamespaceActive answers whether objects can be created in namespace
// ns: 404 if it does not exist, 403 if it is being deleted.
func (s *Server) checkNamespaceActive(ctx context.Context, ns string) error {
	obj, _, err := s.get(ctx, namespaces, "", ns)
	if err != nil {
		return err
	}
	if obj.GetObjectMeta().DeletionTimestamp != nil {
		return forbidden("unable to create new content in namespace %s because it is being terminated", ns)
	}
	return nil
}

// deleteNamespace marks ns Terminating; the garbage collector empties it
// and then removes it.
func (s *Server) deleteNamespace(ctx context.Context, ns *api.Namespace) (api.Object, error) {
	if slices.Contains(defaultNamespaces, ns.Name) {
		return nil, forbidden("namespaces %q is forbidden: this namespace may not be deleted", ns.Name)
	}
	if ns.DeletionTimestamp != nil {
		return ns, nil // already terminating
	}
	next := api.DeepCopy(ns)
	t := now()
	next.DeletionTimestamp = &t
	next.DeletionGracePeriodSeconds = new(int64(0))
	next.Status.Phase = api.NamespaceTerminating
	return s.write(ctx, next, revisionOf(ns))
}

// finishNamespace is the garbage collector's step for a Terminating
// namespace: delete what is in it, and once nothing is, remove it.
func (s *Server) finishNamespace(ctx context.Context, snap *snapshot, ns api.Object) (acted bool, err error) {
	contents := snap.inNamespace[ns.GetObjectMeta().Name]
	if len(contents) == 0 && len(ns.GetObjectMeta().Finalizers) == 0 {
		slog.Info("garbage collector: removing namespace, it is empty", "namespace", ns.GetObjectMeta().Name)
		_, err := s.remove(ctx, ns)
		return true, err
	}
	var errs []error
	for _, obj := range contents {
		if obj.GetObjectMeta().DeletionTimestamp != nil {
			continue // on its way out: wait for it
		}
		_, err := s.deleteObject(ctx, obj, deleteOptions{PropagationPolicy: propagationBackground})
		errs = append(errs, ignoreRace(err))
		acted = true
	}
	return acted, errors.Join(errs...)
}
