package podlet

import (
	"slices"

	"github.com/podlab/podlab/core/api"
)

// PodPhase returns the phase of pod from the statuses of its init
// containers and its app containers: the kubelet's getPhase, to the
// letter (SEMANTICS.md §2.2, with the sidecar rules of §3.2). A pod being
// deleted is terminal (getPhase's podIsTerminal): once its containers have
// all stopped it is Succeeded or Failed, whatever its restartPolicy.
//
// PodPhase never returns Unknown, which only the control plane sets, and
// does not keep a terminal phase: Status does.
func PodPhase(pod *api.Pod, init, app []api.ContainerStatus) api.PodPhase {
	statuses := slices.Concat(init, app)
	var n phaseCounts
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if c.IsSidecar() {
			n.addSidecar(findStatus(statuses, c.Name))
		} else {
			n.addInit(findStatus(statuses, c.Name))
		}
	}
	for _, c := range pod.Spec.Containers {
		n.addApp(findStatus(statuses, c.Name))
	}
	return n.phase(pod.Spec.RestartPolicy, anyAppStarted(pod, statuses), pod.DeletionTimestamp != nil)
}

// phaseCounts are the counters of getPhase.
type phaseCounts struct {
	pendingInit, failedInit                       int // init containers
	unknown, running, waiting, stopped, succeeded int // sidecars and app containers
}

// addInit counts a regular init container: pending until it has exited,
// failed if it exited non-zero (also while it waits to restart).
func (n *phaseCounts) addInit(st *api.ContainerStatus) {
	switch {
	case st == nil, st.State.Running != nil:
		n.pendingInit++
	case st.State.Terminated != nil:
		if st.State.Terminated.ExitCode != 0 {
			n.failedInit++
		}
	case st.State.Waiting != nil && st.LastTerminationState.Terminated != nil:
		if st.LastTerminationState.Terminated.ExitCode != 0 {
			n.failedInit++
		}
	default: // waiting to run for the first time, or no state at all
		n.pendingInit++
	}
}

// addSidecar counts a native sidecar: it holds initialization up until it
// is started, and once it has run its exits do not count.
func (n *phaseCounts) addSidecar(st *api.ContainerStatus) {
	switch {
	case st == nil:
		n.unknown++
	case st.State.Running != nil:
		if st.Started == nil || !*st.Started {
			n.pendingInit++
		}
		n.running++
	case st.State.Terminated != nil:
	case st.State.Waiting != nil && st.LastTerminationState.Terminated != nil:
	case st.State.Waiting != nil:
		n.pendingInit++
		n.waiting++
	default:
		n.pendingInit++
		n.unknown++
	}
}

// addApp counts an app container: a container waiting to restart has
// stopped.
func (n *phaseCounts) addApp(st *api.ContainerStatus) {
	switch {
	case st == nil:
		n.unknown++
	case st.State.Running != nil:
		n.running++
	case st.State.Terminated != nil:
		n.stopped++
		if st.State.Terminated.ExitCode == 0 {
			n.succeeded++
		}
	case st.State.Waiting != nil && st.LastTerminationState.Terminated != nil:
		n.stopped++
	case st.State.Waiting != nil:
		n.waiting++
	default:
		n.unknown++
	}
}

// phase decides, first match wins. anyAppStarted tells a pod still
// initializing from one whose sidecar restarts after initialization.
func (n *phaseCounts) phase(policy api.RestartPolicy, anyAppStarted, podIsTerminal bool) api.PodPhase {
	switch {
	case n.failedInit > 0 && policy == api.RestartPolicyNever:
		return api.PodFailed
	case n.pendingInit > 0 && !anyAppStarted, n.waiting > 0:
		return api.PodPending
	case n.running > 0 && n.unknown == 0:
		return api.PodRunning
	case n.running == 0 && n.stopped > 0 && n.unknown == 0:
		return n.stoppedPhase(policy, podIsTerminal)
	}
	return api.PodPending
}

// stoppedPhase is the phase of a pod whose containers have all stopped.
func (n *phaseCounts) stoppedPhase(policy api.RestartPolicy, podIsTerminal bool) api.PodPhase {
	allSucceeded := n.stopped == n.succeeded
	switch {
	case podIsTerminal && allSucceeded:
		return api.PodSucceeded
	case podIsTerminal:
		return api.PodFailed
	case policy == api.RestartPolicyAlways:
		return api.PodRunning // restarting
	case allSucceeded:
		return api.PodSucceeded
	case policy == api.RestartPolicyNever:
		return api.PodFailed
	}
	return api.PodRunning // OnFailure: a failed container restarts
}
