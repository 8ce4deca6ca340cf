package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/podlab/podlab/core/apiserver"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/controller/nodeipam"
	"github.com/podlab/podlab/core/scheduler"
)

// internalUser is the user of the token the in-process components use.
const internalUser = "system:podlab-server"

// internalToken returns a new random token for the components that run in
// this process. It lives in memory only: it is added to the accepted
// tokens at start and dies with the process.
func internalToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate the internal token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// startComponents runs the garbage collector of api, the scheduler and the
// controllers in goroutines until ctx ends, and returns a function that
// waits for them to stop.
//
// They run in the server's process but talk to it like any other client:
// over HTTP, with a token, through the watch cache. That is how
// kube-scheduler and kube-controller-manager talk to kube-apiserver, and
// it keeps them honest: nothing they do is hidden from "podlab get". The
// garbage collector is the exception: it is part of the API server and
// works on the store directly, as cascading deletion belongs to the API.
func startComponents(ctx context.Context, api *apiserver.Server, apiURL, token string, o options, log *slog.Logger) (wait func(), err error) {
	c, err := client.New(client.Config{Server: apiURL, Token: token})
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	run := func(name string, f func(ctx context.Context)) {
		log.Info("starting component", "component", name)
		wg.Go(func() { f(ctx) })
	}
	run("garbage-collector", api.RunGarbageCollector)
	// The control plane's events name their component only, no host, as
	// kube-scheduler's do: "From: default-scheduler".
	schedulerEvents := client.NewRecorder(c, scheduler.Name, "")
	run("scheduler", func(ctx context.Context) { scheduler.Run(ctx, c, schedulerEvents) })
	ipamEvents := client.NewRecorder(c, "node-ipam-controller", "")
	run("node-ipam-controller", func(ctx context.Context) { nodeipam.Run(ctx, c, ipamEvents, o.podCIDR) })
	return func() {
		wg.Wait()
		// The recorders write the last events before the process ends.
		flushCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout/2)
		defer cancel()
		schedulerEvents.Flush(flushCtx)
		ipamEvents.Flush(flushCtx)
	}, nil
}

// writeAdminConfig writes <data-dir>/admin.conf: the server's URL and the
// admin token, in the format of ~/.podlab/config, the way kubeadm writes
// /etc/kubernetes/admin.conf. "PODLAB_CONFIG=<file> podlab get pods" then
// works; "podlab up" copies it to ~/.podlab/config.
func writeAdminConfig(dataDir, apiURL, token string) (string, error) {
	path := filepath.Join(dataDir, "admin.conf")
	return path, client.WriteConfig(path, client.Config{Server: apiURL, Token: token})
}
