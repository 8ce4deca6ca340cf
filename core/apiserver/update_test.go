package apiserver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/podlab/podlab/core/api"
)

const deployments = "/apis/apps/v1/namespaces/default/deployments"

func TestUpdateConflicts(t *testing.T) {
	ts := newTestServer(t)
	d := create(ts, deployments, testDeployment("web", 1))

	// Two clients read the same version; the second writer loses.
	first, second := api.DeepCopy(d), api.DeepCopy(d)
	first.Spec.Replicas = new(int32(2))
	ts.expect(http.StatusOK, "PUT", deployments+"/web", "application/json", toJSON(t, first))
	second.Spec.Replicas = new(int32(5))
	st := ts.expectStatus(http.StatusConflict, ReasonConflict,
		`Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again`,
		"PUT", deployments+"/web", "application/json", toJSON(t, second))
	if st.Details.Name != "web" || st.Details.Kind != "deployments" {
		t.Errorf("details %+v", st.Details)
	}
	if got := getObject[*api.Deployment](ts, deployments+"/web"); *got.Spec.Replicas != 2 {
		t.Errorf("replicas %d after the conflict, want the first writer's 2", *got.Spec.Replicas)
	}

	// No resourceVersion at all.
	second.ResourceVersion = ""
	ts.expectStatus(http.StatusUnprocessableEntity, ReasonInvalid, "metadata.resourceVersion: Invalid value: 0: must be specified for an update",
		"PUT", deployments+"/web", "application/json", toJSON(t, second))
	// Another name, another namespace.
	ts.expectStatus(http.StatusBadRequest, ReasonBadRequest, "does not match the name on the URL",
		"PUT", deployments+"/other", "application/json", toJSON(t, first))
	first.Namespace = "kube-system"
	ts.expectStatus(http.StatusBadRequest, ReasonBadRequest, "namespace of the provided object does not match",
		"PUT", deployments+"/web", "application/json", toJSON(t, first))
	ts.expectStatus(http.StatusNotFound, ReasonNotFound, `deployments.apps "db" not found`,
		"PUT", deployments+"/db", "application/json", strings.Replace(toJSON(t, d), `"name":"web"`, `"name":"db"`, 1))
}

func TestUpdateKeepsWhatTheServerDecides(t *testing.T) {
	ts := newTestServer(t)
	d := create(ts, deployments, testDeployment("web", 1))
	d.Status.Replicas = 1 // as a controller reports it
	d = decode[*api.Deployment](t, ts.expect(http.StatusOK, "PUT", deployments+"/web/status", "application/json", toJSON(t, d)))

	// A PUT of the main resource changes metadata and spec, never status,
	// uid or creationTimestamp.
	put := api.DeepCopy(d)
	put.UID = "11111111-2222-4333-8444-555555555555"
	put.CreationTimestamp = put.CreationTimestamp.Add(-3600e9)
	put.Generation = 42
	put.Status.Replicas = 7
	put.Labels = map[string]string{"tier": "front"}
	got := decode[*api.Deployment](t, ts.expect(http.StatusOK, "PUT", deployments+"/web", "application/json", toJSON(t, put)))
	if got.UID != d.UID || !got.CreationTimestamp.Equal(d.CreationTimestamp) || got.Status.Replicas != 1 || got.Labels["tier"] != "front" {
		t.Errorf("after PUT: uid %s, created %v, status.replicas %d, labels %v", got.UID, got.CreationTimestamp, got.Status.Replicas, got.Labels)
	}
	if got.Generation != 1 {
		t.Errorf("generation %d after a metadata change, want 1", got.Generation)
	}

	// A spec change bumps the generation, once per change.
	got.Spec.Replicas = new(int32(3))
	got = decode[*api.Deployment](t, ts.expect(http.StatusOK, "PUT", deployments+"/web", "application/json", toJSON(t, got)))
	if got.Generation != 2 || *got.Spec.Replicas != 3 {
		t.Errorf("generation %d, replicas %d after a spec change; want 2, 3", got.Generation, *got.Spec.Replicas)
	}

	// The status subresource takes only the status: spec and labels of
	// the body are ignored, and the generation stays.
	body := api.DeepCopy(got)
	body.Spec.Replicas = new(int32(10))
	body.Labels = nil
	body.Status.Replicas = 3
	body.Status.ObservedGeneration = 2
	st := decode[*api.Deployment](t, ts.expect(http.StatusOK, "PUT", deployments+"/web/status", "application/json", toJSON(t, body)))
	if *st.Spec.Replicas != 3 || st.Labels["tier"] != "front" || st.Status.Replicas != 3 || st.Generation != 2 {
		t.Errorf("after a status PUT: replicas %d, labels %v, status %+v, generation %d", *st.Spec.Replicas, st.Labels, st.Status, st.Generation)
	}
	// A stale resourceVersion is a conflict on the status too; none is
	// unconditional.
	ts.expectStatus(http.StatusConflict, ReasonConflict, "the object has been modified",
		"PUT", deployments+"/web/status", "application/json", toJSON(t, body))
	body.ResourceVersion = ""
	body.Status.Replicas = 2
	st = decode[*api.Deployment](t, ts.expect(http.StatusOK, "PUT", deployments+"/web/status", "application/json", toJSON(t, body)))
	if st.Status.Replicas != 2 {
		t.Errorf("status.replicas %d after an unconditional status PUT, want 2", st.Status.Replicas)
	}

	// Writing the same object again writes nothing: same resourceVersion.
	same := decode[*api.Deployment](t, ts.expect(http.StatusOK, "PUT", deployments+"/web", "application/json", toJSON(t, st)))
	if same.ResourceVersion != st.ResourceVersion {
		t.Errorf("a no-op PUT moved the resourceVersion from %s to %s", st.ResourceVersion, same.ResourceVersion)
	}
}

func TestUpdateRules(t *testing.T) {
	ts := newTestServer(t)
	d := create(ts, deployments, testDeployment("web", 1))
	d.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"app": "web", "v": "2"}}
	d.Spec.Template.Labels["v"] = "2"
	ts.expectStatus(http.StatusUnprocessableEntity, ReasonInvalid, `spec.selector: Invalid value: "app=web,v=2": field is immutable`,
		"PUT", deployments+"/web", "application/json", toJSON(t, d))

	// A pod's node is set by a binding, never by an update.
	const pods = "/api/v1/namespaces/default/pods"
	p := create(ts, pods, testPod("web", nil))
	p.Spec.NodeName = "node1"
	ts.expectStatus(http.StatusUnprocessableEntity, ReasonInvalid, "spec.nodeName: Forbidden",
		"PUT", pods+"/web", "application/json", toJSON(t, p))
	bind(ts, "default", "web", "node1")
	p = getObject[*api.Pod](ts, pods+"/web")
	p.Spec.NodeName = ""
	ts.expectStatus(http.StatusUnprocessableEntity, ReasonInvalid, "spec.nodeName: Forbidden",
		"PUT", pods+"/web", "application/json", toJSON(t, p))

	// A status is validated too.
	n := create(ts, "/api/v1/nodes", &api.Node{TypeMeta: api.KindNode, ObjectMeta: api.ObjectMeta{Name: "node1"}})
	n.Status.Conditions = []api.NodeCondition{{Type: "Ready", Status: "Maybe"}}
	ts.expectStatus(http.StatusUnprocessableEntity, ReasonInvalid, "status.conditions[0].status: Unsupported value",
		"PUT", "/api/v1/nodes/node1/status", "application/json", toJSON(t, n))
	// Events have no status subresource.
	ts.expectStatus(http.StatusNotFound, ReasonNotFound, "", "GET", "/api/v1/namespaces/default/events/e/status", "", "")
}

func TestMergePatch(t *testing.T) {
	ts := newTestServer(t)
	d := create(ts, deployments, testDeployment("web", 1))
	path := deployments + "/web"

	// Add a label and scale: objects merge, other keys stay.
	got := decode[*api.Deployment](t, ts.expect(http.StatusOK, "PATCH", path, mergePatchType,
		`{"metadata":{"labels":{"tier":"front","team":"a"}},"spec":{"replicas":3}}`))
	if got.Labels["tier"] != "front" || got.Labels["team"] != "a" || *got.Spec.Replicas != 3 || got.Generation != 2 ||
		got.Spec.Template.Spec.Containers[0].Image != "busybox" || got.UID != d.UID {
		t.Errorf("after the patch: labels %v, replicas %d, generation %d, spec %+v", got.Labels, *got.Spec.Replicas, got.Generation, got.Spec)
	}
	// null deletes a key; a metadata-only patch leaves the generation.
	got = decode[*api.Deployment](t, ts.expect(http.StatusOK, "PATCH", path, mergePatchType, `{"metadata":{"labels":{"tier":null}}}`))
	if _, ok := got.Labels["tier"]; ok || got.Labels["team"] != "a" || got.Generation != 2 {
		t.Errorf("after deleting a label: labels %v, generation %d", got.Labels, got.Generation)
	}
	// Lists are replaced whole.
	got = decode[*api.Deployment](t, ts.expect(http.StatusOK, "PATCH", path, mergePatchType,
		`{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx"}]}}}}`))
	if c := got.Spec.Template.Spec.Containers; len(c) != 1 || c[0].Image != "nginx" {
		t.Errorf("containers %+v", c)
	}

	// A patch without resourceVersion never conflicts; one with a stale
	// one does.
	ts.expectStatus(http.StatusConflict, ReasonConflict, "the object has been modified", "PATCH", path, mergePatchType,
		`{"metadata":{"resourceVersion":"`+d.ResourceVersion+`"},"spec":{"replicas":5}}`)
	got = decode[*api.Deployment](t, ts.expect(http.StatusOK, "PATCH", path, mergePatchType,
		`{"metadata":{"resourceVersion":"`+got.ResourceVersion+`"},"spec":{"replicas":5}}`))
	if *got.Spec.Replicas != 5 {
		t.Errorf("replicas %d, want 5", *got.Spec.Replicas)
	}

	// The status subresource: only the status is taken.
	got = decode[*api.Deployment](t, ts.expect(http.StatusOK, "PATCH", path+"/status", mergePatchType,
		`{"spec":{"replicas":9},"status":{"replicas":5,"readyReplicas":4}}`))
	if got.Status.Replicas != 5 || got.Status.ReadyReplicas != 4 || *got.Spec.Replicas != 5 {
		t.Errorf("after a status patch: status %+v, replicas %d", got.Status, *got.Spec.Replicas)
	}
	// ...and the main resource ignores the status.
	got = decode[*api.Deployment](t, ts.expect(http.StatusOK, "PATCH", path, mergePatchType, `{"status":{"replicas":1}}`))
	if got.Status.Replicas != 5 {
		t.Errorf("status.replicas %d after a main-resource patch, want 5", got.Status.Replicas)
	}

	for _, tc := range []struct {
		contentType, body string
		code              int
		reason, msg       string
	}{
		{mergePatchType, `{"spec":{"replicaz":3}}`, 400, ReasonBadRequest, `unknown field "replicaz" in spec`},
		{mergePatchType, `{"spec":{"replicas":-1}}`, 422, ReasonInvalid, "spec.replicas"},
		{mergePatchType, `{"metadata":{"name":"other"}}`, 400, ReasonBadRequest, "does not match the name on the URL"},
		{mergePatchType, `{"kind":"Pod"}`, 400, ReasonBadRequest, ""},
		{mergePatchType, `[1]`, 400, ReasonBadRequest, "must be a JSON object"},
		{mergePatchType, `{"a":1} {"b":2}`, 400, ReasonBadRequest, "must be a JSON object"},
		{"application/json-patch+json", `[]`, 415, ReasonUnsupportedMediaType, mergePatchType},
		{"application/strategic-merge-patch+json", `{}`, 415, ReasonUnsupportedMediaType, mergePatchType},
		{"", `{}`, 415, ReasonUnsupportedMediaType, mergePatchType},
	} {
		ts.expectStatus(tc.code, tc.reason, tc.msg, "PATCH", path, tc.contentType, tc.body)
	}
	ts.expectStatus(http.StatusNotFound, ReasonNotFound, `deployments.apps "db" not found`, "PATCH", deployments+"/db", mergePatchType, `{}`)
}

func TestMergePatchRFC7386(t *testing.T) {
	// The examples of RFC 7386, appendix A.
	for _, tc := range []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	} {
		var target, patch any
		if err := decodeJSON([]byte(tc.target), &target); err != nil {
			t.Fatal(err)
		}
		if err := decodeJSON([]byte(tc.patch), &patch); err != nil {
			t.Fatal(err)
		}
		if got := toJSON(t, api.MergePatch(target, patch)); got != tc.want {
			t.Errorf("merge %s into %s: %s, want %s", tc.patch, tc.target, got, tc.want)
		}
	}
}
