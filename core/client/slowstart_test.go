package client

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
)

// runBatches runs SlowStartBatch with an fn that blocks until released,
// and records the size of each batch: with synctest.Wait the test sees
// exactly the calls running at once. fail(batch, i) says whether call i
// of the given batch (both from 0) fails.
func runBatches(t *testing.T, count, initial int, fail func(batch, i int) bool) (sizes []int, successes int, err error) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		running := 0
		release := make(chan error)
		fn := func() error {
			mu.Lock()
			running++
			mu.Unlock()
			return <-release
		}
		type result struct {
			n   int
			err error
		}
		done := make(chan result, 1)
		go func() {
			n, err := SlowStartBatch(count, initial, fn)
			done <- result{n, err}
		}()
		for {
			synctest.Wait() // every call of this batch is blocked in fn, or it returned
			select {
			case r := <-done:
				successes, err = r.n, r.err
				return
			default:
			}
			mu.Lock()
			n := running
			running = 0
			mu.Unlock()
			batch := len(sizes)
			sizes = append(sizes, n)
			for i := range n {
				var e error
				if fail(batch, i) {
					e = errors.New("create failed")
				}
				release <- e
			}
		}
	})
	return sizes, successes, err
}

func never(int, int) bool { return false }

func TestSlowStartBatchSizes(t *testing.T) {
	for _, tc := range []struct {
		count, initial int
		want           []int
	}{
		{15, 1, []int{1, 2, 4, 8}},
		{20, 1, []int{1, 2, 4, 8, 5}}, // last batch is what remains
		{10, 3, []int{3, 6, 1}},
		{2, 5, []int{2}},
		{3, 0, []int{1, 2}}, // initial below 1 means 1
		{0, 1, nil},
	} {
		sizes, n, err := runBatches(t, tc.count, tc.initial, never)
		if !slices.Equal(sizes, tc.want) || n != tc.count || err != nil {
			t.Errorf("SlowStartBatch(%d, %d): batches %v, %d successes, %v; want %v, %d, nil",
				tc.count, tc.initial, sizes, n, err, tc.want, tc.count)
		}
	}
}

func TestSlowStartBatchStopsAfterFailingBatch(t *testing.T) {
	// Batches 1, 2, 4 ...: one call of the third batch fails.
	failThird := func(batch, i int) bool { return batch == 2 && i == 0 }
	sizes, n, err := runBatches(t, 100, 1, failThird)
	if !slices.Equal(sizes, []int{1, 2, 4}) {
		t.Errorf("batches %v, want [1 2 4] (stop after the failing batch)", sizes)
	}
	if n != 1+2+3 {
		t.Errorf("successes = %d, want 6", n)
	}
	if err == nil {
		t.Error("err = nil, want the create error")
	}
	total := 0
	for _, s := range sizes {
		total += s
	}
	if total > 100 {
		t.Errorf("%d calls for count 100", total)
	}
}
