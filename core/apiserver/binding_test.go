package apiserver

import (
	"net/http"
	"testing"

	"github.com/podlab/podlab/core/api"
)

func TestBinding(t *testing.T) {
	ts := newTestServer(t)
	create(ts, pods, testPod("web", nil))
	body := `{"apiVersion":"v1","kind":"Binding","metadata":{"name":"web","namespace":"default"},"target":{"apiVersion":"v1","kind":"Node","name":"node1"}}`
	got := decode[*statusBody](t, ts.expect(http.StatusCreated, "POST", pods+"/web/binding", "application/json", body))
	if got.Kind != "Status" || got.Status != "Success" || got.Code != http.StatusCreated {
		t.Errorf("binding answered %+v, want a Success Status", got)
	}
	p := getObject[*api.Pod](ts, pods+"/web")
	if p.Spec.NodeName != "node1" || len(p.Status.Conditions) != 1 || p.Status.Conditions[0].Type != api.PodScheduled ||
		p.Status.Conditions[0].Status != api.ConditionTrue {
		t.Errorf("bound pod: nodeName %q, conditions %+v", p.Spec.NodeName, p.Status.Conditions)
	}

	// Once bound, always bound: a second scheduler loses.
	other := `{"apiVersion":"v1","kind":"Binding","metadata":{"name":"web"},"target":{"kind":"Node","name":"node2"}}`
	ts.expectStatus(http.StatusConflict, ReasonConflict, `pod web is already assigned to node "node1"`,
		"POST", pods+"/web/binding", "application/json", other)

	for _, tc := range []struct {
		path, body  string
		code        int
		reason, msg string
	}{
		{pods + "/db/binding", `{"apiVersion":"v1","kind":"Binding","target":{"name":"node1"}}`, 404, ReasonNotFound, `pods "db" not found`},
		{pods + "/web/binding", `{"apiVersion":"v1","kind":"Binding","metadata":{"name":"db"},"target":{"name":"n"}}`, 400, ReasonBadRequest, "does not match the name"},
		{pods + "/web/binding", `{"apiVersion":"v1","kind":"Binding","target":{"name":"n"},"extra":1}`, 400, ReasonBadRequest, `unknown field "extra"`},
		{pods + "/web/binding", `{"apiVersion":"v1","kind":"Pod","target":{"name":"n"}}`, 400, ReasonBadRequest, "must be a Binding"},
		{pods + "/web/binding", `{"apiVersion":"v1","kind":"Binding","target":{"kind":"Node"}}`, 422, ReasonInvalid, "target.name: Required value"},
		{pods + "/web/binding", `{"apiVersion":"v1","kind":"Binding","target":{"kind":"Pod","name":"x"}}`, 422, ReasonInvalid, "target.kind: Unsupported value"},
	} {
		ts.expectStatus(tc.code, tc.reason, tc.msg, "POST", tc.path, "application/json", tc.body)
	}

	// A pod being deleted is not bound; a finalizer keeps this one.
	create(ts, pods, testPod("late", nil))
	late := getObject[*api.Pod](ts, pods+"/late")
	late.Finalizers = []string{"example.com/hold"}
	ts.expect(http.StatusOK, "PUT", pods+"/late", "application/json", toJSON(t, late))
	ts.expect(http.StatusOK, "DELETE", pods+"/late", "", "")
	ts.expectStatus(http.StatusConflict, ReasonConflict, "pod late is being deleted",
		"POST", pods+"/late/binding", "application/json", `{"apiVersion":"v1","kind":"Binding","target":{"name":"node1"}}`)
}
