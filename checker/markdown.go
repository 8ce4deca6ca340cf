package checker

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the report as GitHub-flavoured Markdown: a heading
// with the student and the score, then a table per lab and the hints for
// what failed. A check that does not apply here is marked ➖, scored "n/a",
// with the reason as its evidence.
func WriteMarkdown(w io.Writer, rep Report) error {
	var b strings.Builder
	got, possible := rep.Score()
	t := tallyOf(rep.Outcomes)

	heading := "podlab report"
	if rep.Student != "" {
		heading += ": " + mdEscape(rep.Student)
	}
	fmt.Fprintf(&b, "# %s — %d/%d (%d%%)\n\n", heading, got, possible, percent(got, possible))
	fmt.Fprintf(&b, "Started %s. %s.", rep.Started.Format("2006-01-02 15:04:05 MST"), t)
	if t.notApplicable > 0 {
		fmt.Fprintf(&b, " The %d points of the checks not applicable here are left out of the total.", t.naPoints)
	}
	b.WriteString("\n")

	for _, g := range rep.byLab() {
		fmt.Fprintf(&b, "\n## Lab %s — %d/%d%s\n\n", g.Lab, g.Got, g.Max, naOf(tallyOf(g.Outcomes)))
		b.WriteString("| | check | points | evidence |\n|---|---|---|---|\n")
		var hints []string
		for _, o := range g.Outcomes {
			mark, points, evidence := "✅", fmt.Sprintf("%d/%d", o.score(), o.Check.Points), o.Result.Evidence
			switch {
			case o.NotApplicable != "":
				mark, points, evidence = "➖", "n/a", []string{"not applicable here: " + o.NotApplicable}
			case !o.Result.Pass:
				mark = "❌"
				if o.Result.Hint != "" {
					hints = append(hints, fmt.Sprintf("- `%s`: %s\n", o.Check.ID, mdEscape(o.Result.Hint)))
				}
			}
			fmt.Fprintf(&b, "| %s | `%s` %s | %s | %s |\n", mark, o.Check.ID, mdEscape(titleOf(o.Check)),
				points, mdEscape(strings.Join(evidence, "\n")))
		}
		if len(hints) > 0 {
			b.WriteString("\nHints:\n\n" + strings.Join(hints, ""))
		}
	}

	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscape keeps text inside one table cell: a "|" would end the cell, a
// newline the row, and "<none>" would vanish as an HTML tag.
var mdEscape = strings.NewReplacer(
	"|", `\|`,
	"\n", "<br>",
	"&", "&amp;",
	"<", "&lt;",
	">", "&gt;",
).Replace
