package steps

import "context"

// Step is one thing a lab does, shown to the student before and after.
type Step struct {
	Title Text
	// Command is the shell command a student could type to do the same by
	// hand (unshare, nsenter, ip, cat ...). It is printed before the step
	// runs; it may be empty.
	Command string
	// Why is printed after the step ran: what it shows, why it matters.
	Why Text
	// Run does the work and reports through r. A nil Run makes a step that
	// only explains.
	Run func(r *Run) error
}

// Lab is one lesson: everything a labNN binary needs besides main().
type Lab struct {
	Number string // "01"
	Name   string // "container-is-a-process": the binary is lab01-container-is-a-process
	Title  Text
	Steps  []Step
	// Undo removes one kind of resource, by name, when the lab is cleaned
	// up: {"container": runtime.Remove, ...}. Every kind passed to
	// Run.Created must have one. An undo should treat "not found" as done,
	// so cleaning up twice is harmless.
	Undo map[string]func(ctx context.Context, name string) error
	// After, if set, is printed when every step succeeded, e.g.
	// "now run: checker run 01".
	After Text
}

// binary is the name of the lab's command, as a student types it.
func (l Lab) binary() string { return "lab" + l.Number + "-" + l.Name }

// Undo removes one resource by name; see Lab.Undo.
type Undo = func(ctx context.Context, name string) error
