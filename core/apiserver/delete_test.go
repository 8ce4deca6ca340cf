package apiserver

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/store"
)

func TestDeletePodGracefully(t *testing.T) {
	ts := newTestServer(t)

	// A pod no node runs goes at once: there are no containers to stop.
	create(ts, pods, testPod("unbound", nil))
	ts.expect(http.StatusOK, "DELETE", pods+"/unbound", "", "")
	ts.absent(pods + "/unbound")

	// A bound pod gets its deletionTimestamp and stays, for its node.
	p := testPod("web", nil)
	p.Spec.TerminationGracePeriodSeconds = new(int64(20))
	create(ts, pods, p)
	bind(ts, "default", "web", "node1")
	before := time.Now()
	got := decode[*api.Pod](t, ts.expect(http.StatusOK, "DELETE", pods+"/web", "", ""))
	if got.DeletionTimestamp == nil || *got.DeletionGracePeriodSeconds != 20 ||
		got.DeletionTimestamp.Before(before.Add(18*time.Second)) || got.DeletionTimestamp.After(before.Add(22*time.Second)) {
		t.Errorf("deletionTimestamp %v, grace %v: want now+20s, 20", got.DeletionTimestamp, got.DeletionGracePeriodSeconds)
	}
	stored := getObject[*api.Pod](ts, pods+"/web")
	if stored.DeletionTimestamp == nil || !stored.DeletionTimestamp.Equal(*got.DeletionTimestamp) {
		t.Errorf("stored deletionTimestamp %v", stored.DeletionTimestamp)
	}
	// A longer grace does not push the deadline back; a shorter one
	// brings it forward.
	again := decode[*api.Pod](t, ts.expect(http.StatusOK, "DELETE", pods+"/web?gracePeriodSeconds=60", "", ""))
	if *again.DeletionGracePeriodSeconds != 20 || again.ResourceVersion != stored.ResourceVersion {
		t.Errorf("after a longer grace: %v, resourceVersion %s, want unchanged", *again.DeletionGracePeriodSeconds, again.ResourceVersion)
	}
	shorter := decode[*api.Pod](t, ts.expect(http.StatusOK, "DELETE", pods+"/web", "application/json",
		`{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":5}`))
	if *shorter.DeletionGracePeriodSeconds != 5 || !shorter.DeletionTimestamp.Before(*got.DeletionTimestamp) {
		t.Errorf("after a shorter grace: %v at %v", *shorter.DeletionGracePeriodSeconds, shorter.DeletionTimestamp)
	}
	// The node, once the containers are gone, deletes with grace 0.
	ts.expect(http.StatusOK, "DELETE", pods+"/web?gracePeriodSeconds=0", "", "")
	ts.absent(pods + "/web")

	// A pod that has ended goes at once too.
	create(ts, pods, testPod("done", nil))
	bind(ts, "default", "done", "node1")
	ts.expect(http.StatusOK, "PATCH", pods+"/done/status", mergePatchType, `{"status":{"phase":"Succeeded"}}`)
	ts.expect(http.StatusOK, "DELETE", pods+"/done", "", "")
	ts.absent(pods + "/done")
}

func TestDeleteOptions(t *testing.T) {
	ts := newTestServer(t)
	p := create(ts, pods, testPod("web", nil))
	for _, tc := range []struct{ query, body, msg string }{
		{"?gracePeriodSeconds=-1", "", "gracePeriodSeconds must be 0 or more"},
		{"?gracePeriodSeconds=soon", "", "not an integer"},
		{"?propagationPolicy=Later", "", `propagationPolicy "Later" is not supported`},
		{"", `{"kind":"DeleteOptions","graceSeconds":1}`, `unknown field "graceSeconds"`},
		{"", `{"kind":"Pod"}`, "must be a DeleteOptions"},
	} {
		ts.expectStatus(http.StatusBadRequest, ReasonBadRequest, tc.msg, "DELETE", pods+"/web"+tc.query, "application/json", tc.body)
	}
	ts.expectStatus(http.StatusConflict, ReasonConflict, "Precondition failed: UID in precondition: x, UID in object meta: "+p.UID,
		"DELETE", pods+"/web", "application/json", `{"preconditions":{"uid":"x"}}`)
	ts.expectStatus(http.StatusConflict, ReasonConflict, "Precondition failed: ResourceVersion in precondition: 1",
		"DELETE", pods+"/web", "application/json", `{"preconditions":{"resourceVersion":"1"}}`)
	getObject[*api.Pod](ts, pods+"/web")
	ts.expect(http.StatusOK, "DELETE", pods+"/web", "application/json",
		`{"apiVersion":"v1","kind":"DeleteOptions","preconditions":{"uid":"`+p.UID+`","resourceVersion":"`+p.ResourceVersion+`"}}`)
	ts.absent(pods + "/web")
}

// chain makes the objects of a Deployment by hand, as its controllers
// would: Deployment web → ReplicaSet web-1 → pods web-1-a, web-1-b; the
// pod web-1-b is on node1.
func chain(ts *testServer) (*api.Deployment, *api.ReplicaSet) {
	ts.t.Helper()
	d := create(ts, deployments, testDeployment("web", 2))
	rs := create(ts, "/apis/apps/v1/namespaces/default/replicasets",
		ownedBy(testReplicaSet("web-1", map[string]string{"app": "web"}), d, api.KindDeployment))
	for _, name := range []string{"web-1-a", "web-1-b"} {
		create(ts, pods, ownedBy(testPod(name, map[string]string{"app": "web"}), rs, api.KindReplicaSet))
	}
	bind(ts, "default", "web-1-b", "node1")
	return d, rs
}

// collect runs the garbage collector until it has nothing to do.
func (ts *testServer) collect() {
	ts.t.Helper()
	if err := ts.srv.collectGarbage(context.Background()); err != nil {
		ts.t.Fatal(err)
	}
}

func TestDeleteBackground(t *testing.T) {
	ts := newTestServer(t)
	chain(ts)
	// An object with another owner that lives stays, without the reference
	// to the one that is gone.
	keeper := create(ts, "/api/v1/namespaces/default/services", &api.Service{TypeMeta: api.KindService,
		ObjectMeta: api.ObjectMeta{Name: "keeper"}, Spec: api.ServiceSpec{Ports: []api.ServicePort{{Port: 80}}}})
	rs := getObject[*api.ReplicaSet](ts, "/apis/apps/v1/namespaces/default/replicasets/web-1")
	shared := testPod("shared", nil)
	shared.OwnerReferences = []api.OwnerReference{
		{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID},
		{APIVersion: "v1", Kind: "Service", Name: keeper.Name, UID: keeper.UID},
	}
	create(ts, pods, shared)

	ts.expect(http.StatusOK, "DELETE", deployments+"/web", "", "")
	ts.absent(deployments + "/web")
	ts.collect()
	ts.absent("/apis/apps/v1/namespaces/default/replicasets/web-1")
	ts.absent(pods + "/web-1-a") // no node: removed at once
	b := getObject[*api.Pod](ts, pods+"/web-1-b")
	if b.DeletionTimestamp == nil {
		t.Error("pod web-1-b on node1: no deletionTimestamp, want a graceful delete")
	}
	if s := getObject[*api.Pod](ts, pods+"/shared"); len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != keeper.UID {
		t.Errorf("pod shared: ownerReferences %+v, want only the Service", s.OwnerReferences)
	}
}

func TestDeleteOrphan(t *testing.T) {
	ts := newTestServer(t)
	chain(ts)
	ts.expect(http.StatusOK, "DELETE", "/apis/apps/v1/namespaces/default/replicasets/web-1?propagationPolicy=Orphan", "", "")
	ts.absent("/apis/apps/v1/namespaces/default/replicasets/web-1")
	ts.collect()
	for _, name := range []string{"web-1-a", "web-1-b"} {
		p := getObject[*api.Pod](ts, pods+"/"+name)
		if len(p.OwnerReferences) != 0 || p.DeletionTimestamp != nil {
			t.Errorf("pod %s: ownerReferences %+v, deletionTimestamp %v; want an orphan that stays", name, p.OwnerReferences, p.DeletionTimestamp)
		}
	}
	// The ReplicaSet's owner is not its dependent: it stays.
	getObject[*api.Deployment](ts, deployments+"/web")
}

// A ReplicationController orphans its pods by default (SEMANTICS.md §5.3).
func TestDeleteReplicationControllerOrphansByDefault(t *testing.T) {
	ts := newTestServer(t)
	const rcs = "/api/v1/namespaces/default/replicationcontrollers"
	rc := create(ts, rcs, &api.ReplicationController{TypeMeta: api.KindReplicationController, ObjectMeta: api.ObjectMeta{Name: "web"},
		Spec: api.ReplicationControllerSpec{Template: testTemplate(map[string]string{"app": "web"})}})
	create(ts, pods, ownedBy(testPod("web-a", map[string]string{"app": "web"}), rc, api.KindReplicationController))
	ts.expect(http.StatusOK, "DELETE", rcs+"/web", "", "")
	ts.collect()
	if p := getObject[*api.Pod](ts, pods+"/web-a"); len(p.OwnerReferences) != 0 {
		t.Errorf("pod web-a: ownerReferences %+v, want none", p.OwnerReferences)
	}

	// Background, asked for, deletes them.
	rc = create(ts, rcs, &api.ReplicationController{TypeMeta: api.KindReplicationController, ObjectMeta: api.ObjectMeta{Name: "db"},
		Spec: api.ReplicationControllerSpec{Template: testTemplate(map[string]string{"app": "db"})}})
	create(ts, pods, ownedBy(testPod("db-a", map[string]string{"app": "db"}), rc, api.KindReplicationController))
	ts.expect(http.StatusOK, "DELETE", rcs+"/db?propagationPolicy=Background", "", "")
	ts.collect()
	ts.absent(pods + "/db-a")
}

func TestDeleteForeground(t *testing.T) {
	ts := newTestServer(t)
	chain(ts)
	got := decode[*api.Deployment](t, ts.expect(http.StatusOK, "DELETE", deployments+"/web", "application/json",
		`{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Foreground"}`))
	if got.DeletionTimestamp == nil || len(got.Finalizers) != 1 || got.Finalizers[0] != foregroundFinalizer {
		t.Errorf("deployment after a foreground delete: %+v, want a deletionTimestamp and the finalizer", got.ObjectMeta)
	}
	// Nothing new in an object being deleted.
	got.Finalizers = append(got.Finalizers, "example.com/more")
	ts.expectStatus(http.StatusUnprocessableEntity, ReasonInvalid, "no new finalizers", "PUT", deployments+"/web", "application/json", toJSON(t, got))

	// The pod on node1 is stopping: it keeps its ReplicaSet, which keeps
	// the Deployment.
	ts.collect()
	ts.absent(pods + "/web-1-a")
	if p := getObject[*api.Pod](ts, pods+"/web-1-b"); p.DeletionTimestamp == nil {
		t.Error("pod web-1-b: no deletionTimestamp")
	}
	rs := getObject[*api.ReplicaSet](ts, "/apis/apps/v1/namespaces/default/replicasets/web-1")
	if rs.DeletionTimestamp == nil || len(rs.Finalizers) != 1 {
		t.Errorf("replicaset: %+v, want it deleted in the foreground too", rs.ObjectMeta)
	}
	getObject[*api.Deployment](ts, deployments+"/web")

	// The node has stopped the pod: the whole chain goes.
	ts.expect(http.StatusOK, "DELETE", pods+"/web-1-b?gracePeriodSeconds=0", "", "")
	ts.collect()
	ts.absent("/apis/apps/v1/namespaces/default/replicasets/web-1")
	ts.absent(deployments + "/web")
}

// An object with a finalizer of its own stays until it is removed.
func TestDeleteWaitsForFinalizers(t *testing.T) {
	ts := newTestServer(t)
	d := testDeployment("web", 1)
	d.Finalizers = []string{"example.com/backup"}
	create(ts, deployments, d)
	got := decode[*api.Deployment](t, ts.expect(http.StatusOK, "DELETE", deployments+"/web", "", ""))
	if got.DeletionTimestamp == nil {
		t.Fatal("no deletionTimestamp")
	}
	ts.collect()
	getObject[*api.Deployment](ts, deployments+"/web")
	ts.expect(http.StatusOK, "PATCH", deployments+"/web", mergePatchType, `{"metadata":{"finalizers":null}}`)
	ts.collect()
	ts.absent(deployments + "/web")
}

func TestDeleteNamespace(t *testing.T) {
	ts := newTestServer(t)
	create(ts, "/api/v1/namespaces", &api.Namespace{TypeMeta: api.KindNamespace, ObjectMeta: api.ObjectMeta{Name: "dev"}})
	const devPods = "/api/v1/namespaces/dev/pods"
	create(ts, devPods, testPod("a", nil))
	create(ts, devPods, testPod("b", nil))
	bind(ts, "dev", "b", "node1")
	create(ts, "/apis/apps/v1/namespaces/dev/deployments", testDeployment("web", 1))
	create(ts, pods, testPod("a", nil)) // in default: stays

	ns := decode[*api.Namespace](t, ts.expect(http.StatusOK, "DELETE", "/api/v1/namespaces/dev", "", ""))
	if ns.Status.Phase != api.NamespaceTerminating || ns.DeletionTimestamp == nil {
		t.Errorf("namespace after DELETE: %+v", ns)
	}
	ts.expectStatus(http.StatusForbidden, ReasonForbidden, "unable to create new content in namespace dev because it is being terminated",
		"POST", devPods, "application/json", toJSON(t, testPod("c", nil)))
	ts.collect()
	ts.absent(devPods + "/a")
	ts.absent("/apis/apps/v1/namespaces/dev/deployments/web")
	getObject[*api.Namespace](ts, "/api/v1/namespaces/dev") // waits for pod b's node
	ts.expect(http.StatusOK, "DELETE", devPods+"/b?gracePeriodSeconds=0", "", "")
	ts.collect()
	ts.absent("/api/v1/namespaces/dev")
	getObject[*api.Pod](ts, pods+"/a")
}

// The collector runs on its own, and finishes a cascade that a restart
// interrupted: here the owner was removed behind the server's back.
func TestGarbageCollectorRuns(t *testing.T) {
	ts := newTestServer(t)
	chain(ts)
	if _, err := ts.st.Delete(context.Background(), store.Key("deployments", "default", "web"), 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ts.srv.RunGarbageCollector(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	eventually(t, func() bool {
		code, _ := ts.do("GET", pods+"/web-1-a", "", "")
		return code == http.StatusNotFound
	})
	ts.absent("/apis/apps/v1/namespaces/default/replicasets/web-1")

	// A delete wakes it.
	create(ts, "/api/v1/namespaces", &api.Namespace{TypeMeta: api.KindNamespace, ObjectMeta: api.ObjectMeta{Name: "dev"}})
	create(ts, "/api/v1/namespaces/dev/pods", testPod("a", nil))
	ts.expect(http.StatusOK, "DELETE", "/api/v1/namespaces/dev", "", "")
	eventually(t, func() bool {
		code, _ := ts.do("GET", "/api/v1/namespaces/dev", "", "")
		return code == http.StatusNotFound
	})
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 5s")
}
