package checker

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Registry holds the checks by lab. Build it with NewRegistry from an
// explicit list, typically All().
type Registry struct {
	byLab map[string][]Check // in the order given to NewRegistry
}

// NewRegistry validates the checks and groups them by lab. It fails on a
// malformed or duplicate id, or an id whose lab number differs from Lab.
func NewRegistry(checks ...Check) (*Registry, error) {
	r := &Registry{byLab: map[string][]Check{}}
	seen := map[string]bool{}
	var errs []error
	for _, c := range checks {
		if err := c.validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[c.ID] {
			errs = append(errs, fmt.Errorf("duplicate check id %q", c.ID))
			continue
		}
		seen[c.ID] = true
		r.byLab[c.Lab] = append(r.byLab[c.Lab], c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("build check registry: %w", err)
	}
	return r, nil
}

// Labs returns the sorted lab numbers that have checks.
func (r *Registry) Labs() []string {
	labs := make([]string, 0, len(r.byLab))
	for lab := range r.byLab {
		labs = append(labs, lab)
	}
	sort.Strings(labs)
	return labs
}

// Select returns the checks of the given labs, lab by lab in ascending
// order; no labs means all of them. A lab is named by its number, with or
// without the leading zero: "1" and "01" are the same lab.
func (r *Registry) Select(labs ...string) ([]Check, error) {
	known := r.Labs()
	if len(known) == 0 {
		return nil, errors.New("no checks are registered (checker.All returns none)")
	}
	if len(labs) == 0 {
		labs = known
	}

	wanted := map[string]bool{}
	for _, arg := range labs {
		lab, ok := labNumber(arg)
		if !ok || r.byLab[lab] == nil {
			return nil, fmt.Errorf("unknown lab %q: known labs are %s", arg, strings.Join(known, ", "))
		}
		wanted[lab] = true
	}

	var checks []Check
	for _, lab := range known {
		if wanted[lab] {
			checks = append(checks, r.byLab[lab]...)
		}
	}
	return checks, nil
}

// labNumber turns "1" or "01" into the canonical two-digit "01".
func labNumber(s string) (string, bool) {
	if s == "" || len(s) > 2 || strings.Trim(s, "0123456789") != "" {
		return "", false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return "", false
	}
	return fmt.Sprintf("%02d", n), true
}
