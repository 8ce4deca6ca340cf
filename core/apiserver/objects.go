package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/store"
)

// How objects are kept: as the JSON of their Go type, with apiVersion and
// kind, at store.Key(resource, namespace, name), but without their
// resourceVersion. The resourceVersion is the etcd revision of the key
// (store.Object.Revision), set on every read: a stored copy of it would be
// out of date after the very write that stored it.

// decodeStored turns a stored value into its kind's Go type, with
// resourceVersion rev. Stored values are what this server wrote, so plain
// encoding/json reads them; api.Decode, with its strictness, is for what
// people write.
func decodeStored(value []byte, rev int64) (api.Object, error) {
	var tm api.TypeMeta
	if err := json.Unmarshal(value, &tm); err != nil {
		return nil, fmt.Errorf("decode stored object: %w", err)
	}
	obj, err := api.New(tm)
	if err != nil {
		return nil, fmt.Errorf("decode stored object: %w", err)
	}
	if err := json.Unmarshal(value, obj); err != nil {
		return nil, fmt.Errorf("decode stored %s: %w", tm.Kind, err)
	}
	*obj.GetTypeMeta() = tm
	setRevision(obj, rev)
	return obj, nil
}

// encodeForStore returns the JSON to store for obj: all of it but its
// resourceVersion.
func encodeForStore(obj api.Object) ([]byte, error) {
	m := obj.GetObjectMeta()
	rv := m.ResourceVersion
	m.ResourceVersion = ""
	defer func() { m.ResourceVersion = rv }()
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %s %q: %w", obj.GetTypeMeta().Kind, m.Name, err)
	}
	return data, nil
}

func setRevision(obj api.Object, rev int64) {
	obj.GetObjectMeta().ResourceVersion = strconv.FormatInt(rev, 10)
}

// revisionOf returns the store revision obj was read at, 0 if it has none.
func revisionOf(obj api.Object) int64 {
	rev, _ := strconv.ParseInt(obj.GetObjectMeta().ResourceVersion, 10, 64)
	return rev
}

// keyOf returns the store key of obj.
func keyOf(obj api.Object) string {
	m := obj.GetObjectMeta()
	return store.Key(api.Resource(obj), m.Namespace, m.Name)
}

// get reads object name of res in namespace ns; NotFound as a Status.
func (s *Server) get(ctx context.Context, res resource, ns, name string) (api.Object, *store.Object, error) {
	stored, err := s.store.Get(ctx, store.Key(res.name, ns, name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound(res, name)
	}
	if err != nil {
		return nil, nil, err
	}
	obj, err := decodeStored(stored.Value, stored.Revision)
	if err != nil {
		return nil, nil, err
	}
	return obj, stored, nil
}

// getObject answers GET on an object, or on its status (the whole object,
// as in Kubernetes).
func (s *Server) getObject(w http.ResponseWriter, r *http.Request, t target) error {
	obj, _, err := s.get(r.Context(), t.res, t.namespace, t.name)
	if err != nil {
		return err
	}
	return writeObject(w, http.StatusOK, obj)
}

// writeObject answers with code and v as JSON.
func writeObject(w http.ResponseWriter, code int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(body)
	return nil
}

// now is the time the server stamps on objects: UTC, whole seconds, as
// Kubernetes' timestamps are.
func now() time.Time { return time.Now().UTC().Truncate(time.Second) }

// statusField returns the Status field of obj, or an invalid Value if its
// kind has none.
func statusField(obj api.Object) reflect.Value {
	return reflect.ValueOf(obj).Elem().FieldByName("Status")
}

// copyStatus sets the status of dst to that of src, of the same kind. It
// does nothing for a kind without a status.
func copyStatus(dst, src api.Object) {
	if d := statusField(dst); d.IsValid() {
		d.Set(statusField(src))
	}
}

// specOf returns what the user asks for in obj: everything but its
// metadata and status, as JSON values, to compare two versions of an
// object whatever its kind.
func specOf(obj api.Object) map[string]any {
	data, err := json.Marshal(obj)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", obj, err)) // every kind encodes: a bug
	}
	var m map[string]any
	json.Unmarshal(data, &m)
	for _, k := range []string{"apiVersion", "kind", "metadata", "status"} {
		delete(m, k)
	}
	return m
}

// specChanged reports whether next asks for something else than old: only
// then does its generation grow.
func specChanged(old, next api.Object) bool {
	return !reflect.DeepEqual(specOf(old), specOf(next))
}
