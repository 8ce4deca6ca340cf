// Package hooks runs what a container's spec asks the node to run beside
// it: lifecycle hooks and probes (SEMANTICS.md §4). It is the kubelet's
// pkg/kubelet/lifecycle and pkg/kubelet/prober, cut to what podlab
// models, and it needs no runtime: the podlet hands it a Target, which
// runs a command in the container and names the pod's IP.
//
// # Hooks
//
// A container may have two hooks, each an exec command, an HTTP GET or a
// sleep (Run):
//
//   - postStart runs right after the container started, beside its
//     entrypoint and in no order with it. The container does not count
//     as running until the hook returns; if the hook fails, the node
//     kills the container, and the restartPolicy decides what follows.
//   - preStop runs before the node stops a container (the pod is deleted,
//     a liveness probe failed...), never when the container exits by
//     itself. Its time counts in the grace period; when it returns, or
//     fails, the node sends the stop signal.
//
// A surprise for many: an httpGet hook fails only if the request cannot
// be made. The kubelet throws the response away, so a 500 is a success.
//
// # Probes
//
// A probe is a check the node repeats every periodSeconds, each attempt
// bounded by timeoutSeconds (Probe): an exec command that exits 0, an
// HTTP GET answered with a status from 200 to 399, or a TCP connection
// that is accepted. One attempt decides nothing: failureThreshold
// failures in a row (default 3) fail the probe, successThreshold
// successes in a row (default 1) make it succeed again (Worker). Each
// kind of probe starts from its own result and acts on its own:
//
//	probe      starts as  on failure                       on success
//	startup    Unknown    kill, restart per restartPolicy  started; the others begin
//	liveness   Success    kill, restart per restartPolicy  -
//	readiness  Failure    not ready: out of the Service    ready
//
// A readiness probe restarts nothing: a busy container is taken out of
// the Services until it can answer again. A startup probe holds the two
// others back, so that a slow-starting container is not killed by its
// liveness probe before it could ever answer (Manager).
//
// The podlet runs the probes from the node's network namespace, from
// where every pod IP is reachable, as the kubelet does from the node:
// an httpGet or tcpSocket handler goes to the pod's IP unless it names a
// host, and exec commands run inside the container.
package hooks
