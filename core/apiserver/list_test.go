package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/podlab/podlab/core/api"
)

// listNames lists path with query and returns "namespace/name" of each
// item, checking the list's kind and that every item has its own.
func listNames(ts *testServer, path string, query url.Values, listKind string) ([]string, *objectListBody) {
	ts.t.Helper()
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	list := decode[*objectListBody](ts.t, ts.expect(http.StatusOK, "GET", path, "", ""))
	if list.Kind != listKind || list.Items == nil {
		ts.t.Errorf("GET %s: kind %q, items %v; want %s and an array", path, list.Kind, list.Items, listKind)
	}
	if _, err := strconv.ParseInt(list.Metadata.ResourceVersion, 10, 64); err != nil {
		ts.t.Errorf("GET %s: list resourceVersion %q", path, list.Metadata.ResourceVersion)
	}
	names := []string{}
	for _, raw := range list.Items {
		var item struct {
			api.TypeMeta `json:",inline"`
			Metadata     api.ObjectMeta `json:"metadata"`
		}
		decodeInto(ts.t, raw, &item)
		if item.APIVersion == "" || item.Kind == "" || item.Metadata.ResourceVersion == "" {
			ts.t.Errorf("GET %s: item without apiVersion, kind or resourceVersion: %s", path, raw)
		}
		names = append(names, item.Metadata.Namespace+"/"+item.Metadata.Name)
	}
	return names, list
}

func decodeInto(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
}

func TestListSelectors(t *testing.T) {
	ts := newTestServer(t)
	create(ts, "/api/v1/namespaces", &api.Namespace{TypeMeta: api.KindNamespace, ObjectMeta: api.ObjectMeta{Name: "a-b"}})
	create(ts, "/api/v1/namespaces", &api.Namespace{TypeMeta: api.KindNamespace, ObjectMeta: api.ObjectMeta{Name: "a"}})
	for _, p := range []struct{ ns, name, app, node string }{
		{"default", "web-2", "web", "node1"},
		{"default", "web-1", "web", "node2"},
		{"default", "db", "db", "node1"},
		{"a-b", "web", "web", ""},
		{"a", "web", "web", "node1"},
	} {
		pod := testPod(p.name, map[string]string{"app": p.app})
		create(ts, "/api/v1/namespaces/"+p.ns+"/pods", pod)
		if p.node != "" {
			bind(ts, p.ns, p.name, p.node)
		}
	}
	const all, dflt = "/api/v1/pods", "/api/v1/namespaces/default/pods"
	for _, tc := range []struct {
		path, labels, fields, want string
	}{
		{all, "", "", "[a/web a-b/web default/db default/web-1 default/web-2]"}, // by namespace, then name
		{dflt, "", "", "[default/db default/web-1 default/web-2]"},
		{dflt, "app=web", "", "[default/web-1 default/web-2]"},
		{all, "app in (db),app", "", "[default/db]"},
		{all, "app!=web", "", "[default/db]"},
		{all, "", "spec.nodeName=node1", "[a/web default/db default/web-2]"},
		{all, "", "spec.nodeName==node1,metadata.namespace!=a", "[default/db default/web-2]"},
		{all, "", "spec.nodeName=", "[a-b/web]"},
		{all, "app=web", "spec.nodeName=node1", "[a/web default/web-2]"},
		{dflt, "", "metadata.name=web-1", "[default/web-1]"},
		{dflt, "", "status.phase=Pending", "[default/db default/web-1 default/web-2]"},
		{dflt, "app=nothing", "", "[]"},
	} {
		q := url.Values{}
		if tc.labels != "" {
			q.Set("labelSelector", tc.labels)
		}
		if tc.fields != "" {
			q.Set("fieldSelector", tc.fields)
		}
		got, _ := listNames(ts, tc.path, q, "PodList")
		if fmt.Sprint(got) != tc.want {
			t.Errorf("GET %s?%s: %v, want %s", tc.path, q.Encode(), got, tc.want)
		}
	}

	for _, tc := range []struct{ query, msg string }{
		{"labelSelector=app%3D%3D%3Dweb", "unable to parse labelSelector"},
		{"fieldSelector=spec.containers=x", "field label not supported: spec.containers"},
		{"fieldSelector=metadata.name", "invalid field selector"},
		{"watch=maybe", "watch"},
	} {
		ts.expectStatus(http.StatusBadRequest, ReasonBadRequest, tc.msg, "GET", dflt+"?"+tc.query, "", "")
	}
	// Events have fields of their own; nodes do not have a pod's.
	names, _ := listNames(ts, "/api/v1/events", url.Values{"fieldSelector": {"involvedObject.name=web"}}, "EventList")
	if len(names) != 0 {
		t.Errorf("events: %v", names)
	}
	ts.expectStatus(http.StatusBadRequest, ReasonBadRequest, "field label not supported: spec.nodeName",
		"GET", "/api/v1/nodes?fieldSelector=spec.nodeName%3Dx", "", "")
	names, list := listNames(ts, "/apis/apps/v1/deployments", nil, "DeploymentList")
	if len(names) != 0 || list.APIVersion != "apps/v1" {
		t.Errorf("deployments: %v, apiVersion %q", names, list.APIVersion)
	}
}

// bind binds pod ns/name to node, expecting 201.
func bind(ts *testServer, ns, name, node string) {
	ts.t.Helper()
	body := fmt.Sprintf(`{"apiVersion":"v1","kind":"Binding","metadata":{"name":%q},"target":{"apiVersion":"v1","kind":"Node","name":%q}}`, name, node)
	ts.expect(http.StatusCreated, "POST", "/api/v1/namespaces/"+ns+"/pods/"+name+"/binding", "application/json", body)
}
