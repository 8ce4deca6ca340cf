package checker

import (
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"
)

// WriteTable writes the report for a person at a terminal, lab by lab:
//
//	lab 01  3/5
//	  ✓ 01.pid-namespace  the container is PID 1 in its own PID namespace  2/2
//	      pid ns of container: 4026532250, host: 4026531836
//	  ✗ 01.hostname       the container has the hostname you chose        0/3
//	      hostname in the container: "localhost"
//	      hint: run: sudo podlab run --hostname NAME busybox
//
//	score: 2/5 (40%)
//	1 passed, 1 failed
//
// A check that does not apply here is marked "○", scored "n/a" and
// followed by the reason; its points are left out, and both summary lines
// say so: "score: 2/5 (40%), 3 points not applicable here" and "1 passed,
// 1 failed, 2 not applicable here".
//
// The last line is always the pass/fail count, so scripts can find it.
func WriteTable(w io.Writer, rep Report, colour bool) error {
	p := newPalette(colour)
	idWidth, titleWidth, pointsWidth := columnWidths(rep)

	var b strings.Builder
	if rep.Student != "" {
		fmt.Fprintf(&b, "student: %s\n\n", rep.Student)
	}
	for _, g := range rep.byLab() {
		fmt.Fprintf(&b, "%s  %d/%d%s\n", p.bold("lab "+g.Lab), g.Got, g.Max, naOf(tallyOf(g.Outcomes)))
		for _, o := range g.Outcomes {
			mark, points := p.pass("✓"), fmt.Sprintf("%d/%d", o.score(), o.Check.Points)
			switch {
			case o.NotApplicable != "":
				mark, points = p.skip("○"), "n/a"
			case !o.Result.Pass:
				mark = p.fail("✗")
			}
			fmt.Fprintf(&b, "  %s %-*s  %-*s  %*s\n", mark,
				idWidth, o.Check.ID, titleWidth, titleOf(o.Check), pointsWidth, points)
			if o.NotApplicable != "" {
				writeIndented(&b, "      ", p.skip("not applicable here: ")+o.NotApplicable)
			}
			for _, e := range o.Result.Evidence {
				writeIndented(&b, "      ", e)
			}
			if !o.Result.Pass && o.Result.Hint != "" {
				writeIndented(&b, "      ", p.hint("hint: ")+o.Result.Hint)
			}
		}
		b.WriteString("\n")
	}

	got, possible := rep.Score()
	t := tallyOf(rep.Outcomes)
	score := fmt.Sprintf("score: %d/%d (%d%%)", got, possible, percent(got, possible))
	if t.notApplicable > 0 {
		score += fmt.Sprintf(", %d points not applicable here", t.naPoints)
	}
	if rep.Passed() {
		score = p.pass(score)
	} else {
		score = p.fail(score)
	}
	fmt.Fprintf(&b, "%s\n%s\n", score, t)

	_, err := io.WriteString(w, b.String())
	return err
}

// columnWidths lines up ids, titles and points across the whole report.
// fmt pads by runes, which is what a terminal shows for English titles.
func columnWidths(rep Report) (id, title, points int) {
	for _, o := range rep.Outcomes {
		id = max(id, len([]rune(o.Check.ID)))
		title = max(title, len([]rune(titleOf(o.Check))))
		points = max(points, len(fmt.Sprintf("%d/%d", o.Check.Points, o.Check.Points)), len("n/a"))
	}
	return id, title, points
}

// naOf is what a lab's heading adds when some of its checks do not apply
// here: ", 7 not applicable here".
func naOf(t tally) string {
	if t.notApplicable == 0 {
		return ""
	}
	return fmt.Sprintf(", %d not applicable here", t.notApplicable)
}

// titleOf marks exercise checks, so a student sees which failures are theirs
// to fix by hand rather than by re-running a lab.
func titleOf(c Check) string {
	if c.Exercise {
		return c.Title + " (exercise)"
	}
	return c.Title
}

// writeIndented writes s with every line indented, so multi-line evidence
// stays under its check.
func writeIndented(b *strings.Builder, indent, s string) {
	for _, line := range strings.Split(s, "\n") {
		b.WriteString(indent + line + "\n")
	}
}

// palette colours the table, or leaves it plain. The decision whether to use
// colour is the caller's (terminal, NO_COLOR, --no-color), so the colours
// are forced on or off here rather than guessed from os.Stdout.
type palette struct {
	pass, fail, skip, hint, bold func(string) string
}

func newPalette(on bool) palette {
	paint := func(attrs ...color.Attribute) func(string) string {
		if !on {
			return func(s string) string { return s }
		}
		c := color.New(attrs...)
		c.EnableColor()
		return func(s string) string { return c.Sprint(s) }
	}
	return palette{
		pass: paint(color.FgGreen),
		fail: paint(color.FgRed),
		skip: paint(color.FgCyan),
		hint: paint(color.FgYellow),
		bold: paint(color.Bold),
	}
}
