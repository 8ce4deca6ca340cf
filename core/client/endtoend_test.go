package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
)

// The end-to-end test runs a Resource, an Informer and a Recorder against
// a fake API server that speaks just enough of the Kubernetes protocol:
// paths, query parameters, bearer token, content types, Status errors,
// and a watch stream of newline-delimited {"type","object"} JSON.

const testToken = "s3cret"

// fakeAPIServer answers for pods and events in every namespace.
type fakeAPIServer struct {
	t *testing.T

	mu      sync.Mutex
	lists   int                   // pod lists so far
	watches int                   // pod watches so far
	events  map[string]*api.Event // by namespace/name
	patches []string              // the bodies of event patches

	watchQueries chan url.Values // the query of every pod watch
}

func newFakeAPIServer(t *testing.T) (*fakeAPIServer, *httptest.Server) {
	f := &fakeAPIServer{t: t, events: map[string]*api.Event{}, watchQueries: make(chan url.Values, 10)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/namespaces/{ns}/pods", f.listOrWatchPods)
	mux.HandleFunc("GET /api/v1/namespaces/{ns}/pods/{name}", f.getPod)
	mux.HandleFunc("POST /api/v1/namespaces/{ns}/pods", f.createPod)
	mux.HandleFunc("PUT /api/v1/namespaces/{ns}/pods/{name}", f.updatePod)
	mux.HandleFunc("POST /api/v1/namespaces/{ns}/events", f.createEvent)
	mux.HandleFunc("PATCH /api/v1/namespaces/{ns}/events/{name}", f.patchEvent)
	srv := httptest.NewServer(authenticate(mux))
	t.Cleanup(srv.Close)
	return f, srv
}

// authenticate refuses requests without the bearer token, as the podlab
// API server does.
func authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			writeStatus(w, 401, "Unauthorized", "Unauthorized", nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// writeStatus answers with a Kubernetes Status, as a failed request does.
func writeStatus(w http.ResponseWriter, code int, reason, message string, details any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{
		"kind": "Status", "apiVersion": "v1", "status": "Failure",
		"message": message, "reason": reason, "details": details, "code": code,
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func testPod(name, rv string) *api.Pod {
	return &api.Pod{TypeMeta: api.KindPod, ObjectMeta: api.ObjectMeta{
		Namespace: "default", Name: name, ResourceVersion: rv, Labels: map[string]string{"app": "web"},
	}}
}

// listOrWatchPods: the first list has a and b at 10. The first watch
// (from 10) adds c, changes a, then says 410 Gone; meanwhile b went and
// d came, so the second list, at 20, has a, c and d. Later watches stay
// open, with nothing to say.
func (f *fakeAPIServer) listOrWatchPods(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("labelSelector") != "app=web" {
		f.t.Errorf("%s %s: labelSelector %q, want \"app=web\"", r.Method, r.URL, q.Get("labelSelector"))
	}
	if q.Get("watch") != "true" {
		f.listPods(w)
		return
	}
	f.mu.Lock()
	f.watches++
	first := f.watches == 1
	f.mu.Unlock()
	select {
	case f.watchQueries <- q:
	default: // more watches than the test reads: a failure shows elsewhere
	}

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if !first {
		w.(http.Flusher).Flush()
		<-r.Context().Done() // until the client goes
		return
	}
	enc := json.NewEncoder(w) // one JSON object per line
	enc.Encode(map[string]any{"type": "ADDED", "object": testPod("c", "11")})
	enc.Encode(map[string]any{"type": "MODIFIED", "object": testPod("a", "12")})
	enc.Encode(map[string]any{"type": "ERROR", "object": map[string]any{
		"kind": "Status", "apiVersion": "v1", "status": "Failure",
		"message": "too old resource version: 10 (15)", "reason": "Expired", "code": 410,
	}})
}

func (f *fakeAPIServer) listPods(w http.ResponseWriter) {
	f.mu.Lock()
	f.lists++
	first := f.lists == 1
	f.mu.Unlock()
	list := map[string]any{"kind": "PodList", "apiVersion": "v1", "metadata": map[string]string{"resourceVersion": "10"},
		"items": []*api.Pod{testPod("a", "1"), testPod("b", "2")}}
	if !first {
		list["metadata"] = map[string]string{"resourceVersion": "20"}
		list["items"] = []*api.Pod{testPod("a", "12"), testPod("c", "11"), testPod("d", "15")}
	}
	writeJSON(w, list)
}

func (f *fakeAPIServer) getPod(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	writeStatus(w, 404, "NotFound", fmt.Sprintf("pods %q not found", name), map[string]string{"name": name, "kind": "pods"})
}

func (f *fakeAPIServer) createPod(w http.ResponseWriter, r *http.Request) {
	var p api.Pod
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		writeStatus(w, 400, "BadRequest", err.Error(), nil)
		return
	}
	switch p.Name {
	case "taken":
		writeStatus(w, 409, "AlreadyExists", `pods "taken" already exists`, map[string]string{"name": "taken", "kind": "pods"})
	case "bad":
		writeStatus(w, 422, "Invalid", `Pod "bad" is invalid: spec.containers: Required value`, map[string]any{
			"name": "bad", "kind": "Pod",
			"causes": []map[string]string{{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers"}},
		})
	default:
		writeStatus(w, 500, "InternalError", "not in this test", nil)
	}
}

func (f *fakeAPIServer) updatePod(w http.ResponseWriter, r *http.Request) {
	writeStatus(w, 409, "Conflict", `Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again`,
		map[string]string{"name": "web", "kind": "pods"})
}

func (f *fakeAPIServer) createEvent(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("create event: Content-Type %q, want application/json", ct)
	}
	var ev api.Event
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		writeStatus(w, 400, "BadRequest", err.Error(), nil)
		return
	}
	if ev.TypeMeta != api.KindEvent || ev.Namespace != r.PathValue("ns") {
		writeStatus(w, 400, "BadRequest", fmt.Sprintf("event %+v in %s/%s", ev.TypeMeta, ev.Namespace, r.PathValue("ns")), nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ev.ResourceVersion = "1"
	f.events[KeyFor(ev.Namespace, ev.Name)] = &ev
	w.WriteHeader(http.StatusCreated)
	writeJSON(w, &ev)
}

// patchEvent applies a merge patch of count and lastTimestamp, the two
// fields a Recorder patches.
func (f *fakeAPIServer) patchEvent(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "application/merge-patch+json" {
		f.t.Errorf("patch event: Content-Type %q, want application/merge-patch+json", ct)
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	ev, ok := f.events[KeyFor(r.PathValue("ns"), r.PathValue("name"))]
	if !ok {
		writeStatus(w, 404, "NotFound", fmt.Sprintf("events %q not found", r.PathValue("name")), nil)
		return
	}
	if err := json.Unmarshal(body, ev); err != nil {
		writeStatus(w, 400, "BadRequest", err.Error(), nil)
		return
	}
	f.patches = append(f.patches, string(body))
	writeJSON(w, ev)
}

func testClient(t *testing.T, srv *httptest.Server, token string) *Client {
	c, err := New(Config{Server: srv.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// An informer over a real HTTP watch: list, two events, a 410 Gone that
// makes it list again, and a watch from the new list's resourceVersion.
func TestEndToEndInformer(t *testing.T) {
	f, srv := newFakeAPIServer(t)
	c := testClient(t, srv, testToken)

	seen := make(chan string, 100)
	inf := NewInformer(c.Pods("default"), ListOptions{LabelSelector: "app=web"}, 0)
	inf.AddHandler(Handler[*api.Pod]{
		OnAdd: func(p *api.Pod) { seen <- "add " + p.Name + " " + p.ResourceVersion },
		OnUpdate: func(old, new *api.Pod) {
			seen <- "update " + new.Name + " " + old.ResourceVersion + "->" + new.ResourceVersion
		},
		OnDelete: func(p *api.Pod) { seen <- "delete " + p.Name + " " + p.ResourceVersion },
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		inf.Run(ctx)
		close(stopped)
	}()
	defer func() { cancel(); <-stopped }()

	if !WaitForSync(ctx, inf) {
		t.Fatal("informer did not sync")
	}
	want := []string{"add a 1", "add b 2", "add c 11", "update a 1->12", "add d 15", "delete b 2"}
	var got []string
	for len(got) < len(want) {
		select {
		case s := <-seen:
			got = append(got, s)
		case <-ctx.Done():
			t.Fatalf("handlers got %v, then nothing; want %v", got, want)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("handlers got %v, want %v", got, want)
	}

	for i, rv := range []string{"10", "20"} {
		q := <-f.watchQueries
		if q.Get("watch") != "true" || q.Get("resourceVersion") != rv {
			t.Errorf("watch %d: query %v, want watch=true&resourceVersion=%s", i+1, q, rv)
		}
	}
	if pods := inf.List(api.Everything()); len(pods) != 3 || pods[0].Name != "a" || pods[2].Name != "d" {
		t.Errorf("cache holds %d pods, want a, c, d", len(pods))
	}
}

// A Recorder through a Client: one Event created, then patched for a
// repeat, and one about a Node in "default".
func TestEndToEndRecorder(t *testing.T) {
	f, srv := newFakeAPIServer(t)
	c := testClient(t, srv, testToken)

	r := NewRecorder(c, "podlab-test", "node1")
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web", UID: "u1", ResourceVersion: "7"}}
	r.Event(p, api.EventTypeNormal, "Pulled", "image pulled")
	r.Eventf(p, api.EventTypeNormal, "Pulled", "image %s", "pulled")
	r.Event(&api.Node{ObjectMeta: api.ObjectMeta{Name: "node1", UID: "n1"}}, api.EventTypeWarning, "NodeNotReady", "no heartbeat")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := r.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) != 2 || len(f.patches) != 1 {
		t.Fatalf("server has %d events after %d patches, want 2 after 1", len(f.events), len(f.patches))
	}
	for key, ev := range f.events {
		switch ev.InvolvedObject.Kind {
		case "Pod":
			if !eventName.MatchString(ev.Name) || ev.Count != 2 || ev.InvolvedObject.UID != "u1" || ev.Source.Component != "podlab-test" {
				t.Errorf("pod event %s: %+v; want web.<hex>, count 2, about uid u1, from podlab-test", key, ev)
			}
		case "Node":
			if ev.Namespace != "default" || ev.Type != api.EventTypeWarning || ev.Count != 1 {
				t.Errorf("node event %s: %+v; want in default, a Warning, count 1", key, ev)
			}
		default:
			t.Errorf("event %s about %+v", key, ev.InvolvedObject)
		}
	}
	var patch map[string]any
	if err := json.Unmarshal([]byte(f.patches[0]), &patch); err != nil || patch["count"] != 2.0 || patch["lastTimestamp"] == nil {
		t.Errorf("patch %s, want count 2 and a lastTimestamp", f.patches[0])
	}
}

// Failed requests come back as StatusErrors the Is functions recognise.
func TestEndToEndStatusErrors(t *testing.T) {
	_, srv := newFakeAPIServer(t)
	c := testClient(t, srv, testToken)
	pods := c.Pods("default")
	ctx := t.Context()

	_, err := pods.Get(ctx, "missing")
	var se *StatusError
	if !IsNotFound(err) || !errors.As(err, &se) || se.Reason != "NotFound" || se.Message != `pods "missing" not found` ||
		se.Details == nil || se.Details.Name != "missing" {
		t.Errorf("Get(missing) = %#v, want NotFound with details", err)
	}

	_, err = pods.Create(ctx, testPod("taken", ""))
	if !IsAlreadyExists(err) || IsConflict(err) {
		t.Errorf("Create(taken) = %v: IsAlreadyExists %v, IsConflict %v; want true, false", err, IsAlreadyExists(err), IsConflict(err))
	}

	_, err = pods.Update(ctx, testPod("web", "3"))
	if !IsConflict(err) || IsAlreadyExists(err) {
		t.Errorf("Update(web) = %v: IsConflict %v, IsAlreadyExists %v; want true, false", err, IsConflict(err), IsAlreadyExists(err))
	}

	_, err = pods.Create(ctx, testPod("bad", ""))
	wantCause := StatusCause{Reason: "FieldValueRequired", Message: "Required value", Field: "spec.containers"}
	if !IsInvalid(err) || !errors.As(err, &se) || se.Details == nil || len(se.Details.Causes) != 1 || se.Details.Causes[0] != wantCause {
		t.Errorf("Create(bad) = %#v, want Invalid with cause %+v", err, wantCause)
	}

	_, _, err = testClient(t, srv, "wrong").Pods("default").List(ctx, ListOptions{LabelSelector: "app=web"})
	if !IsUnauthorized(err) {
		t.Errorf("List with a wrong token = %v, want Unauthorized", err)
	}
}
