package checker

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the report as GitHub-flavoured Markdown: a heading
// with the student and the score, then a table per lab and the hints for
// what failed.
func WriteMarkdown(w io.Writer, rep Report) error {
	var b strings.Builder
	got, possible := rep.Score()
	passed, failed := rep.counts()

	heading := "podlab report"
	if rep.Student != "" {
		heading += ": " + mdEscape(rep.Student)
	}
	fmt.Fprintf(&b, "# %s — %d/%d (%d%%)\n\n", heading, got, possible, percent(got, possible))
	fmt.Fprintf(&b, "Started %s. %d passed, %d failed.\n",
		rep.Started.Format("2006-01-02 15:04:05 MST"), passed, failed)

	for _, g := range rep.byLab() {
		fmt.Fprintf(&b, "\n## Lab %s — %d/%d\n\n", g.Lab, g.Got, g.Max)
		b.WriteString("| | check | points | evidence |\n|---|---|---|---|\n")
		var hints []string
		for _, o := range g.Outcomes {
			mark := "✅"
			if !o.Result.Pass {
				mark = "❌"
				if o.Result.Hint != "" {
					hints = append(hints, fmt.Sprintf("- `%s`: %s\n", o.Check.ID, mdEscape(o.Result.Hint)))
				}
			}
			fmt.Fprintf(&b, "| %s | `%s` %s | %d/%d | %s |\n", mark, o.Check.ID, mdEscape(titleOf(o.Check)),
				o.score(), o.Check.Points, mdEscape(strings.Join(o.Result.Evidence, "\n")))
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
