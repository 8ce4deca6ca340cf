package client

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// A Sync that fails three times is retried with back-off until it
// succeeds, then its key is forgotten; Run returns when ctx ends.
func TestControllerRetriesUntilSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := NewQueue()
		q.BaseDelay = time.Millisecond
		var calls []time.Time
		c := &Controller{
			Name:    "test",
			Workers: 2,
			Queue:   q,
			Sync: func(ctx context.Context, key string) error {
				calls = append(calls, time.Now()) // one key: never concurrent
				if len(calls) <= 3 {
					return errors.New("not yet")
				}
				return nil
			},
		}
		ctx, cancel := context.WithCancel(t.Context())
		stopped := make(chan struct{})
		go func() {
			c.Run(ctx)
			close(stopped)
		}()

		q.Add("ns/a")
		time.Sleep(time.Second)
		synctest.Wait()

		if len(calls) != 4 {
			t.Fatalf("Sync called %d times, want 4 (3 failures, 1 success)", len(calls))
		}
		for i, want := range []time.Duration{1, 2, 4} { // ms back-off
			if got := calls[i+1].Sub(calls[i]); got != want*time.Millisecond {
				t.Errorf("retry %d after %v, want %v", i+1, got, want*time.Millisecond)
			}
		}
		if n := q.NumRequeues("ns/a"); n != 0 {
			t.Errorf("NumRequeues after success = %d, want 0 (Forget)", n)
		}

		cancel()
		<-stopped
		if _, shutdown := q.Get(); !shutdown {
			t.Error("queue not shut down after Run returned")
		}
	})
}

func TestKeys(t *testing.T) {
	for _, tc := range []struct{ ns, name, key string }{
		{"default", "web", "default/web"},
		{"", "node1", "node1"},
	} {
		if got := KeyFor(tc.ns, tc.name); got != tc.key {
			t.Errorf("KeyFor(%q, %q) = %q, want %q", tc.ns, tc.name, got, tc.key)
		}
		ns, name, err := SplitKey(tc.key)
		if err != nil || ns != tc.ns || name != tc.name {
			t.Errorf("SplitKey(%q) = %q, %q, %v; want %q, %q", tc.key, ns, name, err, tc.ns, tc.name)
		}
	}
	for _, bad := range []string{"", "a/b/c", "ns/", "/"} {
		if _, _, err := SplitKey(bad); err == nil {
			t.Errorf("SplitKey(%q) succeeded, want an error", bad)
		}
	}
}
