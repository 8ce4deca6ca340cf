package podlet

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// Each "podlab logs", and each check of the checker, makes a NodeClient:
// they must share their connections, not each leave one open (and two
// goroutines) for as long as the process lives.
func TestNodeClientsShareConnections(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"node":{"nodeName":"node1"}}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	for range 5 {
		if _, err := NewNodeClient(addr, "t").Summary(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("5 NodeClients, one after another, opened %d connections to the node; want 1, reused", n)
	}
}
