package client

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// get takes a key that must be there, failing the test otherwise.
func get(t *testing.T, q *Queue) string {
	t.Helper()
	key, shutdown := q.Get()
	if shutdown {
		t.Fatal("Get reported shutdown, want a key")
	}
	return key
}

func TestQueueDedupes(t *testing.T) {
	q := NewQueue()
	for _, k := range []string{"ns/a", "ns/a", "ns/b", "ns/a"} {
		q.Add(k)
	}
	if got := q.Len(); got != 2 {
		t.Fatalf("Len = %d after adding a, a, b, a; want 2", got)
	}
	if a, b := get(t, q), get(t, q); a != "ns/a" || b != "ns/b" {
		t.Errorf("got %q, %q; want \"ns/a\", \"ns/b\" in order", a, b)
	}
}

// A key added while a worker holds it waits for Done, then comes back once.
func TestQueueReAddDuringProcessing(t *testing.T) {
	q := NewQueue()
	q.Add("ns/a")
	key := get(t, q)
	q.Add("ns/a")
	q.Add("ns/a")
	if got := q.Len(); got != 0 {
		t.Fatalf("Len = %d while %q is processed; want 0 (no second worker)", got, key)
	}
	q.Done(key)
	if got := q.Len(); got != 1 {
		t.Fatalf("Len = %d after Done; want 1 (the re-add must not be lost)", got)
	}
	if got := get(t, q); got != "ns/a" {
		t.Errorf("Get = %q, want \"ns/a\"", got)
	}
	q.Done("ns/a")
	if got := q.Len(); got != 0 {
		t.Errorf("Len = %d after second Done; want 0", got)
	}
}

// Many workers, few keys added over and over: no key is ever held by two
// workers at once, and every key is still synced after its last Add.
func TestQueueNoConcurrentProcessingOfOneKey(t *testing.T) {
	q := NewQueue()
	keys := []string{"ns/a", "ns/b", "ns/c"}
	var holders [3]atomic.Int32
	var violations atomic.Int32
	var lastSynced [3]atomic.Int64 // add counter seen by the last sync of each key
	var adds atomic.Int64

	var workers sync.WaitGroup
	for range 8 {
		workers.Go(func() {
			for {
				key, shutdown := q.Get()
				if shutdown {
					return
				}
				i := int(key[len(key)-1] - 'a')
				if holders[i].Add(1) > 1 {
					violations.Add(1)
				}
				lastSynced[i].Store(adds.Load())
				time.Sleep(10 * time.Microsecond)
				holders[i].Add(-1)
				q.Done(key)
			}
		})
	}
	for range 2000 {
		for _, k := range keys {
			adds.Add(1)
			q.Add(k)
		}
	}
	final := adds.Load()
	// Wait until the queue has caught up with the last adds, then stop.
	deadline := time.Now().Add(10 * time.Second)
	for i := range keys {
		for lastSynced[i].Load() < final && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	q.ShutDown()
	workers.Wait()

	if n := violations.Load(); n > 0 {
		t.Errorf("a key was held by two workers at once %d times", n)
	}
	for i, k := range keys {
		if got := lastSynced[i].Load(); got < final {
			t.Errorf("%q last synced before add %d of %d: a re-add was lost", k, got, final)
		}
	}
}

// Fake time (synctest) makes the delays exact.
func TestQueueBackoffGrowsAndForgetResets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := NewQueue()
		q.BaseDelay = time.Millisecond
		q.MaxDelay = 8 * time.Millisecond

		// waitFor adds key rate-limited and returns how long until Get has it.
		waitFor := func() time.Duration {
			start := time.Now()
			q.AddRateLimited("ns/a")
			key := get(t, q)
			q.Done(key)
			return time.Since(start)
		}
		want := []time.Duration{1, 2, 4, 8, 8} // ms: doubling, then capped
		for i, w := range want {
			if got := waitFor(); got != w*time.Millisecond {
				t.Errorf("retry %d waited %v, want %v", i+1, got, w*time.Millisecond)
			}
		}
		if got := q.NumRequeues("ns/a"); got != len(want) {
			t.Errorf("NumRequeues = %d, want %d", got, len(want))
		}
		q.Forget("ns/a")
		if got := q.NumRequeues("ns/a"); got != 0 {
			t.Errorf("NumRequeues after Forget = %d, want 0", got)
		}
		if got := waitFor(); got != time.Millisecond {
			t.Errorf("first retry after Forget waited %v, want 1ms", got)
		}
	})
}

func TestQueueDefaultBackoff(t *testing.T) {
	q := NewQueue()
	if got := q.backoff("k"); got != 5*time.Millisecond {
		t.Errorf("first back-off = %v, want 5ms", got)
	}
	for range 100 { // far past the cap, and past Duration overflow
		q.backoff("k")
	}
	if got := q.backoff("k"); got != 1000*time.Second {
		t.Errorf("back-off after many failures = %v, want 1000s", got)
	}
}

func TestQueueAddAfter(t *testing.T) {
	// Real time, generous bounds.
	q := NewQueue()
	start := time.Now()
	q.AddAfter("ns/a", 50*time.Millisecond)
	if got := q.Len(); got != 0 {
		t.Fatalf("Len = %d right after AddAfter; want 0", got)
	}
	get(t, q)
	if d := time.Since(start); d < 50*time.Millisecond || d > 5*time.Second {
		t.Errorf("AddAfter(50ms) delivered after %v", d)
	}
}

func TestQueueShutDownUnblocksGet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := NewQueue()
		done := make(chan bool)
		go func() {
			_, shutdown := q.Get()
			done <- shutdown
		}()
		synctest.Wait() // the goroutine is blocked in Get
		select {
		case <-done:
			t.Fatal("Get returned on an empty queue before ShutDown")
		default:
		}
		q.ShutDown()
		if !<-done {
			t.Error("Get after ShutDown returned shutdown=false")
		}
	})
}

// Keys queued before ShutDown are still handed out; new Adds are ignored.
func TestQueueShutDownDrains(t *testing.T) {
	q := NewQueue()
	q.Add("ns/a")
	q.ShutDown()
	q.Add("ns/b")
	if got := get(t, q); got != "ns/a" {
		t.Errorf("Get = %q, want \"ns/a\"", got)
	}
	if key, shutdown := q.Get(); !shutdown {
		t.Errorf("Get = %q, false; want shutdown once drained", key)
	}
}
