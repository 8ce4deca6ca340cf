// Package apiserver is podlab's API server: HTTP in front of the store, the
// role kube-apiserver plays in front of etcd. Every request but the health
// checks carries a bearer token (auth.go); every failure is answered with a
// Kubernetes Status object (status.go).
//
// It serves:
//
//	/healthz, /livez   no token needed
//	/version           {"gitVersion":"podlab-dev","platform":"linux/amd64"}
//	/api, /apis        discovery: core v1, apps/v1, batch/v1, autoscaling/v2
//	/api/v1/...        the REST resources of every kind (paths.go):
//	/apis/apps/v1/...  create, get, list, watch, update, patch, delete,
//	                   the status and binding subresources
//
// The REST resources follow Kubernetes' conventions, one file per verb:
// create.go, list.go, watch.go, update.go, patch.go, delete.go,
// binding.go; rest.go routes the requests to them. Objects are stored as
// JSON in core/store; their resourceVersion is the etcd revision, and a
// GET reads one back (objects.go). Deletions that take
// time, a cascade to the dependents of an owner or the emptying of a
// Namespace, are finished by the garbage collector (gc.go), which
// podlab-server runs with RunGarbageCollector, after
// EnsureDefaultNamespaces.
package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/podlab/podlab/core/store"
)

// GitVersion is reported by /version; release builds set it with
// -ldflags "-X github.com/podlab/podlab/core/apiserver.GitVersion=v0.1.0".
var GitVersion = "podlab-dev"

// healthTimeout bounds the store read of /healthz: a server whose etcd does
// not answer within it is unhealthy.
const healthTimeout = 2 * time.Second

// healthKey is read by /healthz. It never exists; a NotFound answer proves
// etcd is serving reads, as kube-apiserver's etcd check does.
const healthKey = "/registry/health"

// Server answers the Kubernetes API over a store.
type Server struct {
	store  *store.Store
	tokens map[string]string // token → user, see LoadTokens
	// gcWake asks the garbage collector for a sweep (gc.go).
	gcWake chan struct{}
	// watches ends when StopWatches is called, and every watch with it
	// (watch.go).
	watches     context.Context
	stopWatches context.CancelFunc
}

// New returns a server over st that accepts the bearer tokens of tokens.
func New(st *store.Store, tokens map[string]string) *Server {
	watches, stopWatches := context.WithCancel(context.Background())
	return &Server{store: st, tokens: tokens, gcWake: make(chan struct{}, 1), watches: watches, stopWatches: stopWatches}
}

// Handler returns the server's HTTP handler, authentication included.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/healthz", readOnly(http.HandlerFunc(s.healthz)))
	mux.Handle("/livez", readOnly(http.HandlerFunc(livez)))
	mux.Handle("/version", readOnly(http.HandlerFunc(version)))
	mux.Handle("/api", readOnly(http.HandlerFunc(apiVersions)))
	mux.Handle("/apis", readOnly(http.HandlerFunc(apiGroups)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteStatus(w, http.StatusNotFound, ReasonNotFound,
			fmt.Sprintf("the server could not find the requested resource %q", r.URL.Path), nil)
	})
	return Authenticate(s.tokens, restFirst(http.HandlerFunc(s.serveREST), mux))
}

// restFirst sends the paths under /api/ and /apis/ to rest, and the
// others to mux. The REST paths must not go through mux: it answers a
// path with an empty, "." or ".." segment with a redirect to the path
// without it, and a client that follows it would DELETE
// /api/v1/namespaces/lab for /api/v1/namespaces/lab/pods/.. (parsePath
// answers such paths 404 instead).
func restFirst(rest, mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/apis/") {
			rest.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// healthz answers "ok" if the store answers a read within healthTimeout.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	if _, err := s.store.Get(ctx, healthKey); err != nil && !errors.Is(err, store.ErrNotFound) {
		http.Error(w, "etcd: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok"))
}

// livez answers "ok" while the process serves HTTP at all; unlike /healthz
// it does not depend on etcd, so a supervisor does not restart the server
// for an etcd outage it cannot fix.
func livez(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok"))
}

func version(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]string{
		"gitVersion": GitVersion,
		"platform":   runtime.GOOS + "/" + runtime.GOARCH,
	})
}

// apiVersions is the discovery document of the core group ("" in
// apiVersion "v1"), served at /api.
func apiVersions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"kind": "APIVersions", "versions": []string{"v1"}})
}

// groups are the named API groups, served at /apis, one version each.
var groups = []struct{ name, version string }{
	{"apps", "v1"},
	{"batch", "v1"},
	{"autoscaling", "v2"},
}

type groupVersion struct {
	GroupVersion string `json:"groupVersion"`
	Version      string `json:"version"`
}

type apiGroup struct {
	Name             string         `json:"name"`
	Versions         []groupVersion `json:"versions"`
	PreferredVersion groupVersion   `json:"preferredVersion"`
}

// apiGroups is the APIGroupList of the named groups, served at /apis.
func apiGroups(w http.ResponseWriter, r *http.Request) {
	list := make([]apiGroup, 0, len(groups))
	for _, g := range groups {
		gv := groupVersion{GroupVersion: g.name + "/" + g.version, Version: g.version}
		list = append(list, apiGroup{Name: g.name, Versions: []groupVersion{gv}, PreferredVersion: gv})
	}
	writeJSON(w, struct {
		Kind       string     `json:"kind"`
		APIVersion string     `json:"apiVersion"`
		Groups     []apiGroup `json:"groups"`
	}{"APIGroupList", "v1", list})
}

// readOnly answers 405 to anything but GET and HEAD.
func readOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			WriteStatus(w, http.StatusMethodNotAllowed, ReasonMethodNotAllowed,
				fmt.Sprintf("method %s is not allowed on %q", r.Method, r.URL.Path), nil)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// writeJSON answers 200 with v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		WriteStatus(w, http.StatusInternalServerError, ReasonInternalError, "encode response: "+err.Error(), nil)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}
