package steps

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testEnv gives each test its own podlab: records go to a temporary
// directory, the root check is off, and no locale leaks in from the host.
func testEnv(t *testing.T) {
	t.Helper()
	t.Setenv("PODLAB_RUN", t.TempDir())
	t.Setenv("PODLAB_STEPS_NOROOT", "1")
	for _, key := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		t.Setenv(key, "")
	}
}

// undoLog is a fake Lab.Undo that remembers what it removed, in order.
// A resource listed in fail ("netns/b") fails to be removed.
type undoLog struct {
	removed []string
	fail    map[string]error
}

func (u *undoLog) undo() map[string]func(context.Context, string) error {
	m := map[string]func(context.Context, string) error{}
	for _, kind := range []string{"container", "netns", "veth"} {
		m[kind] = func(_ context.Context, name string) error {
			id := kind + "/" + name
			if err := u.fail[id]; err != nil {
				return err
			}
			u.removed = append(u.removed, id)
			return nil
		}
	}
	return m
}

func testLab(u *undoLog, steps ...Step) Lab {
	return Lab{
		Number: "01",
		Name:   "container-is-a-process",
		Title:  T("A container is a process", "容器就是一个进程"),
		Steps:  steps,
		Undo:   u.undo(),
	}
}

// create is a step that records making one resource.
func create(kind, name string) Step {
	return Step{
		Title: T("Create "+kind+" "+name, "创建 "+kind+" "+name),
		Run:   func(r *Run) error { return r.Created(kind, name) },
	}
}

// never is a step the test expects not to run.
func never(t *testing.T) Step {
	return Step{Title: T("Never", "从不"), Run: func(*Run) error {
		t.Error("a step ran after the lab should have stopped")
		return nil
	}}
}

type result struct {
	code           int
	stdout, stderr string
}

func runLab(ctx context.Context, lab Lab, stdin io.Reader, args ...string) result {
	var stdout, stderr bytes.Buffer
	code := run(ctx, lab, append([]string{lab.binary()}, args...), stdin, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

func noInput() io.Reader { return strings.NewReader("") }

func wantCode(t *testing.T, res result, want int) {
	t.Helper()
	if res.code != want {
		t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, want, res.stdout, res.stderr)
	}
}

func wantRemoved(t *testing.T, u *undoLog, want ...string) {
	t.Helper()
	if !slices.Equal(u.removed, want) {
		t.Fatalf("removed %q, want %q", u.removed, want)
	}
}

func wantNoRecord(t *testing.T) {
	t.Helper()
	if rec, err := Record("01"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("record still there: %+v (err %v)", rec, err)
	}
}

func wantRecorded(t *testing.T, want ...Resource) {
	t.Helper()
	rec, err := Record("01")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.Resources, want) {
		t.Fatalf("recorded %v, want %v", rec.Resources, want)
	}
}

func TestJSONPrintsOneObjectPerStep(t *testing.T) {
	testEnv(t)
	u := &undoLog{}
	lab := testLab(u,
		Step{
			Title:   T("Start a process in new namespaces", "在新的命名空间中启动进程"),
			Command: "unshare --pid --fork sh",
			Why:     T("It is an ordinary process.", "它只是一个普通进程。"),
			Run: func(r *Run) error {
				r.Value("host PID", 4242)
				r.Value("PID inside", 1)
				r.Command("nsenter -t %d -u hostname", 4242)
				r.Say(T("Two PIDs, one process.", "两个 PID，同一个进程。"))
				return r.Created("container", "lab01")
			},
		},
		Step{
			Title: T("Look at it", "看看它"),
			Run: func(r *Run) error {
				r.Value("waited", 1500*time.Millisecond)
				r.Value("ip", net.ParseIP("10.244.1.2"))
				return nil
			},
		},
	)
	res := runLab(context.Background(), lab, noInput(), "--json")
	wantCode(t, res, 0)

	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines, got %d:\n%s", len(lines), res.stdout)
	}
	var got []stepReport
	for _, line := range lines {
		var fields map[string]any
		if err := json.Unmarshal([]byte(line), &fields); err != nil {
			t.Fatalf("line is not JSON: %v\n%s", err, line)
		}
		for _, key := range []string{"lab", "step", "title", "command", "commands", "values", "say", "why", "ok", "error", "duration_ms"} {
			if _, ok := fields[key]; !ok {
				t.Errorf("line has no %q: %s", key, line)
			}
		}
		var rep stepReport
		if err := json.Unmarshal([]byte(line), &rep); err != nil {
			t.Fatal(err)
		}
		got = append(got, rep)
	}

	first := got[0]
	if first.Lab != "01" || first.Step != 1 || !first.OK || first.Error != "" ||
		first.Title != "Start a process in new namespaces" || first.Command != "unshare --pid --fork sh" ||
		first.Why != "It is an ordinary process." {
		t.Errorf("step 1 = %+v", first)
	}
	wantValues := []namedValue{{"host PID", float64(4242)}, {"PID inside", float64(1)}}
	if !slices.Equal(first.Values, wantValues) {
		t.Errorf("step 1 values %v, want %v (in order)", first.Values, wantValues)
	}
	if !slices.Equal(first.Commands, []string{"nsenter -t 4242 -u hostname"}) {
		t.Errorf("step 1 commands %q", first.Commands)
	}
	if !slices.Equal(first.Say, []string{"Two PIDs, one process."}) {
		t.Errorf("step 1 say %q", first.Say)
	}
	// Values are shown as a person reads them, not as Go stores them.
	wantValues = []namedValue{{"waited", "1.5s"}, {"ip", "10.244.1.2"}}
	if got[1].Step != 2 || !slices.Equal(got[1].Values, wantValues) {
		t.Errorf("step 2 = %+v, want values %v", got[1], wantValues)
	}
	if strings.Contains(res.stdout, "━━") || strings.Contains(res.stdout, "✓") {
		t.Errorf("human text on stdout in --json mode:\n%s", res.stdout)
	}
}

func TestJSONReportsAFailedStep(t *testing.T) {
	testEnv(t)
	u := &undoLog{}
	lab := testLab(u, create("container", "a"),
		Step{Title: T("Fail", "失败"), Run: func(*Run) error { return errors.New("boom") }},
		never(t))
	res := runLab(context.Background(), lab, noInput(), "--json")
	wantCode(t, res, 1)

	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("want a line for each step that ran (2), got:\n%s", res.stdout)
	}
	var rep stepReport
	if err := json.Unmarshal([]byte(lines[1]), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Error != "boom" || rep.Step != 2 {
		t.Errorf("failed step reported as %+v", rep)
	}
	// The rollback is still told, on stderr.
	if !strings.Contains(res.stderr, `removed container "a"`) {
		t.Errorf("stderr does not tell the rollback:\n%s", res.stderr)
	}
	wantRemoved(t, u, "container/a")
}

func TestFailedStepRollsBackInReverse(t *testing.T) {
	testEnv(t)
	u := &undoLog{}
	lab := testLab(u,
		create("container", "a"),
		Step{Title: T("Two more", "再两个"), Run: func(r *Run) error {
			if err := r.Created("netns", "b"); err != nil {
				return err
			}
			if err := r.Created("veth", "c"); err != nil {
				return err
			}
			return errors.New("boom")
		}},
		never(t))
	res := runLab(context.Background(), lab, noInput(), "--auto")
	wantCode(t, res, 1)
	wantRemoved(t, u, "veth/c", "netns/b", "container/a")
	wantNoRecord(t)
	if !strings.Contains(res.stdout, "✗ boom") || !strings.Contains(res.stdout, "Step 2 failed") {
		t.Errorf("the failure is not shown:\n%s", res.stdout)
	}
}

func TestFailedUndoIsReportedAndTheRestStillRuns(t *testing.T) {
	testEnv(t)
	u := &undoLog{fail: map[string]error{"netns/b": errors.New("device or resource busy")}}
	lab := testLab(u, create("container", "a"), create("netns", "b"), create("veth", "c"),
		Step{Title: T("Fail", "失败"), Run: func(*Run) error { return errors.New("boom") }})
	res := runLab(context.Background(), lab, noInput(), "--auto")
	wantCode(t, res, 1)
	wantRemoved(t, u, "veth/c", "container/a")
	if !strings.Contains(res.stdout, `✗ remove netns "b": device or resource busy`) {
		t.Errorf("the failed undo is not reported:\n%s", res.stdout)
	}
	// What could not be removed stays recorded, so --cleanup can retry.
	wantRecorded(t, Resource{"netns", "b"})

	u.fail = nil
	res = runLab(context.Background(), lab, noInput(), "--cleanup")
	wantCode(t, res, 0)
	wantRemoved(t, u, "veth/c", "container/a", "netns/b")
	wantNoRecord(t)
}

func TestSuccessLeavesTheRecord(t *testing.T) {
	testEnv(t)
	u := &undoLog{}
	lab := testLab(u,
		Step{Title: T("Create", "创建"), Run: func(r *Run) error {
			for _, name := range []string{"a", "a"} { // the same resource twice is recorded once
				if err := r.Created("container", name); err != nil {
					return err
				}
			}
			return r.Created("netns", "b")
		}})
	lab.After = T("Now run: checker run 01", "接下来运行：checker run 01")
	before := time.Now().Add(-time.Second)
	res := runLab(context.Background(), lab, noInput())
	wantCode(t, res, 0)
	wantRemoved(t, u) // nothing undone: the result is left running
	wantRecorded(t, Resource{"container", "a"}, Resource{"netns", "b"})
	if !strings.Contains(res.stdout, "Now run: checker run 01") {
		t.Errorf("After is not printed:\n%s", res.stdout)
	}
	if strings.Contains(res.stdout, "Press Enter") {
		t.Errorf("paused although stdin and stdout are not terminals:\n%s", res.stdout)
	}

	// The file itself, as "podlab down" or a student reads it.
	data, err := os.ReadFile(recordPath("01"))
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Lab, Name, Started string
		Resources          []map[string]string
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	started, err := time.Parse(time.RFC3339, raw.Started)
	if err != nil || started.Before(before) || started.After(time.Now()) {
		t.Errorf("started = %q (%v), want RFC3339 time of this run", raw.Started, err)
	}
	if raw.Lab != "01" || raw.Name != "container-is-a-process" || len(raw.Resources) != 2 ||
		raw.Resources[0]["kind"] != "container" || raw.Resources[0]["name"] != "a" {
		t.Errorf("record file:\n%s", data)
	}
}

func TestCreatedIsWrittenBeforeItReturns(t *testing.T) {
	testEnv(t)
	u := &undoLog{}
	lab := testLab(u, Step{Title: T("Create", "创建"), Run: func(r *Run) error {
		if err := r.Created("container", "a"); err != nil {
			return err
		}
		// A crash here must still leave a record for --cleanup.
		wantRecorded(t, Resource{"container", "a"})
		return nil
	}})
	wantCode(t, runLab(context.Background(), lab, noInput()), 0)
}

func TestCreatedRefusesAKindWithoutUndo(t *testing.T) {
	testEnv(t)
	u := &undoLog{}
	lab := testLab(u, create("container", "a"), create("cgroup", "x"), never(t))
	res := runLab(context.Background(), lab, noInput())
	wantCode(t, res, 1)
	if !strings.Contains(res.stdout, `no undo for kind "cgroup"`) {
		t.Errorf("the missing undo is not named:\n%s", res.stdout)
	}
	wantRemoved(t, u, "container/a")
	wantNoRecord(t)
}

func TestCleanupUndoesInReverseAndDeletesTheRecord(t *testing.T) {
	testEnv(t)
	u := &undoLog{}
	runs := 0
	lab := testLab(u, create("container", "a"), create("netns", "b"),
		Step{Title: T("Count", "计数"), Run: func(*Run) error { runs++; return nil }})
	wantCode(t, runLab(context.Background(), lab, noInput()), 0)

	res := runLab(context.Background(), lab, noInput(), "--cleanup")
	wantCode(t, res, 0)
	if runs != 1 {
		t.Errorf("--cleanup ran the steps")
	}
	wantRemoved(t, u, "netns/b", "container/a")
	wantNoRecord(t)
	if !strings.Contains(res.stdout, `removed netns "b"`) {
		t.Errorf("removals are not printed:\n%s", res.stdout)
	}

	res = runLab(context.Background(), lab, noInput(), "--cleanup")
	wantCode(t, res, 0)
	if !strings.Contains(res.stdout, "nothing to clean up") {
		t.Errorf("second --cleanup says:\n%s", res.stdout)
	}
	wantRemoved(t, u, "netns/b", "container/a")
}

func TestCleanupAndRecordForOtherTools(t *testing.T) {
	testEnv(t)
	u := &undoLog{}
	lab := testLab(u, create("container", "a"), create("veth", "c"))
	wantCode(t, runLab(context.Background(), lab, noInput()), 0)

	rec, err := Record("01")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Lab != "01" || rec.Name != "container-is-a-process" || rec.Started.IsZero() || len(rec.Resources) != 2 {
		t.Errorf("Record = %+v", rec)
	}
	var out bytes.Buffer
	if err := Cleanup(context.Background(), "01", u.undo(), &out); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, u, "veth/c", "container/a")
	wantNoRecord(t)
	if !strings.Contains(out.String(), `removed veth "c"`) {
		t.Errorf("Cleanup printed:\n%s", out.String())
	}
}

func TestSecondRunUndoesThePreviousOneFirst(t *testing.T) {
	testEnv(t)
	var events []string
	undo := map[string]func(context.Context, string) error{
		"container": func(_ context.Context, name string) error {
			events = append(events, "undo "+name)
			return nil
		},
	}
	lab := Lab{Number: "01", Name: "twice", Title: T("Twice", "两次"), Undo: undo, Steps: []Step{{
		Title: T("Start", "启动"),
		Run: func(r *Run) error {
			events = append(events, "run")
			return r.Created("container", "lab01")
		},
	}}}
	wantCode(t, runLab(context.Background(), lab, noInput()), 0)
	res := runLab(context.Background(), lab, noInput())
	wantCode(t, res, 0)

	if want := []string{"run", "undo lab01", "run"}; !slices.Equal(events, want) {
		t.Fatalf("events %q, want %q", events, want)
	}
	if !strings.Contains(res.stdout, "previous run") {
		t.Errorf("the second run does not say it undoes the first:\n%s", res.stdout)
	}
	wantRecorded(t, Resource{"container", "lab01"})
}

func TestLangZhPrintsChinese(t *testing.T) {
	testEnv(t)
	u := &undoLog{}
	lab := testLab(u, Step{
		Title: T("Start a process", "启动一个进程"),
		Why:   T("It is a process.", "它是一个进程。"),
	})
	res := runLab(context.Background(), lab, noInput(), "--lang", "zh")
	wantCode(t, res, 0)
	for _, want := range []string{"容器就是一个进程", "启动一个进程", "它是一个进程。"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("no %q in:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "A container is a process") {
		t.Errorf("English title in a Chinese lesson:\n%s", res.stdout)
	}
}

func TestLangFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		lcAll, lcMessages, lang string
		want                    string
	}{
		{lang: "zh_CN.UTF-8", want: "zh"},
		{lang: "en_US.UTF-8", want: "en"},
		{want: "en"},
		{lcMessages: "zh_TW.UTF-8", lang: "en_US.UTF-8", want: "zh"},
		{lcAll: "C", lang: "zh_CN.UTF-8", want: "en"}, // LC_ALL wins
	} {
		t.Setenv("LC_ALL", tc.lcAll)
		t.Setenv("LC_MESSAGES", tc.lcMessages)
		t.Setenv("LANG", tc.lang)
		if got := langFromEnv(); got != tc.want {
			t.Errorf("LC_ALL=%q LC_MESSAGES=%q LANG=%q: %q, want %q", tc.lcAll, tc.lcMessages, tc.lang, got, tc.want)
		}
	}

	testEnv(t)
	t.Setenv("LANG", "zh_CN.UTF-8")
	res := runLab(context.Background(), testLab(&undoLog{}), noInput())
	wantCode(t, res, 0)
	if !strings.Contains(res.stdout, "容器就是一个进程") {
		t.Errorf("LANG=zh_CN.UTF-8 did not select Chinese:\n%s", res.stdout)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--lang", "fr"}, `invalid --lang "fr": allowed values are en, zh`},
		{[]string{"--auto", "--interactive"}, "cannot be used together"},
		{[]string{"--json", "--interactive"}, "--json never pauses"},
		{[]string{"--bogus"}, "bogus"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			testEnv(t)
			res := runLab(context.Background(), testLab(&undoLog{}, never(t)), noInput(), tc.args...)
			wantCode(t, res, 2)
			if !strings.Contains(res.stderr, tc.want) || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
				t.Errorf("stderr %q, want one line with %q", res.stderr, tc.want)
			}
		})
	}
}

func TestRefusesToRunWithoutRoot(t *testing.T) {
	testEnv(t)
	t.Setenv("PODLAB_STEPS_NOROOT", "")
	euid = func() int { return 1000 }
	t.Cleanup(func() { euid = os.Geteuid })

	res := runLab(context.Background(), testLab(&undoLog{}, never(t)), noInput())
	wantCode(t, res, 1)
	if !strings.Contains(res.stderr, "sudo lab01-container-is-a-process") {
		t.Errorf("stderr does not suggest sudo: %q", res.stderr)
	}
	if res.stdout != "" {
		t.Errorf("printed the lesson anyway:\n%s", res.stdout)
	}
}

func TestCtrlCUndoesAndExits130(t *testing.T) {
	// The step sees Ctrl-C through r.Ctx; whether it gives up with an
	// error or finishes anyway, the lab stops after it and undoes.
	for name, stepReturns := range map[string]func(r *Run) error{
		"step returns ctx error": func(r *Run) error { <-r.Ctx.Done(); return r.Ctx.Err() },
		"step finishes anyway":   func(*Run) error { return nil },
	} {
		t.Run(name, func(t *testing.T) {
			testEnv(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			u := &undoLog{}
			lab := testLab(u, create("container", "a"),
				Step{Title: T("Ctrl-C", "Ctrl-C"), Run: func(r *Run) error {
					if err := r.Created("netns", "b"); err != nil {
						return err
					}
					cancel() // what Main's signal handler does on SIGINT
					return stepReturns(r)
				}},
				never(t))
			res := runLab(ctx, lab, noInput(), "--auto")
			wantCode(t, res, 130)
			wantRemoved(t, u, "netns/b", "container/a")
			wantNoRecord(t)
			if !strings.Contains(res.stdout, "Interrupted") {
				t.Errorf("does not say it was interrupted:\n%s", res.stdout)
			}
		})
	}
}

// enterThenHang is a keyboard on which Enter is pressed once and then
// nobody types: the second read blocks until the test ends.
type enterThenHang struct {
	reads   atomic.Int32
	waiting chan struct{} // closed when the lab waits for the second Enter
	release chan struct{}
}

func (k *enterThenHang) Read(p []byte) (int, error) {
	if k.reads.Add(1) == 1 {
		p[0] = '\n'
		return 1, nil
	}
	close(k.waiting)
	<-k.release
	return 0, io.EOF
}

func TestCtrlCAtThePromptUndoesAtOnce(t *testing.T) {
	testEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	keyboard := &enterThenHang{waiting: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(func() { close(keyboard.release) })
	u := &undoLog{}
	lab := testLab(u, create("container", "a"), never(t))

	done := make(chan result, 1)
	go func() { done <- runLab(ctx, lab, keyboard, "--interactive") }()
	select {
	case <-keyboard.waiting:
	case res := <-done:
		t.Fatalf("lab ended without waiting for the second Enter:\n%s", res.stdout)
	case <-time.After(10 * time.Second):
		t.Fatal("lab never waited for the second Enter")
	}
	cancel()
	select {
	case res := <-done:
		wantCode(t, res, 130)
		wantRemoved(t, u, "container/a")
		wantNoRecord(t)
		if !strings.Contains(res.stdout, "Press Enter to run step 2") {
			t.Errorf("no second prompt:\n%s", res.stdout)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Ctrl-C at the prompt did not stop the lab")
	}
}

// keyboard feeds stdin one byte per read, so that the count of Enters
// read is exactly the count the lab asked for.
type keyboard struct {
	keys    *strings.Reader
	entered atomic.Int32
}

func (k *keyboard) Read(p []byte) (int, error) {
	n, err := k.keys.Read(p[:1])
	if n == 1 && p[0] == '\n' {
		k.entered.Add(1)
	}
	return n, err
}

func TestInteractiveWaitsForEnterBeforeEachStep(t *testing.T) {
	testEnv(t)
	keys := &keyboard{keys: strings.NewReader("\n\n")}
	var seen []int32 // Enters pressed when each step ran
	step := func(title string) Step {
		return Step{Title: T(title, title), Run: func(r *Run) error {
			seen = append(seen, keys.entered.Load())
			r.Value("ran", title)
			return nil
		}}
	}
	res := runLab(context.Background(), testLab(&undoLog{}, step("first"), step("second")), keys, "--interactive")
	wantCode(t, res, 0)
	if !slices.Equal(seen, []int32{1, 2}) {
		t.Errorf("Enters pressed when the steps ran: %v, want [1 2]", seen)
	}
	// The prompts come in order: prompt 1, step 1, prompt 2, step 2.
	var order []int
	for _, s := range []string{"Press Enter to run step 1…", "ran: first", "Press Enter to run step 2…", "ran: second"} {
		order = append(order, strings.Index(res.stdout, s))
	}
	if slices.Contains(order, -1) || !slices.IsSorted(order) {
		t.Errorf("prompts missing or out of order %v:\n%s", order, res.stdout)
	}
}

func TestHumanOutputReadsLikeTheLesson(t *testing.T) {
	testEnv(t)
	lab := testLab(&undoLog{}, Step{
		Title:   T("Start a process in new namespaces", ""),
		Command: "unshare --pid --uts --fork sh",
		Why:     T("The kernel, not a daemon, isolates it.", ""),
		Run: func(r *Run) error {
			r.Value("host PID", 4242)
			r.Command("nsenter -t %d -u hostname", 4242)
			return nil
		},
	})
	res := runLab(context.Background(), lab, noInput())
	wantCode(t, res, 0)
	want := []string{
		"━━ Lab 01 · A container is a process ━━",
		"[1/1] Start a process in new namespaces",
		"  $ unshare --pid --uts --fork sh",
		"  ✓ host PID: 4242",
		"  $ nsenter -t 4242 -u hostname",
		"  → why: The kernel, not a daemon, isolates it.",
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(res.stdout))
	for sc.Scan() {
		if slices.Contains(want, sc.Text()) {
			lines = append(lines, sc.Text())
		}
	}
	if !slices.Equal(lines, want) {
		t.Errorf("lesson lines %q, want %q\nstdout:\n%s", lines, want, res.stdout)
	}
	if strings.Contains(res.stdout, "\x1b[") {
		t.Errorf("colour codes although stdout is not a terminal:\n%q", res.stdout)
	}
}
