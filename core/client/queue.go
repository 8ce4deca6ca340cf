// Package client holds the controller machinery that needs no API server:
// a rate-limited work queue of object keys, the worker loop that drives a
// controller's sync function, expectations and slow-start batches
// (SEMANTICS.md §6.1). It must not import core/store or core/apiserver, so
// that the podlab CLI can use it without linking etcd.
package client

import (
	"math"
	"sync"
	"time"
)

// Default back-off of AddRateLimited, as in client-go's
// DefaultItemBasedRateLimiter: 5 ms, doubling on each failure, capped at
// 1000 s.
const (
	DefaultBaseDelay = 5 * time.Millisecond
	DefaultMaxDelay  = 1000 * time.Second
)

// Queue is a work queue of object keys ("namespace/name"), modelled on
// client-go's workqueue. Controllers are level-triggered: a key only says
// "look at this object again", and the sync function reads the current
// state itself. So a key queued twice needs one sync, not two, and a key
// must never be synced by two workers at once, or they would race to act
// on the same difference.
//
// Use NewQueue; BaseDelay and MaxDelay may be changed before first use.
type Queue struct {
	// BaseDelay is the first back-off of AddRateLimited; each further
	// failure of the same key doubles it.
	BaseDelay time.Duration
	// MaxDelay caps the back-off.
	MaxDelay time.Duration

	mu   sync.Mutex
	cond *sync.Cond // signalled when queue grows or on shut-down

	queue        []string        // keys waiting for a worker, in order
	dirty        map[string]bool // keys that need a sync (queued or re-added while processing)
	processing   map[string]bool // keys a worker holds between Get and Done
	failures     map[string]int  // consecutive AddRateLimited calls per key
	shuttingDown bool
}

// NewQueue returns an empty queue with the default back-off.
func NewQueue() *Queue {
	q := &Queue{
		BaseDelay:  DefaultBaseDelay,
		MaxDelay:   DefaultMaxDelay,
		dirty:      map[string]bool{},
		processing: map[string]bool{},
		failures:   map[string]int{},
	}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add marks key as needing a sync.
//
// A key already waiting is not queued again: one sync sees the latest
// state, however many events arrived. A key being processed is not handed
// out now (that would be two workers on one object) but remembered as
// dirty and queued again by Done, because the running sync may have read
// the state before the change that caused this Add.
// Adds after ShutDown are ignored.
func (q *Queue) Add(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shuttingDown || q.dirty[key] {
		return
	}
	q.dirty[key] = true
	if q.processing[key] {
		return // Done will queue it
	}
	q.queue = append(q.queue, key)
	q.cond.Signal()
}

// Get blocks until a key is available and hands it to the caller, who
// must call Done(key) when finished. After ShutDown, Get still drains the
// keys already queued, then returns shutdown=true.
func (q *Queue) Get() (key string, shutdown bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.queue) == 0 && !q.shuttingDown {
		q.cond.Wait()
	}
	if len(q.queue) == 0 {
		return "", true
	}
	key = q.queue[0]
	q.queue = q.queue[1:]
	q.processing[key] = true
	delete(q.dirty, key)
	return key, false
}

// Done tells the queue the worker has finished with key. If the key was
// added again meanwhile, it is queued now, so no change is lost.
func (q *Queue) Done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, key)
	if q.dirty[key] {
		q.queue = append(q.queue, key)
		q.cond.Signal()
	}
}

// AddAfter adds key once d has passed. A controller uses it to look again
// later (for example after minReadySeconds) without holding a worker.
func (q *Queue) AddAfter(key string, d time.Duration) {
	if d <= 0 {
		q.Add(key)
		return
	}
	time.AfterFunc(d, func() { q.Add(key) })
}

// AddRateLimited adds key after its back-off: BaseDelay, doubled for each
// failure since the last Forget, capped at MaxDelay. A sync that keeps
// failing (API server down, bad template) is retried ever more slowly
// instead of spinning a worker.
func (q *Queue) AddRateLimited(key string) {
	q.AddAfter(key, q.backoff(key))
}

// backoff returns the delay for the next retry of key and counts the
// failure.
func (q *Queue) backoff(key string) time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	exp := q.failures[key]
	q.failures[key] = exp + 1
	// Compute in float64: 2^exp overflows a Duration after ~60 failures.
	d := float64(q.BaseDelay) * math.Pow(2, float64(exp))
	if d > float64(q.MaxDelay) {
		return q.MaxDelay
	}
	return time.Duration(d)
}

// Forget resets key's back-off. Call it after a successful sync, so the
// next failure starts again at BaseDelay.
func (q *Queue) Forget(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.failures, key)
}

// NumRequeues returns how many times key has been rate-limited since the
// last Forget.
func (q *Queue) NumRequeues(key string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.failures[key]
}

// Len returns the number of keys waiting for a worker (not those being
// processed, nor those waiting for a delay).
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queue)
}

// ShutDown stops the queue accepting keys and wakes every blocked Get;
// workers drain what is queued, then Get reports shutdown.
func (q *Queue) ShutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.shuttingDown = true
	q.cond.Broadcast()
}
