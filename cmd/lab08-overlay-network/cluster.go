package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	podcluster "github.com/podlab/podlab/core/cluster"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/overlay"
	"github.com/podlab/podlab/core/podlet"
	. "github.com/podlab/podlab/core/steps"
	"github.com/podlab/podlab/workloads/manifests"
)

const namespace = "lab08" // the lab's namespace: --cleanup deletes it and its pods

// errNoCluster is what a cluster lab says when there is no cluster to
// talk to: it changes nothing then.
var errNoCluster = errors.New("no cluster: start one with sudo podlab up")

// cluster is the lab's view of the local cluster: its API, and its
// state, which names each node's network namespace (the node's kernel,
// where its podlet programs the overlay).
type cluster struct {
	api   *client.Client
	token string // for the node APIs
	state *podcluster.State
	nodes []*api.Node // the Ready nodes, by name
}

// connect reaches the cluster "podlab up" started on this machine and
// lists its Ready nodes. It refuses fewer than two, and a cluster on
// another backend than vxlan, saying how to fix it.
func connect(ctx context.Context) (*cluster, error) {
	c, cfg, err := client.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", errNoCluster, err)
	}
	st, err := podcluster.Load()
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, errors.New("lab 08 reads the kernel of each node: run it on the machine of a local cluster (sudo podlab up --nodes 3)")
	}
	all, _, err := c.Nodes().List(ctx, client.ListOptions{})
	if err != nil {
		return nil, err
	}
	cl := &cluster{api: c, token: cfg.Token, state: st}
	for _, n := range all {
		l, leased := overlay.LeaseOf(n)
		switch {
		case !ready(n) || cl.netns(n.Name) == "" || !leased:
			continue // not (yet) a node of the overlay
		case l.BackendType != overlay.VXLAN:
			return nil, fmt.Errorf("node %q runs the %s backend: this lab starts from vxlan: sudo podlab up --backend vxlan", n.Name, l.BackendType)
		}
		cl.nodes = append(cl.nodes, n)
	}
	slices.SortFunc(cl.nodes, func(a, b *api.Node) int { return strings.Compare(a.Name, b.Name) })
	if len(cl.nodes) < 2 {
		return nil, fmt.Errorf("an overlay joins nodes, and the cluster has %d Ready node(s) with a lease: add one with sudo podlab node add (or start a bigger cluster: sudo podlab down; sudo podlab up --nodes 3)", len(cl.nodes))
	}
	return cl, nil
}

func ready(n *api.Node) bool {
	return slices.ContainsFunc(n.Status.Conditions, func(c api.NodeCondition) bool {
		return c.Type == api.NodeReady && c.Status == api.ConditionTrue
	})
}

// netns is the path of node's network namespace, "" if the state has no
// such node.
func (c *cluster) netns(node string) string {
	for _, n := range c.state.Nodes {
		if n.Name == node {
			return filepath.Join("/run/netns", n.NetNS)
		}
	}
	return ""
}

// lease is a node's lease, as its annotations publish it.
func lease(n *api.Node) overlay.Lease {
	l, _ := overlay.LeaseOf(n)
	return l
}

// run creates the pod of a manifest on node, recorded by the namespace
// it lives in, and waits until it runs.
func (c *cluster) run(r *Run, manifest, node string) (*api.Pod, error) {
	pod, err := manifests.Pod(manifest)
	if err != nil {
		return nil, err
	}
	pod.Spec.NodeName = node // no scheduler: the pod goes where the lab needs it
	if _, err := c.api.Pods(namespace).Create(r.Ctx, pod); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Ctx, 90*time.Second)
	defer cancel()
	p, err := client.WaitFor(ctx, c.api.Pods(namespace), pod.Name, func(p *api.Pod) bool {
		return p.Status.Phase == api.PodRunning && p.Status.PodIP != ""
	})
	if err != nil {
		return nil, fmt.Errorf("pod %q does not run on node %q (podlab describe pod %s -n %s): %w", pod.Name, node, pod.Name, namespace, err)
	}
	return p, nil
}

// podNetNS is the network namespace of a pod, its pause's, as the
// node's API inspects it: /proc/<pause pid>/ns/net.
func (c *cluster) podNetNS(ctx context.Context, pod *api.Pod) (string, error) {
	_, nc, err := podlet.LocatePod(ctx, c.api, podlet.DefaultNodeAPIPort, c.token, pod.Namespace, pod.Name)
	if err != nil {
		return "", err
	}
	in, err := nc.Inspect(ctx, pod.Namespace, pod.Name)
	if err != nil {
		return "", err
	}
	if !in.Sandbox.Alive {
		return "", fmt.Errorf("the pause of pod %q is not running", pod.Name)
	}
	return ns.Path(in.Sandbox.PID, ns.Net), nil
}

// createNamespace makes the lab's namespace, recorded first.
func (c *cluster) createNamespace(r *Run) error {
	if err := r.Created("namespace", namespace); err != nil {
		return err
	}
	_, err := c.api.Namespaces().Create(r.Ctx, &api.Namespace{TypeMeta: api.KindNamespace, ObjectMeta: api.ObjectMeta{Name: namespace}})
	return err
}

// undo removes what the lab records: its namespace with the pods in it,
// and the host-gw pair's network namespaces and IPAM directories.
var undo = map[string]Undo{
	"namespace": deleteNamespace,
	"netns":     func(_ context.Context, name string) error { _, err := network.DeleteNetNS(name); return err },
	"dir": func(_ context.Context, name string) error {
		if err := os.RemoveAll(name); err != nil {
			return err
		}
		os.Remove(filepath.Dir(name)) // <run>/ipam, if the lab made it: only when empty
		return nil
	},
}

// deleteNamespace deletes the namespace's pods at once, then the
// namespace, and waits until it is gone, so the lab can make it again.
// Without a cluster config the cluster is gone, its namespaces with it.
func deleteNamespace(ctx context.Context, name string) error {
	if _, err := os.Stat(client.DefaultConfigPath()); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	c, _, err := client.Connect(ctx)
	if err != nil {
		return fmt.Errorf("%w (%v)", errNoCluster, err)
	}
	pods, _, err := c.Pods(name).List(ctx, client.ListOptions{})
	if err != nil {
		return err
	}
	for _, p := range pods {
		if _, err := c.Pods(name).Delete(ctx, p.Name, client.DeleteOptions{GracePeriodSeconds: new(int64(0))}); err != nil && !client.IsNotFound(err) {
			return err
		}
	}
	if _, err := c.Namespaces().Delete(ctx, name, client.DeleteOptions{}); err != nil && !client.IsNotFound(err) {
		return err
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if _, err := c.Namespaces().Get(ctx, name); client.IsNotFound(err) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("namespace %q is still there after a minute", name)
		}
	}
}
