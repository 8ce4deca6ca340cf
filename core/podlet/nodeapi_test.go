package podlet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
	"github.com/podlab/podlab/core/runtime"
)

// The node API against fakes: a runtime with one pod whose log files are
// in a temporary directory and whose exec knows four commands, cgroups
// from a map, an inspector that makes namespaces up, and an API server
// that knows one token.

const goodToken = "s3cret"

// fakeRuntime has pod "web" in default: init container setup (exited),
// app (running) and side (not started).
type fakeRuntime struct {
	mu     sync.Mutex
	dir    string
	pods   map[string]*runtime.PodState // by namespace/name
	states map[string]*runtime.State    // by uid/container
	execs  atomic.Int32
	// ttyEnded, if not nil, gets the exit code of each ExecTTY.
	ttyEnded chan int
}

func newFakeRuntime(t *testing.T) *fakeRuntime {
	self, err := proc.ReadStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	ps := &runtime.PodState{
		Pod: api.Pod{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default", UID: "uid-web"},
			Spec: api.PodSpec{
				InitContainers: []api.Container{{Name: "setup"}},
				Containers:     []api.Container{{Name: "app"}, {Name: "side"}},
			}},
		// A pause that lives as long as the test: this process.
		Pause:      runtime.Process{Pid: os.Getpid(), Start: self.StartTime},
		Cgroup:     "node1/pod-uid-web/pause",
		CreatedAt:  time.Now().Add(-time.Minute),
		Containers: map[string]string{"setup": "web-setup", "app": "web-app"},
	}
	return &fakeRuntime{
		dir:  t.TempDir(),
		pods: map[string]*runtime.PodState{"default/web": ps},
		states: map[string]*runtime.State{
			"uid-web/setup": {Spec: runtime.Spec{Name: "web-setup"}, Status: runtime.Exited, Cgroup: "node1/pod-uid-web/setup"},
			"uid-web/app": {Spec: runtime.Spec{Name: "web-app"}, Status: runtime.Running, Cgroup: "node1/pod-uid-web/app",
				Pid: 4242, CreatedAt: time.Now().Add(-time.Minute), StartedAt: time.Now().Add(-time.Minute)},
		},
	}
}

func (f *fakeRuntime) Sandboxes() ([]*runtime.PodState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var list []*runtime.PodState
	for _, ps := range f.pods {
		list = append(list, ps)
	}
	return list, nil
}

func (f *fakeRuntime) GetPodIn(namespace, name string) (*runtime.PodState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ps, ok := f.pods[namespace+"/"+name]; ok {
		return ps, nil
	}
	return nil, fmt.Errorf("pod %q: %w", name, runtime.ErrPodNotFound)
}

func (f *fakeRuntime) ContainerState(ps *runtime.PodState, container string) (*runtime.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.states[ps.Pod.UID+"/"+container]
	if !ok {
		return nil, fmt.Errorf("container %q has not been started: %w", container, runtime.ErrNotFound)
	}
	copy := *st
	return &copy, nil
}

func (f *fakeRuntime) setStatus(container string, s runtime.Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.states["uid-web/"+container].Status = s
}

func (f *fakeRuntime) LogPath(name string) string { return filepath.Join(f.dir, name+".log") }

func (f *fakeRuntime) Exec(ctx context.Context, st *runtime.State, argv []string, stdin, stdout, stderr *os.File) (int, error) {
	f.execs.Add(1)
	switch argv[0] {
	case "echo":
		fmt.Fprintln(stdout, strings.Join(argv[1:], " "))
		return 0, nil
	case "cat":
		io.Copy(stdout, stdin)
		return 0, nil
	case "fail":
		fmt.Fprintln(stdout, "trying")
		fmt.Fprintln(stderr, "failing")
		return 3, nil
	}
	return -1, fmt.Errorf("exec %q: not found in container %q", argv[0], st.Spec.Name)
}

// ExecTTY knows one command, term: it prints the terminal's size at start
// and each new size, echoes what is typed, and exits with 7 at the end of
// the input, or with 129 (SIGHUP) when the input fails. ttyEnded tells
// each end.
func (f *fakeRuntime) ExecTTY(ctx context.Context, st *runtime.State, argv []string, tty runtime.TTY) (int, error) {
	f.execs.Add(1)
	if argv[0] != "term" {
		return -1, fmt.Errorf("exec %q: not found in container %q", argv[0], st.Spec.Name)
	}
	code := f.term(tty)
	if f.ttyEnded != nil {
		f.ttyEnded <- code
	}
	return code, nil
}

func (f *fakeRuntime) term(tty runtime.TTY) int {
	fmt.Fprintf(tty.Output, "%dx%d\r\n", tty.Size.Width, tty.Size.Height)
	typed, inputErr := make(chan []byte), make(chan error, 1)
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := tty.Stdin.Read(buf)
			if n > 0 {
				typed <- bytes.Clone(buf[:n])
			}
			if err != nil {
				inputErr <- err
				return
			}
		}
	}()
	for {
		select {
		case size := <-tty.Resize:
			fmt.Fprintf(tty.Output, "%dx%d\r\n", size.Width, size.Height)
		case b := <-typed:
			tty.Output.Write(b)
		case err := <-inputErr:
			if err == io.EOF {
				return 7
			}
			return 128 + 1
		}
	}
}

// fakeCgroups counts its reads; its memory is a MiB per character of
// the cgroup's name, half of it the working set, and its CPU time what
// cpu says (nothing without it).
type fakeCgroups struct {
	mu    sync.Mutex
	reads map[string]int
	cpu   func() time.Duration
}

func (f *fakeCgroups) Usage(name string) (CgroupUsage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reads == nil {
		f.reads = map[string]int{}
	}
	f.reads[name]++
	u := CgroupUsage{Memory: uint64(len(name)) << 20, WorkingSet: uint64(len(name)) << 19}
	if f.cpu != nil {
		u.CPU = f.cpu()
	}
	return u, nil
}

func (f *fakeCgroups) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.reads {
		n += r
	}
	return n
}

// fakeInspector makes namespace inodes up from the PID.
type fakeInspector struct{ calls atomic.Int32 }

func (f *fakeInspector) Process(pid int, start uint64) (ProcessInspection, error) {
	f.calls.Add(1)
	return ProcessInspection{PID: pid, Alive: true, Namespaces: ns.Set{ns.Net: 1000, ns.Mount: uint64(pid)}}, nil
}

func (f *fakeInspector) Network(ps *runtime.PodState) (*NetworkInspection, error) {
	return &NetworkInspection{PodIP: ps.IP(), HostVeth: ps.Network.HostVeth, PodIfindex: 2}, nil
}

// fakeReviewServer is an API server that accepts goodToken on /version.
func fakeReviewServer(t *testing.T, reviews *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reviews.Add(1)
		if r.URL.Path != "/version" {
			http.Error(w, "not found", 404)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+goodToken {
			http.Error(w, `{"kind":"Status","code":401}`, 401)
			return
		}
		fmt.Fprintln(w, `{"gitVersion":"podlab-test"}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// nodeAPITest is a node API server over the fakes, serving on 127.0.0.1.
type nodeAPITest struct {
	*NodeAPIServer
	rt        *fakeRuntime
	cgroups   *fakeCgroups
	inspector *fakeInspector
	reviews   atomic.Int32
	addr      string
}

func newNodeAPITest(t *testing.T) *nodeAPITest {
	n := &nodeAPITest{rt: newFakeRuntime(t), cgroups: &fakeCgroups{}, inspector: &fakeInspector{}}
	srv, err := NewNodeAPIServer(NodeAPIConfig{NodeName: "node1", Runtime: n.rt, Cgroups: n.cgroups, NodeCgroup: "node1",
		Inspector: n.inspector, Reviewer: NewAPIServerReviewer(fakeReviewServer(t, &n.reviews).URL)})
	if err != nil {
		t.Fatal(err)
	}
	n.NodeAPIServer = srv
	srv.logPoll, srv.execDrain = 10*time.Millisecond, 100*time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return n
}

func (n *nodeAPITest) client(token string) *NodeClient { return NewNodeClient(n.addr, token) }

// do sends a request with a raw Authorization header ("" for none).
func (n *nodeAPITest) do(t *testing.T, method, path, auth string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+n.addr+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func (n *nodeAPITest) writeLog(t *testing.T, name, text string) {
	t.Helper()
	f, err := os.OpenFile(n.rt.LogPath(name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(text)
	f.Close()
}

// Without a token the API server accepts, every endpoint answers 401 with
// a Status, and nothing runs, is read or inspected; /healthz needs none.
func TestNodeAPIAuthentication(t *testing.T) {
	n := newNodeAPITest(t)
	n.writeLog(t, "web-app", "secret output\n")
	if code, body := n.do(t, "GET", "/healthz", "", nil); code != 200 || body != "ok\n" {
		t.Errorf("/healthz without a token: %d %q", code, body)
	}
	requests := []struct{ method, path string }{
		{"GET", "/containerLogs/default/web/app"},
		{"POST", "/exec/default/web/app?command=echo&command=hi"},
		{"GET", "/stats/summary"},
		{"GET", "/inspect/default/web"},
		{"GET", "/nonexistent"},
	}
	for _, auth := range []string{"", "Bearer wrong", "Basic " + goodToken, "Bearer", goodToken} {
		for _, r := range requests {
			code, body := n.do(t, r.method, r.path, auth, nil)
			var st status
			json.Unmarshal([]byte(body), &st)
			if code != 401 || st.Kind != "Status" || st.Reason != "Unauthorized" || st.Code != 401 || strings.Contains(body, "secret output") {
				t.Errorf("%s %s with Authorization %q: %d %s", r.method, r.path, auth, code, body)
			}
		}
	}
	if n.rt.execs.Load() != 0 || n.cgroups.count() != 0 || n.inspector.calls.Load() != 0 {
		t.Errorf("unauthenticated requests did something: %d execs, %d cgroup reads, %d inspections",
			n.rt.execs.Load(), n.cgroups.count(), n.inspector.calls.Load())
	}
	// A verdict is cached: "Bearer wrong" was asked about once.
	if got := n.reviews.Load(); got != 1 {
		t.Errorf("the API server was asked %d times about one bad token, want 1", got)
	}
	for range 3 {
		if code, body := n.do(t, "GET", "/containerLogs/default/web/app", "Bearer "+goodToken, nil); code != 200 || body != "secret output\n" {
			t.Errorf("logs with the good token: %d %q", code, body)
		}
	}
	if got := n.reviews.Load(); got != 2 {
		t.Errorf("the API server was asked %d times about two tokens, want 2", got)
	}
	_, err := n.client("wrong").Summary(context.Background())
	if !client.IsUnauthorized(err) {
		t.Errorf("client with a bad token: %v, want a 401 StatusError", err)
	}
}

// A verdict lasts the TTL; the cache never holds more than its bound; a
// failure to ask is not remembered.
func TestAPIServerReviewerCache(t *testing.T) {
	var reviews atomic.Int32
	srv := fakeReviewServer(t, &reviews)
	r := NewAPIServerReviewer(srv.URL + "/")
	now := time.Now()
	r.now, r.max = func() time.Time { return now }, 2
	ctx := context.Background()
	review := func(token string, want bool) {
		t.Helper()
		if good, err := r.Review(ctx, token); err != nil || good != want {
			t.Fatalf("Review(%q) = %v, %v; want %v", token, good, err, want)
		}
	}
	review(goodToken, true)
	review(goodToken, true)
	review("bad", false)
	review("bad", false)
	if reviews.Load() != 2 {
		t.Errorf("%d reviews for two tokens asked twice, want 2", reviews.Load())
	}
	now = now.Add(DefaultReviewTTL)
	review(goodToken, true)
	if reviews.Load() != 3 {
		t.Errorf("an expired verdict was used: %d reviews, want 3", reviews.Load())
	}
	for i := range 10 {
		review(fmt.Sprint("made-up-", i), false)
		if len(r.cache) > 2 {
			t.Fatalf("the cache holds %d verdicts, bound 2", len(r.cache))
		}
	}
	srv.Close()
	if _, err := r.Review(ctx, "another"); err == nil {
		t.Error("a review without an API server gave a verdict")
	}
	if _, cached := r.cache[sha256.Sum256([]byte("another"))]; cached {
		t.Error("a failed review was cached")
	}
}

func TestContainerLogs(t *testing.T) {
	n := newNodeAPITest(t)
	n.writeLog(t, "web-app", "one\ntwo\nthree\n")
	auth := "Bearer " + goodToken
	for _, tc := range []struct {
		path string
		code int
		want string // the body, or what the Status message contains
	}{
		{"/containerLogs/default/web/app", 200, "one\ntwo\nthree\n"},
		{"/containerLogs/default/web/app?tailLines=2", 200, "two\nthree\n"},
		{"/containerLogs/default/web/app?tailLines=0", 200, ""},
		{"/containerLogs/default/web/app?tailLines=9", 200, "one\ntwo\nthree\n"},
		{"/containerLogs/default/web/setup", 200, ""}, // exited, and wrote nothing
		{"/containerLogs/default/nope/app", 404, `pod \"nope\" in namespace \"default\" not found on node \"node1\"`},
		{"/containerLogs/dev/web/app", 404, `pod \"web\" in namespace \"dev\" not found`},
		{"/containerLogs/default/web/nope", 404, `container \"nope\" not found in pod \"web\"; its containers are setup, app, side`},
		{"/containerLogs/default/web/side", 400, `container \"side\" in pod \"web\" is waiting to start`},
		{"/containerLogs/default/web/app?previous=true", 400, `previous terminated container \"app\" in pod \"web\" not found`},
		{"/containerLogs/default/web/app?tailLines=-1", 400, "tailLines"},
		{"/containerLogs/default/web/app?follow=yes", 400, `follow: want true or false, not \"yes\"`},
	} {
		code, body := n.do(t, "GET", tc.path, auth, nil)
		if code != tc.code || (code == 200 && body != tc.want) || (code != 200 && !strings.Contains(body, tc.want)) {
			t.Errorf("GET %s: %d %s\nwant %d %s", tc.path, code, body, tc.code, tc.want)
		}
	}
}

func TestTailOffset(t *testing.T) {
	long := strings.Repeat("x", 5000) + "\n" + strings.Repeat("y", 5000) + "\nlast"
	for _, tc := range []struct {
		text string
		n    int
		want string
	}{
		{"a\nb\nc\n", 1, "c\n"},
		{"a\nb\nc\n", 2, "b\nc\n"},
		{"a\nb\nc\n", 3, "a\nb\nc\n"},
		{"a\nb\nc\n", 4, "a\nb\nc\n"},
		{"a\nb\nc", 1, "c"},
		{"a\nb\n\n", 1, "\n"},
		{"", 3, ""},
		{"a\n", 0, ""},
		{long, 2, strings.Repeat("y", 5000) + "\nlast"},
		{long, 1, "last"},
	} {
		r := strings.NewReader(tc.text)
		off, err := tailOffset(r, int64(len(tc.text)), tc.n)
		if err != nil || tc.text[off:] != tc.want {
			t.Errorf("last %d lines of %.20q: %.20q, %v; want %.20q", tc.n, tc.text, tc.text[off:], err, tc.want)
		}
	}
}

// syncBuffer is a bytes.Buffer that a follow writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// A follow sends the tail, then each new line as it comes, and ends once
// the container exited and the last line is sent; or when the client goes.
func TestContainerLogsFollow(t *testing.T) {
	n := newNodeAPITest(t)
	n.writeLog(t, "web-app", "old 1\nold 2\n")
	var out syncBuffer
	done := make(chan error)
	go func() {
		done <- n.client(goodToken).Logs(context.Background(), "default", "web", "app", LogOptions{Follow: true, TailLines: 1}, &out)
	}()
	waitFor(t, "the tail", func() bool { return out.String() == "old 2\n" })
	n.writeLog(t, "web-app", "new 1\n")
	waitFor(t, "a new line", func() bool { return out.String() == "old 2\nnew 1\n" })
	select {
	case err := <-done:
		t.Fatalf("the follow ended while the container runs: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	// The last words of a container that exits are not lost.
	n.writeLog(t, "web-app", "last\n")
	n.rt.setStatus("app", runtime.Exited)
	select {
	case err := <-done:
		if err != nil || out.String() != "old 2\nnew 1\nlast\n" {
			t.Errorf("follow: %v, %q", err, out.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the follow did not end when the container exited")
	}

	// A client that goes away ends its follow.
	n.rt.setStatus("app", runtime.Running)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		done <- n.client(goodToken).Logs(ctx, "default", "web", "app", LogOptions{Follow: true, TailLines: -1}, io.Discard)
	}()
	time.Sleep(30 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("cancelled follow: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled follow did not end")
	}
}

func TestFrames(t *testing.T) {
	var buf bytes.Buffer
	frames := []struct {
		ch      byte
		payload string
	}{{StreamStdout, "out"}, {StreamStderr, "err\n"}, {StreamStdin, ""}, {StreamExit, "3"}}
	for _, f := range frames {
		if err := WriteFrame(&buf, f.ch, []byte(f.payload)); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte{1, 0, 0, 0, 3, 'o', 'u', 't', 2, 0, 0, 0, 4}) {
		t.Errorf("frames on the wire: % x", buf.Bytes())
	}
	for _, want := range frames {
		ch, p, err := ReadFrame(&buf)
		if err != nil || ch != want.ch || string(p) != want.payload {
			t.Errorf("ReadFrame: %d %q %v; want %d %q", ch, p, err, want.ch, want.payload)
		}
	}
	if _, _, err := ReadFrame(&buf); err != io.EOF {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
	if _, _, err := ReadFrame(bytes.NewReader([]byte{1, 0, 0, 0, 9, 'x'})); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a cut frame: %v", err)
	}
	if _, _, err := ReadFrame(bytes.NewReader([]byte{1, 0xff, 0xff, 0xff, 0xff})); err == nil {
		t.Error("a 4 GiB frame was accepted")
	}
	if err := WriteFrame(io.Discard, 1, make([]byte, maxFrame+1)); err == nil {
		t.Error("an oversized frame was written")
	}
}

// A resize frame: channel 5, the size as JSON.
func TestResizeFrame(t *testing.T) {
	var buf bytes.Buffer
	WriteFrame(&buf, StreamResize, ResizePayload(runtime.TerminalSize{Width: 132, Height: 43}))
	want := append([]byte{5, 0, 0, 0, 25}, `{"width":132,"height":43}`...)
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("a resize frame on the wire: %q, want %q", buf.Bytes(), want)
	}
	ch, payload, err := ReadFrame(&buf)
	if err != nil || ch != StreamResize {
		t.Fatalf("ReadFrame: %d %v", ch, err)
	}
	if size, err := ParseResize(payload); err != nil || size != (runtime.TerminalSize{Width: 132, Height: 43}) {
		t.Errorf("ParseResize: %+v %v", size, err)
	}
	if _, err := ParseResize([]byte("132x43")); err == nil || !strings.Contains(err.Error(), `want {"width":COLUMNS,"height":ROWS}`) {
		t.Errorf("a resize frame that is not JSON: %v", err)
	}
}

// Exec on a terminal through the client: the size at start, a resize
// frame, typing and the exit code come through; stdout and stderr are
// one stream; a client that goes away hangs the terminal up.
func TestExecTTY(t *testing.T) {
	n := newNodeAPITest(t)
	n.rt.ttyEnded = make(chan int, 1)
	nc := n.client(goodToken)
	keyboard, typing := io.Pipe()
	resize := make(chan runtime.TerminalSize)
	var out, errw syncBuffer
	type result struct {
		code int
		err  error
	}
	done := make(chan result)
	go func() {
		code, err := nc.Exec(context.Background(), "default", "web", "app", ExecOptions{Command: []string{"term"},
			Stdin: keyboard, Stdout: &out, Stderr: &errw, TTY: true, Size: runtime.TerminalSize{Width: 80, Height: 24}, Resize: resize})
		done <- result{code, err}
	}()
	waitFor(t, "the size at start", func() bool { return out.String() == "80x24\r\n" })
	resize <- runtime.TerminalSize{Width: 100, Height: 30}
	waitFor(t, "the new size", func() bool { return strings.HasSuffix(out.String(), "100x30\r\n") })
	io.WriteString(typing, "typed")
	waitFor(t, "the typing", func() bool { return strings.HasSuffix(out.String(), "typed") })
	typing.Close()
	if r := <-done; r.code != 7 || r.err != nil || errw.String() != "" {
		t.Errorf("exec term: %d %v, stderr %q; want the exit code 7 and nothing on stderr", r.code, r.err, errw.String())
	}
	if code := <-n.rt.ttyEnded; code != 7 {
		t.Errorf("the terminal ended with %d, want 7 (end of input)", code)
	}

	// The client's context ends: Exec returns at once, and the node sees
	// the connection end without stdin closed: the user is gone.
	ctx, cancel := context.WithCancel(context.Background())
	keyboard, typing = io.Pipe()
	defer typing.Close()
	go func() {
		code, err := nc.Exec(ctx, "default", "web", "app", ExecOptions{Command: []string{"term"}, Stdin: keyboard, Stdout: io.Discard, TTY: true})
		done <- result{code, err}
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case r := <-done:
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("exec with its context cancelled: %d %v", r.code, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("exec went on after its context ended")
	}
	select {
	case code := <-n.rt.ttyEnded:
		if code != 129 {
			t.Errorf("the terminal of a client gone ended with %d, want 129 (hung up)", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the terminal of a client gone went on")
	}

	if _, err := nc.Exec(context.Background(), "default", "web", "app", ExecOptions{Command: []string{"term"}, Stdout: io.Discard, TTY: true}); err == nil || !strings.Contains(err.Error(), "a terminal needs stdin") {
		t.Errorf("a terminal without stdin: %v", err)
	}
}

// Exec through the client, plain and upgraded, and the plain protocol
// as curl would speak it.
func TestExec(t *testing.T) {
	n := newNodeAPITest(t)
	ctx := context.Background()
	nc := n.client(goodToken)
	exec := func(stdin io.Reader, command ...string) (int, string, string, error) {
		var out, errw bytes.Buffer
		code, err := nc.Exec(ctx, "default", "web", "app", ExecOptions{Command: command, Stdin: stdin, Stdout: &out, Stderr: &errw})
		return code, out.String(), errw.String(), err
	}
	if code, out, errw, err := exec(nil, "echo", "hello", "world"); err != nil || code != 0 || out != "hello world\n" || errw != "" {
		t.Errorf("echo: %d %q %q %v", code, out, errw, err)
	}
	if code, out, errw, err := exec(nil, "fail"); err != nil || code != 3 || out != "trying\n" || errw != "failing\n" {
		t.Errorf("fail: %d %q %q %v", code, out, errw, err)
	}
	if _, _, _, err := exec(nil, "vim"); err == nil || !strings.Contains(err.Error(), `exec "vim": not found in container "web-app"`) {
		t.Errorf("a command the container does not have: %v", err)
	}
	// Interactive: stdin over the upgraded connection.
	if code, out, _, err := exec(strings.NewReader("ping\npong\n"), "cat"); err != nil || code != 0 || out != "ping\npong\n" {
		t.Errorf("cat over an upgraded connection: %d %q %v", code, out, err)
	}
	pr, pw := io.Pipe()
	result := make(chan string)
	go func() { _, out, _, _ := exec(pr, "cat"); result <- out }()
	pw.Write([]byte("typed\n"))
	time.Sleep(20 * time.Millisecond)
	pw.Write([]byte("more\n"))
	pw.Close()
	if out := <-result; out != "typed\nmore\n" {
		t.Errorf("interactive cat: %q", out)
	}

	// Plain, with the request body as stdin.
	code, body := n.do(t, "POST", "/exec/default/web/app?command=cat&stdin=true", "Bearer "+goodToken, strings.NewReader("from the body"))
	r := strings.NewReader(body)
	ch1, out, err1 := ReadFrame(r)
	ch2, exit, err2 := ReadFrame(r)
	if code != 200 || err1 != nil || err2 != nil || ch1 != StreamStdout || string(out) != "from the body" || ch2 != StreamExit || string(exit) != "0" {
		t.Errorf("plain exec: %d %q", code, body)
	}

	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/exec/default/web/app", 400, "no command"},
		{"/exec/default/web/app?command=sh&tty=true&stdin=true", 400, "tty=true needs stdin=true on an upgraded connection"},
		{"/exec/default/web/app?command=sh&width=80&height=-1", 400, `height: want a number of characters, 0 to 65535, not \"-1\"`},
		{"/exec/default/web/setup?command=sh", 400, `container \"setup\" in pod \"web\" is not running (exited)`},
		{"/exec/default/web/side?command=sh", 400, "waiting to start"},
		{"/exec/default/web/nope?command=sh", 404, "its containers are setup, app, side"},
		{"/exec/default/nope/app?command=sh", 404, `pod \"nope\"`},
	} {
		code, body := n.do(t, "POST", tc.path, "Bearer "+goodToken, nil)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("POST %s: %d %s\nwant %d %s", tc.path, code, body, tc.code, tc.want)
		}
	}
	if code, _ := n.do(t, "GET", "/exec/default/web/app?command=echo", "Bearer "+goodToken, nil); code != 404 {
		t.Errorf("GET /exec: %d, want 404", code)
	}
}

// The summary: the Kubernetes field names, every cgroup read, and CPU
// rates measured over the rate window by a clock the test turns.
func TestStatsSummary(t *testing.T) {
	n := newNodeAPITest(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := t0
	var mu sync.Mutex
	n.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	n.sleep = func(_ context.Context, d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	// Every cgroup uses a fifth of a CPU.
	n.cgroups.cpu = func() time.Duration { return n.now().Sub(t0) / 5 }

	code, body := n.do(t, "GET", "/stats/summary", "Bearer "+goodToken, nil)
	for _, field := range []string{`"nodeName": "node1"`, `"podRef"`, `"uid": "uid-web"`, `"usageNanoCores"`,
		`"usageCoreNanoSeconds"`, `"workingSetBytes"`, `"usageBytes"`, `"time": "2026-01-02T03:04:05.25Z"`} {
		if code != 200 || !strings.Contains(body, field) {
			t.Errorf("summary: %d, no %s in\n%s", code, field, body)
		}
	}
	sum, err := n.client(goodToken).Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The first summary read each cgroup twice, 250 ms apart; this one's
	// first reading came at once after: too soon, so it read again after
	// the window.
	const rate = 200_000_000
	if c := sum.Node.CPU; c == nil || c.UsageNanoCores == nil || *c.UsageNanoCores != rate {
		t.Errorf("node CPU %+v, want %d nanocores", c, rate)
	}
	if len(sum.Pods) != 1 {
		t.Fatalf("pods %+v", sum.Pods)
	}
	p := sum.Pods[0]
	if p.PodRef != (PodReference{"web", "default", "uid-web"}) || p.Memory == nil || p.Memory.UsageBytes != uint64(len("node1/pod-uid-web"))<<20 {
		t.Errorf("pod %+v, memory %+v", p.PodRef, p.Memory)
	}
	// Only the running container.
	if len(p.Containers) != 1 || p.Containers[0].Name != "app" || p.Containers[0].CPU == nil ||
		*p.Containers[0].CPU.UsageNanoCores != rate || p.Containers[0].Memory.WorkingSetBytes != uint64(len("node1/pod-uid-web/app"))<<19 {
		t.Errorf("containers %+v", p.Containers)
	}
}

func TestCPURates(t *testing.T) {
	c := &cpuRates{last: map[string]cpuReading{}}
	t0 := time.Now()
	w := 250 * time.Millisecond
	if _, ok := c.rate("a", t0, time.Second, w); ok {
		t.Error("a rate from one reading")
	}
	if _, ok := c.rate("a", t0.Add(100*time.Millisecond), 2*time.Second, w); ok {
		t.Error("a rate over less than the window")
	}
	// The reading too soon was not kept: the rate is over 500 ms.
	if r, ok := c.rate("a", t0.Add(500*time.Millisecond), 1500*time.Millisecond, w); !ok || r != 1_000_000_000 {
		t.Errorf("rate %d %v, want one core", r, ok)
	}
	// A cgroup made anew has less CPU time: no rate, a new start.
	if _, ok := c.rate("a", t0.Add(time.Second), 10*time.Millisecond, w); ok {
		t.Error("a rate across a new cgroup")
	}
	c.forgetAllBut(map[string]bool{"b": true})
	if len(c.last) != 0 {
		t.Errorf("readings of gone cgroups kept: %v", c.last)
	}
}

func TestInspect(t *testing.T) {
	n := newNodeAPITest(t)
	ps, _ := n.rt.GetPodIn("default", "web")
	ps.Network = &network.Attachment{HostVeth: "veth12345678", IP: net.IPNet{IP: net.IPv4(10, 244, 1, 5), Mask: net.CIDRMask(24, 32)}}
	in, err := n.client(goodToken).Inspect(context.Background(), "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	if in.Sandbox.PID != os.Getpid() || !in.Sandbox.Alive || in.Sandbox.Cgroup != "node1/pod-uid-web/pause" || in.Sandbox.Namespaces[ns.Net] != 1000 {
		t.Errorf("sandbox %+v", in.Sandbox)
	}
	// setup exited, app runs, side never started.
	if len(in.Containers) != 2 || in.Containers[0].Name != "setup" || in.Containers[0].Alive || in.Containers[0].Status != "exited" ||
		in.Containers[1].Name != "app" || in.Containers[1].PID != 4242 || in.Containers[1].Namespaces[ns.Mount] != 4242 ||
		in.Containers[1].Cgroup != "node1/pod-uid-web/app" {
		t.Errorf("containers %+v", in.Containers)
	}
	if in.Network == nil || in.Network.PodIP != "10.244.1.5" || in.Network.HostVeth != "veth12345678" {
		t.Errorf("network %+v", in.Network)
	}
	_, body := n.do(t, "GET", "/inspect/default/web", "Bearer "+goodToken, nil)
	for _, field := range []string{`"sandbox"`, `"namespaces": {`, `"net": 1000`, `"mnt": 4242`, `"hostVeth": "veth12345678"`} {
		if !strings.Contains(body, field) {
			t.Errorf("no %s in\n%s", field, body)
		}
	}
	if _, err := n.client(goodToken).Inspect(context.Background(), "default", "nope"); !client.IsNotFound(err) {
		t.Errorf("inspect of a pod the node does not have: %v", err)
	}
}
