package store

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
)

// freeURL returns an http URL on a loopback port that was free a moment ago.
// Another process may take it before etcd binds it; startEtcd retries then.
func freeURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

// testConfig is an embedded etcd in a fresh temporary directory on free
// ports, without fsync.
func testConfig(t *testing.T) EmbedConfig {
	return EmbedConfig{
		DataDir:       t.TempDir(),
		ClientURL:     freeURL(t),
		PeerURL:       freeURL(t),
		Name:          "test",
		UnsafeNoFsync: true,
	}
}

// startEtcd starts an embedded etcd with cfg and stops it when the test
// ends. If a port was taken in the meantime it picks new ones and records
// them in cfg, unless keepURLs (a restart keeps the member's peer URL).
func startEtcd(t *testing.T, cfg *EmbedConfig, keepURLs bool) *Embedded {
	t.Helper()
	for attempt := 1; ; attempt++ {
		e, err := StartEmbedded(context.Background(), *cfg)
		if errors.Is(err, syscall.EADDRINUSE) && attempt < 3 && !keepURLs {
			cfg.ClientURL, cfg.PeerURL = freeURL(t), freeURL(t)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(e.Close)
		return e
	}
}

// newStore is a Store on a fresh embedded etcd.
func newStore(t *testing.T) (*Store, *Embedded) {
	t.Helper()
	cfg := testConfig(t)
	e := startEtcd(t, &cfg, false)
	return New(e.Client()), e
}
