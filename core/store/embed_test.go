package store

import (
	"context"
	"testing"
)

func TestRestartKeepsData(t *testing.T) {
	must := revOf(t)
	cfg := testConfig(t)
	e := startEtcd(t, &cfg, false)
	s := New(e.Client())
	ctx := context.Background()
	written := map[string]int64{}
	for _, k := range []string{Key("pods", "default", "web"), Key("nodes", "", "node1"), Key("namespaces", "", "default")} {
		written[k] = must(s.Create(ctx, k, []byte(`{"k":"`+k+`"}`)))
	}
	_, before, err := s.List(ctx, "/registry/")
	if err != nil {
		t.Fatal(err)
	}
	e.Close()

	// Same data directory and peer URL, as podlab-server restarts.
	e = startEtcd(t, &cfg, true)
	s = New(e.Client())
	for k, rev := range written {
		obj, err := s.Get(ctx, k)
		if err != nil {
			t.Errorf("after restart: %v", err)
			continue
		}
		if string(obj.Value) != `{"k":"`+k+`"}` || obj.Revision != rev {
			t.Errorf("after restart %s = %s at %d, want it at %d", k, obj.Value, obj.Revision, rev)
		}
	}
	items, after, err := s.List(ctx, "/registry/")
	if err != nil || len(items) != len(written) || after != before {
		t.Errorf("List after restart: %d items at revision %d, %v; want %d at %d",
			len(items), after, err, len(written), before)
	}
	// Revisions keep counting up, so resourceVersions never repeat.
	if rev := must(s.Create(ctx, Key("pods", "default", "new"), []byte(`{}`))); rev <= before {
		t.Errorf("first write after restart at revision %d, want > %d", rev, before)
	}
}

func TestConnect(t *testing.T) {
	must := revOf(t)
	cfg := testConfig(t)
	e := startEtcd(t, &cfg, false)

	// A remote component talks gRPC over the client URL.
	c, err := Connect([]string{cfg.ClientURL})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	key := Key("nodes", "", "node1")
	rev := must(New(c).Create(ctx, key, []byte(`{}`)))
	obj, err := New(e.Client()).Get(ctx, key)
	if err != nil || obj.Revision != rev {
		t.Errorf("in-process Get after a remote Create = %+v, %v", obj, err)
	}
}

func TestStartEmbeddedNeedsDataDir(t *testing.T) {
	if _, err := StartEmbedded(context.Background(), EmbedConfig{}); err == nil {
		t.Error("StartEmbedded without a data directory succeeded")
	}
}
