package checker

import (
	"context"
	"fmt"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
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

// inspect asks the node that runs pod what really runs for it: the pause
// and container processes, their namespaces, the veth pair.
func (c *cluster) inspect(ctx context.Context, pod *api.Pod) (*podlet.PodInspection, error) {
	_, nc, err := podlet.LocatePod(ctx, c.api, podlet.DefaultNodeAPIPort, c.token, pod.Namespace, pod.Name)
	if err != nil {
		return nil, err
	}
	return nc.Inspect(ctx, pod.Namespace, pod.Name)
}
