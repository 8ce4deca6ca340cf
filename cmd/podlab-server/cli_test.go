package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podlab/podlab/core/client"
)

// The acceptance tests of the podlab CLI against a real podlab-server:
// the manifests students write, "get -w", and "-o yaml" back into apply.

// podlabCLI builds cmd/podlab once per test binary.
var podlabCLI = func() func(t *testing.T) string {
	var bin string
	var err error
	built := false
	return func(t *testing.T) string {
		t.Helper()
		if !built {
			built = true
			dir, _ := os.MkdirTemp("", "podlab-cli")
			bin = filepath.Join(dir, "podlab")
			var out []byte
			if out, err = exec.Command("go", "build", "-o", bin, "../podlab").CombinedOutput(); err != nil {
				err = fmt.Errorf("go build ../podlab: %v\n%s", err, out)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		return bin
	}
}()

// podlab runs the CLI with the control plane's admin.conf and returns its
// exit status, stdout and stderr.
func (cp *controlPlane) podlab(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(podlabCLI(t), args...)
	cmd.Env = append(os.Environ(), client.ConfigEnv+"="+cp.config, "NO_COLOR=1")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("podlab %s: %v", strings.Join(args, " "), err)
	}
	return code, out.String(), errOut.String()
}

// mustPodlab runs the CLI and fails the test unless it exits 0.
func (cp *controlPlane) mustPodlab(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, out, errOut := cp.podlab(t, stdin, args...)
	if code != 0 {
		t.Fatalf("podlab %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The three shapes of manifest the issue names: flow style with comments,
// several documents, and a List.
const (
	flowStyle = `# a Pod in flow style: JSON with comments
{
  "apiVersion": "v1", "kind": "Pod",   # the kind
  "metadata": {"name": "flow", "labels": {"app": "demo"}},
  "spec": {"containers": [{"name": "app", "image": "busybox", "command": ["sleep", "3600"]}]},
}
`
	multiDoc = `apiVersion: v1
kind: Pod
metadata: {name: doc-1, labels: {app: demo}}
spec:
  containers: [{name: app, image: busybox, command: [sleep, "3600"]}]
---
# an empty document is skipped
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: hello}]
`
	list = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: listed-1, labels: {app: demo}}
  spec: {containers: [{name: app, image: busybox}]}
- apiVersion: v1
  kind: Service
  metadata: {name: web}
  spec:
    selector: {app: web}
    ports: [{port: 80, targetPort: 8080}]
`
)

func TestApplyManifestShapes(t *testing.T) {
	cp := startControlPlane(t)
	files := []string{writeFile(t, "flow.yaml", flowStyle), writeFile(t, "multi.yaml", multiDoc), writeFile(t, "list.yaml", list)}
	args := []string{"apply"}
	for _, f := range files {
		args = append(args, "-f", f)
	}
	out := cp.mustPodlab(t, "", args...)
	for _, want := range []string{"pod/flow created", "pod/doc-1 created", "deployment.apps/web created",
		"pod/listed-1 created", "service/web created"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply: output lacks %q:\n%s", want, out)
		}
	}
	// Applying the same files again changes nothing.
	again := cp.mustPodlab(t, "", args...)
	if strings.Contains(again, "created") || strings.Count(again, "unchanged") != 5 {
		t.Errorf("second apply, want 5 unchanged:\n%s", again)
	}
	got := cp.mustPodlab(t, "", "get", "pods", "-l", "app=demo", "-o", "name")
	if got != "pod/doc-1\npod/flow\npod/listed-1\n" {
		t.Errorf("get pods -l app=demo -o name = %q", got)
	}
	// The same from standard input.
	if out := cp.mustPodlab(t, flowStyle, "apply", "-f", "-"); !strings.Contains(out, "pod/flow unchanged") {
		t.Errorf("apply -f - : %s", out)
	}
}

func TestApplyReportsMistakes(t *testing.T) {
	cp := startControlPlane(t)
	for _, tc := range []struct {
		name, manifest string
		want           []string
	}{
		{"unknown field", "apiVersion: v1\nkind: Pod\nmetadata: {name: typo}\nspec:\n  containerz: []\n",
			[]string{`unknown field "containerz"`, "line 5"}},
		{"syntax error", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [broken\n",
			[]string{"line"}},
		{"invalid object", "apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec: {containers: [{name: app}]}\n",
			[]string{"metadata.name", "spec.containers[0].image"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cp.podlab(t, "", "apply", "-f", writeFile(t, "bad.yaml", tc.manifest))
			if code == 0 {
				t.Fatalf("apply of a bad manifest exited 0: %s", out)
			}
			for _, want := range tc.want {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
		})
	}
	// Nothing was created.
	if code, out, errOut := cp.podlab(t, "", "get", "pods"); code != 0 || out != "" ||
		!strings.Contains(errOut, "No resources found") {
		t.Errorf("after bad applies, get pods: exit %d, %q, %q; want no pods", code, out, errOut)
	}
}

// TestGetOutputRoundTrips: what "get -o yaml" prints, one object or a
// List, applies back unchanged, and an edit of it applies as a change.
func TestGetOutputRoundTrips(t *testing.T) {
	cp := startControlPlane(t)
	cp.mustPodlab(t, "", "apply", "-f", writeFile(t, "multi.yaml", multiDoc), "-f", writeFile(t, "list.yaml", list))

	deploy := cp.mustPodlab(t, "", "get", "deployment", "web", "-o", "yaml")
	if out := cp.mustPodlab(t, "", "apply", "-f", writeFile(t, "web.yaml", deploy)); !strings.Contains(out, "deployment.apps/web unchanged") {
		t.Errorf("apply of get -o yaml: %s", out)
	}
	edited := strings.Replace(deploy, "replicas: 2", "replicas: 3", 1)
	if edited == deploy {
		t.Fatalf("no \"replicas: 2\" in:\n%s", deploy)
	}
	if out := cp.mustPodlab(t, "", "apply", "-f", writeFile(t, "web.yaml", edited)); !strings.Contains(out, "deployment.apps/web configured") {
		t.Errorf("apply of an edited get -o yaml: %s", out)
	}
	d, err := cp.client.Deployments("default").Get(context.Background(), "web")
	if err != nil || d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("after the edit: %+v, %v; want 3 replicas", d, err)
	}

	all := cp.mustPodlab(t, "", "get", "pods,services", "-o", "yaml")
	if !strings.Contains(all, "kind: List") {
		t.Fatalf("get of two kinds -o yaml is not a List:\n%s", all)
	}
	out := cp.mustPodlab(t, "", "apply", "-f", writeFile(t, "all.yaml", all))
	if strings.Count(out, "unchanged") != 3 || strings.Contains(out, "configured") {
		t.Errorf("apply of a List from get -o yaml, want 3 unchanged:\n%s", out)
	}
	json := cp.mustPodlab(t, "", "get", "pod", "doc-1", "-o", "json")
	if out := cp.mustPodlab(t, "", "apply", "-f", writeFile(t, "doc.json", json)); !strings.Contains(out, "pod/doc-1 unchanged") {
		t.Errorf("apply of get -o json: %s", out)
	}
}

// TestGetWatch: "get pods -w" prints a row for each change as it happens.
func TestGetWatch(t *testing.T) {
	cp := startControlPlane(t)
	cp.mustPodlab(t, "", "apply", "-f", writeFile(t, "flow.yaml", flowStyle))

	cmd := exec.Command(podlabCLI(t), "get", "pods", "-w", "--output-watch-events")
	cmd.Env = append(os.Environ(), client.ConfigEnv+"="+cp.config, "NO_COLOR=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		go io.Copy(io.Discard, stdout)
		cmd.Wait()
	})
	expect := func(what string, match func(string) bool) {
		t.Helper()
		timeout := time.After(15 * time.Second)
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("get -w ended before %s; stderr: %s", what, stderr.String())
				}
				if match(line) {
					return
				}
			case <-timeout:
				t.Fatalf("get -w printed no line with %s in 15s; stderr: %s", what, stderr.String())
			}
		}
	}
	expect("the header", func(l string) bool { return strings.HasPrefix(l, "EVENT ") && strings.Contains(l, "STATUS") })
	expect("the existing pod", func(l string) bool { return strings.HasPrefix(l, "ADDED ") && strings.Contains(l, " flow ") })

	// Changes made elsewhere show up as they happen.
	cp.mustPodlab(t, "", "apply", "-f", writeFile(t, "multi.yaml", multiDoc))
	expect("the new pod", func(l string) bool {
		return strings.HasPrefix(l, "ADDED ") && strings.Contains(l, " doc-1 ") && strings.Contains(l, "Pending")
	})
	cp.mustPodlab(t, "", "label", "pod", "doc-1", "tier=web")
	expect("the label change", func(l string) bool { return strings.HasPrefix(l, "MODIFIED ") && strings.Contains(l, " doc-1 ") })
	cp.mustPodlab(t, "", "delete", "pod", "doc-1", "--force")
	expect("the deleted pod", func(l string) bool { return strings.HasPrefix(l, "DELETED ") && strings.Contains(l, " doc-1 ") })

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for range lines {
		}
		done <- cmd.Wait()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("get -w still running 10s after Ctrl-C")
	}
}

// TestDescribeShowsSchedulerEvents: the scheduler's event reaches
// "describe", and "events" lists it.
func TestDescribeShowsSchedulerEvents(t *testing.T) {
	cp := startControlPlane(t)
	addNode(t, cp.client, "node-a", "1", "1Gi", nil)
	cp.mustPodlab(t, "", "apply", "-f", writeFile(t, "flow.yaml", flowStyle))
	eventually(t, "describe shows the Scheduled event", func() string {
		out := cp.mustPodlab(t, "", "describe", "pod", "flow")
		if !strings.Contains(out, "Node:") || !strings.Contains(out, "node-a") ||
			!strings.Contains(out, "Scheduled") || !strings.Contains(out, "Successfully assigned default/flow to node-a") {
			return "describe pod flow:\n" + out
		}
		return ""
	})
	if out := cp.mustPodlab(t, "", "events", "--for", "pod/flow"); !strings.Contains(out, "Scheduled") {
		t.Errorf("events --for pod/flow:\n%s", out)
	}
}
