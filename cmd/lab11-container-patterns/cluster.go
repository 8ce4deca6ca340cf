package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/podlet"
	. "github.com/podlab/podlab/core/steps"
	"github.com/podlab/podlab/workloads/manifests"
)

// namespace is where the lab's pods live.
const namespace = "default"

// errNoCluster says what to do when no cluster answers.
var errNoCluster = errors.New("no cluster: start one with sudo podlab up")

// cluster is the lab's connection to the cluster "podlab up" started, as
// podlab's own: the API server, and the node API of the node of a pod.
type cluster struct {
	api   *client.Client
	token string
}

// connect reads the client config and asks the API server for its nodes.
func connect(ctx context.Context) (*cluster, error) {
	c, cfg, err := client.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", errNoCluster, err)
	}
	return &cluster{api: c, token: cfg.Token}, nil
}

// mustConnect connects, or ends the lab before it changes anything. A
// --cleanup without a cluster has nothing to do: "podlab down" removed
// every pod.
func mustConnect() *cluster {
	c, err := connect(context.Background())
	if err != nil && !cleaningUp() {
		fmt.Fprintln(os.Stderr, "lab11:", err)
		os.Exit(1)
	}
	return c
}

func cleaningUp() bool {
	for _, a := range os.Args[1:] {
		if a == "--cleanup" || a == "-cleanup" {
			return true
		}
	}
	return false
}

// start creates the pod of a manifest, changed by edit if not nil, after
// removing the one of an earlier run, and waits until all its containers
// run. The pod is recorded before it exists, so --cleanup removes it.
func (c *cluster) start(r *Run, manifest string, edit func(*api.Pod)) (*api.Pod, error) {
	pod, err := manifests.Pod(manifest)
	if err != nil {
		return nil, err
	}
	if edit != nil {
		edit(pod)
	}
	if err := r.Created("pod", namespace+"/"+pod.Name); err != nil {
		return nil, err
	}
	if err := c.remove(r.Ctx, namespace+"/"+pod.Name); err != nil {
		return nil, err
	}
	if _, err := c.api.Pods(namespace).Create(r.Ctx, pod); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Ctx, 90*time.Second)
	defer cancel()
	p, err := client.WaitFor(ctx, c.api.Pods(namespace), pod.Name, running)
	if err != nil {
		return nil, fmt.Errorf("pod %s does not run all its containers (podlab describe pod %s): %w", pod.Name, pod.Name, err)
	}
	return p, nil
}

// running tells whether a pod runs, every container and sidecar with it.
func running(p *api.Pod) bool {
	if p.Status.Phase != api.PodRunning || len(p.Status.ContainerStatuses) != len(p.Spec.Containers) {
		return false
	}
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Running == nil {
			return false
		}
	}
	for i, s := range p.Status.InitContainerStatuses {
		if p.Spec.InitContainers[i].IsSidecar() && s.State.Running == nil {
			return false
		}
	}
	return true
}

// remove deletes a pod "namespace/name" at once (grace period 0) and
// waits until the API server has forgotten it; a missing pod is fine.
func (c *cluster) remove(ctx context.Context, ref string) error {
	ns, name, _ := strings.Cut(ref, "/")
	if _, err := c.api.Pods(ns).Delete(ctx, name, client.DeleteOptions{GracePeriodSeconds: new(int64(0))}); err != nil {
		if client.IsNotFound(err) {
			return nil
		}
		return err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if _, err := c.api.Pods(ns).Get(ctx, name); client.IsNotFound(err) {
			return nil
		}
	}
	return fmt.Errorf("pod %s is still there 30s after its deletion", ref)
}

// undo is the Undo of a recorded pod.
func undo(ctx context.Context, ref string) error {
	c, err := connect(ctx)
	if errors.Is(err, errNoCluster) {
		if _, statErr := os.Stat(client.DefaultConfigPath()); statErr != nil {
			return nil // no cluster config: the cluster, and its pods, are gone
		}
	}
	if err != nil {
		return err
	}
	return c.remove(ctx, ref)
}

// exec runs a command in a container through its node's node API, as
// "podlab exec" does, and returns what it printed.
func (c *cluster) exec(ctx context.Context, pod, container string, command ...string) (string, error) {
	_, nc, err := podlet.LocatePod(ctx, c.api, podlet.DefaultNodeAPIPort, c.token, namespace, pod)
	if err != nil {
		return "", err
	}
	return nc.ExecOutput(ctx, namespace, pod, container, command...)
}

// execRetry runs exec until it succeeds, for 10 seconds: a server in
// another container may still be starting.
func (c *cluster) execRetry(ctx context.Context, pod, container string, command ...string) (out string, err error) {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		if out, err = c.exec(ctx, pod, container, command...); err == nil && out != "" || time.Now().After(deadline) {
			return out, err
		}
	}
}

// logs returns the last lines of a container's log, as "podlab logs".
func (c *cluster) logs(ctx context.Context, pod, container string, tail int) (string, error) {
	_, nc, err := podlet.LocatePod(ctx, c.api, podlet.DefaultNodeAPIPort, c.token, namespace, pod)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	err = nc.Logs(ctx, namespace, pod, container, podlet.LogOptions{TailLines: tail}, &out)
	return strings.TrimSpace(out.String()), err
}

// logsWith returns the last 3 lines of a container's log once it has the
// line want, or an error after 10 seconds.
func (c *cluster) logsWith(ctx context.Context, pod, container, want string) (string, error) {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		all, err := c.logs(ctx, pod, container, -1)
		if err == nil && strings.Contains("\n"+all+"\n", "\n"+want+"\n") {
			return c.logs(ctx, pod, container, 3)
		}
		if time.Now().After(deadline) {
			return all, fmt.Errorf("the log of %s/%s has no line %q after 10s (%v)", pod, container, want, err)
		}
	}
}

// inspect asks the pod's node what runs for it: the pause and the
// containers, with the inodes of their namespaces.
func (c *cluster) inspect(ctx context.Context, pod string) (*podlet.PodInspection, error) {
	_, nc, err := podlet.LocatePod(ctx, c.api, podlet.DefaultNodeAPIPort, c.token, namespace, pod)
	if err != nil {
		return nil, err
	}
	return nc.Inspect(ctx, namespace, pod)
}

// state is a container's state in a few words, with its times.
func state(s api.ContainerStatus) string {
	const clock = "15:04:05.000"
	switch st := s.State; {
	case st.Terminated != nil:
		return fmt.Sprintf("terminated, %s (exit code %d), started %s, finished %s", st.Terminated.Reason, st.Terminated.ExitCode,
			st.Terminated.StartedAt.Local().Format(clock), st.Terminated.FinishedAt.Local().Format(clock))
	case st.Running != nil:
		return "running since " + st.Running.StartedAt.Local().Format(clock)
	case st.Waiting != nil:
		return "waiting, " + st.Waiting.Reason
	}
	return "no state yet"
}
