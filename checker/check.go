// Package checker verifies the concepts of each lab on the live system and
// grades them.
//
// A check reads the truth (inodes under /proc/PID/ns, cgroup files, netlink,
// iptables, the API), never the lab's own claims, and reports what it read as
// evidence, so a student can see why it passed or failed. Checks are plain
// values collected explicitly in All; nothing registers itself in init().
//
// A check may not apply on this machine: lab 08's checks read each node's
// network namespace, which only the local cluster ("sudo podlab up") has
// here, not a cluster of machines like the Vagrant one. Its NotApplicable
// says so, with the reason, before it runs. A check that does not apply is
// neither passed nor failed: every report shows it as "not applicable
// here" with the reason, leaves its points out of the total, and the exit
// status is 0 when every check that applies passes. NotApplicable answers
// only for a cluster of machines (no local cluster state, an API server
// that answers), never on the local cluster, so it cannot hide a failure
// there.
package checker

import (
	"context"
	"errors"
	"fmt"
	"regexp"
)

// Check is one verified concept of one lab.
type Check struct {
	ID       string // "02.memory-limit": lab number, a dot, a kebab-case name
	Lab      string // "02"
	Title    string // one line, English, what is verified ("a container over its memory limit is OOM-killed (exit 137)")
	Points   int    // weight in the grade
	Exercise bool   // true when this check grades a student exercise rather than the lab binary's result
	// NotApplicable, if set, is asked before Run: it returns why the check
	// does not apply on this machine, or "" when it does (nil: it applies
	// everywhere). It must never say "not applicable" where Run could find
	// something the student has to fix.
	NotApplicable func(ctx context.Context) string
	Run           func(ctx context.Context) Result
}

// Result is what a check found. Evidence holds the values it read, so that a
// pass can be trusted and a failure can be understood.
type Result struct {
	Pass     bool
	Evidence []string // the values read from the kernel/cluster, e.g. "pid ns of container: 4026532250, host: 4026531836"
	Hint     string   // what to do when it fails: "run: sudo lab02-resource-limits"
}

// idPattern is the shape of a check id: "02.memory-limit".
var idPattern = regexp.MustCompile(`^([0-9]{2})\.[a-z0-9]+(-[a-z0-9]+)*$`)

// validate reports every mistake in c at once, so the author of a lab's
// checks can fix them in one go.
func (c Check) validate() error {
	var errs []error
	m := idPattern.FindStringSubmatch(c.ID)
	switch {
	case m == nil:
		errs = append(errs, fmt.Errorf("check %q: id must be a two-digit lab number, a dot and a kebab-case name, like %q", c.ID, "02.memory-limit"))
	case m[1] != c.Lab:
		errs = append(errs, fmt.Errorf("check %q: lab is %q but the id starts with %q", c.ID, c.Lab, m[1]))
	}
	if c.Title == "" {
		errs = append(errs, fmt.Errorf("check %q: no title", c.ID))
	}
	if c.Points < 0 {
		errs = append(errs, fmt.Errorf("check %q: points must not be negative, got %d", c.ID, c.Points))
	}
	if c.Run == nil {
		errs = append(errs, fmt.Errorf("check %q: no Run function", c.ID))
	}
	return errors.Join(errs...)
}
