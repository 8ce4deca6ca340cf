package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestKey(t *testing.T) {
	for _, tc := range []struct{ resource, namespace, name, want string }{
		{"pods", "default", "web", "/registry/pods/default/web"},
		{"nodes", "", "node1", "/registry/nodes/node1"}, // cluster-scoped
		{"namespaces", "", "default", "/registry/namespaces/default"},
		{"pods", "default", "", "/registry/pods/default/"}, // prefix of a namespace
		{"pods", "", "", "/registry/pods/"},                // prefix of a resource
	} {
		if got := Key(tc.resource, tc.namespace, tc.name); got != tc.want {
			t.Errorf("Key(%q, %q, %q) = %q, want %q", tc.resource, tc.namespace, tc.name, got, tc.want)
		}
	}
}

func TestCreateGet(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	key := Key("pods", "default", "web")

	rev, err := s.Create(ctx, key, []byte(`{"v":1}`))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Key != key || string(obj.Value) != `{"v":1}` || obj.Revision != rev {
		t.Errorf("Get = %+v, want value {\"v\":1} at revision %d", obj, rev)
	}

	_, err = s.Create(ctx, key, []byte(`{"v":2}`))
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), key) {
		t.Errorf("second Create: err = %v, want ErrExists naming %q", err, key)
	}
	if obj, _ := s.Get(ctx, key); string(obj.Value) != `{"v":1}` {
		t.Errorf("failed Create changed the value to %s", obj.Value)
	}

	missing := Key("pods", "default", "nope")
	_, err = s.Get(ctx, missing)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Get missing: err = %v, want ErrNotFound naming %q", err, missing)
	}
}

func TestList(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for _, k := range []string{
		Key("pods", "default", "a"),
		Key("pods", "default", "b"),
		Key("pods", "default2", "c"), // must not match the prefix of "default"
		Key("nodes", "", "node1"),
	} {
		if _, err := s.Create(ctx, k, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	last, err := s.Create(ctx, Key("nodes", "", "node2"), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}

	items, rev, err := s.List(ctx, Key("pods", "default", ""))
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(items); got != "/registry/pods/default/a /registry/pods/default/b" {
		t.Errorf("List pods in default = %s", got)
	}
	if rev != last {
		t.Errorf("List revision = %d, want the store revision %d", rev, last)
	}

	items, _, err = s.List(ctx, Key("nodes", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(items); got != "/registry/nodes/node1 /registry/nodes/node2" {
		t.Errorf("List nodes = %s", got)
	}

	items, _, err = s.List(ctx, Key("services", "", ""))
	if err != nil || len(items) != 0 {
		t.Errorf("List of an empty resource = %v, %v; want no items, no error", items, err)
	}
}

func keys(items []Object) string {
	var ks []string
	for _, it := range items {
		ks = append(ks, it.Key)
	}
	return strings.Join(ks, " ")
}

func TestUpdate(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	key := Key("pods", "default", "web")
	rev1, err := s.Create(ctx, key, []byte(`{"v":1}`))
	if err != nil {
		t.Fatal(err)
	}

	rev2, err := s.Update(ctx, key, []byte(`{"v":2}`), rev1)
	if err != nil {
		t.Fatal(err)
	}
	if rev2 <= rev1 {
		t.Errorf("Update revision %d, want > %d", rev2, rev1)
	}

	// A writer still holding rev1 loses: its change would overwrite v2.
	_, err = s.Update(ctx, key, []byte(`{"v":"stale"}`), rev1)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), key) {
		t.Errorf("stale Update: err = %v, want ErrConflict naming %q", err, key)
	}
	if obj, _ := s.Get(ctx, key); string(obj.Value) != `{"v":2}` || obj.Revision != rev2 {
		t.Errorf("after a stale Update: %s at %d, want {\"v\":2} at %d", obj.Value, obj.Revision, rev2)
	}

	// expectRev 0 replaces whatever is there.
	if _, err := s.Update(ctx, key, []byte(`{"v":3}`), 0); err != nil {
		t.Errorf("unconditional Update: %v", err)
	}

	missing := Key("pods", "default", "nope")
	for _, rev := range []int64{0, rev1} {
		if _, err := s.Update(ctx, missing, []byte(`{}`), rev); !errors.Is(err, ErrNotFound) {
			t.Errorf("Update of a missing key at revision %d: err = %v, want ErrNotFound", rev, err)
		}
	}
	if _, err := s.Get(ctx, missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("a failed Update created %q", missing)
	}
}

func TestGuaranteedUpdateConcurrent(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	key := Key("configmaps", "default", "counter")
	if _, err := s.Create(ctx, key, []byte(`{"count":0}`)); err != nil {
		t.Fatal(err)
	}

	type counter struct {
		Count int `json:"count"`
	}
	var calls atomic.Int64 // more calls than writes: conflicts were retried
	increment := func(cur []byte) ([]byte, error) {
		calls.Add(1)
		var c counter
		if err := json.Unmarshal(cur, &c); err != nil {
			return nil, err
		}
		c.Count++
		return json.Marshal(c)
	}

	const writers, each = 10, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Go(func() {
			for range each {
				if _, err := s.GuaranteedUpdate(ctx, key, increment); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	obj, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var c counter
	if err := json.Unmarshal(obj.Value, &c); err != nil {
		t.Fatal(err)
	}
	if c.Count != writers*each {
		t.Errorf("count = %d, want %d: an increment was lost", c.Count, writers*each)
	}
	t.Logf("%d increments took %d calls of mutate", writers*each, calls.Load())
}

func TestGuaranteedUpdateNoOpAndErrors(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	key := Key("pods", "default", "web")
	rev, err := s.Create(ctx, key, []byte(`{"v":1}`))
	if err != nil {
		t.Fatal(err)
	}

	// An unchanged value is not written: the revision stays.
	got, err := s.GuaranteedUpdate(ctx, key, func(cur []byte) ([]byte, error) { return cur, nil })
	if err != nil || got != rev {
		t.Errorf("no-op GuaranteedUpdate = %d, %v; want %d, nil", got, err, rev)
	}

	// mutate's error comes back as it is, and nothing is written.
	invalid := errors.New("spec.containers: required")
	_, err = s.GuaranteedUpdate(ctx, key, func([]byte) ([]byte, error) { return nil, invalid })
	if err != invalid {
		t.Errorf("GuaranteedUpdate err = %v, want mutate's error", err)
	}
	if obj, _ := s.Get(ctx, key); obj.Revision != rev {
		t.Errorf("a failed mutate wrote revision %d", obj.Revision)
	}

	_, err = s.GuaranteedUpdate(ctx, Key("pods", "default", "nope"), func(cur []byte) ([]byte, error) { return cur, nil })
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("GuaranteedUpdate of a missing key: err = %v, want ErrNotFound", err)
	}
}

func TestDelete(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	a, b := Key("pods", "default", "a"), Key("nodes", "", "node1")
	revA, err := s.Create(ctx, a, []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, b, []byte(`{"b":1}`)); err != nil {
		t.Fatal(err)
	}
	revA2, err := s.Update(ctx, a, []byte(`{"a":2}`), revA)
	if err != nil {
		t.Fatal(err)
	}

	// Conditional: a stale revision is refused and the object stays.
	if _, err := s.Delete(ctx, a, revA); !errors.Is(err, ErrConflict) {
		t.Errorf("Delete at a stale revision: err = %v, want ErrConflict", err)
	}
	obj, err := s.Delete(ctx, a, revA2)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Key != a || string(obj.Value) != `{"a":2}` || obj.Revision <= revA2 {
		t.Errorf("Delete returned %+v, want the last value {\"a\":2} at the delete revision", obj)
	}
	if _, err := s.Get(ctx, a); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: err = %v, want ErrNotFound", err)
	}

	// Unconditional, of a cluster-scoped object.
	obj, err = s.Delete(ctx, b, 0)
	if err != nil || string(obj.Value) != `{"b":1}` {
		t.Errorf("unconditional Delete = %+v, %v", obj, err)
	}
	for _, rev := range []int64{0, revA2} {
		if _, err := s.Delete(ctx, a, rev); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), a) {
			t.Errorf("Delete of a deleted key at revision %d: err = %v, want ErrNotFound naming it", rev, err)
		}
	}
}
