package steps

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"
)

// runner runs one lab once.
type runner struct {
	lab   Lab
	opt   *options
	out   *printer      // the lesson: stdout, or nowhere with --json
	notes *printer      // the runner's own messages: stdout, or stderr with --json
	json  *json.Encoder // one object per step with --json, else nil
	stdin *bufio.Reader
	rec   *Recording // what this run created
}

func newRunner(lab Lab, opt *options, stdin io.Reader, stdout, stderr io.Writer) *runner {
	x := &runner{
		lab:   lab,
		opt:   opt,
		stdin: bufio.NewReader(stdin),
		rec:   &Recording{Lab: lab.Number, Name: lab.Name, Started: time.Now().Truncate(time.Second)},
	}
	if opt.json {
		x.out = newPrinter(io.Discard, opt.lang, false)
		x.notes = newPrinter(stderr, opt.lang, false)
		x.json = json.NewEncoder(stdout)
		x.json.SetEscapeHTML(false) // keep "&&" and "<" readable in commands
	} else {
		x.out = newPrinter(stdout, opt.lang, opt.colour)
		x.notes = x.out
	}
	return x
}

// lesson runs the steps in order. A failed step undoes everything this run
// created (exit 1), and so does Ctrl-C (exit 130). On success what the lab
// made is left running, for the student and the checker to inspect.
func (x *runner) lesson(ctx context.Context) int {
	x.out.header(x.lab)
	if code := x.undoPrevious(ctx); code != exitOK {
		return code
	}
	for i, s := range x.lab.Steps {
		n := i + 1
		if ctx.Err() != nil {
			return x.rollback(ctx, exitInterrupted, msgInterrupted)
		}
		x.out.step(n, len(x.lab.Steps), s)
		if x.opt.interactive && !x.waitForEnter(ctx, n) {
			return x.rollback(ctx, exitInterrupted, msgInterrupted)
		}
		err := x.step(ctx, n, s)
		switch {
		case ctx.Err() != nil:
			return x.rollback(ctx, exitInterrupted, msgInterrupted)
		case err != nil:
			return x.rollback(ctx, exitFailed, msgRollback, n)
		}
	}
	x.notes.blank()
	x.notes.note(msgDone, x.lab.Number)
	if after := x.lab.After.In(x.opt.lang); after != "" {
		x.notes.say(after)
	}
	return exitOK
}

// step runs one step and reports it: live as it happens, and with --json
// as one object once it is done.
func (x *runner) step(ctx context.Context, n int, s Step) error {
	lang := x.opt.lang
	r := &Run{Ctx: ctx, Lang: lang, lab: x.lab, out: x.out, rec: x.rec, report: stepReport{
		Lab: x.lab.Number, Step: n, Title: s.Title.In(lang), Command: s.Command, Why: s.Why.In(lang),
		Commands: []string{}, Values: []namedValue{}, Say: []string{},
	}}
	start := time.Now()
	var err error
	if s.Run != nil {
		err = s.Run(r)
	}
	r.report.DurationMS = time.Since(start).Milliseconds()
	r.report.OK = err == nil
	if err != nil {
		r.report.Error = err.Error()
		x.out.failed(err)
	} else {
		x.out.because(r.report.Why)
	}
	if x.json != nil {
		_ = x.json.Encode(r.report) // jsonValue made every value encodable
	}
	return err
}

// waitForEnter shows the prompt and waits for Enter. Reading stdin cannot
// be cancelled, so the read happens in a goroutine and Ctrl-C stops the
// waiting at once; it reports false then. End of input counts as Enter.
func (x *runner) waitForEnter(ctx context.Context, n int) bool {
	x.out.prompt(n)
	entered := make(chan struct{})
	go func() {
		_, _ = x.stdin.ReadString('\n')
		close(entered)
	}()
	select {
	case <-entered:
		if !x.opt.stdinTTY {
			fmt.Fprintln(x.out.w) // a terminal echoes the Enter itself
		}
		return true
	case <-ctx.Done():
		fmt.Fprintln(x.out.w)
		return false
	}
}

// rollback undoes everything this run created, newest first, after
// saying why, and returns code.
func (x *runner) rollback(ctx context.Context, code int, why Text, args ...any) int {
	x.notes.blank()
	x.notes.note(why, args...)
	// ctx may be cancelled already (Ctrl-C): the undo must still run.
	_ = undoAll(context.WithoutCancel(ctx), x.rec, x.lab.Undo, x.notes)
	return code
}

// undoPrevious removes what an earlier run left, so that running a lab
// twice is harmless.
func (x *runner) undoPrevious(ctx context.Context) int {
	prev, err := Record(x.lab.Number)
	if errors.Is(err, fs.ErrNotExist) {
		return exitOK
	}
	if err != nil {
		x.notes.failed(err)
		return exitFailed
	}
	x.notes.note(msgUndoPrevious, prev.Started.Local().Format(time.DateTime), recordPath(x.lab.Number))
	err = undoAll(ctx, prev, x.lab.Undo, x.notes)
	switch {
	case ctx.Err() != nil:
		return exitInterrupted
	case err != nil:
		return exitFailed
	}
	return exitOK
}

// cleanup is --cleanup: remove what the last run recorded, run no step.
func (x *runner) cleanup(ctx context.Context) int {
	if err := cleanup(ctx, x.lab.Number, x.lab.Undo, x.notes); err != nil {
		return exitFailed
	}
	return exitOK
}
