package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNodeAPIPortFlag(t *testing.T) {
	good := []string{"--node-name", "node1", "--node-ip", "10.0.0.1", "--server", "http://x", "--token-file", tokenFile(t, "s3cret\n")}
	if o, err := parse(t, good...); err != nil || o.nodeAPIPort != 10250 {
		t.Errorf("default: %d %v, want the kubelet's 10250", o.nodeAPIPort, err)
	}
	if o, err := parse(t, append(good, "--node-api-port", "0")...); err != nil || o.nodeAPIPort != 0 {
		t.Errorf("--node-api-port 0: %d %v", o.nodeAPIPort, err)
	}
	for _, bad := range []string{"-1", "65536"} {
		if _, err := parse(t, append(good, "--node-api-port", bad)...); err == nil || !strings.Contains(err.Error(), "--node-api-port "+bad) {
			t.Errorf("--node-api-port %s: %v", bad, err)
		}
	}
}

// The podlet serves the node API on its node's IP: /healthz to anyone,
// the rest only with a token the API server accepts (this one accepts
// none: it has no /version); it closes it when it stops.
func TestServesNodeAPI(t *testing.T) {
	f := newFakeAPI(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log syncBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"podlet", "--node-name", "node1", "--node-ip", "127.0.0.1", "--node-api-port", port,
			"--server", f.URL, "--token-file", tokenFile(t, "node1-token\n"), "--heartbeat", "20ms",
			"--state-dir", filepath.Join(t.TempDir(), "node1")}, &log)
	}()
	base := "http://127.0.0.1:" + port
	get := func(path, token string) (int, string, error) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), nil
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if code, _, err := get("/healthz", ""); err == nil && code == 200 {
			break
		}
		select {
		case code := <-exited:
			t.Fatalf("podlet exited %d\n%s", code, log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no node API on %s in 10s\n%s", base, log.String())
		}
	}
	if code, body, err := get("/stats/summary", ""); err != nil || code != 401 || !strings.Contains(body, `"Unauthorized`) {
		t.Errorf("summary without a token: %d %s %v", code, body, err)
	}
	if code, body, err := get("/stats/summary", "node1-token"); err != nil || code != 401 || !strings.Contains(body, "could not check the token") {
		t.Errorf("summary with a token the API server did not review: %d %s %v", code, body, err)
	}
	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("podlet exited %d after SIGTERM\n%s", code, log.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("podlet still running 10s after SIGTERM")
	}
	if _, _, err := get("/healthz", ""); err == nil {
		t.Error("the node API still answers after the podlet stopped")
	}
	for _, want := range []string{"serving the node API", "addr=127.0.0.1:" + port, "cannot check a token"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}
