package steps

import (
	"context"
	"fmt"
)

// Run is what a step gets: the context, cancelled when the student presses
// Ctrl-C, the language of the lesson, and ways to report what it did. Use
// it from the step's own goroutine.
type Run struct {
	Ctx  context.Context
	Lang string

	lab    Lab
	out    *printer
	rec    *Recording // what this run of the lab created so far
	report stepReport // what this step did, for --json
}

// Value reports a real value the step produced (a PID, an inode, a path),
// printed as "name: value" so the student can compare it with their own.
func (r *Run) Value(name string, value any) {
	r.out.result(name, value)
	r.report.Values = append(r.report.Values, namedValue{Name: name, Value: jsonValue(value)})
}

// Command shows a further shell command with the real values filled in,
// e.g. r.Command("nsenter -t %d -u hostname", pid), for the student to try.
func (r *Run) Command(format string, args ...any) {
	cmd := fmt.Sprintf(format, args...)
	r.out.shell(cmd)
	r.report.Commands = append(r.report.Commands, cmd)
}

// Say explains something in the language of the lesson.
func (r *Run) Say(t Text) {
	s := r.Text(t)
	r.out.say(s)
	r.report.Say = append(r.report.Say, s)
}

// Text is t in the language of the lesson.
func (r *Run) Text(t Text) string { return t.In(r.Lang) }

// Created records that the lab made a resource, as soon as it exists. The
// record is written to disk before Created returns, so that even after a
// crash or Ctrl-C, --cleanup knows what to remove. Recording the same
// resource again does nothing. The kind must have an undo in Lab.Undo.
func (r *Run) Created(kind, name string) error {
	res := Resource{Kind: kind, Name: name}
	if _, ok := r.lab.Undo[kind]; !ok {
		return fmt.Errorf("record %s: lab %s has no undo for kind %q", res, r.lab.Number, kind)
	}
	if !r.rec.add(res) {
		return nil
	}
	if err := r.rec.save(); err != nil {
		return fmt.Errorf("record %s: %w", res, err)
	}
	return nil
}
