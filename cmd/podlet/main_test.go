package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
)

// parse runs the flags of args through optionsFrom.
func parse(t *testing.T, args ...string) (options, error) {
	t.Helper()
	var o options
	var err error
	app := &cli.App{Flags: flags, Writer: io.Discard, ErrWriter: io.Discard,
		Action: func(c *cli.Context) error { o, err = optionsFrom(c); return nil }}
	if runErr := app.Run(append([]string{"podlet"}, args...)); runErr != nil {
		t.Fatalf("flags %v: %v", args, runErr)
	}
	return o, err
}

func tokenFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUsageErrors(t *testing.T) {
	tok := tokenFile(t, "s3cret\n")
	good := []string{"--node-name", "node1", "--node-ip", "172.30.0.11", "--server", "http://127.0.0.1:1", "--token-file", tok}
	with := func(extra ...string) []string { return append(append([]string{}, good...), extra...) }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--node-ip", "172.30.0.11", "--server", "http://x", "--token-file", tok}, "--node-name is required"},
		{[]string{"--node-name", "node1", "--server", "http://x", "--token-file", tok}, "give the node's IP with --node-ip"},
		{with("--iface", "lo"), "not both"},
		{[]string{"--node-name", "n", "--node-ip", "fd00::1", "--server", "http://x", "--token-file", tok}, "not an IPv4 address"},
		{[]string{"--node-name", "n", "--iface", "nosuchif0", "--server", "http://x", "--token-file", tok}, `--iface "nosuchif0"`},
		{[]string{"--node-name", "n", "--node-ip", "10.0.0.1"}, "--server and --token-file, or a cluster config file with --config"},
		{[]string{"--node-name", "n", "--node-ip", "10.0.0.1", "--server", "http://x"}, "--server needs --token-file"},
		{[]string{"--node-name", "n", "--node-ip", "10.0.0.1", "--server", "x:6443", "--token-file", tok}, "not an http:// or https:// URL"},
		{[]string{"--node-name", "n", "--node-ip", "10.0.0.1", "--server", "http://x", "--token-file", tokenFile(t, "a b")}, "the token alone"},
		{[]string{"--node-name", "n", "--node-ip", "10.0.0.1", "--server", "http://x", "--token-file", "/nonexistent"}, "--token-file: open /nonexistent"},
		{[]string{"--node-name", "n", "--node-ip", "10.0.0.1", "--config", "/nonexistent"}, "no cluster config at /nonexistent"},
		{with("--cpus", "lots"), `--cpus "lots"`},
		{with("--cpus", "0"), `--cpus "0"`},
		{with("--memory", "-1Gi"), `--memory "-1Gi"`},
		{with("--max-pods", "0"), "--max-pods 0"},
		{with("--labels", "a=b,c"), `--labels: "c" is not KEY=VALUE`},
		{with("--labels", "kubernetes.io/hostname=x"), "is the podlet's to set"},
		{with("--labels", "bad key=x"), "metadata.labels"},
		{with("--heartbeat", "0s"), "--heartbeat 0s"},
		{with("--backend", "udp"), `--backend: unknown overlay backend "udp": choose one of alloc, host-gw, vxlan`},
		{with("--cluster-cidr", "10.244.1.0/16"), `--cluster-cidr "10.244.1.0/16"`},
		{with("--cluster-cidr", "fd00::/64"), `--cluster-cidr "fd00::/64"`},
		{[]string{"--node-name", "Node_1", "--node-ip", "10.0.0.1", "--server", "http://x", "--token-file", tok}, "metadata.name"},
		{with("extra"), `unexpected argument "extra"`},
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), append([]string{"podlet"}, tc.args...), &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	defer func(c func() int, m func() (int64, error)) { hostCPUs, hostMemory = c, m }(hostCPUs, hostMemory)
	hostCPUs = func() int { return 3 }
	hostMemory = func() (int64, error) { return 2048, nil }
	t.Setenv("PODLAB_RUN", "/tmp/podlab-run")
	o, err := parse(t, "--node-name", "node1", "--iface", "lo", "--server", "http://127.0.0.1:6443/",
		"--token-file", tokenFile(t, " tok\n"), "--labels", "zone=a, disktype=ssd")
	if err != nil {
		t.Fatal(err)
	}
	if o.node.IP.String() != "127.0.0.1" || o.node.CPU != "3" || o.node.Memory != "2048Ki" || o.node.MaxPods != 110 ||
		o.heartbeat != 10*time.Second || o.stateDir != "/tmp/podlab-run/nodes/node1" ||
		o.client.Token != "tok" || o.node.Labels["zone"] != "a" || o.node.Labels["disktype"] != "ssd" {
		t.Errorf("options %+v", o)
	}

	// --config, with --server winning over the file's.
	cfg := filepath.Join(t.TempDir(), "config")
	os.WriteFile(cfg, []byte("server: http://10.0.0.1:6443\ntoken: fromfile\n"), 0o600)
	o, err = parse(t, "--node-name", "node1", "--node-ip", "10.0.0.5", "--config", cfg, "--server", "http://10.0.0.2:6443",
		"--cpus", "1500m", "--memory", "1Gi", "--max-pods", "20", "--heartbeat", "1s", "--state-dir", "/tmp/x")
	if err != nil {
		t.Fatal(err)
	}
	if o.client.Server != "http://10.0.0.2:6443" || o.client.Token != "fromfile" || o.node.CPU != "1500m" ||
		o.node.Memory != "1Gi" || o.node.MaxPods != 20 || o.heartbeat != time.Second || o.stateDir != "/tmp/x" {
		t.Errorf("options %+v", o)
	}
}

func TestMemTotal(t *testing.T) {
	kib, err := memTotal()
	if err != nil || kib < 1024 {
		t.Fatalf("memTotal: %d KiB, %v", kib, err)
	}
}

// fakeAPI answers the node requests of the podlet as the API server does:
// create, get, and merge patch of the Node or its status. It keeps every
// Node as JSON.
type fakeAPI struct {
	*httptest.Server
	mu       sync.Mutex
	nodes    map[string]map[string]any
	requests []string // "METHOD path"
	tokens   map[string]bool
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{nodes: map[string]map[string]any{}, tokens: map[string]bool{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.tokens[r.Header.Get("Authorization")] = true
	body, _ := io.ReadAll(r.Body)
	fail := func(code int, reason string) {
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":%q,"code":%d,"message":%q}`, reason, code, reason)
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v1/nodes")
	if !ok {
		fail(http.StatusNotFound, "NotFound")
		return
	}
	name, sub, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	var doc map[string]any
	switch {
	case r.Method == "POST" && name == "":
		json.Unmarshal(body, &doc)
		name = doc["metadata"].(map[string]any)["name"].(string)
		if f.nodes[name] != nil {
			fail(http.StatusConflict, "AlreadyExists")
			return
		}
		doc["metadata"].(map[string]any)["creationTimestamp"] = time.Now().UTC().Format(time.RFC3339)
		f.nodes[name] = doc
		w.WriteHeader(http.StatusCreated)
	case f.nodes[name] == nil:
		fail(http.StatusNotFound, "NotFound")
		return
	case r.Method == "GET":
		doc = f.nodes[name]
	case r.Method == "PATCH":
		var patch map[string]any
		json.Unmarshal(body, &patch)
		if sub == "status" { // the status subresource changes only the status
			patch = map[string]any{"status": patch["status"]}
		} else {
			delete(patch, "status")
		}
		doc = api.MergePatch(f.nodes[name], patch).(map[string]any)
		f.nodes[name] = doc
	default:
		fail(http.StatusMethodNotAllowed, "MethodNotAllowed")
		return
	}
	json.NewEncoder(w).Encode(doc)
}

func (f *fakeAPI) node(name string) *api.Node {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.nodes[name] == nil {
		return nil
	}
	data, _ := json.Marshal(f.nodes[name])
	var n api.Node
	json.Unmarshal(data, &n)
	return &n
}

func (f *fakeAPI) count(request string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r == request {
			n++
		}
	}
	return n
}

// runPodlet runs the podlet until it has written n heartbeats, then stops
// it as SIGTERM would, and returns its log.
func runPodlet(t *testing.T, f *fakeAPI, n int, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log syncBuffer
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, append([]string{"podlet"}, args...), &log) }()
	before := f.count("PATCH /api/v1/nodes/node1/status")
	deadline := time.Now().Add(10 * time.Second)
	for f.count("PATCH /api/v1/nodes/node1/status") < before+n {
		select {
		case code := <-exited:
			t.Fatalf("podlet exited %d\n%s", code, log.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d heartbeats in 10s\n%s", n, log.String())
		}
	}
	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("podlet exited %d after SIGTERM, want 0\n%s", code, log.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("podlet still running 10s after SIGTERM")
	}
	return log.String()
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The podlet registers its Node, writes heartbeats, and exits 0 on
// SIGTERM leaving the Node; restarted, it updates the Node that exists and
// keeps the podCIDR the control plane gave it.
func TestRegistersAndHeartbeats(t *testing.T) {
	f := newFakeAPI(t)
	stateDir := filepath.Join(t.TempDir(), "nodes", "node1")
	args := []string{"--node-name", "node1", "--node-ip", "172.30.0.11", "--server", f.URL,
		"--token-file", tokenFile(t, "node1-token\n"), "--cpus", "2", "--memory", "1Gi",
		"--labels", "zone=a", "--heartbeat", "20ms", "--state-dir", stateDir, "--node-api-port", "0",
		"--backend", "alloc"} // no overlay: this test runs in the host's network namespace

	log := runPodlet(t, f, 2, args...)
	for _, want := range []string{"starting podlet", "node-name=node1", "heartbeat=20ms", "registered the node", "stopping: the Node stays"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "node1-token") {
		t.Errorf("the log shows the token:\n%s", log)
	}
	if !f.tokens["Bearer node1-token"] || len(f.tokens) != 1 {
		t.Errorf("Authorization headers %v", f.tokens)
	}
	if st, err := os.Stat(stateDir); err != nil || !st.IsDir() {
		t.Errorf("state dir: %v", err)
	}
	n := f.node("node1")
	if n == nil {
		t.Fatal("no Node")
	}
	if errs := api.Validate(n); len(errs) > 0 {
		t.Errorf("the Node is invalid: %v", errs)
	}
	if n.Labels["zone"] != "a" || n.Labels["kubernetes.io/hostname"] != "node1" ||
		n.Status.Capacity["memory"] != "1Gi" || n.Status.Addresses[0].Address != "172.30.0.11" ||
		n.Status.NodeInfo.KubeletVersion != "podlab-dev" || n.Status.NodeInfo.ContainerRuntimeVersion != "podlab://dev" {
		t.Errorf("Node %+v", n)
	}
	firstBeat := n.Status.Conditions[3].LastHeartbeatTime

	// The node IPAM controller gives the node its range; the podlet restarts.
	f.mu.Lock()
	f.nodes["node1"]["spec"] = map[string]any{"podCIDR": "10.244.0.0/24"}
	f.mu.Unlock()
	time.Sleep(time.Second) // times are in whole seconds
	log = runPodlet(t, f, 1, args...)
	if !strings.Contains(log, "registered already") {
		t.Errorf("log:\n%s", log)
	}
	n = f.node("node1")
	ready := n.Status.Conditions[3]
	if n.Spec.PodCIDR != "10.244.0.0/24" || ready.Type != api.NodeReady || ready.Status != api.ConditionTrue ||
		!ready.LastHeartbeatTime.After(firstBeat) {
		t.Errorf("after the restart: podCIDR %q, Ready %+v (first heartbeat %v)", n.Spec.PodCIDR, ready, firstBeat)
	}
	// One GET by the registration; the pod loop reads the Node too, for
	// its podCIDR.
	if f.count("POST /api/v1/nodes") != 2 || f.count("GET /api/v1/nodes/node1") < 1 {
		t.Errorf("requests %v", f.requests)
	}
}

// A token the API server refuses stops the podlet with status 1.
func TestUnauthorizedExits(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401,"message":"Unauthorized"}`)
	}))
	defer srv.Close()
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"podlet", "--node-name", "node1", "--node-ip", "10.0.0.1",
		"--server", srv.URL, "--token-file", tokenFile(t, "bad"), "--state-dir", t.TempDir(), "--node-api-port", "0"}, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "podlet: register node \"node1\": Unauthorized") {
		t.Errorf("exit %d:\n%s", code, stderr.String())
	}
}
