package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
)

// fakeServer is a tiny API server for the tests of the cluster commands:
// the Kubernetes JSON protocol for get, list, create, update (with
// resourceVersion checks), merge patch and delete, objects in a map.
// Label selectors are only key=value; field selectors only
// involvedObject.uid, involvedObject.name, involvedObject.kind and
// metadata.name. A watch sends what changed after its resourceVersion.
type fakeServer struct {
	*httptest.Server
	mu        sync.Mutex
	objs      map[string]map[string]any // by resource/namespace/name
	rv        int
	requests  []string // "METHOD path", in order
	tokens    []string // the Authorization headers, in order
	conflicts int      // the next updates that fail with a Conflict
}

func newFakeServer(t *testing.T) *fakeServer {
	f := &fakeServer{objs: map[string]map[string]any{}, rv: 100}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// fakePath is a request path taken apart.
type fakePath struct {
	namespace, resource, name string
}

func parseFakePath(p string) (fakePath, bool) {
	var rest string
	switch {
	case strings.HasPrefix(p, "/api/v1/"):
		rest = strings.TrimPrefix(p, "/api/v1/")
	case strings.HasPrefix(p, "/apis/"):
		parts := strings.SplitN(strings.TrimPrefix(p, "/apis/"), "/", 3)
		if len(parts) < 3 {
			return fakePath{}, false
		}
		rest = parts[2]
	default:
		return fakePath{}, false
	}
	seg := strings.Split(rest, "/")
	var fp fakePath
	if seg[0] == "namespaces" && len(seg) >= 3 {
		fp.namespace, seg = seg[1], seg[2:]
	}
	fp.resource = seg[0]
	if len(seg) > 1 {
		fp.name = seg[1]
	}
	return fp, len(seg) <= 2
}

func (fp fakePath) key() string { return fp.resource + "/" + fp.namespace + "/" + fp.name }

// fakeStatus answers with a Kubernetes Status.
func fakeStatus(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure",
		"message": msg, "reason": reason, "code": code})
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
	f.tokens = append(f.tokens, r.Header.Get("Authorization"))
	fp, ok := parseFakePath(r.URL.Path)
	if ok && r.Method == "GET" && fp.name == "" && r.URL.Query().Get("watch") == "true" {
		f.mu.Unlock()
		f.watch(w, r, fp)
		return
	}
	defer f.mu.Unlock()
	if !ok {
		fakeStatus(w, 404, "NotFound", "no such path "+r.URL.Path)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var obj map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &obj); err != nil {
			fakeStatus(w, 400, "BadRequest", err.Error())
			return
		}
	}
	notFound := func() { fakeStatus(w, 404, "NotFound", fmt.Sprintf("%s %q not found", fp.resource, fp.name)) }
	stored := f.objs[fp.key()]
	switch {
	case r.Method == "GET" && fp.name == "":
		f.list(w, fp, r.URL.Query().Get("labelSelector"), r.URL.Query().Get("fieldSelector"))
	case r.Method == "GET":
		if stored == nil {
			notFound()
			return
		}
		writeJSON(w, 200, stored)
	case r.Method == "POST":
		meta := obj["metadata"].(map[string]any)
		fp.name, _ = meta["name"].(string)
		if f.objs[fp.key()] != nil {
			fakeStatus(w, 409, "AlreadyExists", fmt.Sprintf("%s %q already exists", fp.resource, fp.name))
			return
		}
		if fp.namespace != "" {
			meta["namespace"] = fp.namespace
		}
		meta["uid"] = "uid-" + fp.name
		meta["creationTimestamp"] = time.Now().UTC().Format(time.RFC3339)
		obj = fakeDefault(obj)
		f.store(fp, obj)
		writeJSON(w, 201, obj)
	case r.Method == "PUT":
		if stored == nil {
			notFound()
			return
		}
		meta := obj["metadata"].(map[string]any)
		if f.conflicts > 0 || meta["resourceVersion"] != stored["metadata"].(map[string]any)["resourceVersion"] {
			f.conflicts--
			fakeStatus(w, 409, "Conflict", fmt.Sprintf("Operation cannot be fulfilled on %s %q: the object has been modified", fp.resource, fp.name))
			return
		}
		if status, ok := stored["status"]; ok {
			obj["status"] = status // the status is not the update's to change
		} else {
			delete(obj, "status")
		}
		obj = fakeDefault(obj)
		f.store(fp, obj)
		writeJSON(w, 200, obj)
	case r.Method == "PATCH":
		if stored == nil {
			notFound()
			return
		}
		patched := api.MergePatch(maps.Clone(stored), obj).(map[string]any) // the stored one stays as it was
		f.store(fp, patched)
		writeJSON(w, 200, patched)
	case r.Method == "DELETE":
		if stored == nil {
			notFound()
			return
		}
		delete(f.objs, fp.key())
		writeJSON(w, 200, stored)
	default:
		fakeStatus(w, 405, "MethodNotAllowed", r.Method)
	}
}

// fakeDefault fills in the defaults, as the API server does.
func fakeDefault(obj map[string]any) map[string]any {
	tm := api.TypeMeta{APIVersion: fmt.Sprint(obj["apiVersion"]), Kind: fmt.Sprint(obj["kind"])}
	typed, err := api.New(tm)
	if err != nil {
		return obj
	}
	data, _ := json.Marshal(obj)
	if json.Unmarshal(data, typed) != nil {
		return obj
	}
	api.Default(typed)
	data, _ = json.Marshal(typed)
	var out map[string]any
	json.Unmarshal(data, &out)
	return out
}

// watch streams every object of the resource written after the
// resourceVersion of the request, as MODIFIED, until the client goes.
func (f *fakeServer) watch(w http.ResponseWriter, r *http.Request, fp fakePath) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	w.(http.Flusher).Flush()
	sent, _ := strconv.Atoi(r.URL.Query().Get("resourceVersion"))
	prefix := fp.resource + "/"
	if fp.namespace != "" {
		prefix += fp.namespace + "/"
	}
	for {
		f.mu.Lock()
		var events []map[string]any
		for key, obj := range f.objs {
			rv, _ := strconv.Atoi(obj["metadata"].(map[string]any)["resourceVersion"].(string))
			if strings.HasPrefix(key, prefix) && rv > sent {
				events = append(events, map[string]any{"type": "MODIFIED", "object": obj})
				sent = max(sent, rv)
			}
		}
		f.mu.Unlock()
		for _, ev := range events {
			json.NewEncoder(w).Encode(ev)
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// store saves obj with a new resourceVersion.
func (f *fakeServer) store(fp fakePath, obj map[string]any) {
	f.rv++
	obj["metadata"].(map[string]any)["resourceVersion"] = strconv.Itoa(f.rv)
	f.objs[fp.key()] = obj
}

func (f *fakeServer) list(w http.ResponseWriter, fp fakePath, labelSel, fieldSel string) {
	items := []any{}
	for _, key := range slices.Sorted(maps.Keys(f.objs)) {
		resource, rest, _ := strings.Cut(key, "/")
		ns, _, _ := strings.Cut(rest, "/")
		obj := f.objs[key]
		if resource != fp.resource || (fp.namespace != "" && ns != fp.namespace) || !fakeMatches(obj, labelSel, fieldSel) {
			continue
		}
		items = append(items, obj)
	}
	writeJSON(w, 200, map[string]any{"kind": "List", "apiVersion": "v1",
		"metadata": map[string]any{"resourceVersion": strconv.Itoa(f.rv)}, "items": items})
}

func fakeMatches(obj map[string]any, labelSel, fieldSel string) bool {
	labels, _ := obj["metadata"].(map[string]any)["labels"].(map[string]any)
	for _, req := range strings.Split(labelSel, ",") {
		if k, v, ok := strings.Cut(req, "="); ok && labels[k] != v {
			return false
		}
	}
	fields := map[string]any{"metadata.name": obj["metadata"].(map[string]any)["name"]}
	if io, ok := obj["involvedObject"].(map[string]any); ok {
		for _, f := range []string{"uid", "name", "kind"} {
			fields["involvedObject."+f] = io[f]
		}
	}
	for _, req := range strings.Split(fieldSel, ",") {
		if k, v, ok := strings.Cut(req, "="); ok && fields[k] != v {
			return false
		}
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// put stores an object as if someone had created it, from JSON.
func (f *fakeServer) put(t *testing.T, resource, ns, js string) {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal([]byte(js), &obj); err != nil {
		t.Fatal(err)
	}
	meta := obj["metadata"].(map[string]any)
	name := meta["name"].(string)
	if ns != "" {
		meta["namespace"] = ns
	}
	if meta["uid"] == nil {
		meta["uid"] = "uid-" + name
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.store(fakePath{ns, resource, name}, obj)
}

// get returns a stored object, nil if there is none.
func (f *fakeServer) get(resource, ns, name string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objs[fakePath{ns, resource, name}.key()]
}

// writes returns the requests that changed something.
func (f *fakeServer) writes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(f.requests), func(r string) bool { return strings.HasPrefix(r, "GET ") })
}

// podlab runs the command line args against the fake server, with stdin,
// and returns the exit status, stdout and stderr.
func (f *fakeServer) podlab(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("PODLAB_CONFIG", t.TempDir()+"/no-config")
	var out, errw bytes.Buffer
	app := newApp(&out, &errw)
	app.Reader = strings.NewReader(stdin)
	args = append([]string{"podlab"}, args...)
	args = append(args, "--server", f.URL)
	code := runApp(app, args)
	return code, out.String(), errw.String()
}
