package steps

import (
	"encoding"
	"encoding/json"
	"fmt"
	"io"

	"github.com/fatih/color"
)

// The runner's own sentences, in both languages like the lessons.
var (
	msgWhy            = T("why: ", "为什么：")
	msgPrompt         = T("Press Enter to run step %d…", "按回车键运行第 %d 步…")
	msgUndoPrevious   = T("A previous run (started %s) is still recorded in %s: undoing it first.", "上一次运行（开始于 %s）仍记录在 %s 中：先撤销它。")
	msgNothingToClean = T("nothing to clean up", "没有需要清理的东西")
	msgCleaningUp     = T("Cleaning up lab %s: removing what %s records, newest first.", "清理实验 %s：按从新到旧的顺序删除 %s 中记录的资源。")
	msgRemoved        = T("removed %s", "已删除 %s")
	msgRollback       = T("Step %d failed: undoing what this run created.", "第 %d 步失败：撤销本次运行创建的资源。")
	msgInterrupted    = T("Interrupted: undoing what this run created.", "已中断：撤销本次运行创建的资源。")
	msgUndone         = T("Done: nothing of that run is left.", "完成：那次运行没有留下任何东西。")
	msgLeft           = T("Some resources could not be removed; they stay in %s so that --cleanup can try again.", "部分资源未能删除；它们仍记录在 %s 中，可以用 --cleanup 重试。")
	msgDone           = T("Lab %s done. What it made is left running for you and the checker; --cleanup removes it.", "实验 %s 完成。它创建的资源会继续运行，供你和 checker 检查；用 --cleanup 删除。")
	msgNeedRoot       = T("%s must run as root (it changes namespaces, mounts and cgroups): try sudo %s", "%s 需要 root 权限（它会修改命名空间、挂载和 cgroup）：请使用 sudo %s")
)

// printer writes what a person reads, coloured when that person is
// looking at a terminal.
type printer struct {
	w    io.Writer
	lang string

	title, command, value, why, bad *color.Color
}

func newPrinter(w io.Writer, lang string, colour bool) *printer {
	p := &printer{
		w:       w,
		lang:    lang,
		title:   color.New(color.Bold),
		command: color.New(color.FgCyan),
		value:   color.New(color.FgGreen),
		why:     color.New(color.Faint, color.Italic),
		bad:     color.New(color.FgRed),
	}
	// Decide per printer rather than through color.NoColor, which only
	// knows about os.Stdout.
	for _, c := range []*color.Color{p.title, p.command, p.value, p.why, p.bad} {
		if colour {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	return p
}

func (p *printer) header(lab Lab) {
	fmt.Fprintln(p.w, p.title.Sprintf("━━ Lab %s · %s ━━", lab.Number, lab.Title.In(p.lang)))
}

// step prints "[2/5] Title" and the shell command a student could type,
// after a blank line that keeps steps apart on a projector.
func (p *printer) step(n, total int, s Step) {
	fmt.Fprintf(p.w, "\n%s %s\n", p.title.Sprintf("[%d/%d]", n, total), p.title.Sprint(s.Title.In(p.lang)))
	if s.Command != "" {
		p.shell(s.Command)
	}
}

func (p *printer) shell(cmd string) { fmt.Fprintln(p.w, p.command.Sprint("  $ "+cmd)) }

func (p *printer) say(s string) { fmt.Fprintln(p.w, "  "+s) }

func (p *printer) result(name string, v any) {
	fmt.Fprintln(p.w, p.value.Sprintf("  ✓ %s: %v", name, v))
}

func (p *printer) because(s string) {
	if s != "" {
		fmt.Fprintln(p.w, p.why.Sprint("  → "+msgWhy.In(p.lang)+s))
	}
}

func (p *printer) prompt(n int) {
	fmt.Fprint(p.w, p.title.Sprintf("  "+msgPrompt.In(p.lang), n))
}

func (p *printer) failed(err error) { fmt.Fprintln(p.w, p.bad.Sprintf("  ✗ %v", err)) }

func (p *printer) removed(r Resource) {
	fmt.Fprintln(p.w, p.value.Sprintf("  ✓ "+msgRemoved.In(p.lang), r))
}

// note is a sentence about the runner's own work (cleaning up, rolling back).
func (p *printer) note(t Text, args ...any) {
	fmt.Fprintf(p.w, t.In(p.lang)+"\n", args...)
}

func (p *printer) blank() { fmt.Fprintln(p.w) }

// stepReport is one line of --json output: everything a step printed,
// for a script or a grader to read instead of a person.
type stepReport struct {
	Lab        string       `json:"lab"`
	Step       int          `json:"step"`
	Title      string       `json:"title"`
	Command    string       `json:"command"`
	Commands   []string     `json:"commands"`
	Values     []namedValue `json:"values"` // a list, not an object, to keep the order
	Say        []string     `json:"say"`
	Why        string       `json:"why"`
	OK         bool         `json:"ok"`
	Error      string       `json:"error"`
	DurationMS int64        `json:"duration_ms"`
}

type namedValue struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// jsonValue keeps numbers, strings and types that encode themselves as
// they are, and turns the rest into the text a person would see: a
// time.Duration becomes "1.5s", not nanoseconds, and an error its message.
func jsonValue(v any) any {
	switch v := v.(type) {
	case json.Marshaler, encoding.TextMarshaler:
		return v
	case error:
		return v.Error()
	case fmt.Stringer:
		return v.String()
	}
	if _, err := json.Marshal(v); err != nil {
		return fmt.Sprint(v)
	}
	return v
}
