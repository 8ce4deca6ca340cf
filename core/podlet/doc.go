// Package podlet is the node agent of podlab: what the kubelet is to
// Kubernetes. One podlet runs on every node (in the local cluster of
// "podlab up", inside the node's network namespace) and it is the only
// component that acts on its node. The control plane decides; the podlet
// does, and reports back through the API server, never through a side
// channel:
//
//	podlab-server (API)  <── register the Node, heartbeat its status ──  podlet
//	                      ── the pods bound to this node ──────────────>
//
// Its duties, in the order podlab grows them:
//
//   - register the node's Node object and keep its status fresh with a
//     heartbeat every few seconds (node.go), so that the scheduler can
//     place pods on it and the node lifecycle controller can tell a live
//     node from a silent one (SEMANTICS.md §11);
//   - run the pods the scheduler binds to the node (pods.go and its
//     _linux.go files): the sandbox on the node's podCIDR, init containers
//     in order, sidecars, app containers, probes and hooks, restarts with
//     back-off, graceful deletion; it reports their status. The decisions
//     are pure functions of the pod and what runs: its phase and
//     conditions (status*.go), what to start or kill next and the restart
//     back-off (actions.go, backoff.go). A PLEG (pleg_linux.go) notices
//     containers that exit;
//   - serve the node API on port 10250 (nodeapi*.go): container logs,
//     exec, resource stats and an inspect endpoint for the checker, for
//     callers whose token the API server accepts;
//   - later: the overlay to the other nodes and Service rules.
//
// Like the kubelet, the podlet leaves its Node behind when it stops: a
// node that goes quiet is for the control plane to notice, not for the
// node to announce.
package podlet
