// Package store keeps API objects in etcd, laid out the way Kubernetes lays
// them out, and exposes the four ideas the rest of the control plane is built
// on:
//
//   - a key per object: /registry/<resource>/<namespace>/<name>;
//   - a revision per write: etcd's ModRevision of the key is the object's
//     Kubernetes resourceVersion;
//   - optimistic concurrency: an update names the revision it read and fails
//     with ErrConflict if someone wrote in between (compare-and-swap);
//   - watch from a revision: List returns the revision of the snapshot, and a
//     Watch from that revision delivers every later change, in order, exactly
//     once.
//
// Values are raw JSON: the store does not know the object types, so the API
// server decodes, validates and defaults before it writes.
package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Errors a caller can test with errors.Is. The returned errors wrap these and
// name the key, e.g. `update "/registry/pods/default/web": ...: conflict`.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// The wording is Kubernetes' own, so a student sees the familiar message.
	ErrConflict = errors.New("the object has been modified; please apply your changes to the latest version and try again")
	// ErrCompacted means the revision a watch asked for has been compacted
	// away: the history is gone and the caller must List again.
	ErrCompacted = errors.New("revision compacted, list again")
)

// Key returns the etcd key of an object, as Kubernetes lays it out:
//
//	/registry/pods/default/web   namespaced kinds
//	/registry/nodes/node1        cluster-scoped kinds (namespace "")
//
// With an empty name Key returns the prefix of every object of a namespace
// (or of a resource), ending in "/" so that namespace "dev" does not also
// match "dev2": Key("pods", "default", "") is "/registry/pods/default/".
func Key(resource, namespace, name string) string {
	k := "/registry/" + resource + "/"
	if namespace != "" {
		k += namespace + "/"
	}
	return k + name
}

// Store reads and writes objects in etcd.
type Store struct {
	client *clientv3.Client
}

// New returns a Store using client, which the caller keeps and closes.
func New(client *clientv3.Client) *Store {
	return &Store{client: client}
}

// Object is one stored value and the revision at which it was written.
type Object struct {
	Key   string
	Value []byte // JSON
	// Revision is the key's ModRevision: the Kubernetes resourceVersion.
	Revision int64
}

// Create stores value at key if the key does not exist yet, and returns the
// revision of the write. It fails with ErrExists otherwise.
func (s *Store) Create(ctx context.Context, key string, value []byte) (int64, error) {
	// Version is the number of writes since the key was created; 0 means the
	// key is absent. Compare and put in one transaction, so two creators
	// cannot both win.
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.Version(key), "=", 0)).
		Then(clientv3.OpPut(key, string(value))).
		Commit()
	if err != nil {
		return 0, fmt.Errorf("create %q: %w", key, err)
	}
	if !resp.Succeeded {
		return 0, fmt.Errorf("create %q: %w", key, ErrExists)
	}
	return resp.Header.Revision, nil
}

// Get returns the object at key, or ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (*Object, error) {
	resp, err := s.client.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("get %q: %w", key, ErrNotFound)
	}
	kv := resp.Kvs[0]
	return &Object{Key: string(kv.Key), Value: kv.Value, Revision: kv.ModRevision}, nil
}

// List returns every object whose key starts with prefix (see Key), sorted
// by key, and the store revision the list was read at. Watch from that
// revision to see every change after the list, none twice.
func (s *Store) List(ctx context.Context, prefix string) ([]Object, int64, error) {
	resp, err := s.client.Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, 0, fmt.Errorf("list %q: %w", prefix, err)
	}
	items := make([]Object, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		items = append(items, Object{Key: string(kv.Key), Value: kv.Value, Revision: kv.ModRevision})
	}
	return items, resp.Header.Revision, nil
}

// Update replaces the value at key if the key is still at revision
// expectRev, and returns the revision of the write. It fails with
// ErrConflict if the object changed since expectRev, and with ErrNotFound if
// it is gone. expectRev 0 means unconditional: any existing object is
// replaced.
func (s *Store) Update(ctx context.Context, key string, value []byte, expectRev int64) (int64, error) {
	resp, err := s.client.Txn(ctx).
		If(sameRevision(key, expectRev)).
		Then(clientv3.OpPut(key, string(value))).
		Else(clientv3.OpGet(key)). // to tell "changed" from "gone"
		Commit()
	if err != nil {
		return 0, fmt.Errorf("update %q: %w", key, err)
	}
	if !resp.Succeeded {
		return 0, fmt.Errorf("update %q: %w", key, failure(resp, expectRev))
	}
	return resp.Header.Revision, nil
}

// GuaranteedUpdate reads the object at key, calls mutate with its value and
// writes the result if nobody wrote in between; on a conflict it reads again
// and calls mutate again, until it succeeds or ctx ends. mutate must
// therefore be a pure function of current. An error from mutate is returned
// unchanged and nothing is written. If mutate returns the value unchanged,
// nothing is written either (no revision, no watch event) and the current
// revision is returned. The name and the loop are Kubernetes' (etcd3 store).
func (s *Store) GuaranteedUpdate(ctx context.Context, key string, mutate func(current []byte) ([]byte, error)) (int64, error) {
	for {
		cur, err := s.Get(ctx, key)
		if err != nil {
			return 0, err
		}
		next, err := mutate(cur.Value)
		if err != nil {
			return 0, err
		}
		if bytes.Equal(next, cur.Value) {
			return cur.Revision, nil
		}
		rev, err := s.Update(ctx, key, next, cur.Revision)
		if errors.Is(err, ErrConflict) {
			continue // someone else wrote first: start again from their value
		}
		return rev, err
	}
}

// Delete removes the object at key if it is still at revision expectRev (0:
// whatever its revision) and returns the deleted value, with Revision set to
// the revision of the delete, as the DELETED watch event reports it. It fails
// with ErrNotFound or ErrConflict as Update does.
func (s *Store) Delete(ctx context.Context, key string, expectRev int64) (*Object, error) {
	resp, err := s.client.Txn(ctx).
		If(sameRevision(key, expectRev)).
		Then(clientv3.OpDelete(key, clientv3.WithPrevKV())).
		Else(clientv3.OpGet(key)).
		Commit()
	if err != nil {
		return nil, fmt.Errorf("delete %q: %w", key, err)
	}
	if !resp.Succeeded {
		return nil, fmt.Errorf("delete %q: %w", key, failure(resp, expectRev))
	}
	// The condition held, so the key existed and PrevKvs has its last value.
	prev := resp.Responses[0].GetResponseDeleteRange().PrevKvs[0]
	return &Object{Key: key, Value: prev.Value, Revision: resp.Header.Revision}, nil
}

// sameRevision is the condition of a compare-and-swap: the key is still at
// expectRev, or, with expectRev 0, the key merely exists.
func sameRevision(key string, expectRev int64) clientv3.Cmp {
	if expectRev == 0 {
		return clientv3.Compare(clientv3.Version(key), ">", 0)
	}
	return clientv3.Compare(clientv3.ModRevision(key), "=", expectRev)
}

// failure explains a failed compare-and-swap from the Get in its Else
// branch: the key is gone, or it is at another revision.
func failure(resp *clientv3.TxnResponse, expectRev int64) error {
	kvs := resp.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return ErrNotFound
	}
	return fmt.Errorf("revision %d, now %d: %w", expectRev, kvs[0].ModRevision, ErrConflict)
}
