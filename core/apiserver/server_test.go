package apiserver

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/podlab/podlab/core/store"
)

// freeURL returns an http URL on a loopback port that was free a moment ago,
// as core/store's tests do.
func freeURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

// startEtcd starts an embedded etcd in a temporary directory on free ports,
// retrying with new ports if one was taken in the meantime.
func startEtcd(t *testing.T) *store.Embedded {
	t.Helper()
	for attempt := 1; ; attempt++ {
		e, err := store.StartEmbedded(context.Background(), store.EmbedConfig{
			DataDir: t.TempDir(), ClientURL: freeURL(t), PeerURL: freeURL(t),
			Name: "test", UnsafeNoFsync: true,
		})
		if errors.Is(err, syscall.EADDRINUSE) && attempt < 3 {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(e.Close)
		return e
	}
}

func TestHealthz(t *testing.T) {
	e := startEtcd(t)
	h := New(store.New(e.Client()), map[string]string{"right-token": "admin"}).Handler()

	for _, path := range []string{"/healthz", "/livez"} {
		if code, body := get(t, h, path, ""); code != http.StatusOK || body != "ok" {
			t.Errorf("GET %s without a token: %d %q, want 200 \"ok\"", path, code, body)
		}
	}

	e.Close()
	code, body := get(t, h, "/healthz", "")
	if code != http.StatusInternalServerError || !strings.HasPrefix(body, "etcd: ") {
		t.Errorf("GET /healthz with etcd stopped: %d %q, want 500 with the error", code, body)
	}
	if code, _ := get(t, h, "/livez", ""); code != http.StatusOK {
		t.Errorf("GET /livez with etcd stopped: %d, want 200", code)
	}
}

func TestDiscoveryAndNotFound(t *testing.T) {
	h := New(nil, map[string]string{"tok": "admin"}).Handler()
	for _, tc := range []struct {
		path string
		code int
		body string
	}{
		{"/api", 200, `{"kind":"APIVersions","versions":["v1"]}`},
		{"/apis", 200, `{"kind":"APIGroupList","apiVersion":"v1","groups":[` +
			`{"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}},` +
			`{"name":"batch","versions":[{"groupVersion":"batch/v1","version":"v1"}],"preferredVersion":{"groupVersion":"batch/v1","version":"v1"}},` +
			`{"name":"autoscaling","versions":[{"groupVersion":"autoscaling/v2","version":"v2"}],"preferredVersion":{"groupVersion":"autoscaling/v2","version":"v2"}}]}`},
		{"/api/v1/widgets", 404, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server could not find the requested resource \"/api/v1/widgets\"","reason":"NotFound","code":404}`},
		{"/nothing", 404, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server could not find the requested resource \"/nothing\"","reason":"NotFound","code":404}`},
	} {
		if code, body := get(t, h, tc.path, "tok"); code != tc.code || body != tc.body {
			t.Errorf("GET %s: %d %s\nwant %d %s", tc.path, code, body, tc.code, tc.body)
		}
	}

	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/version", nil)
	req.Header.Set("Authorization", "Bearer tok")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed || !strings.Contains(rec.Body.String(), `"reason":"MethodNotAllowed"`) {
		t.Errorf("POST /version: %d %s, want 405 MethodNotAllowed", rec.Code, rec.Body)
	}
}

func TestWriteStatusDetails(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteStatus(rec, http.StatusConflict, ReasonAlreadyExists, `pods "web" already exists`,
		map[string]string{"name": "web", "kind": "pods"})
	want := `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"web\" already exists","reason":"AlreadyExists","details":{"kind":"pods","name":"web"},"code":409}`
	if rec.Code != http.StatusConflict || rec.Body.String() != want {
		t.Errorf("WriteStatus: %d %s\nwant 409 %s", rec.Code, rec.Body, want)
	}
}
