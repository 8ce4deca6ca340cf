package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podlab/podlab/checker"
)

// fakeRegistry has one passing lab (01) and one failing lab (02).
func fakeRegistry(t *testing.T) *checker.Registry {
	t.Helper()
	pass := func(context.Context) checker.Result {
		return checker.Result{Pass: true, Evidence: []string{"pid ns of container: 4026532250, host: 4026531836"}}
	}
	fail := func(context.Context) checker.Result {
		return checker.Result{Evidence: []string{"memory.limit_in_bytes: 9223372036854771712"}, Hint: "run: sudo lab02-resource-limits"}
	}
	reg, err := checker.NewRegistry(
		checker.Check{ID: "01.pid-namespace", Lab: "01", Title: "the container is PID 1 in its own PID namespace", Points: 2, Run: pass},
		checker.Check{ID: "01.hostname", Lab: "01", Title: "the container has the hostname you chose", Points: 1, Exercise: true, Run: pass},
		checker.Check{ID: "02.memory-limit", Lab: "02", Title: "the container has a memory limit", Points: 3, Run: fail},
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

type result struct {
	code           int
	stdout, stderr string
}

func runChecker(t *testing.T, reg *checker.Registry, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), app(reg, &stdout, &stderr), append([]string{"checker"}, args...))
	return result{code, stdout.String(), stderr.String()}
}

func TestExitStatus(t *testing.T) {
	reg := fakeRegistry(t)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"run", "01"}, exitPassed},
		{[]string{"run", "1"}, exitPassed},
		{[]string{"run", "02"}, exitFailed},
		{[]string{"run"}, exitFailed},
		{[]string{"grade", "--student", "alice", "01"}, exitPassed},
		{[]string{"grade", "--student", "alice", "02"}, exitFailed},
		{[]string{"list"}, exitPassed},
		{[]string{"--help"}, exitPassed},
		{[]string{"run", "--help"}, exitPassed},
		{[]string{"help", "grade"}, exitPassed},
	} {
		if r := runChecker(t, reg, tc.args...); r.code != tc.code {
			t.Errorf("checker %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(tc.args, " "), r.code, tc.code, r.stdout, r.stderr)
		}
	}
}

// TestUsageErrors: every mistake on the command line exits 2 with one line
// on stderr that names the problem and the choices, and no help page.
func TestUsageErrors(t *testing.T) {
	empty, err := checker.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		reg  *checker.Registry
		args []string
		want string
	}{
		{fakeRegistry(t), []string{"run", "42"}, `unknown lab "42": known labs are 01, 02`},
		{fakeRegistry(t), []string{"list", "7"}, `unknown lab "7": known labs are 01, 02`},
		{fakeRegistry(t), []string{"grade", "--student", "a", "--format", "xml"}, `unknown format "xml": formats are table, json, junit, md, classroom`},
		{fakeRegistry(t), []string{"bogus"}, `unknown command "bogus": commands are list, run, grade`},
		{fakeRegistry(t), []string{"help", "bogus"}, `commands are list, run, grade`},
		{fakeRegistry(t), []string{"run", "--bogus"}, `run: flag provided but not defined: -bogus; flags are --json, --no-color, --timeout`},
		{fakeRegistry(t), []string{"--bogus"}, `flag provided but not defined: -bogus`},
		{fakeRegistry(t), []string{"grade", "--timeout", "soon"}, `grade: invalid value "soon" for flag -timeout`},
		{fakeRegistry(t), []string{"run", "--timeout", "0s"}, `--timeout must be positive`},
		{fakeRegistry(t), []string{"run", "01", "--json"}, `flag "--json" must come before the lab numbers`},
		{empty, []string{"run"}, `no checks are registered`},
	} {
		r := runChecker(t, tc.reg, tc.args...)
		name := "checker " + strings.Join(tc.args, " ")
		if r.code != exitUsage {
			t.Errorf("%s: exit %d, want %d", name, r.code, exitUsage)
		}
		if !strings.HasPrefix(r.stderr, "checker: ") || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: stderr = %q, want one line containing %q", name, r.stderr, tc.want)
		}
		if r.stdout != "" {
			t.Errorf("%s: printed to stdout:\n%s", name, r.stdout)
		}
	}
}

// TestNotApplicable: a check that does not apply here is shown as such,
// and the exit status is 0 when every check that applies passes.
func TestNotApplicable(t *testing.T) {
	pass := func(context.Context) checker.Result { return checker.Result{Pass: true} }
	elsewhere := func(context.Context) string { return "it reads the nodes' kernels from this machine" }
	reg, err := checker.NewRegistry(
		checker.Check{ID: "08.lease", Lab: "08", Title: "the leases", Points: 2, NotApplicable: elsewhere,
			Run: func(context.Context) checker.Result { return checker.Result{Hint: "ran"} }},
		checker.Check{ID: "09.bound", Lab: "09", Title: "bound", Points: 3, Run: pass},
	)
	if err != nil {
		t.Fatal(err)
	}
	r := runChecker(t, reg, "run")
	if r.code != exitPassed || !strings.HasSuffix(r.stdout, "score: 3/3 (100%), 2 points not applicable here\n1 passed, 0 failed, 1 not applicable here\n") ||
		!strings.Contains(r.stdout, "not applicable here: it reads the nodes' kernels from this machine") {
		t.Errorf("run: exit %d\n%s", r.code, r.stdout)
	}
	for _, format := range []string{"json", "junit", "md", "classroom"} {
		if r := runChecker(t, reg, "grade", "--student", "ada", "--format", format); r.code != exitPassed {
			t.Errorf("grade --format %s: exit %d\n%s%s", format, r.code, r.stdout, r.stderr)
		}
	}
	if r := runChecker(t, reg, "run", "08"); r.code != exitPassed || !strings.HasSuffix(r.stdout, "0 passed, 0 failed, 1 not applicable here\n") {
		t.Errorf("run 08: exit %d\n%s", r.code, r.stdout)
	}
}

func TestRunTable(t *testing.T) {
	r := runChecker(t, fakeRegistry(t), "run")
	for _, want := range []string{"✓ 01.pid-namespace", "✗ 02.memory-limit", "hint: run: sudo lab02-resource-limits", "score: 3/6 (50%)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.HasSuffix(r.stdout, "2 passed, 1 failed\n") {
		t.Errorf("table does not end with the count:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("colour in output that is not a terminal")
	}
}

func TestRunJSON(t *testing.T) {
	r := runChecker(t, fakeRegistry(t), "run", "--json", "02")
	var rep struct {
		Passed bool `json:"passed"`
		Checks []struct {
			ID string `json:"id"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("run --json: %v\n%s", err, r.stdout)
	}
	if rep.Passed || len(rep.Checks) != 1 || rep.Checks[0].ID != "02.memory-limit" || r.code != exitFailed {
		t.Errorf("run --json 02: exit %d, %+v", r.code, rep)
	}
}

func TestList(t *testing.T) {
	r := runChecker(t, fakeRegistry(t), "list", "1")
	for _, want := range []string{"01.pid-namespace", "the container has the hostname you chose (exercise)", "2 checks, 3 points"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "02.memory-limit") {
		t.Errorf("list 1 shows lab 02:\n%s", r.stdout)
	}
}

func TestGradeOut(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.xml")

	// A failing check still produces the report, and exit status 1.
	r := runChecker(t, fakeRegistry(t), "grade", "--student", "alice", "--format", "junit", "--out", out)
	if r.code != exitFailed || r.stdout != "" {
		t.Errorf("grade --out: exit %d, stdout %q", r.code, r.stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(data, &suites); err != nil || suites.Tests != 3 || suites.Failures != 1 {
		t.Errorf("report: %+v, %v\n%s", suites, err, data)
	}
	if info, err := os.Stat(out); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("report mode: %v, %v", info.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if !strings.Contains(r.stderr, "wrote "+out) {
		t.Errorf("stderr = %q", r.stderr)
	}

	// An unwritable --out is an error of its own, not a usage error.
	r = runChecker(t, fakeRegistry(t), "grade", "--student", "alice", "--out", filepath.Join(dir, "missing", "r.md"), "01")
	if r.code != exitFailed || !strings.Contains(r.stderr, "write report") {
		t.Errorf("unwritable --out: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestGradeStudent(t *testing.T) {
	t.Setenv("SUDO_USER", "bob")
	t.Setenv("USER", "root")
	r := runChecker(t, fakeRegistry(t), "grade", "--format", "json", "01")
	var rep struct {
		Student string `json:"student"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Student != "bob" {
		t.Errorf("student = %q (%v), want the user behind sudo", rep.Student, err)
	}

	t.Setenv("SUDO_USER", "")
	t.Setenv("USER", "carol")
	r = runChecker(t, fakeRegistry(t), "grade", "--format", "json", "01")
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Student != "carol" {
		t.Errorf("student = %q (%v), want $USER without sudo", rep.Student, err)
	}

	t.Setenv("USER", "")
	if r := runChecker(t, fakeRegistry(t), "grade", "01"); r.code != exitUsage || !strings.Contains(r.stderr, "--student") {
		t.Errorf("no student: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestNotRootWarns(t *testing.T) {
	defer func(f func() int) { geteuid = f }(geteuid)
	geteuid = func() int { return 1000 }

	r := runChecker(t, fakeRegistry(t), "run", "01")
	if r.code != exitPassed || !strings.Contains(r.stderr, "not root") {
		t.Errorf("not root: exit %d, stderr %q; want a warning and the checks run", r.code, r.stderr)
	}
}
