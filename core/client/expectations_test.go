package client

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestExpectationsCounting(t *testing.T) {
	var e Expectations
	const key = "default/web"
	if !e.Satisfied(key) {
		t.Fatal("unknown key not satisfied")
	}

	e.ExpectCreations(key, 2)
	if e.Satisfied(key) {
		t.Error("satisfied with 2 creations outstanding")
	}
	e.CreationObserved(key)
	if e.Satisfied(key) {
		t.Error("satisfied with 1 creation outstanding")
	}
	e.CreationObserved(key)
	if !e.Satisfied(key) {
		t.Error("not satisfied after both creations observed")
	}

	e.ExpectDeletions(key, 1)
	if e.Satisfied(key) {
		t.Error("satisfied with 1 deletion outstanding")
	}
	e.CreationObserved(key) // a creation does not pay for a deletion
	if e.Satisfied(key) {
		t.Error("a creation satisfied a deletion")
	}
	e.DeletionObserved(key)
	if !e.Satisfied(key) {
		t.Error("not satisfied after the deletion was observed")
	}

	e.ExpectCreations(key, 5)
	e.Delete(key)
	if !e.Satisfied(key) {
		t.Error("not satisfied after Delete")
	}
	e.ExpectCreations(key, 1)
	if e.Satisfied(key) || !e.Satisfied("other/key") {
		t.Error("keys are not independent")
	}
}

func TestExpectationsConcurrentObservations(t *testing.T) {
	var e Expectations
	const key = "default/web"
	e.ExpectCreations(key, 100)
	var wg sync.WaitGroup
	for range 99 {
		wg.Go(func() { e.CreationObserved(key) })
	}
	wg.Wait()
	if e.Satisfied(key) {
		t.Fatal("satisfied after 99 of 100 observations")
	}
	e.CreationObserved(key)
	if !e.Satisfied(key) {
		t.Error("not satisfied after 100 of 100 observations")
	}
}

// A lost event must not block the controller for ever.
func TestExpectationsTimeout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration // set on Expectations
		want    time.Duration // effective
	}{
		{"default", 0, 5 * time.Minute},
		{"configured", time.Second, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := Expectations{Timeout: tc.timeout}
				e.ExpectCreations("k", 1)
				time.Sleep(tc.want)
				if e.Satisfied("k") {
					t.Errorf("satisfied after exactly %v, want only later", tc.want)
				}
				time.Sleep(time.Nanosecond)
				if !e.Satisfied("k") {
					t.Errorf("not satisfied after %v+1ns", tc.want)
				}
			})
		})
	}
}
