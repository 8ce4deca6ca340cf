package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/podlet"
)

// logs, exec and top read what runs on a node: they ask the API server
// where a pod runs (its spec.nodeName, that Node's InternalIP), then call
// the node API of that node's podlet (core/podlet/nodeapi.go) with the
// token they use for the API server. The podlet checks the token with the
// API server. kubectl goes through the API server's proxy instead; the
// node is the same.

// nodeAPIPortFlag is the port of the podlets' node API.
func nodeAPIPortFlag() cli.Flag {
	return &cli.IntFlag{Name: "node-api-port", Value: podlet.DefaultNodeAPIPort,
		Usage: "`PORT` of the node API of the podlets (podlet --node-api-port)"}
}

// nodeAPI connects to the node API of the nodes of a cluster.
type nodeAPI struct {
	api   *client.Client
	token string
	port  int
}

// connectNodes returns the API server's client and the node API's, with
// the same token.
func connectNodes(c *cli.Context) (*nodeAPI, error) {
	cfg, err := clusterConfig(c)
	if err != nil {
		return nil, err
	}
	cl, err := client.New(cfg)
	if err != nil {
		return nil, err
	}
	port := c.Int("node-api-port")
	if port <= 0 || port > 65535 {
		return nil, usagef("--node-api-port %d: want a port, 1 to 65535", port)
	}
	return &nodeAPI{api: cl, token: cfg.Token, port: port}, nil
}

// node returns a client of the node API of node, at its InternalIP.
func (n *nodeAPI) node(node *api.Node) (*podlet.NodeClient, error) {
	return podlet.NodeClientOf(node, n.port, n.token)
}

// podNode finds a pod through the API server, and the node API of the node
// it is bound to.
func (n *nodeAPI) podNode(ctx context.Context, namespace, name string) (*api.Pod, *podlet.NodeClient, error) {
	pod, nc, err := podlet.LocatePod(ctx, n.api, n.port, n.token, namespace, name)
	if err != nil {
		return nil, nil, err
	}
	return pod, nc, nil
}

// podContainer checks the container named with -c, or picks the pod's
// first app container, as kubectl does, saying so on stderr when there
// was a choice.
func podContainer(pod *api.Pod, name string, stderr io.Writer) (string, error) {
	var names []string
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name+" (init)")
	}
	if name == "" {
		if len(pod.Spec.Containers) == 0 {
			return "", fmt.Errorf("pod %q has no containers", pod.Name)
		}
		if len(names) > 1 {
			fmt.Fprintf(stderr, "Defaulted container %q out of: %s\n", pod.Spec.Containers[0].Name, strings.Join(names, ", "))
		}
		return pod.Spec.Containers[0].Name, nil
	}
	for _, c := range pod.AllContainers() {
		if c.Name == name {
			return name, nil
		}
	}
	return "", fmt.Errorf("container %q is not valid for pod %q: its containers are %s", name, pod.Name, strings.Join(names, ", "))
}
