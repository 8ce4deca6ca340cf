package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

// errNoCluster is what a cluster lab says when there is no cluster to
// talk to: it changes nothing then.
var errNoCluster = errors.New("no cluster: start one with sudo podlab up")

// connect reaches the cluster of the client config that "podlab up"
// wrote, and makes sure its API server answers.
func connect(ctx context.Context) (*client.Client, error) {
	c, _, err := client.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", errNoCluster, err)
	}
	return c, nil
}

// undoer connects for an undo. With no client config at all the cluster
// is gone, and what the lab made in it went with it ("podlab down"):
// nothing is left to undo then, and it returns nil.
func undoer(ctx context.Context) (*client.Client, error) {
	if _, err := os.Stat(client.DefaultConfigPath()); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return connect(ctx)
}

// The undos of what the lab records: pods "ns/name", namespaces, and node
// labels "node/key" (the label was not there) or "node/key=old" (it had
// another value).
var undo = map[string]func(ctx context.Context, name string) error{
	"pod": func(ctx context.Context, name string) error {
		c, err := undoer(ctx)
		if c == nil || err != nil {
			return err
		}
		ns, pod, _ := strings.Cut(name, "/")
		// A second of grace, and wait: the podlet removes the pod from the
		// API once its containers and sandbox are gone, so the node is
		// clean, and a pod made again under the name can start at once. A
		// node that does not answer gets 30 s, then the pod goes anyway.
		grace := int64(1)
		_, err = c.Pods(ns).Delete(ctx, pod, client.DeleteOptions{GracePeriodSeconds: &grace})
		for deadline := time.Now().Add(30 * time.Second); err == nil; time.Sleep(100 * time.Millisecond) {
			if _, err = c.Pods(ns).Get(ctx, pod); err == nil && time.Now().After(deadline) {
				grace = 0
				_, err = c.Pods(ns).Delete(ctx, pod, client.DeleteOptions{GracePeriodSeconds: &grace})
			}
		}
		if err != nil && !client.IsNotFound(err) {
			return err
		}
		return nil
	},
	"namespace": func(ctx context.Context, name string) error {
		c, err := undoer(ctx)
		if c == nil || err != nil {
			return err
		}
		if _, err := c.Namespaces().Delete(ctx, name, client.DeleteOptions{}); err != nil && !client.IsNotFound(err) {
			return err
		}
		// The garbage collector empties it, then removes it: wait, so that
		// the lab can make it again at once.
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		for {
			if _, err := c.Namespaces().Get(ctx, name); client.IsNotFound(err) {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("namespace %s is still there after a minute", name)
			case <-time.After(200 * time.Millisecond):
			}
		}
	},
	"label": func(ctx context.Context, name string) error {
		c, err := undoer(ctx)
		if c == nil || err != nil {
			return err
		}
		node, label, _ := strings.Cut(name, "/")
		key, old, had := strings.Cut(label, "=")
		value := any(nil) // null removes the label in a merge patch
		if had {
			value = old
		}
		if _, err := c.Nodes().Patch(ctx, node, labelPatch(key, value)); err != nil && !client.IsNotFound(err) {
			return err
		}
		return nil
	},
}

// labelPatch is the merge patch that sets (or, with nil, removes) a label.
func labelPatch(key string, value any) []byte {
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{key: value}}})
	return patch
}

// label sets key=value on node, and records how to put it back first.
func label(r interface{ Created(kind, name string) error }, c *client.Client, ctx context.Context, node *api.Node, key, value string) error {
	old, had := node.Labels[key]
	if had && old == value {
		return nil // not the lab's: leave it to its owner
	}
	name := node.Name + "/" + key
	if had {
		name += "=" + old
	}
	if err := r.Created("label", name); err != nil {
		return err
	}
	_, err := c.Nodes().Patch(ctx, node.Name, labelPatch(key, value))
	return err
}

// events lists what happened to one object, oldest first, as
// "Normal Scheduled (default-scheduler): Successfully assigned ...". The
// components write events on their own time, after the change they tell
// of: it waits up to 10 s for one with the reason until.
func events(ctx context.Context, c *client.Client, ns, name, until string) []string {
	var list []*api.Event
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		list, _, err = c.Events(ns).List(ctx, client.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err != nil {
			return []string{err.Error()}
		}
		if slices.ContainsFunc(list, func(e *api.Event) bool { return e.Reason == until }) || time.Now().After(deadline) {
			break
		}
	}
	slices.SortStableFunc(list, func(a, b *api.Event) int { return a.FirstTimestamp.Compare(b.FirstTimestamp) })
	var out []string
	for _, e := range list {
		out = append(out, fmt.Sprintf("%s %s (%s): %s", e.Type, e.Reason, e.Source.Component, e.Message))
	}
	return out
}

// nodeLine is a node's capacity, allocatable and Ready condition in one line.
func nodeLine(n *api.Node) string {
	ready := "no Ready condition"
	for _, cond := range n.Status.Conditions {
		if cond.Type == api.NodeReady {
			ready = fmt.Sprintf("Ready=%s (%s, last heartbeat %s)", cond.Status, cond.Reason, cond.LastHeartbeatTime.Local().Format(time.TimeOnly))
		}
	}
	res := func(l api.ResourceList) string {
		return fmt.Sprintf("cpu %s, memory %s, pods %s", l[api.ResourceCPU], l[api.ResourceMemory], l[api.ResourcePods])
	}
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(n.Labels)) {
		labels = append(labels, k+"="+n.Labels[k])
	}
	return fmt.Sprintf("capacity %s; allocatable %s; %s; podCIDR %s; labels %s",
		res(n.Status.Capacity), res(n.Status.Allocatable), ready, n.Spec.PodCIDR, strings.Join(labels, ","))
}
