package podlet

import (
	"context"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/runtime"
)

// The seams of the pod sync loop for the lifecycle hooks and the probes
// (SEMANTICS.md §4), which core/hooks provides: LifecycleHooks and Probes
// (pods_probes_linux.go) build a hooks.Target from the sandbox (ps.IP())
// and the container's state (exec with the runtime's ExecOutput), run
// hooks.Run, and keep a hooks.Manager per pod. The loop works without
// them: then no hook runs, and every running container is started and
// ready.

// Hooks runs the lifecycle hooks of containers.
//
// PostStart runs right after container c started (st) in the sandbox ps,
// before the next container of the pod starts; if it fails, the container
// is killed and restarts as the restartPolicy says.
//
// PreStop runs before a container is sent SIGTERM; ctx ends when the
// grace period does, and the time the hook takes comes off the grace
// period left for the container (never less than 2 s).
type Hooks interface {
	PostStart(ctx context.Context, ps *runtime.PodState, c *api.Container, st *runtime.State) error
	PreStop(ctx context.Context, ps *runtime.PodState, c *api.Container, st *runtime.State) error
}

// Prober runs the startup, liveness and readiness probes of containers.
//
// Run probes until ctx ends, and calls changed with a pod's uid whenever a
// result of one of its containers changes, so that the pod is synced.
//
// Results is called by every sync of a pod with its sandbox ps and a
// fresh snapshot: it tells the prober what runs (so it starts and stops
// its probes), and fills in what the probes say of the running instances:
// each ContainerSnapshot's Started and Ready, and snap.Unhealthy, the
// containers whose liveness or startup probe failed, to be killed. Every
// instance of a container has the same ContainerID (the runtime's name
// of the container); its StartedAt tells a restarted one from the last.
//
// Forget stops the probes of a pod that is gone from the node.
type Prober interface {
	Run(ctx context.Context, changed func(podUID string))
	Results(pod *api.Pod, ps *runtime.PodState, snap *PodSnapshot)
	Forget(podUID string)
}

// noHooks runs no hook.
type noHooks struct{}

func (noHooks) PostStart(context.Context, *runtime.PodState, *api.Container, *runtime.State) error {
	return nil
}

func (noHooks) PreStop(context.Context, *runtime.PodState, *api.Container, *runtime.State) error {
	return nil
}

// noProbes runs no probe: a running container is started and ready.
type noProbes struct{}

func (noProbes) Run(context.Context, func(string))                 {}
func (noProbes) Results(*api.Pod, *runtime.PodState, *PodSnapshot) {}
func (noProbes) Forget(string)                                     {}
