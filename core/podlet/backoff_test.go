package podlet

import (
	"slices"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// crash makes the container "app" exit at exitedAt and returns how long
// its back-off keeps it down, checking that it may restart at that moment
// and not a nanosecond before.
func crash(t *testing.T, b *Backoff, exitedAt time.Time) time.Duration {
	t.Helper()
	ok, retryAt, delay := b.Restart("uid-1", "app", exitedAt, exitedAt)
	if ok {
		return 0
	}
	if got := retryAt.Sub(exitedAt); got != delay {
		t.Fatalf("retry %v after the exit, but the delay is %v", got, delay)
	}
	if ok, _, _ := b.Restart("uid-1", "app", exitedAt, retryAt.Add(-time.Nanosecond)); ok {
		t.Fatalf("restart allowed before the back-off of %v ended", delay)
	}
	if ok, _, _ := b.Restart("uid-1", "app", exitedAt, retryAt); !ok {
		t.Fatalf("restart refused when the back-off of %v ended", delay)
	}
	return delay
}

// crashLoop makes "app" crash n times, each run lasting ran, starting at
// start, and returns the waits before each restart and the time after.
func crashLoop(t *testing.T, b *Backoff, start time.Time, n int, ran time.Duration) ([]time.Duration, time.Time) {
	t.Helper()
	var waits []time.Duration
	now := start
	for range n {
		now = now.Add(ran) // it runs, then exits
		wait := crash(t, b, now)
		waits = append(waits, wait)
		now = now.Add(wait)
	}
	return waits, now
}

func TestBackoffCurve(t *testing.T) {
	s := time.Second
	tests := []struct {
		name        string
		backoff     *Backoff
		resetsAfter time.Duration // 2×Max
		want        []time.Duration
	}{
		{"Kubernetes: 10 s doubling up to 300 s", NewBackoff(0, 0), 600 * s,
			[]time.Duration{0, 10 * s, 20 * s, 40 * s, 80 * s, 160 * s, 300 * s, 300 * s}},
		{"the zero Backoff has the same defaults", &Backoff{}, 600 * s,
			[]time.Duration{0, 10 * s, 20 * s, 40 * s, 80 * s, 160 * s, 300 * s, 300 * s}},
		{"a lab cluster: 1 s up to 8 s", NewBackoff(s, 8*s), 16 * s,
			[]time.Duration{0, s, 2 * s, 4 * s, 8 * s, 8 * s}},
		{"a cap below the first delay is the first delay", NewBackoff(5*s, s), 10 * s,
			[]time.Duration{0, 5 * s, 5 * s}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			waits, now := crashLoop(t, tt.backoff, t0, len(tt.want), time.Second)
			if !slices.Equal(waits, tt.want) {
				t.Fatalf("waits %v, want %v", waits, tt.want)
			}
			// Exactly 2×Max of running is not yet "without trouble"...
			last := tt.want[len(tt.want)-1]
			if wait := crash(t, tt.backoff, now.Add(tt.resetsAfter)); wait != last {
				t.Errorf("after running %v: wait %v, want %v still", tt.resetsAfter, wait, last)
			}
			// ...a moment more is: restart at once, and start over.
			now = now.Add(tt.resetsAfter).Add(last)
			waits, _ = crashLoop(t, tt.backoff, now, 3, tt.resetsAfter+time.Second)
			if waits[0] != 0 {
				t.Errorf("after running %v: wait %v, want a restart at once", tt.resetsAfter+time.Second, waits[0])
			}
		})
	}
}

// The 10-minute reset of SEMANTICS.md §2.4, step by step.
func TestBackoffResetsAfterTenMinutes(t *testing.T) {
	s := time.Second
	b := NewBackoff(0, 0)
	_, now := crashLoop(t, b, t0, 7, s) // 0, 10, 20, 40, 80, 160, 300
	waits, now := crashLoop(t, b, now, 3, 10*time.Minute+s)
	if want := []time.Duration{0, 0, 0}; !slices.Equal(waits, want) {
		t.Errorf("crashing every 10 minutes: waits %v, want %v", waits, want)
	}
	// After a reset, the crashes that follow soon wait 10 s, 20 s, ... again.
	waits, _ = crashLoop(t, b, now, 4, s)
	if want := []time.Duration{10 * s, 20 * s, 40 * s, 80 * s}; !slices.Equal(waits, want) {
		t.Errorf("quick crashes after a reset: waits %v, want %v", waits, want)
	}
	waits, _ = crashLoop(t, NewBackoff(0, 0), t0, 4, 9*time.Minute)
	if want := []time.Duration{0, 10 * s, 20 * s, 40 * s}; !slices.Equal(waits, want) {
		t.Errorf("crashing every 9 minutes: waits %v, want %v", waits, want)
	}
}

// A sync that runs twice over the same exit must not double the back-off.
func TestBackoffSameExitAnsweredOnce(t *testing.T) {
	b := NewBackoff(0, 0)
	for range 3 {
		if ok, _, _ := b.Restart("uid-1", "app", t0, t0); !ok {
			t.Fatal("first exit: restart refused")
		}
	}
	exit := t0.Add(time.Second)
	for range 3 {
		if _, retryAt, _ := b.Restart("uid-1", "app", exit, exit); !retryAt.Equal(exit.Add(10 * time.Second)) {
			t.Fatalf("second exit: retry at %v, want 10 s later", retryAt)
		}
	}
	for range 3 {
		if ok, _, _ := b.Restart("uid-1", "app", exit, exit.Add(time.Minute)); !ok {
			t.Fatal("second exit, back-off over: restart refused")
		}
	}
	third := exit.Add(time.Minute + time.Second)
	if _, _, delay := b.Restart("uid-1", "app", third, third); delay != 20*time.Second {
		t.Errorf("third exit: delay %v, want 20s", delay)
	}
}

func TestBackoffKeys(t *testing.T) {
	b := NewBackoff(0, 0)
	for _, key := range [][2]string{{"uid-1", "app"}, {"uid-1", "sidecar"}, {"uid-2", "app"}} {
		b.Restart(key[0], key[1], t0, t0)
	}
	exit := t0.Add(time.Second)
	if ok, _, _ := b.Restart("uid-1", "app", exit, exit); ok {
		t.Fatal("uid-1/app crashed twice: want a back-off")
	}
	if ok, _, _ := b.Restart("uid-3", "app", exit, exit); !ok {
		t.Error("another pod's container shares the back-off")
	}

	b.Forget("uid-1")
	if ok, _, _ := b.Restart("uid-1", "app", exit.Add(time.Second), exit.Add(time.Second)); !ok {
		t.Error("Forget: the back-off of uid-1/app is still there")
	}
	if ok, _, _ := b.Restart("uid-2", "app", exit, exit); ok {
		t.Error("Forget(uid-1) dropped the back-off of uid-2")
	}

	b.GC(t0.Add(11 * time.Minute))
	if len(b.entries) != 0 {
		t.Errorf("GC left %d entries restarted more than 10 minutes ago", len(b.entries))
	}
}

func TestBackoffConcurrent(t *testing.T) {
	b := NewBackoff(0, 0)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			exit := t0.Add(time.Duration(i) * time.Millisecond)
			b.Restart("uid-1", "app", exit, exit)
			b.GC(exit)
		})
	}
	wg.Wait()
}
