package client

import "sync"

// SlowStartBatch calls fn count times, in parallel batches of initial,
// 2×initial, 4×initial, … calls, and stops after the first batch in which
// a call fails. It returns how many calls succeeded and the first error.
//
// This is Kubernetes' slowStartBatch (SEMANTICS.md §6.1): if the pod
// template is broken, the controller learns it from one failed create
// instead of sending hundreds. The caller must account for the calls that
// failed or were never made (count − successes), for example with
// CreationObserved, and the next sync will try them again.
func SlowStartBatch(count, initial int, fn func() error) (successes int, err error) {
	remaining := count
	for batch := min(remaining, max(initial, 1)); batch > 0; batch = min(2*batch, remaining) {
		errs := make(chan error, batch)
		var wg sync.WaitGroup
		for range batch {
			wg.Go(func() {
				if err := fn(); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		successes += batch - len(errs)
		if len(errs) > 0 {
			return successes, <-errs
		}
		remaining -= batch
	}
	return successes, nil
}
