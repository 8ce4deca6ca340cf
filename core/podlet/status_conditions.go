package podlet

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/podlab/podlab/core/api"
)

// Reasons of pod conditions (SEMANTICS.md §2.5).
const (
	ReasonPodCompleted             = "PodCompleted"
	ReasonPodFailed                = "PodFailed"
	ReasonContainersNotReady       = "ContainersNotReady"
	ReasonContainersNotInitialized = "ContainersNotInitialized"
)

// kubeletConditions are the conditions the node owns, in the order it
// reports them; any other condition of the pod is kept as it is.
var kubeletConditions = []api.PodConditionType{
	api.PodReadyToStartContainers, api.PodInitialized, api.PodReady, api.ContainersReady, api.PodScheduled,
}

// Conditions returns the pod's conditions as the node reports them
// (SEMANTICS.md §2.5): those it does not own, as they are, then
// PodReadyToStartContainers, Initialized, Ready, ContainersReady and
// PodScheduled (always True: the pod is on a node). phase and the
// statuses are those the node reports along; sandboxReady is
// PodSnapshot.SandboxReady. Each condition keeps its LastTransitionTime
// from pod.Status while its status stays the same, and takes now when it
// changes.
func Conditions(pod *api.Pod, phase api.PodPhase, init, app []api.ContainerStatus, sandboxReady bool, now time.Time) []api.PodCondition {
	var conds []api.PodCondition
	for _, c := range pod.Status.Conditions {
		if !slices.Contains(kubeletConditions, c.Type) {
			conds = append(conds, c)
		}
	}
	statuses := slices.Concat(init, app)
	containersReady := containersReadyCondition(pod, phase, statuses)
	ready := containersReady
	ready.Type = api.PodReady // podlab has no readiness gates
	for _, c := range []api.PodCondition{
		{Type: api.PodReadyToStartContainers, Status: conditionStatus(sandboxReady)},
		initializedCondition(pod, phase, statuses),
		ready,
		containersReady,
		{Type: api.PodScheduled, Status: api.ConditionTrue},
	} {
		conds = append(conds, withTransitionTime(c, pod.Status.Conditions, now))
	}
	return conds
}

// withTransitionTime sets the LastTransitionTime of c: that of the old
// condition of its type if the status is the same, else now.
func withTransitionTime(c api.PodCondition, old []api.PodCondition, now time.Time) api.PodCondition {
	c.LastTransitionTime = now
	i := slices.IndexFunc(old, func(o api.PodCondition) bool { return o.Type == c.Type })
	if i >= 0 && old[i].Status == c.Status && !old[i].LastTransitionTime.IsZero() {
		c.LastTransitionTime = old[i].LastTransitionTime
	}
	return c
}

func conditionStatus(b bool) api.ConditionStatus {
	if b {
		return api.ConditionTrue
	}
	return api.ConditionFalse
}

// initializedCondition is True once every regular init container has
// exited 0 and every sidecar is started, or once an app container has run:
// a sidecar that restarts later does not undo it.
func initializedCondition(pod *api.Pod, phase api.PodPhase, statuses []api.ContainerStatus) api.PodCondition {
	var unknown, incomplete []string
	for _, c := range pod.Spec.InitContainers {
		st := findStatus(statuses, c.Name)
		switch {
		case st == nil:
			unknown = append(unknown, c.Name)
		case c.IsSidecar() && (st.Started == nil || !*st.Started), !c.IsSidecar() && !st.Ready:
			incomplete = append(incomplete, c.Name)
		}
	}
	cond := api.PodCondition{Type: api.PodInitialized, Status: api.ConditionTrue}
	switch {
	case phase == api.PodSucceeded && len(unknown) == 0:
		cond.Reason = ReasonPodCompleted
	case anyAppStarted(pod, statuses):
	case len(unknown) > 0 || len(incomplete) > 0:
		cond.Status, cond.Reason = api.ConditionFalse, ReasonContainersNotInitialized
		cond.Message = listMessage("incomplete", unknown, incomplete)
	}
	return cond
}

// containersReadyCondition is True when every app container and every
// sidecar is ready; False with reason PodCompleted or PodFailed once the
// pod has ended.
func containersReadyCondition(pod *api.Pod, phase api.PodPhase, statuses []api.ContainerStatus) api.PodCondition {
	var unknown, unready []string
	for _, c := range slices.Concat(sidecars(pod), pod.Spec.Containers) {
		if st := findStatus(statuses, c.Name); st == nil {
			unknown = append(unknown, c.Name)
		} else if !st.Ready {
			unready = append(unready, c.Name)
		}
	}
	cond := api.PodCondition{Type: api.ContainersReady, Status: api.ConditionTrue}
	switch {
	case phase == api.PodSucceeded && len(unknown) == 0:
		cond.Status, cond.Reason = api.ConditionFalse, ReasonPodCompleted
	case phase == api.PodFailed:
		cond.Status, cond.Reason = api.ConditionFalse, ReasonPodFailed
	case len(unknown) > 0 || len(unready) > 0:
		cond.Status, cond.Reason = api.ConditionFalse, ReasonContainersNotReady
		cond.Message = listMessage("unready", unknown, unready)
	}
	return cond
}

// listMessage says which containers hold a condition back, as the kubelet
// does: "containers with unknown status: [a], containers with unready
// status: [b c]".
func listMessage(what string, unknown, others []string) string {
	var msgs []string
	if len(unknown) > 0 {
		msgs = append(msgs, fmt.Sprintf("containers with unknown status: %s", unknown))
	}
	if len(others) > 0 {
		msgs = append(msgs, fmt.Sprintf("containers with %s status: %s", what, others))
	}
	return strings.Join(msgs, ", ")
}

// anyAppStarted reports whether an app container runs or has run, which
// means the pod was initialized (the kubelet's HasAnyRegularContainerStarted).
func anyAppStarted(pod *api.Pod, statuses []api.ContainerStatus) bool {
	return slices.ContainsFunc(pod.Spec.Containers, func(c api.Container) bool {
		st := findStatus(statuses, c.Name)
		return st != nil && (st.State.Running != nil || st.State.Terminated != nil)
	})
}

// sidecars returns the native sidecars among the init containers of pod.
func sidecars(pod *api.Pod) []api.Container {
	var out []api.Container
	for _, c := range pod.Spec.InitContainers {
		if c.IsSidecar() {
			out = append(out, c)
		}
	}
	return out
}
