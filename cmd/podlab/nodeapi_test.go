package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/podlab/podlab/core/podlet"
)

// logs, exec and top against the fake API server and a fake node API,
// which node1 has at 127.0.0.1. node2 has no address.

// fakeNode is the node API of node1: one pod, web, with a log, an exec
// that knows echo, fail and cat, and a summary.
type fakeNode struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string // "METHOD path?query"
	tokens   []string
}

const fakeSummary = `{"node": {"nodeName": "node1", "cpu": {"usageNanoCores": 500000000, "usageCoreNanoSeconds": 9},
  "memory": {"workingSetBytes": 1073741824, "usageBytes": 2147483648}},
 "pods": [{"podRef": {"name": "web", "namespace": "default", "uid": "uid-web"}, "containers": [
   {"name": "app", "cpu": {"usageNanoCores": 200000000, "usageCoreNanoSeconds": 1}, "memory": {"workingSetBytes": 50331648}},
   {"name": "side", "cpu": {"usageNanoCores": 50000000, "usageCoreNanoSeconds": 1}, "memory": {"workingSetBytes": 16777216}}]},
  {"podRef": {"name": "db", "namespace": "lab", "uid": "uid-db"}, "containers": [
   {"name": "db", "cpu": {"usageNanoCores": 1000000, "usageCoreNanoSeconds": 1}, "memory": {"workingSetBytes": 1048576}}]}]}`

func newFakeNode(t *testing.T) *fakeNode {
	n := &fakeNode{}
	n.Server = httptest.NewServer(http.HandlerFunc(n.serve))
	t.Cleanup(n.Close)
	return n
}

func (n *fakeNode) serve(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	n.requests = append(n.requests, r.Method+" "+r.URL.RequestURI())
	n.tokens = append(n.tokens, r.Header.Get("Authorization"))
	n.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer s3cret" {
		fakeStatus(w, 401, "Unauthorized", "Unauthorized")
		return
	}
	command := r.URL.Query()["command"]
	switch {
	case r.URL.Path == "/containerLogs/default/web/app":
		io.WriteString(w, "line 1\nline 2\n")
	case r.URL.Path == "/containerLogs/default/web/side":
		io.WriteString(w, "side\n")
	case r.URL.Path == "/exec/default/web/side":
		fakeStatus(w, 400, "BadRequest", `container "side" in pod "web" is waiting to start`)
	case r.URL.Path == "/exec/default/web/app" && r.Header.Get("Upgrade") == podlet.ExecProtocol && r.URL.Query().Get("tty") == "true":
		n.term(w)
	case r.URL.Path == "/exec/default/web/app" && r.Header.Get("Upgrade") == podlet.ExecProtocol:
		n.cat(w)
	case r.URL.Path == "/exec/default/web/app":
		w.WriteHeader(200)
		code := "0"
		if command[0] == "fail" {
			code = "3"
		}
		podlet.WriteFrame(w, podlet.StreamStdout, []byte(strings.Join(command, " ")+"\n"))
		podlet.WriteFrame(w, podlet.StreamStderr, []byte("err\n"))
		podlet.WriteFrame(w, podlet.StreamExit, []byte(code))
	case r.URL.Path == "/stats/summary":
		io.WriteString(w, fakeSummary)
	default:
		fakeStatus(w, 404, "NotFound", "no "+r.URL.Path)
	}
}

// cat answers an upgraded exec: it sends back each stdin frame as stdout.
func (n *fakeNode) cat(w http.ResponseWriter) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + podlet.ExecProtocol + "\r\n\r\n")
	rw.Flush()
	for {
		ch, p, err := podlet.ReadFrame(rw)
		if err != nil || ch == podlet.StreamStdin && len(p) == 0 {
			break
		}
		podlet.WriteFrame(rw, podlet.StreamStdout, p)
		rw.Flush()
	}
	podlet.WriteFrame(rw, podlet.StreamExit, []byte("0"))
	rw.Flush()
}

// term answers an upgraded exec with a terminal: it sends back what is
// typed, and "resize WxH" for each resize frame, until "exit" is typed;
// then it exits with 5.
func (n *fakeNode) term(w http.ResponseWriter) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + podlet.ExecProtocol + "\r\n\r\n")
	rw.Flush()
	var typed string
	for !strings.Contains(typed, "exit") {
		ch, p, err := podlet.ReadFrame(rw)
		if err != nil {
			return
		}
		switch ch {
		case podlet.StreamStdin:
			typed += string(p)
		case podlet.StreamResize:
			size, _ := podlet.ParseResize(p)
			p = fmt.Appendf(nil, "resize %dx%d", size.Width, size.Height)
		}
		podlet.WriteFrame(rw, podlet.StreamStdout, p)
		rw.Flush()
	}
	podlet.WriteFrame(rw, podlet.StreamExit, []byte("5"))
	rw.Flush()
}

func (n *fakeNode) port() string {
	u, _ := url.Parse(n.URL)
	return u.Port()
}

// clusterWithNodes stores the pods and nodes of these tests: web (app,
// side and an init container) on node1, db in lab on node1, pending
// without a node, far on node2.
func clusterWithNodes(t *testing.T) (*fakeServer, *fakeNode) {
	f, n := newFakeServer(t), newFakeNode(t)
	f.put(t, "nodes", "", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"node1"},
		"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.1"}],"allocatable":{"cpu":"2","memory":"4Gi"}}}`)
	f.put(t, "nodes", "", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"node2"}}`)
	f.put(t, "pods", "default", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},
		"spec":{"nodeName":"node1","initContainers":[{"name":"setup"}],"containers":[{"name":"app"},{"name":"side"}]}}`)
	f.put(t, "pods", "default", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"pending"},"spec":{"containers":[{"name":"app"}]}}`)
	f.put(t, "pods", "default", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"far"},"spec":{"nodeName":"node2","containers":[{"name":"app"}]}}`)
	f.put(t, "pods", "lab", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"db"},"spec":{"nodeName":"node1","containers":[{"name":"db"}]}}`)
	return f, n
}

// podlabOn runs podlab against the fake cluster, with the connection
// flags right after the command's name: "--" may come later.
func podlabOn(t *testing.T, f *fakeServer, n *fakeNode, stdin string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("PODLAB_CONFIG", t.TempDir()+"/no-config")
	var out, errw bytes.Buffer
	app := newApp(&out, &errw)
	app.Reader = strings.NewReader(stdin)
	full := slices.Concat([]string{"podlab", args[0], "--server", f.URL, "--token", "s3cret", "--node-api-port", n.port()}, args[1:])
	code := runApp(app, full)
	return code, out.String(), errw.String()
}

func TestLogs(t *testing.T) {
	f, n := clusterWithNodes(t)
	for _, tc := range []struct {
		args          []string
		code          int
		out, err      string // what they contain
		request, auth string // what the node was asked
	}{
		{[]string{"logs", "web"}, 0, "line 1\nline 2\n", `Defaulted container "app" out of: app, side, setup (init)`,
			"GET /containerLogs/default/web/app", "Bearer s3cret"},
		{[]string{"logs", "web", "-c", "side", "-f", "--tail", "5"}, 0, "side\n", "",
			"GET /containerLogs/default/web/side?follow=true&tailLines=5", ""},
		{[]string{"logs", "web", "-c", "nope"}, 1, "", `podlab: container "nope" is not valid for pod "web": its containers are app, side, setup (init)`, "", ""},
		{[]string{"logs", "pending"}, 1, "", `podlab: pod "pending" is not bound to a node yet`, "", ""},
		{[]string{"logs", "nope"}, 1, "", `podlab: pods "nope" not found`, "", ""},
		{[]string{"logs", "far"}, 1, "", `podlab: node "node2" has no InternalIP address`, "", ""},
		{[]string{"logs", "-n", "lab", "db", "-p"}, 1, "", "podlab: no /containerLogs/lab/db/db", "GET /containerLogs/lab/db/db?previous=true", ""},
		{[]string{"logs", "web", "--token", "wrong"}, 1, "", "podlab: Unauthorized", "", "Bearer wrong"},
		{[]string{"logs"}, 2, "", "give exactly one pod name", "", ""},
		{[]string{"logs", "web", "--tail", "-2"}, 2, "", "--tail -2", "", ""},
	} {
		before := len(n.requests)
		code, out, errw := podlabOn(t, f, n, "", tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errw, tc.err) {
			t.Errorf("podlab %q: %d\n%s\nstderr: %s", tc.args, code, out, errw)
		}
		asked := n.requests[before:]
		if tc.request != "" && !slices.Contains(asked, tc.request) || tc.request == "" && tc.auth == "" && len(asked) > 0 {
			t.Errorf("podlab %q asked the node %q, want %q", tc.args, asked, tc.request)
		}
		if tc.auth != "" && (len(asked) == 0 || n.tokens[len(n.tokens)-1] != tc.auth) {
			t.Errorf("podlab %q: the node got the tokens %q, want %q", tc.args, n.tokens[before:], tc.auth)
		}
	}
}

func TestExecCommand(t *testing.T) {
	f, n := clusterWithNodes(t)
	for _, tc := range []struct {
		args     []string
		stdin    string
		code     int
		out, err string
		request  string
	}{
		{[]string{"exec", "web", "--", "echo", "-n", "hi"}, "", 0, "echo -n hi\n", "err\n", "POST /exec/default/web/app?command=echo&command=-n&command=hi"},
		{[]string{"exec", "web", "-c", "app", "--", "fail"}, "", 3, "fail\n", "err\n", "POST /exec/default/web/app?command=fail"},
		{[]string{"exec", "-i", "web", "--", "cat"}, "typed\n", 0, "typed\n", "", "POST /exec/default/web/app?command=cat&stdin=true"},
		{[]string{"exec", "web", "-c", "side", "--", "sh"}, "", 1, "", `podlab: container "side" in pod "web" is waiting to start`, "POST /exec/default/web/side?command=sh"},
		{[]string{"exec", "-it", "web", "--", "sh"}, "", 1, "", "podlab: -t needs a terminal on stdin; drop -t to pipe input\n", ""},
		{[]string{"exec", "-t", "web", "--", "sh"}, "", 1, "", "podlab: -t needs a terminal on stdin; drop -t to pipe input\n", ""},
		{[]string{"exec", "pending", "--", "sh"}, "", 1, "", "is not bound to a node yet", ""},
		{[]string{"exec", "web"}, "", 2, "", "give a pod and a command", ""},
	} {
		before := len(n.requests)
		code, out, errw := podlabOn(t, f, n, tc.stdin, tc.args...)
		if code != tc.code || out != tc.out || !strings.Contains(errw, tc.err) {
			t.Errorf("podlab %q: %d %q\nstderr: %s", tc.args, code, out, errw)
		}
		asked := n.requests[before:]
		if tc.request != "" && !slices.Contains(asked, tc.request) || tc.request == "" && len(asked) > 0 {
			t.Errorf("podlab %q asked the node %q, want %q", tc.args, asked, tc.request)
		}
	}
}

func TestTop(t *testing.T) {
	f, n := clusterWithNodes(t)
	for _, tc := range []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"top", "pods"}, 1, "NAME   CPU(cores)   MEMORY(bytes)\nweb    250m         64Mi\n", `podlab: node "node2" has no InternalIP address`},
		{[]string{"top", "pod", "web"}, 0, "NAME   CPU(cores)   MEMORY(bytes)\nweb    250m         64Mi\n", ""},
		{[]string{"top", "po", "-A"}, 1, "NAMESPACE   NAME   CPU(cores)   MEMORY(bytes)\ndefault     web    250m         64Mi\nlab         db     1m           1Mi\n", ""},
		{[]string{"top", "pods", "-n", "empty"}, 0, "", "No resources found in empty namespace."},
		{[]string{"top", "nodes", "node1"}, 0, "NAME    CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%\nnode1   500m         25%    1024Mi          25%\n", ""},
		{[]string{"top", "no"}, 1, "node2   <unknown>    <unknown>   <unknown>       <unknown>\n", `podlab: node "node2" has no InternalIP`},
		{[]string{"top"}, 2, "", "give pods or nodes"},
		{[]string{"top", "deploy"}, 2, "", "give pods or nodes"},
	} {
		code, out, errw := podlabOn(t, f, n, "", tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errw, tc.err) {
			t.Errorf("podlab %q: %d\n%s\nstderr: %s", tc.args, code, out, errw)
		}
	}
}

// The summary the fake node answers is what podlet.Summary decodes.
func TestFakeSummaryDecodes(t *testing.T) {
	var s podlet.Summary
	dec := json.NewDecoder(strings.NewReader(fakeSummary))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil || len(s.Pods) != 2 {
		t.Fatal(err, fmt.Sprint(s))
	}
}
