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
	Check  Check
	Result Result
	// NotApplicable is why the check did not run here, as its
	// NotApplicable said; "" when it ran. Result is then empty.
	NotApplicable string
	Duration      time.Duration
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
// remaining checks still run. A check whose NotApplicable gives a reason
// does not run.
func Run(ctx context.Context, checks []Check, timeout time.Duration) Report {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	rep := Report{Started: time.Now()}
	for _, c := range checks {
		start := time.Now()
		o := runOne(ctx, c, timeout)
		o.Duration = time.Since(start)
		rep.Outcomes = append(rep.Outcomes, o)
	}
	return rep
}

// runOne runs c on its own goroutine so that a check which ignores its
// context cannot hold up the whole run: after the deadline it is abandoned
// and counted as a failure.
func runOne(ctx context.Context, c Check, timeout time.Duration) Outcome {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Buffered, so an abandoned check can still deliver its result and exit.
	done := make(chan Outcome, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- Outcome{Check: c, Result: Result{
					Evidence: []string{fmt.Sprintf("the check panicked: %v", v)},
					Hint:     "this is a bug in the checker, not in your work; please report it",
				}}
			}
		}()
		done <- c.run(ctx)
	}()

	select {
	case o := <-done:
		// A check that gave up because its context expired reports that as
		// its own error; say plainly that it was the time limit.
		if !o.Result.Pass && o.NotApplicable == "" && ctx.Err() != nil {
			o.Result.Evidence = append(o.Result.Evidence, stopped(ctx, timeout))
		}
		return o
	case <-ctx.Done():
		return Outcome{Check: c, Result: Result{
			Evidence: []string{stopped(ctx, timeout)},
			Hint:     fmt.Sprintf("check that the lab is still running, then try again with a longer time limit: sudo checker run --timeout %s %s", 2*timeout, c.Lab),
		}}
	}
}

// run asks c whether it applies here, and runs it if it does.
func (c Check) run(ctx context.Context) Outcome {
	if c.NotApplicable != nil {
		if why := c.NotApplicable(ctx); why != "" {
			return Outcome{Check: c, NotApplicable: why}
		}
	}
	return Outcome{Check: c, Result: c.Run(ctx)}
}

// stopped explains why ctx ended: the check's own time limit, or the whole
// run being interrupted (Ctrl-C).
func stopped(ctx context.Context, timeout time.Duration) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("the check did not finish within %s", timeout)
	}
	return fmt.Sprintf("the check was stopped: %v", ctx.Err())
}

// Score returns the points earned and the points available. The points
// of the checks that do not apply here are in neither.
func (rep Report) Score() (got, max int) {
	for _, o := range rep.Outcomes {
		got += o.score()
		max += o.possible()
	}
	return got, max
}

// Passed reports whether every check that applies here passed.
func (rep Report) Passed() bool {
	for _, o := range rep.Outcomes {
		if o.failed() {
			return false
		}
	}
	return true
}

// tally counts the checks of a report, or of one lab of it.
type tally struct {
	passed, failed int
	notApplicable  int // checks that do not apply here
	naPoints       int // their points, left out of the total
}

func tallyOf(outcomes []Outcome) tally {
	var t tally
	for _, o := range outcomes {
		switch {
		case o.NotApplicable != "":
			t.notApplicable++
			t.naPoints += o.Check.Points
		case o.Result.Pass:
			t.passed++
		default:
			t.failed++
		}
	}
	return t
}

// String is the count line of the reports: "5 passed, 1 failed", and ", 7
// not applicable here" when some checks do not apply.
func (t tally) String() string {
	s := fmt.Sprintf("%d passed, %d failed", t.passed, t.failed)
	if t.notApplicable > 0 {
		s += fmt.Sprintf(", %d not applicable here", t.notApplicable)
	}
	return s
}

// failed is a check that applies here and did not pass.
func (o Outcome) failed() bool { return o.NotApplicable == "" && !o.Result.Pass }

// score is all of the check's points when it passed, none otherwise: a
// concept is shown on the system or it is not.
func (o Outcome) score() int {
	if o.NotApplicable == "" && o.Result.Pass {
		return o.Check.Points
	}
	return 0
}

// possible is the points the check can earn here: none if it does not
// apply.
func (o Outcome) possible() int {
	if o.NotApplicable != "" {
		return 0
	}
	return o.Check.Points
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
		g.Max += o.possible()
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
