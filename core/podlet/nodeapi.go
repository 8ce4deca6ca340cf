package podlet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/podlab/podlab/core/runtime"
)

// The node API: what the kubelet serves on port 10250, so that "kubectl
// logs", "kubectl exec" and metrics-server reach the containers of a node
// through the agent that runs them. podlab's CLI calls it directly at the
// node's InternalIP (kubectl goes through the API server's proxy to it):
//
//	GET  /healthz                                         "ok"; the only path without a token
//	GET  /containerLogs/{namespace}/{pod}/{container}     ?follow=true&tailLines=N  (nodeapi_logs.go)
//	POST /exec/{namespace}/{pod}/{container}              ?command=ls&command=-l&stdin=true&tty=true  (nodeapi_exec.go)
//	GET  /stats/summary                                   CPU and memory from the cgroups  (nodeapi_stats.go)
//	GET  /inspect/{namespace}/{pod}                       podlab's own, for the checker: the truth
//	                                                      from /proc and netlink  (nodeapi_inspect.go)
//
// Plain HTTP, and every request but /healthz carries
//
//	Authorization: Bearer <token>
//
// The podlet does not know the cluster's tokens: it asks the API server
// whether a token is good and remembers the answer for a minute
// (nodeapi_auth.go), as the kubelet does with --authentication-token-webhook
// and a TokenReview. A request without a good token gets 401 and nothing
// else happens. There is no authorization after that: a good token may
// read and exec in every pod of the node, as it may do anything with the
// API server.
//
// Errors are Kubernetes Status objects, as the API server's are: 404 for a
// pod or container the node does not have.

// DefaultNodeAPIPort is where the node API listens: the kubelet's port.
const DefaultNodeAPIPort = 10250

// NodeRuntime is what the node API reads of the container runtime.
// *runtime.Runtime is one; tests use a fake.
type NodeRuntime interface {
	// Sandboxes lists every pod on the node.
	Sandboxes() ([]*runtime.PodState, error)
	// GetPodIn finds a pod by namespace and name; the error wraps
	// runtime.ErrPodNotFound when the node has none.
	GetPodIn(namespace, name string) (*runtime.PodState, error)
	// ContainerState is the current instance of one container of the pod;
	// the error wraps runtime.ErrNotFound when it has not been started.
	ContainerState(ps *runtime.PodState, container string) (*runtime.State, error)
	// LogPath is the file of a container instance's stdout and stderr.
	LogPath(name string) string
	// Exec runs argv in a running container and returns its exit code.
	Exec(ctx context.Context, st *runtime.State, argv []string, stdin, stdout, stderr *os.File) (int, error)
	// ExecTTY runs argv in a running container on a terminal of its own,
	// tty the user's side of it, and returns its exit code.
	ExecTTY(ctx context.Context, st *runtime.State, argv []string, tty runtime.TTY) (int, error)
}

// NodeAPIConfig is what the node API serves from. RuntimeNodeAPI fills it
// in for the runtime of a node.
type NodeAPIConfig struct {
	NodeName string
	Runtime  NodeRuntime
	// Cgroups reads the usage of a cgroup, for /stats/summary.
	Cgroups CgroupReader
	// NodeCgroup holds every pod of the node (the runtime's cgroup parent):
	// its usage is the node's in /stats/summary.
	NodeCgroup string
	// Inspector reads processes and links for /inspect.
	Inspector PodInspector
	// Reviewer tells good tokens from bad ones.
	Reviewer TokenReviewer
	Log      *slog.Logger // nil: slog.Default()
}

// NodeAPIServer answers the node API of one node.
type NodeAPIServer struct {
	cfg NodeAPIConfig
	log *slog.Logger
	cpu *cpuRates

	// Knobs the tests turn.
	logPoll    time.Duration                        // how often a followed log is read
	execDrain  time.Duration                        // how long output may trail an exec's exit
	rateWindow time.Duration                        // the shortest window a CPU rate is measured over
	now        func() time.Time                     // the clock of CPU rates
	sleep      func(context.Context, time.Duration) // waits out a rate window
}

// NewNodeAPIServer returns the server of cfg; it checks that nothing is missing.
func NewNodeAPIServer(cfg NodeAPIConfig) (*NodeAPIServer, error) {
	switch {
	case cfg.NodeName == "":
		return nil, errors.New("node API: no node name")
	case cfg.Runtime == nil || cfg.Cgroups == nil || cfg.Inspector == nil:
		return nil, errors.New("node API: no container runtime, cgroup reader or inspector")
	case cfg.Reviewer == nil:
		return nil, errors.New("node API: no token reviewer: every request must be authenticated")
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	return &NodeAPIServer{
		cfg:        cfg,
		log:        log,
		cpu:        &cpuRates{last: map[string]cpuReading{}},
		logPoll:    100 * time.Millisecond,
		execDrain:  time.Second,
		rateWindow: defaultRateWindow,
		now:        time.Now,
		sleep:      sleepCtx,
	}, nil
}

// Handler routes the node API's paths, behind authentication.
func (a *NodeAPIServer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", a.containerLogs)
	mux.HandleFunc("POST /exec/{namespace}/{pod}/{container}", a.exec)
	mux.HandleFunc("GET /stats/summary", a.statsSummary)
	mux.HandleFunc("GET /inspect/{namespace}/{pod}", a.inspect)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusNotFound, "the node API has no %s %s: it serves /containerLogs, /exec, /stats/summary, /inspect and /healthz", r.Method, r.URL.Path)
	})
	return a.authenticate(mux)
}

// Serve answers the node API on ln until ctx ends. Then it closes the
// listener and every connection, open log streams and execs included.
func (a *NodeAPIServer) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second, // no WriteTimeout: a followed log or an exec lasts
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	defer stop()
	a.log.Info("serving the node API", "addr", ln.Addr().String(), "node", a.cfg.NodeName,
		"node-cgroup", a.cfg.NodeCgroup, "authentication", "bearer tokens, checked with the API server")
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) && ctx.Err() != nil {
		return nil
	}
	return err
}

// lookup finds the pod and the container a request names in its path, or
// answers the request itself: 404 for a pod or container the node does
// not have, 400 for a container that has not started yet.
func (a *NodeAPIServer) lookup(w http.ResponseWriter, r *http.Request) (*runtime.PodState, *runtime.State, bool) {
	ps, ok := a.lookupPod(w, r)
	if !ok {
		return nil, nil, false
	}
	name := r.PathValue("container")
	names := containerNames(ps)
	if !slices.Contains(names, name) {
		writeStatus(w, http.StatusNotFound, "container %q not found in pod %q; its containers are %s", name, ps.Pod.Name, strings.Join(names, ", "))
		return nil, nil, false
	}
	st, err := a.cfg.Runtime.ContainerState(ps, name)
	if errors.Is(err, runtime.ErrNotFound) {
		writeStatus(w, http.StatusBadRequest, "container %q in pod %q is waiting to start", name, ps.Pod.Name)
		return nil, nil, false
	}
	if err != nil {
		writeStatus(w, http.StatusInternalServerError, "%v", err)
		return nil, nil, false
	}
	return ps, st, true
}

// lookupPod finds the pod a request names in its path, or answers 404.
func (a *NodeAPIServer) lookupPod(w http.ResponseWriter, r *http.Request) (*runtime.PodState, bool) {
	namespace, name := r.PathValue("namespace"), r.PathValue("pod")
	ps, err := a.cfg.Runtime.GetPodIn(namespace, name)
	if errors.Is(err, runtime.ErrPodNotFound) {
		writeStatus(w, http.StatusNotFound, "pod %q in namespace %q not found on node %q", name, namespace, a.cfg.NodeName)
		return nil, false
	}
	if err != nil {
		writeStatus(w, http.StatusInternalServerError, "%v", err)
		return nil, false
	}
	return ps, true
}

// containerNames lists the containers of a pod, init containers first.
func containerNames(ps *runtime.PodState) []string {
	var names []string
	for _, c := range ps.Pod.AllContainers() {
		names = append(names, c.Name)
	}
	return names
}

// status is a Kubernetes Status, the body of every error answer: what
// the API server answers, so that clients read both alike.
type status struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Status     string `json:"status"`
	Message    string `json:"message"`
	Reason     string `json:"reason,omitempty"`
	Code       int    `json:"code"`
}

// statusReasons are the Kubernetes reasons of the codes the node API uses.
var statusReasons = map[int]string{
	http.StatusBadRequest:          "BadRequest",
	http.StatusUnauthorized:        "Unauthorized",
	http.StatusNotFound:            "NotFound",
	http.StatusInternalServerError: "InternalError",
}

// writeStatus answers with a Status of code and a message for people.
func writeStatus(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, status{Kind: "Status", APIVersion: "v1", Status: "Failure",
		Message: fmt.Sprintf(format, args...), Reason: statusReasons[code], Code: code})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ") // read by people with curl as much as by programs
	enc.Encode(v)
}

// sleepCtx waits for d, or less if ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
