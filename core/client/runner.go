package client

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// Controller runs a level-triggered sync function over the keys of a
// queue (STYLE.md rules 6 and 7). Event handlers only add keys to Queue;
// all the work happens in Sync, which reads desired and actual state,
// acts on the difference and returns an error to be retried.
type Controller struct {
	Name    string
	Workers int // at least 1
	Sync    func(ctx context.Context, key string) error
	Queue   *Queue // must be set, usually with NewQueue
}

// Run starts the workers and blocks until ctx ends; it then shuts the
// queue down and returns once every worker has finished its current sync.
func (c *Controller) Run(ctx context.Context) {
	workers := max(c.Workers, 1)
	slog.Info("starting controller", "controller", c.Name, "workers", workers)

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c.processNextWorkItem(ctx) {
			}
		})
	}
	<-ctx.Done()
	c.Queue.ShutDown()
	wg.Wait()
	slog.Info("stopped controller", "controller", c.Name)
}

// processNextWorkItem syncs one key and reports false once the queue is
// shut down. Model: sample-controller processNextWorkItem.
func (c *Controller) processNextWorkItem(ctx context.Context) bool {
	key, shutdown := c.Queue.Get()
	if shutdown {
		return false
	}
	// Done lets the queue hand the key out again, even if Sync panics.
	defer c.Queue.Done(key)

	if err := c.Sync(ctx, key); err != nil {
		// Retry with back-off: the world may change (the API server comes
		// back, a node frees up) and the next sync reads it afresh.
		c.Queue.AddRateLimited(key)
		slog.Error("sync failed, will retry", "controller", c.Name, "key", key,
			"error", err, "retries", c.Queue.NumRequeues(key))
		return true
	}
	// Success: the next failure of this key starts at the base delay.
	c.Queue.Forget(key)
	return true
}

// KeyFor returns the queue key of an object: "namespace/name", or just
// "name" for a cluster-scoped object such as a Node.
func KeyFor(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// SplitKey is the inverse of KeyFor.
func SplitKey(key string) (namespace, name string, err error) {
	parts := strings.Split(key, "/")
	switch {
	case len(parts) == 1 && parts[0] != "":
		return "", parts[0], nil
	case len(parts) == 2 && parts[1] != "":
		return parts[0], parts[1], nil
	}
	return "", "", fmt.Errorf("split key %q: want \"namespace/name\" or \"name\"", key)
}
