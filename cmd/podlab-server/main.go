// Command podlab-server is the control plane: the API server over etcd, in
// the role of kube-apiserver, with the scheduler and the controllers in the
// roles of kube-scheduler and kube-controller-manager. It runs its own
// single-member etcd in <data-dir>/etcd unless --etcd-servers names an
// external cluster, and writes <data-dir>/admin.conf, the config file
// "podlab get" and the other cluster commands read.
//
//	podlab-server --data-dir /var/lib/podlab/server --listen 127.0.0.1:6443
//
// On SIGTERM or SIGINT it stops serving HTTP, then stops etcd, and exits 0.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/podlab/podlab/core/apiserver"
	"github.com/podlab/podlab/core/daemon"
	"github.com/podlab/podlab/core/store"
)

// shutdownTimeout bounds the wait for requests in flight at shutdown.
const shutdownTimeout = 10 * time.Second

func main() { daemon.Main(run) }

// run runs the server until ctx is done and returns the exit status:
// 0 after a clean shutdown, 1 on failure, 2 on a command-line mistake.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	return daemon.Command[options]{
		Name:    "podlab-server",
		Usage:   "the podlab control plane: a Kubernetes-style API server over etcd, the scheduler and the controllers (plain HTTP for now)",
		Flags:   flags,
		Options: optionsFrom,
		Serve:   serve,
	}.Run(ctx, args, stderr)
}

// serve runs the API server until ctx is done, then shuts down HTTP first
// (no request is left talking to a stopped etcd) and etcd last.
func serve(ctx context.Context, o options, log *slog.Logger) error {
	etcd := "embedded in " + filepath.Join(o.dataDir, "etcd")
	if len(o.etcdServers) > 0 {
		etcd = fmt.Sprint(o.etcdServers)
	}
	log.Info("starting podlab-server", "data-dir", o.dataDir, "listen", o.listen,
		"token-file", o.tokenFile, "etcd", etcd, "etcd-client-url", o.etcdClientURL,
		"etcd-peer-url", o.etcdPeerURL, "pod-cidr", o.podCIDR, "service-cidr", o.serviceCIDR)

	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	tokens, adminToken, err := ensureTokens(o.tokenFile, log)
	if err != nil {
		return err
	}
	internal, err := internalToken()
	if err != nil {
		return err
	}
	tokens[internal] = internalUser
	client, etcdErr, closeEtcd, err := openEtcd(ctx, o)
	if err != nil {
		return err
	}
	defer closeEtcd()

	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen for the API: %w", err)
	}
	api := apiserver.New(store.New(client), tokens)
	// No WriteTimeout: a watch is a response that lasts as long as the
	// client wants it, or until Shutdown ends it.
	srv := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second}
	srv.RegisterOnShutdown(api.StopWatches)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	apiURL := "http://" + dialable(l.Addr().(*net.TCPAddr))
	log.Info("serving the API", "url", apiURL)

	if err := api.EnsureDefaultNamespaces(ctx); err != nil {
		srv.Close()
		return fmt.Errorf("create the default namespaces: %w", err)
	}
	if adminToken != "" {
		path, err := writeAdminConfig(o.dataDir, apiURL, adminToken)
		if err != nil {
			srv.Close()
			return err
		}
		log.Info("wrote the admin config: server URL and admin token", "file", path,
			"try", "PODLAB_CONFIG="+path+" podlab get nodes")
	}
	componentsCtx, stopComponents := context.WithCancel(ctx)
	defer stopComponents()
	waitComponents, err := startComponents(componentsCtx, api, apiURL, internal, o, log)
	if err != nil {
		srv.Close()
		return err
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down: stopping the scheduler and controllers, then HTTP, then etcd")
	case err := <-served:
		stopComponents()
		waitComponents()
		return fmt.Errorf("serve the API: %w", err)
	case err := <-etcdErr:
		srv.Close()
		stopComponents()
		waitComponents()
		return fmt.Errorf("etcd stopped: %w", err)
	}
	// The components first: their watches are requests that Shutdown
	// would otherwise wait for.
	stopComponents()
	waitComponents()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("stop serving the API: %w", err)
	}
	return nil
}

// dialable returns the host:port a client on this machine dials to reach
// a server listening on addr: a wildcard address (0.0.0.0, ::) becomes
// 127.0.0.1.
func dialable(addr *net.TCPAddr) string {
	if addr.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(addr.Port))
	}
	return addr.String()
}

// ensureTokens loads the token file, first writing one with a new admin
// token if there is none. It returns the tokens and the token of user
// "admin", "" if a token file given by hand has none.
func ensureTokens(path string, log *slog.Logger) (tokens map[string]string, admin string, err error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if _, err := apiserver.GenerateTokenFile(path); err != nil {
			return nil, "", err
		}
		log.Info("generated an admin token", "token-file", path)
	}
	if tokens, err = apiserver.LoadTokens(path); err != nil {
		return nil, "", err
	}
	for token, user := range tokens {
		if user == "admin" {
			admin = token
		}
	}
	return tokens, admin, nil
}

// openEtcd starts the embedded etcd, or connects to the external one. It
// returns the client, a channel reporting a fatal error of the embedded
// server (nil for an external cluster: never ready), and the function that
// closes the client and stops the server.
func openEtcd(ctx context.Context, o options) (*clientv3.Client, <-chan error, func(), error) {
	if len(o.etcdServers) > 0 {
		c, err := store.Connect(o.etcdServers)
		if err != nil {
			return nil, nil, nil, err
		}
		return c, nil, func() { c.Close() }, nil
	}
	e, err := store.StartEmbedded(ctx, store.EmbedConfig{
		DataDir:   filepath.Join(o.dataDir, "etcd"),
		ClientURL: o.etcdClientURL,
		PeerURL:   o.etcdPeerURL,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return e.Client(), e.Err(), e.Close, nil
}
