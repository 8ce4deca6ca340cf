package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const webDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: hello:v1
        ports:
        - containerPort: 8080
`

const webPod = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: busybox
`

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The first apply creates, the same again changes nothing and writes
// nothing, a changed manifest updates with the resourceVersion it read.
func TestApplyCreateUnchangedConfigured(t *testing.T) {
	f := newFakeServer(t)
	file := writeFile(t, t.TempDir(), "web.yaml", webDeployment)

	code, out, errw := f.podlab(t, "", "apply", "-f", file)
	if code != 0 || out != "deployment.apps/web created\n" {
		t.Fatalf("first apply: %d %q %q", code, out, errw)
	}
	if got := f.get("deployments", "default", "web"); got == nil {
		t.Fatal("the deployment was not created in the default namespace")
	}

	writes := len(f.writes())
	code, out, errw = f.podlab(t, "", "apply", "-f", file)
	if code != 0 || out != "deployment.apps/web unchanged\n" {
		t.Fatalf("second apply: %d %q %q", code, out, errw)
	}
	if len(f.writes()) != writes {
		t.Errorf("an unchanged apply wrote: %v", f.writes()[writes:])
	}

	writeFile(t, filepath.Dir(file), "web.yaml", strings.Replace(webDeployment, "replicas: 2", "replicas: 5", 1))
	code, out, errw = f.podlab(t, "", "apply", "-f", file)
	if code != 0 || out != "deployment.apps/web configured\n" {
		t.Fatalf("third apply: %d %q %q", code, out, errw)
	}
	spec := f.get("deployments", "default", "web")["spec"].(map[string]any)
	if spec["replicas"] != float64(5) {
		t.Errorf("replicas = %v, want 5", spec["replicas"])
	}
}

// What "get -o yaml" prints applies again as it is, status, uid,
// resourceVersion and all, even after the object changed meanwhile; as
// a single object and as a List.
func TestApplyGetOutputRoundTrip(t *testing.T) {
	f := newFakeServer(t)
	dir := t.TempDir()
	if code, _, errw := f.podlab(t, webDeployment, "apply", "-f", "-"); code != 0 {
		t.Fatal(errw)
	}
	for _, args := range [][]string{{"get", "deploy", "web", "-o", "yaml"}, {"get", "deployments", "-o", "yaml"}, {"get", "deploy/web", "-o", "json"}} {
		code, saved, errw := f.podlab(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: %s", args, errw)
		}
		if !strings.Contains(saved, "resourceVersion") || !strings.HasPrefix(saved, "{") && !strings.HasPrefix(saved, "apiVersion: ") {
			t.Fatalf("%v printed:\n%s", args, saved)
		}
		file := writeFile(t, dir, "saved", saved)
		// Someone scales it: the saved resourceVersion is stale now.
		if code, _, errw := f.podlab(t, "", "scale", "deploy/web", "--replicas=3"); code != 0 {
			t.Fatal(errw)
		}
		code, out, errw := f.podlab(t, "", "apply", "-f", file)
		if code != 0 || out != "deployment.apps/web configured\n" {
			t.Fatalf("apply of %v: %d %q %q", args, code, out, errw)
		}
		code, out, errw = f.podlab(t, "", "apply", "-f", file)
		if code != 0 || out != "deployment.apps/web unchanged\n" {
			t.Fatalf("apply of %v again: %d %q %q", args, code, out, errw)
		}
	}
}

// A Conflict (someone wrote between our read and our write) is retried.
func TestApplyRetriesConflicts(t *testing.T) {
	f := newFakeServer(t)
	if code, _, errw := f.podlab(t, webDeployment, "apply", "-f", "-"); code != 0 {
		t.Fatal(errw)
	}
	f.conflicts = 2
	code, out, errw := f.podlab(t, strings.Replace(webDeployment, "hello:v1", "hello:v2", 1), "apply", "-f", "-")
	if code != 0 || out != "deployment.apps/web configured\n" {
		t.Fatalf("apply: %d %q %q", code, out, errw)
	}
	f.conflicts = 100
	code, _, errw = f.podlab(t, strings.Replace(webDeployment, "hello:v1", "hello:v3", 1), "apply", "-f", "-")
	if code != 1 || !strings.Contains(errw, "has been modified") {
		t.Fatalf("apply against endless conflicts: %d %q", code, errw)
	}
}

// Fields the cluster filled in and the manifest leaves out are kept: a
// re-applied pod stays on its node with its tolerations, labels added by
// "podlab label" stay.
func TestApplyKeepsWhatTheClusterFilledIn(t *testing.T) {
	f := newFakeServer(t)
	if code, _, errw := f.podlab(t, webPod, "apply", "-f", "-"); code != 0 {
		t.Fatal(errw)
	}
	if code, _, errw := f.podlab(t, "", "label", "pod", "web", "tier=fe"); code != 0 {
		t.Fatal(errw)
	}
	f.mu.Lock()
	f.objs["pods/default/web"]["spec"].(map[string]any)["nodeName"] = "node1"
	// What the server's defaults would have added.
	f.objs["pods/default/web"]["spec"].(map[string]any)["restartPolicy"] = "Always"
	f.objs["pods/default/web"]["spec"].(map[string]any)["terminationGracePeriodSeconds"] = 30
	f.objs["pods/default/web"]["spec"].(map[string]any)["shareProcessNamespace"] = false
	// What admission added when the pod was created.
	f.objs["pods/default/web"]["spec"].(map[string]any)["tolerations"] = []any{map[string]any{
		"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}}
	f.mu.Unlock()
	code, out, errw := f.podlab(t, webPod, "apply", "-f", "-")
	if code != 0 || out != "pod/web unchanged\n" {
		t.Fatalf("apply: %d %q %q", code, out, errw)
	}
}

// One bad object does not stop the others; the exit status says so.
func TestApplyGoesOnAfterAFailure(t *testing.T) {
	f := newFakeServer(t)
	dir := t.TempDir()
	writeFile(t, dir, "a-pod.yaml", webPod)
	writeFile(t, dir, "b-broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containerz: []\n")
	writeFile(t, dir, "c-deploy.yml", strings.Replace(webDeployment, "name: web\n", "name: web\n  namespace: other\n", 1))
	writeFile(t, dir, "notes.txt", "not a manifest")
	code, out, errw := f.podlab(t, "", "apply", "-f", dir, "-n", "lab")
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if out != "pod/web created\n" {
		t.Errorf("stdout %q", out)
	}
	for _, want := range []string{`b-broken.yaml: line 6: unknown field "containerz" in spec (did you mean "containers"?)`,
		`deployment.apps/web is in namespace "other", and -n says "lab"`} {
		if !strings.Contains(errw, want) {
			t.Errorf("stderr %q lacks %q", errw, want)
		}
	}
	if f.get("pods", "lab", "web") == nil {
		t.Error("the pod was not created in namespace lab (-n)")
	}
}

func TestCreate(t *testing.T) {
	f := newFakeServer(t)
	code, out, errw := f.podlab(t, webPod, "create", "-f", "-")
	if code != 0 || out != "pod/web created\n" {
		t.Fatalf("create: %d %q %q", code, out, errw)
	}
	code, _, errw = f.podlab(t, webPod, "create", "-f", "-")
	if code != 1 || !strings.Contains(errw, `podlab: create pod/web: pods "web" already exists`) {
		t.Fatalf("second create: %d %q", code, errw)
	}
	if !slices.Contains(f.writes(), "POST /api/v1/namespaces/default/pods") {
		t.Errorf("requests %v", f.writes())
	}
}
