package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/apiserver"
	"github.com/podlab/podlab/core/client"
)

// TestRestartKeepsObjects is the acceptance test "podlab-server restarted:
// every object is still there", on the real binary: objects written
// through the API come back with the same uid and resourceVersion, and the
// admin token stays the same.
func TestRestartKeepsObjects(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "podlab-server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dataDir := t.TempDir()
	listen := freeAddr(t)
	args := []string{"--data-dir", dataDir, "--listen", listen,
		"--etcd-client-url", "http://" + freeAddr(t), "--etcd-peer-url", "http://" + freeAddr(t)}
	ctx := context.Background()

	srv := startServer(t, bin, listen, args)
	token := checkAPI(t, listen, dataDir)
	c := adminClient(t, dataDir)
	ns, err := c.Namespaces().Create(ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "lab"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Deployments("lab").Create(ctx, &api.Deployment{
		ObjectMeta: api.ObjectMeta{Name: "web"},
		Spec: api.DeploymentSpec{
			Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "hello"}}},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.stop(t)

	srv = startServer(t, bin, listen, args)
	if again := checkAPI(t, listen, dataDir); again != token {
		t.Errorf("the admin token changed across a restart")
	}
	c = adminClient(t, dataDir)
	ns2, err := c.Namespaces().Get(ctx, "lab")
	if err != nil || ns2.UID != ns.UID || ns2.ResourceVersion != ns.ResourceVersion {
		t.Errorf("after restart namespace lab = %+v, %v; want uid %s at %s", ns2, err, ns.UID, ns.ResourceVersion)
	}
	d2, err := c.Deployments("lab").Get(ctx, "web")
	if err != nil || d2.UID != d.UID || d2.ResourceVersion != d.ResourceVersion {
		t.Errorf("after restart deployment lab/web = %+v, %v; want uid %s at %s", d2, err, d.UID, d.ResourceVersion)
	}
	srv.stop(t)
}

// adminClient is a client with the admin.conf the server writes once it
// is ready, a moment after /healthz answers.
func adminClient(t *testing.T, dataDir string) *client.Client {
	t.Helper()
	var cfg client.Config
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if cfg, err = client.LoadConfig(filepath.Join(dataDir, "admin.conf")); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOnlyServerLinksEtcdServer: the pod-side binaries must stay small and
// start fast (DESIGN.md), so only podlab-server may link etcd's server;
// podlab, pause, checker and the labs talk to it over HTTP.
func TestOnlyServerLinksEtcdServer(t *testing.T) {
	deps := func(pkgs ...string) string {
		cmd := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...)
		cmd.Dir = "../.."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkgs, err)
		}
		return string(out)
	}
	const etcdServer = "go.etcd.io/etcd/server/"
	if !strings.Contains(deps("./cmd/podlab-server"), etcdServer) {
		t.Fatalf("podlab-server does not link %s: this test checks nothing", etcdServer)
	}
	// Every other binary, the lab binaries included, one at a time so the
	// error names the culprit.
	cmd := exec.Command("go", "list", "./cmd/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./cmd/...: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasSuffix(pkg, "/cmd/podlab-server") {
			continue
		}
		if strings.Contains(deps(pkg), "\n"+etcdServer) {
			t.Errorf("%s links %s: only podlab-server may", pkg, etcdServer)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--pod-cidr", "10.244.0.0/33"}, `--pod-cidr "10.244.0.0/33": not a CIDR`},
		{[]string{"--service-cidr", "10.96.0.1/16"}, "did you mean 10.96.0.0/16?"},
		{[]string{"--pod-cidr", "fd00::/64"}, "only IPv4"},
		{[]string{"--service-cidr", "10.0.0.0/8"}, "overlaps"},
		{[]string{"--no-such-flag"}, "no-such-flag"},
		{[]string{"serve"}, `unexpected argument "serve"`},
	} {
		var stderr bytes.Buffer
		// --data-dir points nowhere writable: nothing may start.
		args := append([]string{"podlab-server", "--data-dir", "/nonexistent/podlab"}, tc.args...)
		code := run(context.Background(), args, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("podlab-server %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tc.args, " "), code, stderr.String(), tc.want)
		}
	}
}

// freeAddr returns a loopback host:port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type server struct {
	cmd    *exec.Cmd
	exited chan struct{}
	log    string // the server's stderr
}

// startServer runs the binary and returns once /healthz answers "ok". The
// server is killed when the test ends, if it still runs.
func startServer(t *testing.T, bin, listen string, args []string) *server {
	t.Helper()
	log, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	s := &server{cmd: exec.Command(bin, args...), exited: make(chan struct{}), log: log.Name()}
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})

	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + listen + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-s.exited:
			t.Fatalf("podlab-server exited before it was healthy: %v\n%s", s.cmd.ProcessState, s.output())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("podlab-server not healthy after 30s\n%s", s.output())
		}
	}
}

// stop sends SIGTERM and expects a clean exit 0.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("podlab-server still running 20s after SIGTERM\n%s", s.output())
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("podlab-server exited %d after SIGTERM, want 0\n%s", code, s.output())
	}
}

func (s *server) output() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// checkAPI checks that the server generated its admin token and accepts it,
// and only it, on /version. It returns the token.
func checkAPI(t *testing.T, listen, dataDir string) string {
	t.Helper()
	tokens, err := apiserver.LoadTokens(filepath.Join(dataDir, "tokens.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var token string
	for tok, user := range tokens {
		if user == "admin" {
			token = tok
		}
	}
	if token == "" {
		t.Fatalf("no admin token in the token file: %v", tokens)
	}
	for _, tc := range []struct {
		token string
		code  int
	}{{token, http.StatusOK}, {"wrong", http.StatusUnauthorized}} {
		req, _ := http.NewRequest("GET", "http://"+listen+"/version", nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("GET /version with token %q: %d, want %d", tc.token, resp.StatusCode, tc.code)
		}
	}
	return token
}
