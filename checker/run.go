package checker

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultTimeout bounds each check when Run is given no timeout. Checks wait
// for real things (a pod to start, an OOM kill), but never for long.
const DefaultTimeout = 30 * time.Second

// Outcome is one check together with its result.
type Outcome struct {
	Check    Check
	Result   Result
	Duration time.Duration
}

// Report is the outcome of a run of checks, in the order they ran.
type Report struct {
	Student  string
	Started  time.Time
	Outcomes []Outcome
}

// Run runs the checks one after another, each under its own timeout
// (DefaultTimeout if timeout is not positive). Checks run sequentially
// because many of them change the system they look at (start a container,
// fill its memory); run side by side they would disturb each other's evidence.
//
// A check that panics or runs out of time fails, with evidence saying so; the
// remaining checks still run.
func Run(ctx context.Context, checks []Check, timeout time.Duration) Report {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	rep := Report{Started: time.Now()}
	for _, c := range checks {
		start := time.Now()
		res := runOne(ctx, c, timeout)
		rep.Outcomes = append(rep.Outcomes, Outcome{Check: c, Result: res, Duration: time.Since(start)})
	}
	return rep
}

// runOne runs c on its own goroutine so that a check which ignores its
// context cannot hold up the whole run: after the deadline it is abandoned
// and counted as a failure.
func runOne(ctx context.Context, c Check, timeout time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Buffered, so an abandoned check can still deliver its result and exit.
	done := make(chan Result, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- Result{
					Evidence: []string{fmt.Sprintf("the check panicked: %v", v)},
					Hint:     "this is a bug in the checker, not in your work; please report it",
				}
			}
		}()
		done <- c.Run(ctx)
	}()

	select {
	case res := <-done:
		// A check that gave up because its context expired reports that as
		// its own error; say plainly that it was the time limit.
		if !res.Pass && ctx.Err() != nil {
			res.Evidence = append(res.Evidence, stopped(ctx, timeout))
		}
		return res
	case <-ctx.Done():
		return Result{
			Evidence: []string{stopped(ctx, timeout)},
			Hint:     fmt.Sprintf("check that the lab is still running, then try again with a longer time limit: sudo checker run --timeout %s %s", 2*timeout, c.Lab),
		}
	}
}

// stopped explains why ctx ended: the check's own time limit, or the whole
// run being interrupted (Ctrl-C).
func stopped(ctx context.Context, timeout time.Duration) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("the check did not finish within %s", timeout)
	}
	return fmt.Sprintf("the check was stopped: %v", ctx.Err())
}

// Score returns the points earned and the points available.
func (rep Report) Score() (got, max int) {
	for _, o := range rep.Outcomes {
		got += o.score()
		max += o.Check.Points
	}
	return got, max
}

// Passed reports whether every check passed.
func (rep Report) Passed() bool {
	for _, o := range rep.Outcomes {
		if !o.Result.Pass {
			return false
		}
	}
	return true
}

// counts returns how many checks passed and failed.
func (rep Report) counts() (passed, failed int) {
	for _, o := range rep.Outcomes {
		if o.Result.Pass {
			passed++
		} else {
			failed++
		}
	}
	return passed, failed
}

// score is all of the check's points when it passed, none otherwise: a
// concept is shown on the system or it is not.
func (o Outcome) score() int {
	if o.Result.Pass {
		return o.Check.Points
	}
	return 0
}

// labGroup is one lab's part of a report, as every renderer shows it.
type labGroup struct {
	Lab      string
	Outcomes []Outcome
	Got, Max int
}

// byLab groups the outcomes by lab, in the order the labs first appear.
func (rep Report) byLab() []labGroup {
	var groups []labGroup
	index := map[string]int{}
	for _, o := range rep.Outcomes {
		i, ok := index[o.Check.Lab]
		if !ok {
			i = len(groups)
			index[o.Check.Lab] = i
			groups = append(groups, labGroup{Lab: o.Check.Lab})
		}
		g := &groups[i]
		g.Outcomes = append(g.Outcomes, o)
		g.Got += o.score()
		g.Max += o.Check.Points
	}
	return groups
}

// percent is got/max rounded down, so that 99.5% never shows as 100%.
func percent(got, max int) int {
	if max == 0 {
		return 0
	}
	return got * 100 / max
}
