package checker

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/podlab/podlab/core/client"
	podcluster "github.com/podlab/podlab/core/cluster"
	"github.com/podlab/podlab/core/store"
)

// The checks that read the local cluster's nodes from this machine do not
// apply on a cluster of machines (no local cluster state, an API server
// that answers), and apply everywhere else: on the local cluster, where
// they must fail until their lab has run, and with no cluster at all.

// fakeAPI answers the list of Nodes (empty) and NotFound to everything
// else: enough to be a cluster that answers and holds no lab's pods.
func fakeAPI(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet && r.URL.Path == "/api/v1/nodes" {
			w.Write([]byte(`{"kind":"NodeList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}`))
			return
		}
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"not found"}`))
	}))
	t.Cleanup(s.Close)
	return s
}

// machineEnv points the checker at an empty state directory, a client
// config for server, and no etcd: a machine with no local cluster.
func machineEnv(t *testing.T, server string) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("PODLAB_RUN", filepath.Join(dir, "run"))
	t.Setenv(client.ConfigEnv, filepath.Join(dir, "config"))
	if err := client.WriteConfig(filepath.Join(dir, "config"), client.Config{Server: server, Token: "t"}); err != nil {
		t.Fatal(err)
	}
	old := controlPlaneEtcd
	controlPlaneEtcd = "http://" + closedAddr(t)
	t.Cleanup(func() { controlPlaneEtcd = old })
}

// writeLocalState writes the state of a local cluster, as "podlab up"
// does, whose etcd is at etcdURL and whose names start with a prefix no
// real cluster has.
func writeLocalState(t *testing.T, etcdURL string) {
	t.Helper()
	dir := podcluster.Dir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	state := `{"config": {"prefix": "podlabna", "etcdClientURL": "` + etcdURL + `"}, "dir": "` + dir + `", "nodes": [{"name": "node1", "netns": "podlabna-node1"}]}`
	if err := os.WriteFile(filepath.Join(dir, "cluster.json"), []byte(state), 0o600); err != nil {
		t.Fatal(err)
	}
}

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// notApplicableHere asks every check of All whether it applies, without
// running any, and returns the ids of those that do not, with the reasons.
func notApplicableHere(t *testing.T) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	na := map[string]string{}
	for _, c := range All() {
		if c.NotApplicable == nil {
			continue
		}
		if why := c.NotApplicable(ctx); why != "" {
			na[c.ID] = why
		}
	}
	return na
}

func ids(m map[string]string) []string {
	var s []string
	for id := range m {
		s = append(s, id)
	}
	slices.Sort(s)
	return s
}

// localClusterOnly are the checks that read the local cluster's nodes
// from this machine.
var localClusterOnly = []string{
	"08.encapsulation", "08.exercise-third-node", "08.host-gw", "08.lease", "08.peer-entries", "08.pod-to-pod", "08.vxlan-device",
	"10.exercise-prestop", "10.hooks",
}

func TestNotApplicableOnMachines(t *testing.T) {
	api := fakeAPI(t)

	t.Run("a cluster of machines, no etcd here (a node)", func(t *testing.T) {
		machineEnv(t, api.URL)
		na := notApplicableHere(t)
		want := append(slices.Clone(localClusterOnly), "09.stored-in-etcd")
		slices.Sort(want)
		if got := ids(na); !slices.Equal(got, want) {
			t.Errorf("not applicable: %v, want %v", got, want)
		}
		if why := na["08.lease"]; why != lab08Elsewhere {
			t.Errorf("08.lease: %q", why)
		}
		if why := na["09.stored-in-etcd"]; !strings.Contains(why, "control-plane machine") || !strings.Contains(why, controlPlaneEtcd) {
			t.Errorf("09.stored-in-etcd: %q", why)
		}

		// Run: lab 08 is all "not applicable", none of it runs.
		rep := Run(context.Background(), lab08(), 10*time.Second)
		for _, o := range rep.Outcomes {
			if o.NotApplicable != lab08Elsewhere || o.Result.Pass || len(o.Result.Evidence) > 0 {
				t.Errorf("%s: %+v", o.Check.ID, o)
			}
		}
		if got, max := rep.Score(); !rep.Passed() || got != 0 || max != 0 {
			t.Errorf("lab 08 on a cluster of machines: passed %v, %d/%d; want true, 0/0", rep.Passed(), got, max)
		}
	})

	t.Run("a cluster of machines, its etcd here (the control plane)", func(t *testing.T) {
		machineEnv(t, api.URL)
		controlPlaneEtcd = startEtcd(t)
		na := notApplicableHere(t)
		if got := ids(na); !slices.Equal(got, localClusterOnly) {
			t.Errorf("not applicable: %v, want %v", got, localClusterOnly)
		}
		db, err := lab09Etcd(context.Background())
		if err != nil {
			t.Fatalf("lab09Etcd without local state, etcd at %s: %v", controlPlaneEtcd, err)
		}
		db.Close()
		// It runs, and fails: the API has no pod of lab 09.
		o := Run(context.Background(), []Check{lab09()[0]}, 10*time.Second).Outcomes[0]
		if o.NotApplicable != "" || o.Result.Pass || !strings.Contains(strings.Join(o.Result.Evidence, " "), "lab09/ssd") {
			t.Errorf("09.stored-in-etcd: %+v", o)
		}
	})

	t.Run("a local cluster: every check applies, and fails before its lab", func(t *testing.T) {
		machineEnv(t, api.URL)
		writeLocalState(t, "http://"+closedAddr(t))
		if na := notApplicableHere(t); len(na) > 0 {
			t.Errorf("not applicable on a local cluster: %v", na)
		}
		rep := Run(context.Background(), append(lab08(), lab09()[0]), 10*time.Second)
		for _, o := range rep.Outcomes {
			if o.NotApplicable != "" || o.Result.Pass || o.Result.Hint == "" {
				t.Errorf("%s on a fresh local cluster: %+v, want a failure with a hint", o.Check.ID, o)
			}
		}
	})

	t.Run("a broken local state: every check applies", func(t *testing.T) {
		machineEnv(t, api.URL)
		writeLocalState(t, "http://"+closedAddr(t))
		if err := os.WriteFile(filepath.Join(podcluster.Dir(), "cluster.json"), []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
		if na := notApplicableHere(t); len(na) > 0 {
			t.Errorf("not applicable with a broken local state: %v", na)
		}
	})

	t.Run("no cluster at all: every check applies, and fails", func(t *testing.T) {
		machineEnv(t, "http://"+closedAddr(t))
		if na := notApplicableHere(t); len(na) > 0 {
			t.Errorf("not applicable without a cluster: %v", na)
		}
		for _, o := range Run(context.Background(), lab08(), 10*time.Second).Outcomes {
			if o.NotApplicable != "" || o.Result.Pass || o.Result.Hint == "" {
				t.Errorf("%s without a cluster: %+v, want a failure with a hint", o.Check.ID, o)
			}
		}
	})
}

// startEtcd starts an etcd of the test's own and returns its client URL.
func startEtcd(t *testing.T) string {
	t.Helper()
	url := "http://" + closedAddr(t)
	e, err := store.StartEmbedded(context.Background(), store.EmbedConfig{
		DataDir: t.TempDir(), ClientURL: url, PeerURL: "http://" + closedAddr(t), UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return url
}
