package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/store"
)

// watchEvent is one line of a watch stream:
//
//	{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1",...}}
type watchEvent struct {
	Type   string `json:"type"` // ADDED, MODIFIED, DELETED or ERROR
	Object any    `json:"object"`
}

// watch answers GET on a collection with ?watch=true: a stream, one JSON
// event per line, flushed as it happens, until timeoutSeconds pass, the
// client goes away or the server stops (StopWatches).
//
//   - ?resourceVersion=N (N > 0): every change after revision N, usually
//     the resourceVersion of a list, so that the client misses nothing.
//   - no resourceVersion, or "0": first an ADDED for every object there
//     is, then every change after that.
//
// If revision N is compacted away, the stream is one ERROR event holding a
// 410 Expired Status: the client must list again.
func (s *Server) watch(w http.ResponseWriter, r *http.Request, t target, f filter) error {
	from, err := parseRevision(r.URL.Query().Get("resourceVersion"))
	if err != nil {
		return err
	}
	ctx, cancel, err := watchContext(r)
	if err != nil {
		return err
	}
	defer cancel()
	stop := context.AfterFunc(s.watches, cancel) // StopWatches ends it too
	defer stop()
	// The initial list is read before the answer starts, so that its
	// failure can still be a Status.
	var initial []api.Object
	if from == 0 {
		if initial, from, err = s.listObjects(ctx, t, f); err != nil {
			return err
		}
	}
	out, err := startStream(w)
	if err != nil {
		return err
	}
	events, errs := s.store.Watch(ctx, t.key(), from)
	for _, obj := range initial {
		out.send(string(store.Added), obj)
	}
	for ev := range events {
		typ, obj, err := filterEvent(ev, f)
		if err != nil {
			slog.Error("watch: skip an object that does not decode", "key", ev.Object.Key, "err", err)
			continue
		}
		if obj != nil && out.send(typ, obj) != nil {
			cancel() // the client went away: stop the store's watch
		}
	}
	if err := <-errs; err != nil {
		out.send("ERROR", s.watchError(r.Context(), from, err))
	}
	return nil
}

// StopWatches ends every watch stream, as a server that shuts down must: a
// watch lasts as long as its client wants, and http.Server.Shutdown,
// which waits for the requests in flight, would wait for it until its
// deadline. podlab-server registers it with the http.Server's
// RegisterOnShutdown.
func (s *Server) StopWatches() { s.stopWatches() }

// eventStream writes the events of a watch, one JSON object per line,
// each flushed to the client at once: the response is chunked, and lasts
// as long as the watch.
type eventStream struct {
	enc     *json.Encoder
	flusher http.Flusher
}

// startStream answers 200 and returns the stream to send events on.
func startStream(w http.ResponseWriter) (*eventStream, error) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		return nil, errors.New("watch: the response writer cannot flush")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	return &eventStream{enc: json.NewEncoder(w), flusher: flusher}, nil
}

// send writes one event; an error means the client has gone away.
func (es *eventStream) send(typ string, obj any) error {
	if err := es.enc.Encode(watchEvent{Type: typ, Object: obj}); err != nil { // Encode ends it with a newline
		return err
	}
	es.flusher.Flush()
	return nil
}

// watchContext is the request's context, ended after ?timeoutSeconds=N if
// the query has it (0: never).
func watchContext(r *http.Request) (context.Context, context.CancelFunc, error) {
	n := 0
	if timeout := r.URL.Query().Get("timeoutSeconds"); timeout != "" {
		var err error
		if n, err = strconv.Atoi(timeout); err != nil || n < 0 {
			return nil, nil, badRequest("timeoutSeconds %q must be a whole number of seconds", timeout)
		}
	}
	if n == 0 {
		ctx, cancel := context.WithCancel(r.Context())
		return ctx, cancel, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(n)*time.Second)
	return ctx, cancel, nil
}

// parseRevision reads a resourceVersion of the query: "" and "0" are 0.
func parseRevision(rv string) (int64, error) {
	if rv == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("invalid resourceVersion %q: want the resourceVersion of a list or an object", rv)
	}
	return n, nil
}

// filterEvent turns a store event into the event a watch with filter f
// sends, or a nil object for none. With a selector, an object that starts
// to match is ADDED for this watcher, and one that stops matching is
// DELETED, as in Kubernetes: a node agent watching spec.nodeName=node1 sees
// a pod bound to node1 as ADDED.
func filterEvent(ev store.Event, f filter) (typ string, obj api.Object, err error) {
	cur, err := decodeStored(ev.Object.Value, ev.Object.Revision)
	if err != nil {
		return "", nil, err
	}
	curMatches := f.matches(cur)
	if ev.Type != store.Modified || f.everything() {
		if !curMatches {
			return "", nil, nil
		}
		return string(ev.Type), cur, nil
	}
	var prev api.Object
	if ev.PrevValue != nil {
		// The old value at the revision of the change, as Kubernetes does:
		// a client that resumes from it misses nothing.
		if prev, err = decodeStored(ev.PrevValue, ev.Object.Revision); err != nil {
			return "", nil, err
		}
	}
	prevMatches := prev != nil && f.matches(prev)
	switch {
	case curMatches && prevMatches:
		return string(store.Modified), cur, nil
	case curMatches:
		return string(store.Added), cur, nil
	case prevMatches:
		return string(store.Deleted), prev, nil
	}
	return "", nil, nil
}

// watchError is the Status of an ERROR event that ends a watch. A
// compacted revision is 410 Expired, as in Kubernetes:
//
//	too old resource version: 5 (42)
//
// where 42 is the store's current revision: list again, and watch from
// the list's resourceVersion.
func (s *Server) watchError(ctx context.Context, from int64, err error) status {
	if errors.Is(err, store.ErrCompacted) {
		current := int64(0)
		if _, rev, err := s.store.List(ctx, healthKey); err == nil {
			current = rev // an empty list: just the revision
		}
		return status{Kind: "Status", APIVersion: "v1", Status: "Failure", Code: http.StatusGone, Reason: ReasonExpired,
			Message: fmt.Sprintf("too old resource version: %d (%d)", from, current)}
	}
	slog.Error("watch failed", "err", err)
	return status{Kind: "Status", APIVersion: "v1", Status: "Failure", Code: http.StatusInternalServerError,
		Reason: ReasonInternalError, Message: err.Error()}
}
