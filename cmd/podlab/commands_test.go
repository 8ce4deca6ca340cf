package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

// somePods stores web-1 and web-2 in default, db in lab.
func somePods(t *testing.T, f *fakeServer) {
	f.put(t, "pods", "default", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","labels":{"app":"web"}},"spec":{"containers":[{"name":"app"}]},"status":{"phase":"Running"}}`)
	f.put(t, "pods", "default", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-2","labels":{"app":"web"}},"spec":{"containers":[{"name":"app"}]},"status":{"phase":"Pending"}}`)
	f.put(t, "pods", "lab", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"db","labels":{"app":"db"}},"spec":{"containers":[{"name":"db"}]}}`)
}

func TestGet(t *testing.T) {
	f := newFakeServer(t)
	somePods(t, f)
	tests := []struct {
		args     []string
		code     int
		out, err string // what they contain
	}{
		{[]string{"get", "pods"}, 0, "NAME    READY   STATUS    RESTARTS   AGE\nweb-1   0/1     Running   0          <unknown>\nweb-2", ""},
		// Flags after the arguments, as with kubectl.
		{[]string{"get", "pods", "-n", "lab"}, 0, "\ndb ", ""},
		{[]string{"get", "po", "-A", "-o", "name"}, 0, "pod/web-1\npod/web-2\npod/db\n", ""},
		{[]string{"get", "pods", "-A"}, 0, "NAMESPACE   NAME    READY", ""},
		{[]string{"get", "pods", "-l", "app=web", "-o", "name"}, 0, "pod/web-1\npod/web-2\n", ""},
		{[]string{"get", "pods", "--field-selector", "metadata.name=web-2", "-o", "name"}, 0, "pod/web-2\n", ""},
		{[]string{"get", "pods", "-n", "empty"}, 0, "", "No resources found in empty namespace.\n"},
		{[]string{"get", "pod", "web-1", "nope"}, 1, "web-1", `podlab: pods "nope" not found`},
		{[]string{"get", "pods", "-l", "app=("}, 2, "", "podlab: -l: label selector"},
		{[]string{"get", "pods", "-o", "table"}, 2, "", `-o "table": give wide, yaml, json or name`},
		{[]string{"get", "pod", "web-1", "-A"}, 2, "", "give its namespace with -n"},
		{[]string{"get"}, 2, "", "give a resource type"},
	}
	for _, tt := range tests {
		code, out, errw := f.podlab(t, "", tt.args...)
		if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errw, tt.err) {
			t.Errorf("podlab %q: %d\n%s\nstderr: %s", tt.args, code, out, errw)
		}
	}
	if !slices.Contains(f.requests, "GET /api/v1/namespaces/lab/pods") || !slices.Contains(f.requests, "GET /api/v1/pods") {
		t.Errorf("requests %q", f.requests)
	}
}

// A token on the command line goes with every request.
func TestToken(t *testing.T) {
	f := newFakeServer(t)
	if code, _, errw := f.podlab(t, "", "get", "nodes", "--token", "s3cret"); code != 0 {
		t.Fatal(errw)
	}
	if f.tokens[0] != "Bearer s3cret" {
		t.Errorf("Authorization %q", f.tokens[0])
	}
}

// "get -w" prints the table, then a row for each change.
func TestGetWatch(t *testing.T) {
	f := newFakeServer(t)
	somePods(t, f)
	cl, err := client.New(client.Config{Server: f.URL})
	if err != nil {
		t.Fatal(err)
	}
	q := getQuery{targets: []target{{kind: api.KindPod}}, namespace: "default"}
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- q.watch(ctx, cl, out) }()

	waitFor(t, func() bool { return strings.Contains(out.String(), "web-2") })
	f.put(t, "pods", "default", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-3"},"spec":{"containers":[{"name":"app"}]}}`)
	f.put(t, "pods", "lab", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"elsewhere"},"spec":{"containers":[]}}`)
	waitFor(t, func() bool { return strings.Contains(out.String(), "web-3") })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("watch: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[3], "web-3   0/1     Pending") {
		t.Errorf("watch printed:\n%s", out.String())
	}
}

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

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

func TestScale(t *testing.T) {
	f := newFakeServer(t)
	if code, _, errw := f.podlab(t, webDeployment, "apply", "-f", "-"); code != 0 {
		t.Fatal(errw)
	}
	for _, args := range [][]string{{"scale", "deploy/web", "--replicas=4"}, {"scale", "deployments", "web", "--replicas", "4"}} {
		code, out, errw := f.podlab(t, "", args...)
		if code != 0 || out != "deployment.apps/web scaled\n" {
			t.Errorf("podlab %q: %d %q %q", args, code, out, errw)
		}
	}
	if r := f.get("deployments", "default", "web")["spec"].(map[string]any)["replicas"]; r != float64(4) {
		t.Errorf("replicas %v", r)
	}
	for _, tt := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"scale", "deploy/web"}, 2, "--replicas=N"},
		{[]string{"scale", "deploy", "--replicas=1"}, 2, "give the name"},
		{[]string{"scale", "rs/nope", "--replicas=1"}, 1, `replicasets "nope" not found`},
	} {
		if code, _, errw := f.podlab(t, "", tt.args...); code != tt.code || !strings.Contains(errw, tt.err) {
			t.Errorf("podlab %q: %d %q", tt.args, code, errw)
		}
	}
}

func TestLabel(t *testing.T) {
	f := newFakeServer(t)
	somePods(t, f)
	code, out, errw := f.podlab(t, "", "label", "pod/web-1", "tier=fe", "app-")
	if code != 0 || out != "pod/web-1 labeled\n" {
		t.Fatalf("label: %d %q %q", code, out, errw)
	}
	labels := f.get("pods", "default", "web-1")["metadata"].(map[string]any)["labels"]
	if !slices.Equal([]string{"tier"}, keys(labels.(map[string]any))) {
		t.Errorf("labels %v", labels)
	}
	code, _, errw = f.podlab(t, "", "label", "pods", "web-1", "tier=be")
	if code != 1 || errw != "podlab: 'tier' already has a value (fe), and --overwrite is false\n" {
		t.Errorf("without --overwrite: %d %q", code, errw)
	}
	code, _, errw = f.podlab(t, "", "label", "pods", "web-1")
	if code != 2 {
		t.Errorf("no labels: %d %q", code, errw)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestDelete(t *testing.T) {
	f := newFakeServer(t)
	somePods(t, f)
	code, out, errw := f.podlab(t, "", "delete", "pod", "web-1", "--grace-period=5", "--cascade=orphan")
	if code != 0 || out != "pod \"web-1\" deleted\n" {
		t.Errorf("delete: %d %q %q", code, out, errw)
	}
	if !slices.Contains(f.writes(), "DELETE /api/v1/namespaces/default/pods/web-1?gracePeriodSeconds=5&propagationPolicy=Orphan") {
		t.Errorf("requests %q", f.writes())
	}
	code, _, errw = f.podlab(t, "", "delete", "pod", "web-1")
	if code != 1 || !strings.Contains(errw, `pods "web-1" not found`) {
		t.Errorf("delete again: %d %q", code, errw)
	}
	if code, _, errw = f.podlab(t, "", "delete", "pod", "web-1", "--ignore-not-found"); code != 0 {
		t.Errorf("--ignore-not-found: %d %q", code, errw)
	}
	code, out, errw = f.podlab(t, "", "delete", "pods", "-l", "app=db", "-A")
	if code != 0 || out != "pod \"db\" deleted\n" || f.get("pods", "lab", "db") != nil {
		t.Errorf("delete -l -A: %d %q %q", code, out, errw)
	}
	code, out, errw = f.podlab(t, webPod+"---\n"+strings.Replace(webPod, "name: web", "name: web-2", 1), "delete", "-f", "-", "--force")
	if code != 1 || out != "pod \"web-2\" deleted\n" || !strings.Contains(errw, `delete pod/web: pods "web" not found`) ||
		!strings.Contains(errw, "warning: immediate deletion") {
		t.Errorf("delete -f: %d %q %q", code, out, errw)
	}
	for _, args := range [][]string{{"delete"}, {"delete", "pods"}, {"delete", "pod", "x", "-l", "a=b"}, {"delete", "pod", "x", "-f", "-"}} {
		if code, _, errw := f.podlab(t, "", args...); code != 2 {
			t.Errorf("podlab %q: %d %q", args, code, errw)
		}
	}
}

// --wait returns once the object is gone.
func TestDeleteWait(t *testing.T) {
	f := newFakeServer(t)
	somePods(t, f)
	code, out, errw := f.podlab(t, "", "delete", "pod", "web-1", "--wait")
	if code != 0 || out != "pod \"web-1\" deleted\n" {
		t.Errorf("delete --wait: %d %q %q", code, out, errw)
	}
}

func TestEvents(t *testing.T) {
	f := newFakeServer(t)
	now := time.Now().UTC()
	event := func(name, reason, kind, obj string, ago time.Duration) string {
		uid := "uid-" + obj // what the fake server gives
		if kind != "Pod" {
			uid = "uid-of-another"
		}
		return `{"apiVersion":"v1","kind":"Event","metadata":{"name":"` + name + `"},"type":"Normal","reason":"` + reason +
			`","message":"` + reason + ` happened","involvedObject":{"kind":"` + kind + `","name":"` + obj + `","uid":"` + uid +
			`"},"lastTimestamp":"` + now.Add(-ago).Format(time.RFC3339) + `"}`
	}
	f.put(t, "events", "default", event("e1", "Started", "Pod", "web", 10*time.Second))
	f.put(t, "events", "default", event("e2", "Scheduled", "Pod", "web", time.Minute))
	f.put(t, "events", "default", event("e3", "ScalingReplicaSet", "Deployment", "web", 30*time.Second))
	f.put(t, "pods", "default", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"app","image":"busybox"}]}}`)

	code, out, errw := f.podlab(t, "", "events")
	want := "LAST SEEN   TYPE     REASON              OBJECT           MESSAGE\n" +
		"60s         Normal   Scheduled           pod/web          Scheduled happened\n" +
		"30s         Normal   ScalingReplicaSet   deployment/web   ScalingReplicaSet happened\n" +
		"10s         Normal   Started             pod/web          Started happened\n"
	if code != 0 || out != want {
		t.Errorf("events: %d %q\n%s\nwant\n%s", code, errw, out, want)
	}
	code, out, errw = f.podlab(t, "", "events", "--for", "pod/web")
	if code != 0 || strings.Contains(out, "deployment/web") || strings.Count(out, "pod/web") != 2 {
		t.Errorf("events --for: %d %q\n%s", code, errw, out)
	}
	if code, _, errw = f.podlab(t, "", "events", "--for", "web"); code != 2 {
		t.Errorf("--for without a kind: %d %q", code, errw)
	}

	// describe shows the events of the object, by its uid.
	code, out, errw = f.podlab(t, "", "describe", "pod", "web")
	if code != 0 {
		t.Fatal(errw)
	}
	for _, want := range []string{"Name:         web\n", "Containers:\n  app:\n    Image:", "Events:\n  Type    Reason     Age   From  Message\n",
		"  Normal  Scheduled  60s         Scheduled happened\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
}

// Kinds without a describer of their own show their fields in YAML.
func TestDescribeOtherKinds(t *testing.T) {
	f := newFakeServer(t)
	f.put(t, "jobs", "default", `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"pi","ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"pi-cron","uid":"u1","controller":true}]},"spec":{"completions":2,"template":{"spec":{"containers":[{"name":"pi","image":"busybox"}]}}},"status":{"succeeded":1}}`)
	code, out, errw := f.podlab(t, "", "describe", "jobs")
	if code != 0 {
		t.Fatal(errw)
	}
	for _, want := range []string{"Name:               pi\n", "Controlled By:      CronJob/pi-cron\n", "Spec:\n  completions: 2\n", "Status:\n  succeeded: 1\n", "Events:  <none>\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	if code, _, errw := f.podlab(t, "", "describe", "job", "nope"); code != 1 || !strings.Contains(errw, `jobs "nope" not found`) {
		t.Errorf("describe of a missing job: %d %q", code, errw)
	}
}

func TestCompletion(t *testing.T) {
	var out, errw bytes.Buffer
	if code := runApp(newApp(&out, &errw), []string{"podlab", "completion", "bash"}); code != 0 {
		t.Fatal(errw.String())
	}
	if !strings.Contains(out.String(), "--generate-bash-completion") || !strings.Contains(out.String(), "complete -o bashdefault -o default -F _podlab_complete podlab") {
		t.Errorf("bash script:\n%s", out.String())
	}
	if code := runApp(newApp(&out, &errw), []string{"podlab", "completion", "fish"}); code != 2 {
		t.Errorf("fish: %d", code)
	}

	// What the script asks: the kinds after "get", the names after a kind.
	f := newFakeServer(t)
	somePods(t, f)
	t.Setenv("PODLAB_CONFIG", t.TempDir()+"/none")
	complete := func(args ...string) string {
		// urfave/cli reads the word being completed from os.Args.
		defer func(saved []string) { os.Args = saved }(os.Args)
		os.Args = append([]string{"podlab"}, args...)
		out.Reset()
		runApp(newApp(&out, &errw), os.Args)
		return out.String()
	}
	if got := complete("get", "--generate-bash-completion"); !strings.Contains(got, "deployments\n") {
		t.Errorf("kinds: %q", got)
	}
	if got := complete("get", "pods", "--server", f.URL, "--generate-bash-completion"); got != "web-1\nweb-2\n" {
		t.Errorf("names: %q", got)
	}
	if got := complete("get", "--sel", "--generate-bash-completion"); got != "--selector\n" {
		t.Errorf("flags: %q", got)
	}
}

// "podlab --help" shows the cluster verbs.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	if code := runApp(newApp(&out, io.Discard), []string{"podlab", "--help"}); code != 0 {
		t.Fatal(code)
	}
	for _, want := range []string{"podlab apply|create|get|describe|delete|scale|label|events", clusterCategory + ":", "completion"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}
