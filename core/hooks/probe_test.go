package hooks

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/podlab/podlab/core/api"
)

// fakeExec stands for the runtime: it answers each command with what
// answer says, and remembers when each command ran.
type fakeExec struct {
	mu     sync.Mutex
	answer func(argv []string, n int) (output string, code int) // n: how many times argv[0] ran before
	calls  map[string][]time.Time                               // by argv[0]
}

func newFakeExec(answer func(argv []string, n int) (string, int)) *fakeExec {
	return &fakeExec{answer: answer, calls: map[string][]time.Time{}}
}

func (f *fakeExec) exec(ctx context.Context, argv []string) (string, int, error) {
	f.mu.Lock()
	n := len(f.calls[argv[0]])
	f.calls[argv[0]] = append(f.calls[argv[0]], time.Now())
	answer := f.answer
	f.mu.Unlock()
	output, code := answer(argv, n)
	return output, code, nil
}

// count returns how many times command ran.
func (f *fakeExec) count(command string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls[command])
}

// times returns when command ran.
func (f *fakeExec) times(command string) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.calls[command]...)
}

// setAnswer changes the answers from now on.
func (f *fakeExec) setAnswer(answer func(argv []string, n int) (string, int)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = answer
}

// always answers every command with output and code.
func always(output string, code int) func([]string, int) (string, int) {
	return func([]string, int) (string, int) { return output, code }
}

// newServer starts an HTTP server on 127.0.0.1 and returns a container
// whose port "http" is the server's, and the target to probe it: the
// server stands for the pod.
func newServer(t *testing.T, h http.Handler) (*api.Container, Target) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	n, _ := strconv.Atoi(port)
	c := &api.Container{Name: "app", Ports: []api.ContainerPort{{Name: "http", ContainerPort: int32(n)}}}
	return c, Target{PodIP: "127.0.0.1"}
}

// httpProbe returns a defaulted httpGet probe of path on port.
func httpProbe(path string, port api.IntOrString) *api.Probe {
	return &api.Probe{ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Path: path, Port: port, Scheme: api.URISchemeHTTP}},
		TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3}
}

// execProbe returns a defaulted exec probe of argv.
func execProbe(argv ...string) *api.Probe {
	return &api.Probe{ProbeHandler: api.ProbeHandler{Exec: &api.ExecAction{Command: argv}},
		TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3}
}

func TestProbeHTTP(t *testing.T) {
	var mu sync.Mutex
	var seen *http.Request
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r
		mu.Unlock()
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/fail", http.StatusFound) })
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://elsewhere.invalid/", http.StatusFound)
	})
	c, target := newServer(t, mux)
	port := c.Ports[0].ContainerPort

	tests := []struct {
		name    string
		probe   *api.Probe
		result  Result
		message string
	}{
		{"200 on a named port", httpProbe("/healthz", api.FromString("http")), Success, ""},
		{"200 on a port number", httpProbe("/healthz?verbose=1", api.FromInt32(port)), Success, ""},
		{"404", httpProbe("/nothing", api.FromString("http")), Failure, "HTTP probe failed with statuscode: 404"},
		{"500", httpProbe("/fail", api.FromString("http")), Failure, "HTTP probe failed with statuscode: 500"},
		{"redirect on the same host is followed", httpProbe("/moved", api.FromString("http")), Failure, "HTTP probe failed with statuscode: 500"},
		{"redirect elsewhere is a 302: success", httpProbe("/away", api.FromString("http")), Success, ""},
		{"port name the container does not have", httpProbe("/", api.FromString("metrics")), Failure,
			`port "metrics" not found in the ports of container "app"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result, message := Probe(t.Context(), tt.probe, c, target)
			if result != tt.result || message != tt.message {
				t.Errorf("Probe = %s, %q; want %s, %q", result, message, tt.result, tt.message)
			}
		})
	}

	// The request carries the probe's headers; a Host header sets the host.
	p := httpProbe("/healthz", api.FromString("http"))
	p.HTTPGet.HTTPHeaders = []api.HTTPHeader{{Name: "X-Probe", Value: "liveness"}, {Name: "Host", Value: "web.example"}}
	if result, message := Probe(t.Context(), p, c, target); result != Success {
		t.Fatalf("Probe = %s, %q", result, message)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen.Header.Get("X-Probe") != "liveness" || seen.Host != "web.example" || seen.UserAgent() != "podlab-probe" {
		t.Errorf("request: host %q, headers %v", seen.Host, seen.Header)
	}
}

func TestProbeHTTPConnectionRefused(t *testing.T) {
	c, target := newServer(t, http.NotFoundHandler())
	port := freePort(t)
	result, message := Probe(t.Context(), httpProbe("/", api.FromInt32(port)), c, target)
	if result != Failure || !strings.Contains(message, "connection refused") {
		t.Errorf("Probe = %s, %q; want Failure, connection refused", result, message)
	}
}

// A server that does not answer within timeoutSeconds fails the probe.
// This test takes the 1 s of the smallest timeout.
func TestProbeHTTPTimeout(t *testing.T) {
	c, target := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // hang until the prober gives up
	}))
	start := time.Now()
	result, message := Probe(t.Context(), httpProbe("/slow", api.FromString("http")), c, target)
	want := "GET http://127.0.0.1:" + strconv.Itoa(int(c.Ports[0].ContainerPort)) + "/slow timed out after 1s"
	if result != Failure || message != want {
		t.Errorf("Probe = %s, %q; want Failure, %q", result, message, want)
	}
	if d := time.Since(start); d < time.Second || d > 5*time.Second {
		t.Errorf("Probe took %v, want about 1s", d)
	}
}

func TestProbeTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	port := int32(l.Addr().(*net.TCPAddr).Port)
	c := &api.Container{Name: "db", Ports: []api.ContainerPort{{Name: "sql", ContainerPort: port}}}
	tcpProbe := func(host string, port api.IntOrString) *api.Probe {
		p := execProbe()
		p.ProbeHandler = api.ProbeHandler{TCPSocket: &api.TCPSocketAction{Port: port, Host: host}}
		return p
	}
	for _, tt := range []struct {
		name    string
		probe   *api.Probe
		result  Result
		message string // a part of it
	}{
		{"named port", tcpProbe("", api.FromString("sql")), Success, ""},
		{"port number and host", tcpProbe("127.0.0.1", api.FromInt32(port)), Success, ""},
		{"nobody listens", tcpProbe("", api.FromInt32(freePort(t))), Failure, "connection refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			result, message := Probe(t.Context(), tt.probe, c, Target{PodIP: "127.0.0.1"})
			if result != tt.result || !strings.Contains(message, tt.message) {
				t.Errorf("Probe = %s, %q; want %s, %q", result, message, tt.result, tt.message)
			}
		})
	}
}

// A Target's Dial opens the connections of the httpGet and tcpSocket
// handlers, of probes and hooks: here it takes those meant for the pod's
// IP to the server on 127.0.0.1, as a podlet outside its node's network
// namespace dials from inside it.
func TestTargetDial(t *testing.T) {
	c, local := newServer(t, http.NotFoundHandler())
	port, _ := c.PortByName("http")
	var mu sync.Mutex
	var dialed []string
	target := Target{PodIP: "192.0.2.1", Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort(local.PodIP, strconv.Itoa(int(port))))
	}}
	tcp := execProbe()
	tcp.ProbeHandler = api.ProbeHandler{TCPSocket: &api.TCPSocketAction{Port: api.FromString("http")}}
	if result, message := Probe(t.Context(), tcp, c, target); result != Success {
		t.Errorf("tcpSocket probe: %s, %q", result, message)
	}
	if result, message := Probe(t.Context(), httpProbe("/", api.FromString("http")), c, target); result != Failure ||
		message != "HTTP probe failed with statuscode: 404" {
		t.Errorf("httpGet probe: %s, %q; want the server's 404", result, message)
	}
	hook := &api.LifecycleHandler{HTTPGet: &api.HTTPGetAction{Port: api.FromString("http")}}
	if err := Run(t.Context(), hook, c, target); err != nil {
		t.Errorf("httpGet hook: %v", err)
	}
	want := "192.0.2.1:" + strconv.Itoa(int(port))
	mu.Lock()
	defer mu.Unlock()
	if len(dialed) != 3 || dialed[0] != want || dialed[1] != want || dialed[2] != want {
		t.Errorf("dialed %q, want %q three times", dialed, want)
	}
}

// freePort returns a port on 127.0.0.1 where nothing listens.
func freePort(t *testing.T) int32 {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return int32(l.Addr().(*net.TCPAddr).Port)
}

func TestProbeExec(t *testing.T) {
	c := &api.Container{Name: "app"}
	exec := newFakeExec(func(argv []string, n int) (string, int) {
		if argv[0] == "cat" {
			return "cat: can't open '/tmp/healthy': No such file or directory\n", 1
		}
		return "ok\n", 0
	})
	for _, tt := range []struct {
		name    string
		probe   *api.Probe
		result  Result
		message string
	}{
		{"exit 0", execProbe("true"), Success, "ok\n"},
		{"exit 1", execProbe("cat", "/tmp/healthy"), Failure,
			`command "cat /tmp/healthy" exited with code 1: "cat: can't open '/tmp/healthy': No such file or directory"`},
		{"no command", execProbe(), Failure, "exec probe has no command"},
		{"no handler", &api.Probe{TimeoutSeconds: 1}, Failure, "the probe has no handler: set exec, httpGet or tcpSocket"},
		{"no probe", nil, Success, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			result, message := Probe(t.Context(), tt.probe, c, Target{Exec: exec.exec})
			if result != tt.result || message != tt.message {
				t.Errorf("Probe = %s, %q; want %s, %q", result, message, tt.result, tt.message)
			}
		})
	}

	broken := func(ctx context.Context, argv []string) (string, int, error) {
		return "", -1, errors.New(`exec "check": not found in container "app"`)
	}
	if result, message := Probe(t.Context(), execProbe("check"), c, Target{Exec: broken}); result != Failure ||
		message != `exec "check": not found in container "app"` {
		t.Errorf("command that cannot run: Probe = %s, %q", result, message)
	}
}

// A command that runs longer than timeoutSeconds fails the probe, whether
// Exec ends it when ctx ends or not.
func TestProbeExecTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &api.Container{Name: "app"}
		honours := func(ctx context.Context, argv []string) (string, int, error) {
			<-ctx.Done()
			return "", -1, ctx.Err()
		}
		release := make(chan struct{})
		ignores := func(ctx context.Context, argv []string) (string, int, error) {
			<-release
			return "", 0, nil
		}
		p := execProbe("sleep", "10")
		p.TimeoutSeconds = 3
		for name, exec := range map[string]func(context.Context, []string) (string, int, error){"honours ctx": honours, "ignores ctx": ignores} {
			start := time.Now()
			result, message := Probe(t.Context(), p, c, Target{Exec: exec})
			if want := `command "sleep 10" timed out after 3s`; result != Failure || message != want {
				t.Errorf("%s: Probe = %s, %q; want Failure, %q", name, result, message, want)
			}
			if d := time.Since(start); d != 3*time.Second {
				t.Errorf("%s: Probe took %v, want 3s", name, d)
			}
		}
		close(release)
	})
}

func TestInitialResult(t *testing.T) {
	for kind, want := range map[ProbeKind]Result{Startup: Unknown, Liveness: Success, Readiness: Failure} {
		if got := kind.InitialResult(); got != want {
			t.Errorf("%s.InitialResult() = %s, want %s", kind, got, want)
		}
	}
}
