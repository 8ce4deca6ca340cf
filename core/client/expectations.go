package client

import (
	"sync"
	"time"
)

// DefaultExpectationsTimeout is how long an unmet expectation holds a
// controller back, as in Kubernetes' ExpectationsTimeout.
const DefaultExpectationsTimeout = 5 * time.Minute

// Expectations remembers, per controller key, how many creates and
// deletes the controller issued and has not yet seen in its cache
// (SEMANTICS.md §6.1).
//
// The cache lags the API server: right after a ReplicaSet creates three
// pods, a sync may still count the old pods and create three more. So the
// controller records what it asked for, the pod event handlers count what
// arrives, and the sync acts only when Satisfied. If an event is lost the
// expectation expires after Timeout, so the controller is never stuck.
//
// The zero value is ready to use; it is safe for concurrent use.
type Expectations struct {
	// Timeout after which an unmet expectation counts as satisfied;
	// zero means DefaultExpectationsTimeout.
	Timeout time.Duration

	mu      sync.Mutex
	records map[string]*expectation
}

type expectation struct {
	adds, dels int       // still to be observed; may go below zero
	since      time.Time // when the expectation was set
}

// ExpectCreations records that the controller of key is about to create n
// objects. Like Kubernetes, it replaces any earlier record of key: a sync
// only sets expectations after seeing the previous ones met.
func (e *Expectations) ExpectCreations(key string, n int) { e.set(key, n, 0) }

// ExpectDeletions records that the controller of key is about to delete n
// objects, replacing any earlier record of key.
func (e *Expectations) ExpectDeletions(key string, n int) { e.set(key, 0, n) }

func (e *Expectations) set(key string, adds, dels int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.records == nil {
		e.records = map[string]*expectation{}
	}
	e.records[key] = &expectation{adds: adds, dels: dels, since: time.Now()}
}

// CreationObserved counts one create of key's controller seen in the
// cache, or one create that failed or was never attempted.
func (e *Expectations) CreationObserved(key string) { e.lower(key, 1, 0) }

// DeletionObserved counts one delete seen in the cache, or one that failed.
func (e *Expectations) DeletionObserved(key string) { e.lower(key, 0, 1) }

func (e *Expectations) lower(key string, adds, dels int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r, ok := e.records[key]; ok {
		r.adds -= adds
		r.dels -= dels
	}
}

// Satisfied reports whether the controller of key may sync: nothing is
// expected, everything expected was observed, or the expectation is older
// than Timeout.
func (e *Expectations) Satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.records[key]
	if !ok {
		return true // never set, or Deleted: no intent to wait for
	}
	timeout := e.Timeout
	if timeout == 0 {
		timeout = DefaultExpectationsTimeout
	}
	return (r.adds <= 0 && r.dels <= 0) || time.Since(r.since) > timeout
}

// Delete forgets key, for example when its ReplicaSet is deleted.
func (e *Expectations) Delete(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.records, key)
}
