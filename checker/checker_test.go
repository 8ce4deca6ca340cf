package checker

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// Fake checks: one of each way a check can end.

func passing(id, lab string, points int) Check {
	return Check{ID: id, Lab: lab, Title: "passes " + id, Points: points,
		Run: func(context.Context) Result {
			return Result{Pass: true, Evidence: []string{"pid ns of container: 4026532250, host: 4026531836"}}
		}}
}

func failing(id, lab string, points int) Check {
	return Check{ID: id, Lab: lab, Title: "fails " + id, Points: points, Exercise: true,
		Run: func(context.Context) Result {
			return Result{Evidence: []string{"hostname: <none> | a & b", "second line"}, Hint: "run: sudo lab01-container-is-a-process"}
		}}
}

func panicking(id, lab string) Check {
	return Check{ID: id, Lab: lab, Title: "panics", Points: 1,
		Run: func(context.Context) Result { panic("boom") }}
}

// slow ignores its context, like a check stuck in a blocking read.
func slow(id, lab string) Check {
	return Check{ID: id, Lab: lab, Title: "hangs", Points: 1,
		Run: func(context.Context) Result { time.Sleep(2 * time.Second); return Result{Pass: true} }}
}

func fakeRegistry(t *testing.T) *Registry {
	t.Helper()
	r, err := NewRegistry(
		passing("02.memory-limit", "02", 3),
		passing("00.kernel", "00", 1),
		passing("01.pid-namespace", "01", 2),
		failing("01.hostname", "01", 3),
	)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func checkIDs(checks []Check) string {
	var s []string
	for _, c := range checks {
		s = append(s, c.ID)
	}
	return strings.Join(s, " ")
}

func TestNewRegistryRejectsBadChecks(t *testing.T) {
	for name, c := range map[string]Check{
		"lab mismatch": passing("01.x", "02", 1),
		"bad id":       passing("1.Pid_NS", "01", 1),
		"no lab":       passing("01.x", "", 1),
		"no run":       {ID: "01.x", Lab: "01", Title: "t", Points: 1},
		"no title":     {ID: "01.x", Lab: "01", Points: 1, Run: passing("01.x", "01", 1).Run},
		"negative":     passing("01.x", "01", -1),
	} {
		if _, err := NewRegistry(c); err == nil {
			t.Errorf("%s: NewRegistry accepted %+v", name, c)
		}
	}

	_, err := NewRegistry(passing("01.x", "01", 1), passing("01.x", "01", 2))
	if err == nil || !strings.Contains(err.Error(), `duplicate check id "01.x"`) {
		t.Errorf("duplicate id: got error %v", err)
	}
}

func TestSelect(t *testing.T) {
	r := fakeRegistry(t)
	if got := strings.Join(r.Labs(), " "); got != "00 01 02" {
		t.Errorf("Labs() = %q", got)
	}

	all, err := r.Select()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := checkIDs(all), "00.kernel 01.pid-namespace 01.hostname 02.memory-limit"; got != want {
		t.Errorf("Select() = %q, want %q (lab order, registration order within a lab)", got, want)
	}

	for _, args := range [][]string{{"1"}, {"01"}, {"1", "01"}} {
		got, err := r.Select(args...)
		if err != nil {
			t.Fatalf("Select(%q): %v", args, err)
		}
		if checkIDs(got) != "01.pid-namespace 01.hostname" {
			t.Errorf("Select(%q) = %q", args, checkIDs(got))
		}
	}

	got, err := r.Select("2", "0")
	if err != nil || checkIDs(got) != "00.kernel 02.memory-limit" {
		t.Errorf("Select(2, 0) = %q, %v", checkIDs(got), err)
	}

	for _, arg := range []string{"42", "001", "-1", "one", ""} {
		_, err := r.Select(arg)
		want := `unknown lab "` + arg + `": known labs are 00, 01, 02`
		if err == nil || err.Error() != want {
			t.Errorf("Select(%q) error = %v, want %q", arg, err, want)
		}
	}

	empty, _ := NewRegistry()
	if _, err := empty.Select(); err == nil {
		t.Error("Select on an empty registry: no error")
	}
}

func TestRun(t *testing.T) {
	checks := []Check{
		passing("01.a", "01", 2),
		failing("01.b", "01", 3),
		panicking("02.c", "02"),
		slow("02.d", "02"),
	}
	start := time.Now()
	rep := Run(context.Background(), checks, 100*time.Millisecond)
	if d := time.Since(start); d > time.Second {
		t.Errorf("Run took %s: the slow check was not abandoned at its timeout", d)
	}
	if len(rep.Outcomes) != 4 {
		t.Fatalf("got %d outcomes, want 4", len(rep.Outcomes))
	}
	for i, want := range []bool{true, false, false, false} {
		if got := rep.Outcomes[i].Result.Pass; got != want {
			t.Errorf("%s: pass = %v, want %v", checks[i].ID, got, want)
		}
	}
	if ev := strings.Join(rep.Outcomes[2].Result.Evidence, " "); !strings.Contains(ev, "panicked: boom") {
		t.Errorf("panic evidence = %q", ev)
	}
	if ev := strings.Join(rep.Outcomes[3].Result.Evidence, " "); !strings.Contains(ev, "did not finish within 100ms") {
		t.Errorf("timeout evidence = %q", ev)
	}

	got, max := rep.Score()
	if got != 2 || max != 7 {
		t.Errorf("Score() = %d/%d, want 2/7", got, max)
	}
	if rep.Passed() {
		t.Error("Passed() = true with failures")
	}
	if ok := Run(context.Background(), checks[:1], 0); !ok.Passed() {
		t.Error("Passed() = false when every check passed")
	}
}

// TestRunCancelled: an interrupted run (Ctrl-C) fails the remaining checks
// quickly instead of waiting for each one's timeout.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep := Run(ctx, []Check{slow("01.a", "01")}, time.Minute)
	if rep.Passed() || !strings.Contains(rep.Outcomes[0].Result.Evidence[0], "stopped") {
		t.Errorf("cancelled run: %+v", rep.Outcomes[0].Result)
	}
}

func sampleReport() Report {
	rep := Run(context.Background(), []Check{
		passing("00.kernel", "00", 1),
		passing("01.pid-namespace", "01", 2),
		failing("01.hostname", "01", 3),
	}, time.Second)
	rep.Student = "alice"
	return rep
}

func TestWriteTable(t *testing.T) {
	for _, colour := range []bool{false, true} {
		var b bytes.Buffer
		if err := WriteTable(&b, sampleReport(), colour); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if last := lines[len(lines)-1]; last != "2 passed, 1 failed" {
			t.Errorf("colour=%v: last line = %q, want the pass/fail count", colour, last)
		}
		if colour != strings.Contains(out, "\x1b[") {
			t.Errorf("colour=%v but escape codes present=%v", colour, !colour)
		}
		if colour {
			continue
		}
		for _, want := range []string{
			"student: alice",
			"lab 01  2/5",
			"✓ 01.pid-namespace",
			"✗ 01.hostname",
			"      hostname: <none> | a & b\n      second line\n",
			"      hint: run: sudo lab01-container-is-a-process",
			"score: 3/6 (50%)",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("table lacks %q:\n%s", want, out)
			}
		}
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Student  string `json:"student"`
		Score    int    `json:"score"`
		MaxScore int    `json:"max_score"`
		Passed   *bool  `json:"passed"`
		Labs     []struct {
			Lab      string `json:"lab"`
			Score    int    `json:"score"`
			MaxScore int    `json:"max_score"`
		} `json:"labs"`
		Checks []struct {
			ID       string   `json:"id"`
			Score    int      `json:"score"`
			Evidence []string `json:"evidence"`
			Hint     string   `json:"hint"`
			Exercise bool     `json:"exercise"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b.String())
	}
	if got.Student != "alice" || got.Score != 3 || got.MaxScore != 6 || got.Passed == nil || *got.Passed {
		t.Errorf("summary = %+v", got)
	}
	if len(got.Labs) != 2 || got.Labs[1].Lab != "01" || got.Labs[1].Score != 2 || got.Labs[1].MaxScore != 5 {
		t.Errorf("labs = %+v", got.Labs)
	}
	if len(got.Checks) != 3 || got.Checks[2].ID != "01.hostname" || got.Checks[2].Score != 0 ||
		!got.Checks[2].Exercise || got.Checks[2].Hint == "" || len(got.Checks[2].Evidence) != 2 {
		t.Errorf("checks = %+v", got.Checks)
	}
	if !strings.Contains(b.String(), "<none>") {
		t.Error("JSON escapes < and >; evidence should read as it was written")
	}
}

func TestWriteJUnit(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var got junitSuites
	if err := xml.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("invalid XML: %v\n%s", err, b.String())
	}
	if got.Tests != 3 || got.Failures != 1 || len(got.Suites) != 2 {
		t.Fatalf("testsuites = %+v", got)
	}
	lab01 := got.Suites[1]
	if lab01.Name != "lab 01" || lab01.Tests != 2 || lab01.Failures != 1 {
		t.Errorf("suite = %+v", lab01)
	}
	if p := lab01.Properties; len(p) == 0 || p[0].Name != "student" || p[0].Value != "alice" {
		t.Errorf("properties = %+v", p)
	}
	tc := lab01.Cases[1]
	if tc.Classname != "podlab.lab01" || tc.Name != "01.hostname" || tc.Failure == nil ||
		tc.Failure.Message != "run: sudo lab01-container-is-a-process" ||
		!strings.Contains(tc.Failure.Text, "hostname: <none> | a & b") {
		t.Errorf("failing testcase = %+v", tc)
	}
	if lab01.Cases[0].Failure != nil {
		t.Errorf("passing testcase has a failure: %+v", lab01.Cases[0])
	}
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"# podlab report: alice — 3/6 (50%)",
		"## Lab 01 — 2/5",
		"| | check | points | evidence |",
		"| ✅ | `01.pid-namespace` passes 01.pid-namespace | 2/2 | pid ns of container: 4026532250, host: 4026531836 |",
		"| ❌ | `01.hostname` fails 01.hostname (exercise) | 0/3 | hostname: &lt;none&gt; \\| a &amp; b<br>second line |",
		"- `01.hostname`: run: sudo lab01-container-is-a-process",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteClassroom(t *testing.T) {
	var b bytes.Buffer
	if err := WriteClassroom(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var got classroomResult
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b.String())
	}
	if got.Version != 1 || got.Status != "fail" || got.MaxScore != 6 || len(got.Tests) != 3 {
		t.Fatalf("result = %+v", got)
	}
	pass, fail := got.Tests[1], got.Tests[2]
	if pass.Name != "01.pid-namespace: passes 01.pid-namespace" || pass.Status != "pass" || pass.Score != 2 || pass.TestCode != "checker run 01" {
		t.Errorf("passing test = %+v", pass)
	}
	if fail.Status != "fail" || fail.Score != 0 || !strings.HasSuffix(fail.Message, "hint: run: sudo lab01-container-is-a-process") {
		t.Errorf("failing test = %+v", fail)
	}

	// The same fields as untyped JSON, in case a struct tag is wrong.
	var raw map[string]any
	_ = json.Unmarshal(b.Bytes(), &raw)
	if raw["version"] != float64(1) || raw["status"] != "fail" {
		t.Errorf("raw result = %v", raw)
	}
	test := raw["tests"].([]any)[0].(map[string]any)
	for _, key := range []string{"name", "status", "message", "score", "test_code", "filename", "line_no", "duration"} {
		if _, ok := test[key]; !ok {
			t.Errorf("test lacks %q: %v", key, test)
		}
	}
}

// notApplicable does not apply here; it fails the test run if it runs.
func notApplicable(id, lab string, points int) Check {
	return Check{ID: id, Lab: lab, Title: "does not apply " + id, Points: points,
		NotApplicable: func(context.Context) string { return "it reads the nodes' kernels from this machine" },
		Run:           func(context.Context) Result { panic("a check that does not apply here ran") }}
}

// applicable says it applies here, and runs.
func applicable(id, lab string, points int) Check {
	c := passing(id, lab, points)
	c.NotApplicable = func(context.Context) string { return "" }
	return c
}

// naReport has checks that pass, and two that do not apply here.
func naReport() Report {
	rep := Run(context.Background(), []Check{
		passing("00.kernel", "00", 1),
		notApplicable("08.lease", "08", 2),
		notApplicable("08.host-gw", "08", 3),
		applicable("09.stored-in-etcd", "09", 2),
	}, time.Second)
	rep.Student = "alice"
	return rep
}

// TestRunNotApplicable: a check that does not apply is not run, is neither
// passed nor failed, and its points are out of the score.
func TestRunNotApplicable(t *testing.T) {
	rep := naReport()
	for i, want := range []string{"", "it reads the nodes' kernels from this machine", "it reads the nodes' kernels from this machine", ""} {
		o := rep.Outcomes[i]
		if o.NotApplicable != want {
			t.Errorf("%s: NotApplicable = %q, want %q", o.Check.ID, o.NotApplicable, want)
		}
		if want != "" && (o.Result.Pass || len(o.Result.Evidence) > 0) {
			t.Errorf("%s: does not apply, yet has a result: %+v", o.Check.ID, o.Result)
		}
	}
	if got, max := rep.Score(); got != 3 || max != 3 {
		t.Errorf("Score() = %d/%d, want 3/3: the points of checks that do not apply are left out", got, max)
	}
	if !rep.Passed() {
		t.Error("Passed() = false when every check that applies passed")
	}
	if tl := tallyOf(rep.Outcomes); tl != (tally{passed: 2, notApplicable: 2, naPoints: 5}) {
		t.Errorf("tally = %+v", tl)
	}

	withFailure := Run(context.Background(), []Check{notApplicable("08.a", "08", 1), failing("08.b", "08", 2)}, time.Second)
	if withFailure.Passed() {
		t.Error("Passed() = true with a failure beside a check that does not apply")
	}
	if got, max := withFailure.Score(); got != 0 || max != 2 {
		t.Errorf("Score() = %d/%d, want 0/2", got, max)
	}

	// A NotApplicable that hangs is stopped at the time limit, and fails.
	hung := Check{ID: "08.c", Lab: "08", Title: "hangs", Points: 1,
		NotApplicable: func(ctx context.Context) string { <-ctx.Done(); time.Sleep(time.Second); return "never seen" },
		Run:           func(context.Context) Result { return Result{Pass: true} }}
	if o := Run(context.Background(), []Check{hung}, 50*time.Millisecond).Outcomes[0]; o.NotApplicable != "" || o.Result.Pass {
		t.Errorf("a NotApplicable past the time limit: %+v", o)
	}
}

func TestWriteTableNotApplicable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, naReport(), false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if last := lines[len(lines)-1]; last != "2 passed, 0 failed, 2 not applicable here" {
		t.Errorf("last line = %q", last)
	}
	for _, want := range []string{
		"lab 08  0/0, 2 not applicable here\n",
		"  ○ 08.lease ",
		"  n/a\n      not applicable here: it reads the nodes' kernels from this machine\n",
		"lab 09  2/2\n",
		"score: 3/3 (100%), 5 points not applicable here\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hint:") || strings.Contains(out, "✗") {
		t.Errorf("a check that does not apply is shown as a failure:\n%s", out)
	}
}

func TestWriteJSONNotApplicable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, naReport()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Score         int  `json:"score"`
		MaxScore      int  `json:"max_score"`
		Passed        bool `json:"passed"`
		NotApplicable int  `json:"not_applicable"`
		Labs          []struct {
			Lab      string `json:"lab"`
			MaxScore int    `json:"max_score"`
		} `json:"labs"`
		Checks []map[string]any `json:"checks"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b.String())
	}
	if got.Score != 3 || got.MaxScore != 3 || !got.Passed || got.NotApplicable != 2 {
		t.Errorf("summary = %+v", got)
	}
	if len(got.Labs) != 3 || got.Labs[1].Lab != "08" || got.Labs[1].MaxScore != 0 {
		t.Errorf("labs = %+v", got.Labs)
	}
	na, ran := got.Checks[1], got.Checks[0]
	if na["not_applicable"] != "it reads the nodes' kernels from this machine" || na["pass"] != false || na["score"] != float64(0) || na["points"] != float64(2) {
		t.Errorf("check that does not apply = %v", na)
	}
	if _, ok := ran["not_applicable"]; ok || ran["pass"] != true {
		t.Errorf("check that ran = %v", ran)
	}
}

func TestWriteJUnitNotApplicable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, naReport()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `<skipped message="not applicable here: it reads the nodes&#39; kernels from this machine"></skipped>`) {
		t.Errorf("no <skipped> element:\n%s", b.String())
	}
	var got junitSuites
	if err := xml.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("invalid XML: %v\n%s", err, b.String())
	}
	if got.Tests != 4 || got.Failures != 0 || got.Skipped != 2 {
		t.Errorf("testsuites: tests %d, failures %d, skipped %d; want 4, 0, 2", got.Tests, got.Failures, got.Skipped)
	}
	lab08 := got.Suites[1]
	if lab08.Tests != 2 || lab08.Skipped != 2 || lab08.Failures != 0 {
		t.Errorf("suite = %+v", lab08)
	}
	if p := lab08.Properties; len(p) < 3 || p[1].Value != "0/0" || p[2].Value != "3/3" {
		t.Errorf("properties = %+v", p)
	}
	for _, tc := range lab08.Cases {
		if tc.Skipped == nil || tc.Failure != nil {
			t.Errorf("testcase = %+v, want skipped", tc)
		}
	}
	if tc := got.Suites[2].Cases[0]; tc.Skipped != nil || tc.Failure != nil {
		t.Errorf("a check that applies and passed = %+v", tc)
	}
}

func TestWriteMarkdownNotApplicable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, naReport()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"# podlab report: alice — 3/3 (100%)",
		"2 passed, 0 failed, 2 not applicable here. The 5 points of the checks not applicable here are left out of the total.\n",
		"## Lab 08 — 0/0, 2 not applicable here",
		"| ➖ | `08.lease` does not apply 08.lease | n/a | not applicable here: it reads the nodes' kernels from this machine |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Hints:") || strings.Contains(out, "❌") {
		t.Errorf("a check that does not apply is shown as a failure:\n%s", out)
	}
}

func TestWriteClassroomNotApplicable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteClassroom(&b, naReport()); err != nil {
		t.Fatal(err)
	}
	var got classroomResult
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b.String())
	}
	if got.Status != "pass" || got.MaxScore != 3 || len(got.Tests) != 2 {
		t.Errorf("result = %+v, want pass, 3 points, the 2 checks that apply", got)
	}
	for _, tc := range got.Tests {
		if strings.HasPrefix(tc.Name, "08.") {
			t.Errorf("a check that does not apply is a test: %+v", tc)
		}
	}
}
