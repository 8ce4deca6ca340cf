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
//   - run the pods the scheduler binds to the node: sandbox, containers,
//     probes and hooks, and report their status. The decisions are pure
//     functions of the pod and what runs: its phase and conditions
//     (status*.go), what to start or kill next and the restart back-off
//     (actions.go, backoff.go); the sync loop that acts on them comes next;
//   - later: the pod network on the node's podCIDR, the overlay to the
//     other nodes, Service rules and the node API.
//
// Like the kubelet, the podlet leaves its Node behind when it stops: a
// node that goes quiet is for the control plane to notice, not for the
// node to announce.
package podlet
