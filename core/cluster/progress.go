package cluster

import (
	"fmt"
	"io"

	"github.com/fatih/color"
)

// Progress prints what up and down do, one line per step, as a presenter
// wants it on a projector:
//
//	✓ underlay: bridge podlab-underlay, 172.30.0.1/24 on the host
//	✓ node1: podlet pid 4250 in podlab-node1, Ready, podCIDR 10.244.0.0/24
//	✓ podlab-server: pid 4242, http://172.30.0.1:6443 (running already)
//
// The mark is green and "(running already)" faint, on a terminal only and
// never with NO_COLOR: the caller says which.
type Progress struct {
	w                 io.Writer
	ok, faint, failed *color.Color
}

// NewProgress prints to w, in colour if colour is true.
func NewProgress(w io.Writer, colour bool) *Progress {
	p := &Progress{w: w, ok: color.New(color.FgGreen), faint: color.New(color.Faint), failed: color.New(color.FgRed)}
	for _, c := range []*color.Color{p.ok, p.faint, p.failed} {
		if colour {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	return p
}

// Title prints a line that says what is about to happen.
func (p *Progress) Title(format string, args ...any) {
	if p != nil {
		fmt.Fprintf(p.w, format+"\n", args...)
	}
}

// Done prints a step that succeeded; note, if not "", comes after it in
// parentheses, faint, like "running already".
func (p *Progress) Done(note, format string, args ...any) {
	if p == nil {
		return
	}
	line := "  " + p.ok.Sprint("✓") + " " + fmt.Sprintf(format, args...)
	if note != "" {
		line += " " + p.faint.Sprintf("(%s)", note)
	}
	fmt.Fprintln(p.w, line)
}

// Failed prints a step that failed.
func (p *Progress) Failed(format string, args ...any) {
	if p != nil {
		fmt.Fprintln(p.w, "  "+p.failed.Sprint("✗")+" "+fmt.Sprintf(format, args...))
	}
}
