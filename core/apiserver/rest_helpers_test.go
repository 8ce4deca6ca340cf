package apiserver

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/store"
)

const testToken = "test-token"

// testServer is a Server on its own embedded etcd, behind a real HTTP
// server, with the default namespaces created.
type testServer struct {
	t    *testing.T
	srv  *Server
	st   *store.Store
	etcd *store.Embedded
	url  string
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	e := startEtcd(t)
	st := store.New(e.Client())
	srv := New(st, map[string]string{testToken: "admin"})
	if err := srv.EnsureDefaultNamespaces(context.Background()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close) // before etcd stops: cleanups run last first
	return &testServer{t: t, srv: srv, st: st, etcd: e, url: hs.URL}
}

// do sends a request with the test token; body "" sends none.
func (ts *testServer) do(method, path, contentType, body string) (int, []byte) {
	ts.t.Helper()
	return ts.doToken(method, path, contentType, body, testToken)
}

func (ts *testServer) doToken(method, path, contentType, body, token string) (int, []byte) {
	ts.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.url+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		ts.t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	return resp.StatusCode, data
}

// expect sends a request and fails the test unless the answer has code.
func (ts *testServer) expect(code int, method, path, contentType, body string) []byte {
	ts.t.Helper()
	got, data := ts.do(method, path, contentType, body)
	if got != code {
		ts.t.Fatalf("%s %s: %d %s, want %d", method, path, got, data, code)
	}
	return data
}

// create POSTs obj to the collection at path, expecting 201, and returns
// the stored object.
func create[T api.Object](ts *testServer, path string, obj T) T {
	ts.t.Helper()
	return decode[T](ts.t, ts.expect(http.StatusCreated, "POST", path, "application/json", toJSON(ts.t, obj)))
}

// getObject GETs the object at path, expecting 200.
func getObject[T api.Object](ts *testServer, path string) T {
	ts.t.Helper()
	return decode[T](ts.t, ts.expect(http.StatusOK, "GET", path, "", ""))
}

// absent checks that the object at path does not exist.
func (ts *testServer) absent(path string) {
	ts.t.Helper()
	if code, data := ts.do("GET", path, "", ""); code != http.StatusNotFound {
		ts.t.Errorf("GET %s: %d %s, want 404", path, code, data)
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// decode decodes data into a new T, like a *api.Pod.
func decode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var zero T
	out := reflect.New(reflect.TypeOf(zero).Elem()).Interface().(T)
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("decode %T from %s: %v", out, data, err)
	}
	return out
}

// statusBody is a Status as a client reads it.
type statusBody struct {
	Kind    string `json:"kind"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Code    int    `json:"code"`
	Details struct {
		Name   string        `json:"name"`
		Group  string        `json:"group"`
		Kind   string        `json:"kind"`
		Causes []statusCause `json:"causes"`
	} `json:"details"`
}

// expectStatus sends a request and checks that it fails with code and
// reason, and a message containing msg.
func (ts *testServer) expectStatus(code int, reason, msg, method, path, contentType, body string) *statusBody {
	ts.t.Helper()
	st := decode[*statusBody](ts.t, ts.expect(code, method, path, contentType, body))
	if st.Kind != "Status" || st.Status != "Failure" || st.Code != code || st.Reason != reason || !strings.Contains(st.Message, msg) {
		ts.t.Errorf("%s %s: %+v, want a Failure Status %d %s with message containing %q", method, path, st, code, reason, msg)
	}
	return st
}

// Test objects, valid, built as a client would.

func testPod(name string, labels map[string]string) *api.Pod {
	return &api.Pod{
		TypeMeta:   api.KindPod,
		ObjectMeta: api.ObjectMeta{Name: name, Labels: labels},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "busybox"}}},
	}
}

func testTemplate(labels map[string]string) api.PodTemplateSpec {
	return api.PodTemplateSpec{
		ObjectMeta: api.ObjectMeta{Labels: labels},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "busybox"}}},
	}
}

func testDeployment(name string, replicas int32) *api.Deployment {
	labels := map[string]string{"app": name}
	return &api.Deployment{
		TypeMeta:   api.KindDeployment,
		ObjectMeta: api.ObjectMeta{Name: name},
		Spec: api.DeploymentSpec{
			Replicas: &replicas,
			Selector: &api.LabelSelector{MatchLabels: labels},
			Template: testTemplate(labels),
		},
	}
}

func testReplicaSet(name string, labels map[string]string) *api.ReplicaSet {
	return &api.ReplicaSet{
		TypeMeta:   api.KindReplicaSet,
		ObjectMeta: api.ObjectMeta{Name: name},
		Spec: api.ReplicaSetSpec{
			Selector: &api.LabelSelector{MatchLabels: labels},
			Template: testTemplate(labels),
		},
	}
}

// ownedBy returns obj with a controller reference to owner, of kind.
func ownedBy[T api.Object](obj T, owner api.Object, kind api.TypeMeta) T {
	m := obj.GetObjectMeta()
	m.OwnerReferences = append(m.OwnerReferences, api.NewControllerRef(owner, kind))
	return obj
}

// watcher reads the events of a watch stream.
type watcher struct {
	t      *testing.T
	resp   *http.Response
	events chan watchEventBody
}

type watchEventBody struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

// meta returns the metadata of the event's object.
func (e watchEventBody) meta(t *testing.T) api.ObjectMeta {
	t.Helper()
	return decode[*struct {
		api.ObjectMeta `json:"metadata"`
	}](t, e.Object).ObjectMeta
}

// watch starts a watch at path (a collection path with its query) and
// stops it when the test ends.
func (ts *testServer) watch(path string) *watcher {
	ts.t.Helper()
	req, err := http.NewRequest("GET", ts.url+path, nil)
	if err != nil {
		ts.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		ts.t.Fatalf("watch %s: %d %s", path, resp.StatusCode, data)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		ts.t.Errorf("watch %s: Content-Type %q, want application/json", path, ct)
	}
	w := &watcher{t: ts.t, resp: resp, events: make(chan watchEventBody, 100)}
	go func() {
		defer close(w.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() { // one event per line
			var ev watchEventBody
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				ev = watchEventBody{Type: "UNDECODABLE " + sc.Text()}
			}
			w.events <- ev
		}
	}()
	return w
}

// next returns the next event; it fails the test if none comes in 5 s or
// the stream ends.
func (w *watcher) next() watchEventBody {
	w.t.Helper()
	select {
	case ev, ok := <-w.events:
		if !ok {
			w.t.Fatal("the watch ended")
		}
		return ev
	case <-time.After(5 * time.Second):
		w.t.Fatal("no watch event within 5s")
	}
	return watchEventBody{}
}

// expect checks that the next event is typ of the object called name.
func (w *watcher) expect(typ, name string) watchEventBody {
	w.t.Helper()
	ev := w.next()
	if m := ev.meta(w.t); ev.Type != typ || m.Name != name {
		w.t.Fatalf("event %s %s, want %s %s", ev.Type, m.Name, typ, name)
	}
	return ev
}

// ended checks that the stream ends within 5 s without more events.
func (w *watcher) ended() {
	w.t.Helper()
	select {
	case ev, ok := <-w.events:
		if ok {
			w.t.Fatalf("event %s %s, want the end of the watch", ev.Type, ev.Object)
		}
	case <-time.After(5 * time.Second):
		w.t.Fatal("the watch did not end within 5s")
	}
}
