package podlet

import (
	"strings"
	"sync"
	"time"
)

// The kubelet's restart back-off (SEMANTICS.md §2.4). A lab cluster may
// shorten both, so that a CrashLoopBackOff shows its curve in a minute.
const (
	DefaultBackOffPeriod = 10 * time.Second  // the first wait, the kubelet's backOffPeriod
	DefaultMaxBackOff    = 300 * time.Second // the cap, the kubelet's MaxContainerBackOff
)

// Backoff is the CrashLoopBackOff of every container on the node, keyed by
// pod uid and container name, as the kubelet's flowcontrol.Backoff is:
//
//   - the first exit of a container restarts it at once;
//   - each later exit waits Period, then twice as long, and so on up to
//     Max: 10 s, 20 s, 40 s, 80 s, 160 s, 300 s, 300 s, ...;
//   - a container that exits more than 2×Max (10 minutes) after its last
//     restart ran long enough without trouble: it restarts at once, and
//     the curve starts over.
//
// It keeps no clock: every method takes the time now, so that a test can
// step through ten minutes in a microsecond. It is safe for concurrent
// use. The zero Backoff has the Kubernetes defaults.
type Backoff struct {
	Period, Max time.Duration // 0: DefaultBackOffPeriod, DefaultMaxBackOff

	mu      sync.Mutex
	entries map[string]*backoffEntry
}

// backoffEntry is the back-off of one container.
type backoffEntry struct {
	delay       time.Duration // the wait before the next restart
	lastRestart time.Time     // when the last restart was allowed
	lastExit    time.Time     // the exit that restart answered
}

// NewBackoff returns a back-off that first waits period and at most
// maxDelay; 0 means the Kubernetes default.
func NewBackoff(period, maxDelay time.Duration) *Backoff {
	return &Backoff{Period: period, Max: maxDelay}
}

// limits returns the first and the longest delay, with the defaults for 0.
// A Max below Period is Period.
func (b *Backoff) limits() (period, maxDelay time.Duration) {
	period, maxDelay = b.Period, b.Max
	if period <= 0 {
		period = DefaultBackOffPeriod
	}
	if maxDelay <= 0 {
		maxDelay = DefaultMaxBackOff
	}
	return period, max(period, maxDelay)
}

// backoffKey names the back-off of one container of one pod.
func backoffKey(podUID, container string) string {
	return podUID + "/" + container
}

// Restart decides whether a container that exited at exitedAt may be
// restarted now. If it may, Restart records the restart and returns ok;
// asking again about the same exit gives the same answer, so a sync that
// runs twice does not double the back-off. If it may not, Restart returns
// when it may (exitedAt plus the current delay) and the delay, for the
// CrashLoopBackOff message.
func (b *Backoff) Restart(podUID, container string, exitedAt, now time.Time) (ok bool, retryAt time.Time, delay time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := backoffKey(podUID, container)
	e := b.entries[key]
	if e != nil && e.lastExit.Equal(exitedAt) {
		return true, time.Time{}, 0 // this exit was answered already
	}
	if e != nil && !b.expired(e, exitedAt) && now.Sub(exitedAt) < e.delay {
		return false, exitedAt.Add(e.delay), e.delay
	}
	b.next(key, e, exitedAt, now)
	return true, time.Time{}, 0
}

// next records a restart: the first one, or the first after a quiet spell,
// sets the delay of the next to Period; any other doubles it, up to Max.
func (b *Backoff) next(key string, e *backoffEntry, exitedAt, now time.Time) {
	period, maxDelay := b.limits()
	if e == nil || b.expired(e, exitedAt) {
		if b.entries == nil {
			b.entries = map[string]*backoffEntry{}
		}
		e = &backoffEntry{delay: period}
		b.entries[key] = e
	} else {
		e.delay = min(2*e.delay, maxDelay)
	}
	e.lastRestart, e.lastExit = now, exitedAt
}

// expired reports whether the container ran without trouble for more than
// 2×Max between its last restart and the exit at t, which resets the curve.
func (b *Backoff) expired(e *backoffEntry, t time.Time) bool {
	_, maxDelay := b.limits()
	return t.Sub(e.lastRestart) > 2*maxDelay
}

// Forget drops the back-off of every container of a pod: call it when the
// pod is gone from the node.
func (b *Backoff) Forget(podUID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for key := range b.entries {
		if strings.HasPrefix(key, podUID+"/") {
			delete(b.entries, key)
		}
	}
}

// GC drops the entries that would have expired anyway: restarted more than
// 2×Max ago. Call it now and then, as the kubelet does.
func (b *Backoff) GC(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for key, e := range b.entries {
		if b.expired(e, now) {
			delete(b.entries, key)
		}
	}
}
