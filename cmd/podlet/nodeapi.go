package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/podlab/podlab/core/podlet"
	"github.com/podlab/podlab/core/runtime"
)

// nodeAPI is the running node API of the podlet (core/podlet/nodeapi.go):
// "podlab logs", "exec" and "top", and the checker, reach the node's
// containers through it, at --node-ip and --node-api-port.
type nodeAPI struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startNodeAPI listens on the node's IP and --node-api-port and serves
// the node API there until stop; --node-api-port 0 serves none. A port it
// cannot listen on stops the podlet at its start, as it stops the kubelet.
//
// It reads the node's pods through a runtime of its own over the state
// directory and cgroup parent that the pod sync loop's runtime uses: a
// Runtime keeps nothing in memory, so the two see the same pods.
func startNodeAPI(ctx context.Context, o options, log *slog.Logger) (*nodeAPI, error) {
	a := &nodeAPI{cancel: func() {}, done: make(chan struct{})}
	if o.nodeAPIPort == 0 {
		log.Info("no node API (--node-api-port 0): podlab logs, exec and top cannot reach this node's pods")
		close(a.done)
		return a, nil
	}
	rt, err := runtime.NewAt(o.stateDir, podlet.NodeCgroupParent(o.node.Name))
	if err != nil {
		return nil, err
	}
	srv, err := podlet.NewNodeAPIServer(podlet.RuntimeNodeAPI(o.node.Name, rt, podlet.NewAPIServerReviewer(o.client.Server), log))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(o.node.IP.String(), strconv.Itoa(o.nodeAPIPort)))
	if err != nil {
		return nil, fmt.Errorf("node API (--node-api-port %d): %w", o.nodeAPIPort, err)
	}
	ctx, a.cancel = context.WithCancel(ctx)
	go func() {
		defer close(a.done)
		if err := srv.Serve(ctx, ln); err != nil {
			log.Error("the node API stopped", "err", err)
		}
	}()
	return a, nil
}

// stop closes the node API and waits until it is closed.
func (a *nodeAPI) stop() {
	a.cancel()
	<-a.done
}
