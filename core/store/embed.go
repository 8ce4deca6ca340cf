package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/logutil"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap"
)

// EmbedConfig configures the etcd that podlab-server runs in its own process.
type EmbedConfig struct {
	DataDir   string // required; keeps every key across restarts
	ClientURL string // default http://127.0.0.1:2379
	PeerURL   string // default http://127.0.0.1:2380
	Name      string // member name, default "podlab"
	// UnsafeNoFsync skips fsync: several times faster, loses data on a
	// crash. For tests only.
	UnsafeNoFsync bool
}

// readyTimeout bounds the wait for a single member to elect itself leader:
// ~50 ms with the tick settings below, longer when replaying a big WAL.
const readyTimeout = 30 * time.Second

// Embedded is a running single-member etcd.
type Embedded struct {
	etcd      *embed.Etcd
	client    *clientv3.Client
	logLevel  zap.AtomicLevel // of etcd's own logger, see Close
	closeOnce sync.Once
}

// StartEmbedded starts a single-member etcd on cfg.DataDir and returns when
// it is ready to serve. ctx only bounds the start; stop the server with
// Close.
func StartEmbedded(ctx context.Context, cfg EmbedConfig) (*Embedded, error) {
	ec, err := embedConfig(cfg)
	if err != nil {
		return nil, err
	}
	level, err := quietLogger(ec)
	if err != nil {
		return nil, err
	}
	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("start etcd in %q: %w", cfg.DataDir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("start etcd in %q: %w", cfg.DataDir, err)
	case <-time.After(readyTimeout):
		e.Close()
		return nil, fmt.Errorf("start etcd in %q: not ready after %s", cfg.DataDir, readyTimeout)
	case <-ctx.Done():
		e.Close()
		return nil, fmt.Errorf("start etcd in %q: %w", cfg.DataDir, ctx.Err())
	}
	// The in-process client calls the server's functions directly: no
	// loopback gRPC hop, no socket. Remote components use Connect.
	return &Embedded{etcd: e, client: v3client.New(e.Server), logLevel: level}, nil
}

// quietLogger gives etcd the logger it would build itself from
// ec.LogLevel (JSON on stderr, errors only), with a level that Close can
// raise: etcd logs "setting up serving from embedded etcd failed" with a
// stack trace for each of its listeners when they close, which is what
// stopping means, and a student stopping the server must not think it
// crashed.
func quietLogger(ec *embed.Config) (zap.AtomicLevel, error) {
	zc := logutil.DefaultZapLoggerConfig
	level := zap.NewAtomicLevelAt(logutil.ConvertToZapLevel(ec.LogLevel))
	zc.Level = level
	lg, err := zc.Build()
	if err != nil {
		return level, fmt.Errorf("etcd logger: %w", err)
	}
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg)
	return level, nil
}

// embedConfig fills in the defaults and turns cfg into etcd's configuration.
func embedConfig(cfg EmbedConfig) (*embed.Config, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("start etcd: no data directory")
	}
	if cfg.ClientURL == "" {
		cfg.ClientURL = "http://127.0.0.1:2379"
	}
	if cfg.PeerURL == "" {
		cfg.PeerURL = "http://127.0.0.1:2380"
	}
	if cfg.Name == "" {
		cfg.Name = "podlab"
	}
	clientURL, err := url.Parse(cfg.ClientURL)
	if err != nil {
		return nil, fmt.Errorf("etcd client URL %q: %w", cfg.ClientURL, err)
	}
	peerURL, err := url.Parse(cfg.PeerURL)
	if err != nil {
		return nil, fmt.Errorf("etcd peer URL %q: %w", cfg.PeerURL, err)
	}

	ec := embed.NewConfig()
	ec.Name = cfg.Name
	ec.Dir = cfg.DataDir
	ec.ListenClientUrls = []url.URL{*clientURL}
	ec.AdvertiseClientUrls = []url.URL{*clientURL}
	ec.ListenPeerUrls = []url.URL{*peerURL}
	ec.AdvertisePeerUrls = []url.URL{*peerURL}
	// A cluster of one: this member and its peer URL. On a restart etcd
	// reads the membership from the data directory instead.
	ec.InitialCluster = ec.InitialClusterFromName(cfg.Name)
	// One member has nobody to wait for: a 10 ms heartbeat and a 100 ms
	// election timeout make it leader in ~50 ms instead of ~1 s.
	ec.TickMs = 10
	ec.ElectionMs = 100
	ec.LogLevel = "error"
	// Keep one hour of history for watches that resume from a revision;
	// older revisions are compacted so the database does not grow forever.
	ec.AutoCompactionMode = embed.CompactorModePeriodic
	ec.AutoCompactionRetention = "1h"
	ec.UnsafeNoFsync = cfg.UnsafeNoFsync
	return ec, nil
}

// Client returns the in-process client. It is closed by Close.
func (e *Embedded) Client() *clientv3.Client { return e.client }

// Err reports a fatal error of the running server; the caller should stop.
func (e *Embedded) Err() <-chan error { return e.etcd.Err() }

// Close closes the client and stops the server, releasing its ports and its
// data directory. Calling it again does nothing.
func (e *Embedded) Close() {
	e.closeOnce.Do(func() {
		e.client.Close()
		e.logLevel.SetLevel(zap.FatalLevel) // see quietLogger
		e.etcd.Close()
	})
}

// Connect returns a client of an external etcd cluster (podlab-server
// --etcd-servers). It checks the connection with one read, because the
// client itself dials lazily and a wrong address would only show up later.
func Connect(endpoints []string) (*clientv3.Client, error) {
	const timeout = 5 * time.Second
	c, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("connect to etcd %q: %w", endpoints, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if _, err := c.Get(ctx, "health"); err != nil {
		c.Close()
		return nil, fmt.Errorf("connect to etcd %q: %w", endpoints, err)
	}
	return c, nil
}
