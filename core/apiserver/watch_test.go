package apiserver

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
)

const pods = "/api/v1/namespaces/default/pods"

// TestWatchFromList is the informer's pattern: list, then watch from the
// list's resourceVersion, and see every later change in order.
func TestWatchFromList(t *testing.T) {
	ts := newTestServer(t)
	create(ts, pods, testPod("old", nil))
	_, list := listNames(ts, pods, nil, "PodList")
	w := ts.watch(pods + "?watch=true&resourceVersion=" + list.Metadata.ResourceVersion)

	p := create(ts, pods, testPod("web", nil))
	p.Labels = map[string]string{"v": "2"}
	updated := decode[*api.Pod](t, ts.expect(http.StatusOK, "PUT", pods+"/web", "application/json", toJSON(t, p)))
	deleted := decode[*api.Pod](t, ts.expect(http.StatusOK, "DELETE", pods+"/web", "", ""))

	ev := w.expect("ADDED", "web")
	if m := ev.meta(t); m.ResourceVersion != p.ResourceVersion {
		t.Errorf("ADDED at resourceVersion %s, want %s", m.ResourceVersion, p.ResourceVersion)
	}
	if !strings.Contains(string(ev.Object), `"kind":"Pod","apiVersion":"v1"`) && !strings.Contains(string(ev.Object), `"apiVersion":"v1","kind":"Pod"`) {
		t.Errorf("event object without apiVersion and kind: %s", ev.Object)
	}
	ev = w.expect("MODIFIED", "web")
	if m := ev.meta(t); m.ResourceVersion != updated.ResourceVersion || m.Labels["v"] != "2" {
		t.Errorf("MODIFIED %+v, want resourceVersion %s and the label", m, updated.ResourceVersion)
	}
	// A DELETED event has the last value, at the revision of the delete.
	ev = w.expect("DELETED", "web")
	if m := ev.meta(t); m.ResourceVersion != deleted.ResourceVersion || m.Labels["v"] != "2" || m.ResourceVersion == updated.ResourceVersion {
		t.Errorf("DELETED %+v, want the last pod at resourceVersion %s", m, deleted.ResourceVersion)
	}
	// Other namespaces and kinds are not in this watch.
	create(ts, "/api/v1/namespaces/kube-system/pods", testPod("other", nil))
	create(ts, deployments, testDeployment("web", 1))
	create(ts, pods, testPod("marker", nil))
	w.expect("ADDED", "marker")
}

// A watch resumes from any revision it saw: nothing is missed, nothing
// is seen twice.
func TestWatchResume(t *testing.T) {
	ts := newTestServer(t)
	a := create(ts, pods, testPod("a", nil))
	b := create(ts, pods, testPod("b", nil))
	create(ts, pods, testPod("c", nil))
	ts.expect(http.StatusOK, "DELETE", pods+"/a", "", "")

	w := ts.watch(pods + "?watch=1&resourceVersion=" + a.ResourceVersion)
	w.expect("ADDED", "b")
	w.expect("ADDED", "c")
	w.expect("DELETED", "a")

	w = ts.watch("/api/v1/pods?watch=true&resourceVersion=" + b.ResourceVersion) // all namespaces
	w.expect("ADDED", "c")
	w.expect("DELETED", "a")
}

// Without a resourceVersion, a watch starts with an ADDED for every
// object there is, then the changes.
func TestWatchWithoutResourceVersion(t *testing.T) {
	ts := newTestServer(t)
	create(ts, pods, testPod("b", map[string]string{"app": "web"}))
	create(ts, pods, testPod("a", map[string]string{"app": "web"}))
	create(ts, pods, testPod("db", map[string]string{"app": "db"}))

	w := ts.watch(pods + "?watch=true&labelSelector=app%3Dweb")
	w.expect("ADDED", "a")
	w.expect("ADDED", "b")
	create(ts, pods, testPod("c", map[string]string{"app": "web"}))
	w.expect("ADDED", "c")

	w = ts.watch(pods + "?watch=true&resourceVersion=0")
	for _, name := range []string{"a", "b", "c", "db"} {
		w.expect("ADDED", name)
	}
	ts.expect(http.StatusOK, "DELETE", pods+"/db", "", "")
	w.expect("DELETED", "db")
}

// With a selector, an object that starts to match is ADDED and one that
// stops matching is DELETED, for this watcher.
func TestWatchSelectorTransitions(t *testing.T) {
	ts := newTestServer(t)
	create(ts, pods, testPod("web", nil))
	w := ts.watch(pods + "?watch=true&fieldSelector=spec.nodeName%3Dnode1")
	labels := ts.watch(pods + "?watch=true&labelSelector=app%3Dweb")

	bind(ts, "default", "web", "node1")
	ev := w.expect("ADDED", "web") // the pod came to node1
	if !strings.Contains(string(ev.Object), `"nodeName":"node1"`) {
		t.Errorf("ADDED %s, want the bound pod", ev.Object)
	}
	ts.expect(http.StatusOK, "PATCH", pods+"/web", mergePatchType, `{"metadata":{"labels":{"app":"web"}}}`)
	w.expect("MODIFIED", "web")
	labels.expect("ADDED", "web")
	p := decode[*api.Pod](t, ts.expect(http.StatusOK, "PATCH", pods+"/web", mergePatchType, `{"metadata":{"labels":{"app":"db"}}}`))
	w.expect("MODIFIED", "web")
	// It left the selector: DELETED, with its value before the change, at
	// the revision of the change.
	ev = labels.expect("DELETED", "web")
	if m := ev.meta(t); m.Labels["app"] != "web" || m.ResourceVersion != p.ResourceVersion {
		t.Errorf("DELETED %+v, want the old labels at resourceVersion %s", m, p.ResourceVersion)
	}
	create(ts, pods, testPod("marker", map[string]string{"app": "web"}))
	labels.expect("ADDED", "marker")
}

// A watch from a compacted revision gets one ERROR event, 410 Expired,
// and ends: the client must list again.
func TestWatchCompacted(t *testing.T) {
	ts := newTestServer(t)
	a := create(ts, pods, testPod("a", nil))
	create(ts, pods, testPod("b", nil))
	c := create(ts, pods, testPod("c", nil))
	rev, _ := strconv.ParseInt(c.ResourceVersion, 10, 64) // forget the creation of b
	if _, err := ts.etcd.Client().Compact(context.Background(), rev); err != nil {
		t.Fatal(err)
	}
	w := ts.watch(pods + "?watch=true&resourceVersion=" + a.ResourceVersion)
	ev := w.next()
	st := decode[*statusBody](t, ev.Object)
	if ev.Type != "ERROR" || st.Code != http.StatusGone || st.Reason != ReasonExpired ||
		!strings.HasPrefix(st.Message, "too old resource version: "+a.ResourceVersion+" (") {
		t.Errorf("event %s %s, want ERROR with a 410 Expired Status", ev.Type, ev.Object)
	}
	t.Log(st.Message)
	w.ended()

	// From the compaction revision on, the watch works.
	w = ts.watch(pods + "?watch=true&resourceVersion=" + c.ResourceVersion)
	create(ts, pods, testPod("d", nil))
	w.expect("ADDED", "d")
}

func TestWatchTimeout(t *testing.T) {
	ts := newTestServer(t)
	start := time.Now()
	w := ts.watch("/api/v1/nodes?watch=true&timeoutSeconds=1")
	if te := w.resp.TransferEncoding; len(te) != 1 || te[0] != "chunked" {
		t.Errorf("Transfer-Encoding %v, want chunked", te)
	}
	w.ended()
	if d := time.Since(start); d < time.Second || d > 4*time.Second {
		t.Errorf("the watch ended after %v, want 1s", d)
	}
	ts.expectStatus(http.StatusBadRequest, ReasonBadRequest, "timeoutSeconds", "GET", "/api/v1/nodes?watch=true&timeoutSeconds=x", "", "")
	ts.expectStatus(http.StatusBadRequest, ReasonBadRequest, "invalid resourceVersion", "GET", "/api/v1/nodes?watch=true&resourceVersion=x", "", "")
}

// StopWatches, which podlab-server calls as it shuts down, ends the open
// watches, which would otherwise last as long as their clients want.
func TestStopWatches(t *testing.T) {
	ts := newTestServer(t)
	nodes := ts.watch("/api/v1/nodes?watch=true")
	pods := ts.watch("/api/v1/pods?watch=true&labelSelector=app%3Dweb")
	ts.srv.StopWatches()
	nodes.ended()
	pods.ended()
}
