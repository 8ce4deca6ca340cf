package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/ns"
)

// The containers of a Pod, one step at a time, as the CRI's CreateContainer
// + StartContainer, ContainerStatus and StopContainer: the node agent
// decides the order (init containers one after another, then the app
// containers) and when to restart; the runtime keeps one instance of each
// container, the last, whose state stays readable after it exited.

// StartContainer creates container c of the Pod and starts it in the Pod's
// sandbox, joining its network, IPC and UTS namespaces (and PID with
// shareProcessNamespace), with the Pod's volumes mounted; it returns once
// the workload runs. c is an init or app container of the Pod (by name);
// the image may differ from the one in ps.Pod, as after an update.
//
// A previous instance of the container is removed first: one that exited
// counts as a restart (ps.Restarts, saved in pod.json), one that is still
// running is refused. A Pod whose pause is gone is refused: its sandbox
// must be removed and created again.
func (r *Runtime) StartContainer(ctx context.Context, ps *PodState, c api.Container) (*State, error) {
	if _, ok := specContainer(ps, c.Name); !ok {
		return nil, errNoContainer(ps, c.Name)
	}
	if ps.Phase() != PodRunning {
		return nil, fmt.Errorf("pod %s: container %q: the sandbox's pause process (pid %d) is gone: remove the sandbox and create it again", describe(&ps.Pod), c.Name, ps.Pause.Pid)
	}
	old, err := r.ContainerState(ps, c.Name)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return nil, err
	case old.Status == Running:
		return nil, fmt.Errorf("pod %s: container %q is running (pid %d): stop it first", describe(&ps.Pod), c.Name, old.Pid)
	default:
		r.killAndRemove(old.Cgroup) // with a shared PID namespace, what it left running
		if err := r.ForceRemove(ctx, old.Spec.Name); err != nil {
			return nil, fmt.Errorf("pod %s: remove the previous instance of container %q: %w", describe(&ps.Pod), c.Name, err)
		}
		if old.Status == Exited { // not a start that was killed half-way
			ps.Restarts[c.Name]++
			if err := writePodState(ps); err != nil {
				return nil, err
			}
		}
	}
	return r.runPodContainer(ctx, ps, c)
}

// runPodContainer starts one container of the Pod inside its sandbox.
func (r *Runtime) runPodContainer(ctx context.Context, ps *PodState, c api.Container) (*State, error) {
	pause := ps.Pause.Pid
	join := map[ns.Type]string{
		ns.Net: ns.Path(pause, ns.Net),
		ns.IPC: ns.Path(pause, ns.IPC),
		ns.UTS: ns.Path(pause, ns.UTS),
	}
	if ps.Pod.SharesPID() {
		join[ns.PID] = ns.Path(pause, ns.PID)
	}
	cpu, memory, err := c.Resources.Limits()
	if err != nil {
		return nil, err
	}
	var res cgroup.Resources
	if cpu > 0 {
		res.CPUPeriod = 100000
		res.CPUQuota = cpu * res.CPUPeriod / 1000
	}
	res.MemoryLimit = memory
	var env []string
	for _, e := range c.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	var mounts []Mount
	for _, m := range c.VolumeMounts {
		source, ok := ps.Volumes[m.Name]
		if !ok {
			return nil, fmt.Errorf("pod %s: container %q mounts volume %q, which the pod does not have", describe(&ps.Pod), c.Name, m.Name)
		}
		mounts = append(mounts, Mount{Source: source, Target: m.MountPath, ReadOnly: m.ReadOnly})
	}
	name := podContainerName(&ps.Pod, c.Name)
	st, err := r.Run(ctx, Spec{
		Name:       name,
		Image:      c.Image,
		Command:    c.Command,
		Args:       c.Args,
		Env:        env,
		WorkingDir: c.WorkingDir,
		Join:       join,
		Resources:  res,
		Mounts:     mounts,
		Sandbox:    &ps.Pause,
		Cgroup:     podCgroup(ps) + "/" + c.Name,
	})
	if err != nil {
		return nil, fmt.Errorf("pod %s: container %q: %w", describe(&ps.Pod), c.Name, err)
	}
	// Recorded once it is ours: a name that was taken must not be removed
	// by this Pod's rollback.
	ps.Containers[c.Name] = name
	if err := writePodState(ps); err != nil {
		return nil, err
	}
	return st, nil
}

// ContainerState returns the state of the current instance of one
// container of the Pod: created, running or exited, with its exit code,
// OOMKilled, and when it started and finished. A container that has not
// been started gives an error wrapping ErrNotFound; one whose process
// vanished with its shim is reported exited with exit code -1.
func (r *Runtime) ContainerState(ps *PodState, container string) (*State, error) {
	if _, ok := specContainer(ps, container); !ok {
		return nil, errNoContainer(ps, container)
	}
	name := ps.Containers[container]
	if name == "" {
		name = podContainerName(&ps.Pod, container)
	}
	st, err := r.Get(name)
	if err == nil && !ps.owns(st) {
		err = ErrNotFound // the name is another's: this one was never started
	}
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("pod %s: container %q has not been started: %w", describe(&ps.Pod), container, ErrNotFound)
		}
		return nil, fmt.Errorf("pod %s: container %q: %w", describe(&ps.Pod), container, err)
	}
	return st, nil
}

// PodContainer is ContainerState, where an empty name means the Pod's first
// app container (as kubectl logs and exec choose).
func (r *Runtime) PodContainer(ps *PodState, container string) (*State, error) {
	if container == "" && len(ps.Pod.Spec.Containers) > 0 {
		container = ps.Pod.Spec.Containers[0].Name
	}
	return r.ContainerState(ps, container)
}

// StopContainer stops one container of the Pod the way the kubelet kills
// one: SIGTERM, then SIGKILL to whatever of it is left when grace is over.
// A negative grace means the Pod's terminationGracePeriodSeconds. The
// container is not removed: ContainerState reads its exited state until
// StartContainer replaces it or RemoveSandbox removes the Pod. Stopping a
// container that already exited returns its state.
func (r *Runtime) StopContainer(ctx context.Context, ps *PodState, container string, grace time.Duration) (*State, error) {
	st, err := r.ContainerState(ps, container)
	if err != nil || st.Status != Running {
		return st, err
	}
	if st, err = r.Stop(ctx, st.Spec.Name, podGrace(ps, grace)); err != nil {
		return st, fmt.Errorf("pod %s: stop container %q: %w", describe(&ps.Pod), container, err)
	}
	// Killing PID 1 ends a container only if it has a PID namespace of
	// its own; in a shared one its other processes live on in its cgroup.
	r.killProcs(st.Cgroup)
	return st, nil
}

// specContainer finds a container of the Pod, init or app, by name.
func specContainer(ps *PodState, name string) (api.Container, bool) {
	for _, c := range ps.Pod.AllContainers() {
		if c.Name == name {
			return c, true
		}
	}
	return api.Container{}, false
}

func errNoContainer(ps *PodState, container string) error {
	var names []string
	for _, c := range ps.Pod.AllContainers() {
		names = append(names, c.Name)
	}
	return fmt.Errorf("pod %s has no container %q; its containers are %s", describe(&ps.Pod), container, strings.Join(names, ", "))
}
