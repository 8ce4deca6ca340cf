package podlet

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

// NodeAddress returns node's first address of type t, like its
// InternalIP, or "".
func NodeAddress(node *api.Node, t api.NodeAddressType) string {
	for _, a := range node.Status.Addresses {
		if a.Type == t {
			return a.Address
		}
	}
	return ""
}

// NodeClientOf returns a client of node's node API: its InternalIP, port,
// and the token the caller uses for the API server (the podlet asks the
// API server whether it is good).
func NodeClientOf(node *api.Node, port int, token string) (*NodeClient, error) {
	ip := NodeAddress(node, api.NodeInternalIP)
	if ip == "" {
		return nil, fmt.Errorf("node %q has no InternalIP address in its status: is its podlet running?", node.Name)
	}
	return NewNodeClient(net.JoinHostPort(ip, strconv.Itoa(port)), token), nil
}

// LocatePod finds pod namespace/name through the API server, and the node
// API of the node it is bound to: where "podlab logs" and the checker go
// to see what really runs.
func LocatePod(ctx context.Context, c *client.Client, port int, token, namespace, name string) (*api.Pod, *NodeClient, error) {
	pod, err := c.Pods(namespace).Get(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if pod.Spec.NodeName == "" {
		return pod, nil, fmt.Errorf("pod %q is not bound to a node yet: no node runs it, so it has no logs and nothing to exec in (\"podlab describe pod %s\" tells why)", name, name)
	}
	node, err := c.Nodes().Get(ctx, pod.Spec.NodeName)
	if err != nil {
		return pod, nil, fmt.Errorf("pod %q runs on node %q: %w", name, pod.Spec.NodeName, err)
	}
	nc, err := NodeClientOf(node, port, token)
	if err != nil {
		return pod, nil, err
	}
	return pod, nc, nil
}
