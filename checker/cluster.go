package checker

import (
	"context"
	"fmt"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	podcluster "github.com/podlab/podlab/core/cluster"
	"github.com/podlab/podlab/core/podlet"
)

// The checks of labs 09 and later read a cluster: what its API server
// holds, and what really runs on its nodes, through each node's node API
// (the podlet's /inspect reads /proc and netlink on the node). They reach
// it as the student's podlab does: with the cluster config that "podlab
// up" (or the Vagrant provisioning) writes, ~/.podlab/config or
// $PODLAB_CONFIG.

// hintNoCluster is the hint of a check that finds no cluster.
const hintNoCluster = "start the local cluster: sudo podlab up"

// onMachines tells whether the student's cluster is a cluster of
// machines, like the Vagrant one: there is no local cluster state on
// this machine (core/cluster.Load finds none), yet the API server of the
// client config answers. With a local cluster's state, even a broken one,
// or with no cluster at all, it is false.
func onMachines(ctx context.Context) bool {
	st, err := podcluster.Load()
	if err != nil || st != nil {
		return false
	}
	_, _, err = client.Connect(ctx)
	return err == nil
}

// onlyOnLocalCluster is the NotApplicable of a check that reads the
// local cluster's nodes from this machine (their network namespaces, the
// files their pods write): on a cluster of machines it does not apply,
// for the reason why. On the local cluster, or without a cluster, it
// applies, and fails until its lab has run.
func onlyOnLocalCluster(why string) func(context.Context) string {
	return func(ctx context.Context) string {
		if onMachines(ctx) {
			return why
		}
		return ""
	}
}

// cluster is a connection to the student's cluster.
type cluster struct {
	api   *client.Client
	token string // the same token for the node APIs
}

// connectCluster connects to the cluster of the client config, or returns
// the failing result that says how to get one.
func connectCluster() (*cluster, *Result) {
	cfg, err := client.LoadConfig(client.DefaultConfigPath())
	if err != nil {
		r := fail(hintNoCluster, err.Error())
		return nil, &r
	}
	c, err := client.New(cfg)
	if err != nil {
		r := fail(hintNoCluster, err.Error())
		return nil, &r
	}
	return &cluster{api: c, token: cfg.Token}, nil
}

// pod reads pod namespace/name from the API server, or returns the
// failing result that says it is missing, with hint.
func (c *cluster) pod(ctx context.Context, namespace, name, hint string) (*api.Pod, *Result) {
	p, err := c.api.Pods(namespace).Get(ctx, name)
	if err != nil {
		r := fail(hint, fmt.Sprintf("pod %s/%s: %v", namespace, name, err))
		return nil, &r
	}
	return p, nil
}

// connectPod connects to the cluster and reads pod namespace/name, where
// most checks of labs 09 and later start, or returns the failing result
// of connectCluster or of pod.
func connectPod(ctx context.Context, namespace, name, hint string) (*cluster, *api.Pod, *Result) {
	c, bad := connectCluster()
	if bad != nil {
		return nil, nil, bad
	}
	p, bad := c.pod(ctx, namespace, name, hint)
	if bad != nil {
		return nil, nil, bad
	}
	return c, p, nil
}

// podCondition is the condition of pod p of type t, nil if it has none.
func podCondition(p *api.Pod, t api.PodConditionType) *api.PodCondition {
	var cond *api.PodCondition
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			cond = &p.Status.Conditions[i]
		}
	}
	return cond
}

// inspect asks the node that runs pod what really runs for it: the pause
// and container processes, their namespaces, the veth pair.
func (c *cluster) inspect(ctx context.Context, pod *api.Pod) (*podlet.PodInspection, error) {
	_, nc, err := podlet.LocatePod(ctx, c.api, podlet.DefaultNodeAPIPort, c.token, pod.Namespace, pod.Name)
	if err != nil {
		return nil, err
	}
	return nc.Inspect(ctx, pod.Namespace, pod.Name)
}
