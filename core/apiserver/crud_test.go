package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/store"
)

func TestPodCRUD(t *testing.T) {
	ts := newTestServer(t)
	const pods = "/api/v1/namespaces/default/pods"

	before := time.Now().UTC().Truncate(time.Second)
	pod := testPod("web", map[string]string{"app": "web"})
	pod.UID = "11111111-2222-4333-8444-555555555555" // the server makes its own
	pod.Status.Phase = api.PodRunning                // a new pod is Pending
	created := create(ts, pods, pod)
	m := created.ObjectMeta
	if created.TypeMeta != api.KindPod || m.Name != "web" || m.Namespace != "default" || m.Generation != 1 {
		t.Errorf("created %+v %+v", created.TypeMeta, m)
	}
	if m.UID == pod.UID || !uuidLike(m.UID) {
		t.Errorf("uid %q, want a new UUID", m.UID)
	}
	if m.CreationTimestamp.Before(before) || m.CreationTimestamp.Nanosecond() != 0 || m.CreationTimestamp.Location() != time.UTC {
		t.Errorf("creationTimestamp %v, want now in whole seconds, UTC", m.CreationTimestamp)
	}
	if created.Status.Phase != api.PodPending || created.Spec.RestartPolicy != api.RestartPolicyAlways {
		t.Errorf("phase %q, restartPolicy %q: want Pending and defaults", created.Status.Phase, created.Spec.RestartPolicy)
	}

	// The resourceVersion is the etcd revision, not a stored field.
	stored, err := ts.st.Get(context.Background(), store.Key("pods", "default", "web"))
	if err != nil {
		t.Fatal(err)
	}
	if m.ResourceVersion != strconv.FormatInt(stored.Revision, 10) || strings.Contains(string(stored.Value), "resourceVersion") {
		t.Errorf("resourceVersion %q, stored revision %d, stored value %s", m.ResourceVersion, stored.Revision, stored.Value)
	}

	got := getObject[*api.Pod](ts, pods+"/web")
	if got.UID != m.UID || got.ResourceVersion != m.ResourceVersion || got.TypeMeta != api.KindPod {
		t.Errorf("GET: %+v, want the created pod", got.ObjectMeta)
	}

	st := ts.expectStatus(http.StatusConflict, ReasonAlreadyExists, `pods "web" already exists`,
		"POST", pods, "application/json", toJSON(t, testPod("web", nil)))
	if st.Details.Name != "web" || st.Details.Kind != "pods" {
		t.Errorf("AlreadyExists details %+v", st.Details)
	}
	st = ts.expectStatus(http.StatusNotFound, ReasonNotFound, `pods "nope" not found`, "GET", pods+"/nope", "", "")
	if st.Details.Name != "nope" || st.Details.Kind != "pods" {
		t.Errorf("NotFound details %+v", st.Details)
	}

	got.Labels["tier"] = "front"
	updated := decode[*api.Pod](t, ts.expect(http.StatusOK, "PUT", pods+"/web", "application/json", toJSON(t, got)))
	if updated.Labels["tier"] != "front" || updated.ResourceVersion == got.ResourceVersion || updated.Generation != 1 {
		t.Errorf("updated %+v: want the label, a new resourceVersion, generation 1 (no spec change)", updated.ObjectMeta)
	}

	deleted := decode[*api.Pod](t, ts.expect(http.StatusOK, "DELETE", pods+"/web", "", ""))
	if deleted.Name != "web" || deleted.Labels["tier"] != "front" {
		t.Errorf("DELETE answered %+v, want the last pod", deleted.ObjectMeta)
	}
	ts.absent(pods + "/web")
	ts.expectStatus(http.StatusNotFound, ReasonNotFound, `pods "web" not found`, "DELETE", pods+"/web", "", "")
}

func uuidLike(s string) bool { return len(s) == 36 && s[14] == '4' }

func TestDeploymentInNamedGroup(t *testing.T) {
	ts := newTestServer(t)
	const deployments = "/apis/apps/v1/namespaces/default/deployments"
	d := create(ts, deployments, testDeployment("web", 3))
	if d.TypeMeta != api.KindDeployment || *d.Spec.Replicas != 3 || d.Spec.Strategy.Type != api.RollingUpdateDeploymentStrategyType {
		t.Errorf("created %+v %+v", d.TypeMeta, d.Spec)
	}
	getObject[*api.Deployment](ts, deployments+"/web")

	// A group version that is not the kind's is no path at all.
	for _, path := range []string{"/api/v1/namespaces/default/deployments", "/apis/apps/v2/namespaces/default/deployments/web",
		"/apis/batch/v1/namespaces/default/deployments/web"} {
		ts.expectStatus(http.StatusNotFound, ReasonNotFound, "could not find the requested resource", "GET", path, "", "")
	}
	st := ts.expectStatus(http.StatusNotFound, ReasonNotFound, `deployments.apps "db" not found`, "GET", deployments+"/db", "", "")
	if st.Details.Group != "apps" || st.Details.Kind != "deployments" {
		t.Errorf("details %+v, want group apps and kind deployments", st.Details)
	}
	ts.expect(http.StatusOK, "DELETE", deployments+"/web", "", "")
	ts.absent(deployments + "/web")
}

func TestNodeIsClusterScoped(t *testing.T) {
	ts := newTestServer(t)
	node := &api.Node{TypeMeta: api.KindNode, ObjectMeta: api.ObjectMeta{Name: "node1"},
		Status: api.NodeStatus{Capacity: api.ResourceList{"cpu": "2"}}}
	created := create(ts, "/api/v1/nodes", node)
	if created.Namespace != "" || created.Status.Capacity["cpu"] != "2" {
		t.Errorf("created %+v: want no namespace, the status kept", created)
	}
	getObject[*api.Node](ts, "/api/v1/nodes/node1")
	list := decode[*objectListBody](t, ts.expect(http.StatusOK, "GET", "/api/v1/nodes", "", ""))
	if list.Kind != "NodeList" || len(list.Items) != 1 {
		t.Errorf("list %+v", list)
	}
	// Nodes are in no namespace.
	ts.expectStatus(http.StatusNotFound, ReasonNotFound, "", "GET", "/api/v1/namespaces/default/nodes/node1", "", "")
	ts.expectStatus(http.StatusNotFound, ReasonNotFound, "", "GET", "/api/v1/namespaces/default/nodes", "", "")
	// A namespace in the body of a cluster-scoped object is invalid.
	withNS := &api.Node{TypeMeta: api.KindNode, ObjectMeta: api.ObjectMeta{Name: "node2", Namespace: "default"}}
	ts.expectStatus(http.StatusUnprocessableEntity, ReasonInvalid, "metadata.namespace: Forbidden", "POST", "/api/v1/nodes",
		"application/json", toJSON(t, withNS))
	ts.expect(http.StatusOK, "DELETE", "/api/v1/nodes/node1", "", "")
	ts.absent("/api/v1/nodes/node1")
}

func TestNamespacesPaths(t *testing.T) {
	ts := newTestServer(t)
	// The default namespaces exist, and EnsureDefaultNamespaces is idempotent.
	if err := ts.srv.EnsureDefaultNamespaces(context.Background()); err != nil {
		t.Fatal(err)
	}
	list := decode[*objectListBody](t, ts.expect(http.StatusOK, "GET", "/api/v1/namespaces", "", ""))
	var names []string
	for _, item := range list.Items {
		names = append(names, decode[*api.Namespace](t, item).Name)
	}
	if fmt.Sprint(names) != "[default kube-node-lease kube-system]" {
		t.Errorf("namespaces %v", names)
	}
	ns := getObject[*api.Namespace](ts, "/api/v1/namespaces/default")
	if ns.Status.Phase != api.NamespaceActive {
		t.Errorf("namespace default: phase %q", ns.Status.Phase)
	}
	// /namespaces/{name}/status is the Namespace's status, not a resource "status".
	getObject[*api.Namespace](ts, "/api/v1/namespaces/default/status")

	create(ts, "/api/v1/namespaces", &api.Namespace{TypeMeta: api.KindNamespace, ObjectMeta: api.ObjectMeta{Name: "dev"}})
	create(ts, "/api/v1/namespaces/dev/pods", testPod("web", nil))
	getObject[*api.Pod](ts, "/api/v1/namespaces/dev/pods/web")

	ts.expectStatus(http.StatusNotFound, ReasonNotFound, `namespaces "nope" not found`, "POST", "/api/v1/namespaces/nope/pods",
		"application/json", toJSON(t, testPod("web", nil)))
	ts.expectStatus(http.StatusForbidden, ReasonForbidden, "may not be deleted", "DELETE", "/api/v1/namespaces/default", "", "")
}

// A path segment that is empty, "." or ".." names no object: the answer
// is 404, and no other object is read or written. (Go's ServeMux would
// redirect .../pods/.. to the Namespace, and a client follows it.)
func TestPathsWithDotSegments(t *testing.T) {
	ts := newTestServer(t)
	create(ts, "/api/v1/namespaces", &api.Namespace{TypeMeta: api.KindNamespace, ObjectMeta: api.ObjectMeta{Name: "dev"}})
	create(ts, "/api/v1/namespaces/dev/pods", testPod("web", nil))
	for _, path := range []string{
		"/api/v1/namespaces/dev/pods/..",
		"/api/v1/namespaces/dev/pods/%2E%2E",
		"/api/v1/namespaces/dev/pods/.",
		"/api/v1/namespaces/dev/pods/..%2F..%2Fnodes",
		"/api/v1/namespaces/dev/pods//",
		"/api/v1/namespaces/%2E%2E/pods",
		"/api/v1/namespaces/dev/../dev/pods/web",
		"/api/v1/nodes/..",
	} {
		ts.expectStatus(http.StatusNotFound, ReasonNotFound, "the server could not find the requested resource", "GET", path, "", "")
		ts.expectStatus(http.StatusNotFound, ReasonNotFound, "the server could not find the requested resource", "DELETE", path, "", "")
	}
	if ns := getObject[*api.Namespace](ts, "/api/v1/namespaces/dev"); ns.DeletionTimestamp != nil {
		t.Errorf("namespace dev is being deleted: %+v", ns.ObjectMeta)
	}
	getObject[*api.Pod](ts, "/api/v1/namespaces/dev/pods/web")
}

func TestJobInBatch(t *testing.T) {
	ts := newTestServer(t)
	const jobs = "/apis/batch/v1/namespaces/default/jobs"
	job := &api.Job{TypeMeta: api.KindJob, ObjectMeta: api.ObjectMeta{GenerateName: "pi-"},
		Spec: api.JobSpec{Template: testTemplate(nil)}}
	job.Spec.Template.Spec.RestartPolicy = api.RestartPolicyNever
	created := create(ts, jobs, job)
	// The name is made before the defaults, which label the pods with it.
	if !strings.HasPrefix(created.Name, "pi-") || created.Spec.Template.Labels[api.JobNameLabel] != created.Name ||
		created.Spec.Selector.MatchLabels[api.JobControllerUIDLabel] != created.UID {
		t.Errorf("created %s: template labels %v, selector %+v", created.Name, created.Spec.Template.Labels, created.Spec.Selector)
	}
	getObject[*api.Job](ts, jobs+"/"+created.Name)

	// A PUT without the generated selector gets it again: not a change.
	created.Spec.Selector = nil
	updated := decode[*api.Job](t, ts.expect(http.StatusOK, "PUT", jobs+"/"+created.Name, "application/json", toJSON(t, created)))
	if updated.Generation != 1 {
		t.Errorf("generation %d after a PUT of the same spec, want 1", updated.Generation)
	}
	// A changed selector is refused.
	updated.Spec.Selector.MatchLabels["extra"] = "x"
	updated.Spec.ManualSelector = new(true)
	ts.expectStatus(http.StatusUnprocessableEntity, ReasonInvalid, "spec.selector: Invalid value", "PUT", jobs+"/"+created.Name,
		"application/json", toJSON(t, updated))
}

func TestGenerateName(t *testing.T) {
	ts := newTestServer(t)
	seen := map[string]bool{}
	for range 5 {
		pod := testPod("", nil)
		pod.GenerateName = "web-"
		got := create(ts, "/api/v1/namespaces/default/pods", pod)
		suffix, ok := strings.CutPrefix(got.Name, "web-")
		if !ok || len(suffix) != 5 || strings.Trim(suffix, nameAlphabet) != "" || got.GenerateName != "web-" {
			t.Errorf("generated name %q", got.Name)
		}
		if seen[got.Name] {
			t.Errorf("name %q twice", got.Name)
		}
		seen[got.Name] = true
	}
	// Neither name nor generateName.
	ts.expectStatus(http.StatusUnprocessableEntity, ReasonInvalid, "metadata.name: Required value", "POST",
		"/api/v1/namespaces/default/pods", "application/json", toJSON(t, testPod("", nil)))
}

func TestCreateBadRequests(t *testing.T) {
	ts := newTestServer(t)
	const pods = "/api/v1/namespaces/default/pods"
	pod := toJSON(t, testPod("web", nil))
	for _, tc := range []struct {
		name, contentType, body string
		code                    int
		reason, msg             string
	}{
		{"unknown field", "application/json",
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"a","imagee":"busybox"}]}}`,
			400, ReasonBadRequest, `unknown field "imagee"`},
		{"two objects", "application/yaml", pod + "\n---\n" + pod, 400, ReasonBadRequest, "exactly one object, it holds 2"},
		{"no object", "application/json", " ", 400, ReasonBadRequest, "exactly one object, it holds 0"},
		{"another kind", "application/json", toJSON(t, testDeployment("web", 1)), 400, ReasonBadRequest, "holds a Deployment"},
		{"another namespace", "application/json",
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"kube-system"},"spec":{"containers":[{"name":"a","image":"busybox"}]}}`,
			400, ReasonBadRequest, "the namespace of the provided object does not match the namespace sent on the request"},
		{"a form", "application/x-www-form-urlencoded", pod, 415, ReasonUnsupportedMediaType, "application/json"},
		{"too large", "application/json", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","annotations":{"a":"` +
			strings.Repeat("x", maxBodyBytes) + `"}}}`, 413, ReasonRequestEntityTooLarge, "larger than"},
	} {
		t.Log(tc.name)
		ts.expectStatus(tc.code, tc.reason, tc.msg, "POST", pods, tc.contentType, tc.body)
	}
	items, _, err := ts.st.List(context.Background(), store.Key("pods", "", ""))
	if err != nil || len(items) != 0 {
		t.Errorf("pods stored after bad requests: %d, %v", len(items), err)
	}

	// Methods a path does not take.
	for _, tc := range []struct{ method, path string }{
		{"PUT", pods}, {"POST", pods + "/web"}, {"POST", "/api/v1/pods"}, {"DELETE", pods + "/web/status"}, {"GET", pods + "/web/binding"},
	} {
		ts.expectStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, tc.method, tc.method, tc.path, "application/json", pod)
	}
	// Paths that name nothing.
	for _, path := range []string{pods + "/web/logs", "/api/v1/widgets", "/api/v1/nodes/node1/binding", "/api/v1/events/e1/status",
		pods + "/", "/api/v1/pods/web", "/api/v2/pods", "/apis/apps"} {
		ts.expectStatus(http.StatusNotFound, ReasonNotFound, "", "GET", path, "", "")
	}
}

// Every invalid field is listed, in the message and as a cause.
func TestInvalidListsEveryError(t *testing.T) {
	ts := newTestServer(t)
	body := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"Web"},"spec":{"containers":[{"name":"app"}]}}`
	st := ts.expectStatus(http.StatusUnprocessableEntity, ReasonInvalid, `Pod "Web" is invalid: [`,
		"POST", "/api/v1/namespaces/default/pods", "application/json", body)
	fields := map[string]statusCause{}
	for _, c := range st.Details.Causes {
		fields[c.Field] = c
	}
	if c := fields["spec.containers[0].image"]; c.Reason != "FieldValueRequired" || c.Message != "Required value" {
		t.Errorf("cause of the image: %+v", c)
	}
	if c := fields["metadata.name"]; c.Reason != "FieldValueInvalid" || !strings.HasPrefix(c.Message, `Invalid value: "Web": `) {
		t.Errorf("cause of the name: %+v", c)
	}
	if st.Details.Name != "Web" || st.Details.Kind != "Pod" || !strings.Contains(st.Message, "spec.containers[0].image: Required value") {
		t.Errorf("status %+v", st)
	}

	// The group of a named group's kind qualifies it.
	d := testDeployment("web", 1)
	d.Spec.Template.Labels = map[string]string{"app": "other"}
	st = ts.expectStatus(http.StatusUnprocessableEntity, ReasonInvalid, `Deployment.apps "web" is invalid: spec.template.metadata.labels`,
		"POST", "/apis/apps/v1/namespaces/default/deployments", "application/json", toJSON(t, d))
	if st.Details.Group != "apps" || st.Details.Kind != "Deployment" || len(st.Details.Causes) != 1 {
		t.Errorf("details %+v", st.Details)
	}
}

func TestAuthWritesNothing(t *testing.T) {
	ts := newTestServer(t)
	pod := toJSON(t, testPod("web", nil))
	for _, token := range []string{"", "wrong-token"} {
		code, body := ts.doToken("POST", "/api/v1/namespaces/default/pods", "application/json", pod, token)
		if code != http.StatusUnauthorized || !strings.Contains(string(body), `"reason":"Unauthorized"`) {
			t.Errorf("POST with token %q: %d %s, want 401", token, code, body)
		}
		code, body = ts.doToken("GET", "/api/v1/namespaces/default/pods", "", "", token)
		if code != http.StatusUnauthorized {
			t.Errorf("GET with token %q: %d %s, want 401", token, code, body)
		}
	}
	items, _, err := ts.st.List(context.Background(), store.Key("pods", "", ""))
	if err != nil || len(items) != 0 {
		t.Errorf("pods stored by unauthorized requests: %d, %v", len(items), err)
	}
}

func TestDiscoveryOfResources(t *testing.T) {
	ts := newTestServer(t)
	var list struct {
		Kind         string        `json:"kind"`
		GroupVersion string        `json:"groupVersion"`
		Resources    []apiResource `json:"resources"`
	}
	if err := json.Unmarshal(ts.expect(http.StatusOK, "GET", "/apis/apps/v1", "", ""), &list); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, r := range list.Resources {
		names[r.Name] = r.Namespaced
	}
	if list.Kind != "APIResourceList" || list.GroupVersion != "apps/v1" || !names["deployments"] || !names["deployments/status"] {
		t.Errorf("apps/v1 resources: %+v", list)
	}
	if err := json.Unmarshal(ts.expect(http.StatusOK, "GET", "/api/v1", "", ""), &list); err != nil {
		t.Fatal(err)
	}
	names = map[string]bool{}
	for _, r := range list.Resources {
		names[r.Name] = r.Namespaced
	}
	if _, ok := names["pods/binding"]; !ok || names["nodes"] || !names["pods"] {
		t.Errorf("v1 resources: %+v", list.Resources)
	}
	ts.expectStatus(http.StatusNotFound, ReasonNotFound, "", "GET", "/apis/apps/v9", "", "")
}

// objectListBody is a list as a client reads it.
type objectListBody struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Metadata   struct {
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}
