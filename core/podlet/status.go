package podlet

import (
	"cmp"
	"slices"
	"time"

	"github.com/podlab/podlab/core/api"
)

// What the node knows of a pod, and the status it reports from it: the
// kubelet's generateAPIPodStatus, cut to what podlab models. Everything
// here is a pure function of its arguments; the podlet gathers the
// snapshot from the runtime and writes the status to the API server.

// RunState is the life-cycle state of one container instance, as the
// runtime reports it: the values of core/runtime's Status.
type RunState string

const (
	ContainerCreated RunState = "created" // made, but its process has not started
	ContainerRunning RunState = "running"
	ContainerExited  RunState = "exited"
)

// Reasons of container states (SEMANTICS.md §1.3, §2.1).
const (
	ReasonContainerCreating      = "ContainerCreating" // not started yet
	ReasonPodInitializing        = "PodInitializing"   // not started yet, in a pod with init containers
	ReasonCrashLoopBackOff       = "CrashLoopBackOff"  // waiting out its restart back-off
	ReasonCompleted              = "Completed"         // exited 0
	ReasonError                  = "Error"             // exited non-zero
	ReasonOOMKilled              = "OOMKilled"         // killed by the kernel for memory
	ReasonStartError             = "StartError"        // its process never started
	ReasonContainerStatusUnknown = "ContainerStatusUnknown"
)

// ContainerSnapshot is what the node knows of the latest instance of one
// container of a pod in the current sandbox. The podlet fills it from the
// runtime's State (core/runtime) field by field, adds what it keeps itself
// between restarts (the kubelet keeps it on its dead containers), and the
// results of the probes.
type ContainerSnapshot struct {
	Name        string   // the container's name in the pod spec
	ContainerID string   // names the instance, like "podlab://<runtime name>"
	State       RunState // State.Status
	ExitCode    int32    // State.ExitCode: 128+N when killed by signal N
	OOMKilled   bool     // State.OOMKilled
	// Error is State.Error: why the process failed to start (StartedAt is
	// zero then), or how the runtime lost track of it. Such an instance
	// counts as exited, with a non-zero exit code.
	Error     string
	StartedAt time.Time // State.StartedAt
	// FinishedAt is State.FinishedAt; for an instance that failed to
	// start, when it failed. The restart back-off counts from it.
	FinishedAt time.Time

	// RestartCount is how many times the node restarted the container
	// before this instance: the Start.RestartCount it was started with.
	RestartCount int32
	// LastTermination is how the previous instance ended: the
	// Start.LastTermination it was started with, nil for the first.
	LastTermination *api.ContainerStateTerminated

	// Started and Ready are the results of the startup and readiness
	// probes; nil for a container without that probe, which is started,
	// and ready, as soon as it runs (SEMANTICS.md §4.3).
	Started, Ready *bool
}

// PodSnapshot is what the node knows of one pod at the start of a sync.
type PodSnapshot struct {
	// SandboxReady is true while the pod's pause process runs and its
	// network is set up.
	SandboxReady bool
	// PodIP and HostIP are reported as they are; "" keeps those of
	// pod.Status.
	PodIP, HostIP string
	// Containers holds the latest instance of each container started in
	// the current sandbox, by container name. When the sandbox is
	// re-created, drop the instances of the old one: the init containers
	// run again (SEMANTICS.md §3.1). Keep the exited instances of a pod
	// that has finished until the pod is gone.
	Containers map[string]ContainerSnapshot
	// Unhealthy names the running containers to kill, with the reason,
	// like "Container app failed liveness probe, will be restarted": the
	// probes decide, ComputeActions kills, and once the container has
	// exited the restartPolicy decides whether it runs again.
	Unhealthy map[string]string
}

// exited reports whether the instance has ended (or never could start).
func (c *ContainerSnapshot) exited() bool {
	return c.State == ContainerExited || c.Error != ""
}

// running reports whether the instance's process runs.
func (c *ContainerSnapshot) running() bool {
	return c.State == ContainerRunning && c.Error == ""
}

// started reports whether the instance runs and has passed its startup
// probe, if any: the next init container waits for a sidecar to be started.
func (c *ContainerSnapshot) started() bool {
	return c.running() && (c.Started == nil || *c.Started)
}

// ready reports whether the instance runs, is started and passes its
// readiness probe, if any.
func (c *ContainerSnapshot) ready() bool {
	return c.started() && (c.Ready == nil || *c.Ready)
}

// terminated returns how the instance ended, as the container status
// shows it, or nil if it has not ended. The reason is the one containerd
// gives: OOMKilled, Completed for exit 0, Error otherwise, StartError
// (exit code 128) for a process that never ran.
func (c *ContainerSnapshot) terminated() *api.ContainerStateTerminated {
	if !c.exited() {
		return nil
	}
	t := &api.ContainerStateTerminated{ExitCode: c.ExitCode, Message: c.Error,
		StartedAt: c.StartedAt, FinishedAt: c.FinishedAt, ContainerID: c.ContainerID}
	switch {
	case c.OOMKilled:
		t.Reason = ReasonOOMKilled
	case c.Error != "" && c.StartedAt.IsZero():
		t.Reason = ReasonStartError
		if t.ExitCode == 0 {
			t.ExitCode = 128
		}
	case c.Error != "" && t.ExitCode == 0:
		t.Reason, t.ExitCode = ReasonContainerStatusUnknown, 137 // lost, as the kubelet reports it
	case t.ExitCode == 0:
		t.Reason = ReasonCompleted
	default:
		t.Reason = ReasonError
	}
	return t
}

// exitCode is the exit code the restartPolicy looks at.
func (c *ContainerSnapshot) exitCode() int32 {
	if t := c.terminated(); t != nil {
		return t.ExitCode
	}
	return 0
}

// Status returns the pod status the node reports after a sync: container
// statuses, phase, conditions, IPs and start time. actions are those
// ComputeActions returned for the same snapshot (its back-offs show as
// CrashLoopBackOff). pod.Status must be the status the podlet reported
// last, its own copy rather than a cache that may lag: it keeps the
// transition times of the conditions, the restart counts of containers
// gone with an old sandbox, and a terminal phase, which never changes
// again (SEMANTICS.md §2.2, rule 5).
func Status(pod *api.Pod, snap PodSnapshot, actions Actions, now time.Time) api.PodStatus {
	old := pod.Status
	init, app := ContainerStatuses(pod, snap, actions.BackOff)
	phase := PodPhase(pod, init, app)
	if isTerminal(old.Phase) {
		phase = old.Phase
	}
	s := api.PodStatus{
		Phase:                 phase,
		HostIP:                cmp.Or(snap.HostIP, old.HostIP),
		PodIP:                 cmp.Or(snap.PodIP, old.PodIP),
		StartTime:             old.StartTime,
		InitContainerStatuses: init,
		ContainerStatuses:     app,
	}
	if s.StartTime.IsZero() {
		s.StartTime = now // when the node first took the pod on
	}
	if phase == old.Phase {
		s.Reason, s.Message = old.Reason, old.Message // they explain the phase
	}
	s.Conditions = Conditions(pod, phase, init, app, snap.SandboxReady, now)
	return s
}

// isTerminal reports whether a pod in phase p is done for good.
func isTerminal(p api.PodPhase) bool {
	return p == api.PodSucceeded || p == api.PodFailed
}

// ContainerStatuses returns the status of each init container and each app
// container of pod, in spec order (SEMANTICS.md §2.1). backOff lists the
// containers waiting out their restart back-off (Actions.BackOff): they
// show Waiting CrashLoopBackOff, with the exit they wait after as
// lastState. A container with no instance keeps what pod.Status said of
// it, else waits with reason PodInitializing in a pod with init
// containers, ContainerCreating in one without, as in the kubelet.
func ContainerStatuses(pod *api.Pod, snap PodSnapshot, backOff []BackOff) (init, app []api.ContainerStatus) {
	waiting := ReasonContainerCreating
	if len(pod.Spec.InitContainers) > 0 {
		waiting = ReasonPodInitializing
	}
	status := func(c *api.Container, regularInit bool, old []api.ContainerStatus) api.ContainerStatus {
		var s *ContainerSnapshot
		if cs, ok := snap.Containers[c.Name]; ok {
			s = &cs
		}
		var wait *BackOff
		if i := slices.IndexFunc(backOff, func(b BackOff) bool { return b.Name == c.Name }); i >= 0 {
			wait = &backOff[i]
		}
		return containerStatus(c, regularInit, s, findStatus(old, c.Name), waiting, wait)
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		init = append(init, status(c, !c.IsSidecar(), pod.Status.InitContainerStatuses))
	}
	for i := range pod.Spec.Containers {
		app = append(app, status(&pod.Spec.Containers[i], false, pod.Status.ContainerStatuses))
	}
	return init, app
}

// containerStatus is the status of container c: from its instance s, or,
// if it has none, from old (what was reported) or as waiting with reason
// waiting. wait, if not nil, is its restart back-off. A regular init
// container is ready once it has exited 0; any other container while it
// runs, is started and passes its readiness probe.
func containerStatus(c *api.Container, regularInit bool, s *ContainerSnapshot, old *api.ContainerStatus, waiting string, wait *BackOff) api.ContainerStatus {
	if s == nil {
		return statusWithoutInstance(c, old, waiting)
	}
	st := api.ContainerStatus{
		Name:                 c.Name,
		Image:                c.Image,
		ContainerID:          s.ContainerID,
		RestartCount:         s.RestartCount,
		Started:              new(s.started()),
		Ready:                !regularInit && s.ready(),
		LastTerminationState: api.ContainerState{Terminated: s.LastTermination},
	}
	switch t := s.terminated(); {
	case t != nil && wait != nil:
		st.LastTerminationState = api.ContainerState{Terminated: t}
		st.State.Waiting = &api.ContainerStateWaiting{Reason: ReasonCrashLoopBackOff, Message: wait.Message}
	case t != nil:
		st.State.Terminated = t
		st.Ready = regularInit && t.ExitCode == 0
	case s.running():
		st.State.Running = &api.ContainerStateRunning{StartedAt: s.StartedAt}
	default: // created: being started
		st.State.Waiting = &api.ContainerStateWaiting{Reason: waiting}
	}
	return st
}

// statusWithoutInstance is the status of a container the current sandbox
// has not run (yet): what was reported, if the container had ended, else
// waiting, keeping the restart count and the last termination. A container
// reported running has gone with its sandbox: it waits to run again, and
// has stopped, for the phase, in a way nobody saw.
func statusWithoutInstance(c *api.Container, old *api.ContainerStatus, waiting string) api.ContainerStatus {
	if old != nil && old.State.Terminated != nil {
		return *old
	}
	st := api.ContainerStatus{
		Name:    c.Name,
		Image:   c.Image,
		Started: new(false),
		State:   api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: waiting}},
	}
	if old != nil {
		st.RestartCount, st.LastTerminationState = old.RestartCount, old.LastTerminationState
	}
	if old != nil && old.State.Running != nil {
		st.LastTerminationState = api.ContainerState{Terminated: lostTermination()}
	}
	return st
}

// lostTermination is how a container ended that vanished while it ran, as
// the kubelet reports it.
func lostTermination() *api.ContainerStateTerminated {
	return &api.ContainerStateTerminated{ExitCode: 137, Reason: ReasonContainerStatusUnknown,
		Message: "The container could not be located when the pod was terminated"}
}

// findStatus returns the status of the container called name, or nil.
func findStatus(statuses []api.ContainerStatus, name string) *api.ContainerStatus {
	for i := range statuses {
		if statuses[i].Name == name {
			return &statuses[i]
		}
	}
	return nil
}
