package podlet

import (
	"reflect"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
)

// cond is a condition without its transition time.
type cond struct {
	status  api.ConditionStatus
	reason  string
	message string
}

var condTrue = cond{status: api.ConditionTrue}

// The conditions of SEMANTICS.md §2.5, in the order the node reports them:
// PodReadyToStartContainers, Initialized, Ready, ContainersReady,
// PodScheduled.
func TestConditions(t *testing.T) {
	setup := []api.Container{regular("setup")}
	proxy := []api.Container{sidecar("proxy")}
	notReady := func(msg string) cond { return cond{api.ConditionFalse, ReasonContainersNotReady, msg} }
	notInit := func(msg string) cond { return cond{api.ConditionFalse, ReasonContainersNotInitialized, msg} }
	completed := cond{api.ConditionFalse, ReasonPodCompleted, ""}
	failed := cond{api.ConditionFalse, ReasonPodFailed, ""}
	tests := []struct {
		name         string
		inits        []api.Container
		sandboxReady bool
		phase        api.PodPhase
		init, app    []api.ContainerStatus
		// want Initialized, Ready and ContainersReady; PodScheduled is
		// always True, PodReadyToStartContainers is sandboxReady.
		initialized, ready, containersReady cond
	}{
		{"no sandbox yet", nil, false, api.PodPending, nil, sts(stWaiting("app")),
			condTrue, notReady("containers with unready status: [app]"), notReady("containers with unready status: [app]")},
		{"init container runs", setup, true, api.PodPending, sts(stRunningInit("setup")), sts(stWaiting("app")),
			notInit("containers with incomplete status: [setup]"), notReady("containers with unready status: [app]"), notReady("containers with unready status: [app]")},
		{"init container in back-off", setup, true, api.PodPending, sts(stBackOff("setup", 1)), sts(stWaiting("app")),
			notInit("containers with incomplete status: [setup]"), notReady("containers with unready status: [app]"), notReady("containers with unready status: [app]")},
		{"no status for the init container", setup, true, api.PodPending, nil, sts(stWaiting("app")),
			notInit("containers with unknown status: [setup]"), notReady("containers with unready status: [app]"), notReady("containers with unready status: [app]")},
		{"init done, app starting", setup, true, api.PodPending, sts(api.ContainerStatus{Name: "setup", Ready: true,
			State: api.ContainerState{Terminated: &api.ContainerStateTerminated{}}}), sts(stWaiting("app")),
			condTrue, notReady("containers with unready status: [app]"), notReady("containers with unready status: [app]")},
		{"app runs and is ready", nil, true, api.PodRunning, nil, sts(stRunning("app")),
			condTrue, condTrue, condTrue},
		{"app runs, not ready", nil, true, api.PodRunning, nil, sts(stStarting("app")),
			condTrue, notReady("containers with unready status: [app]"), notReady("containers with unready status: [app]")},
		{"app status missing", nil, true, api.PodPending, nil, nil,
			condTrue, notReady("containers with unknown status: [app]"), notReady("containers with unknown status: [app]")},
		{"sidecar not started holds initialization", proxy, true, api.PodPending, sts(stStarting("proxy")), sts(stWaiting("app")),
			notInit("containers with incomplete status: [proxy]"), notReady("containers with unready status: [proxy app]"), notReady("containers with unready status: [proxy app]")},
		{"sidecar readiness counts", proxy, true, api.PodRunning, sts(stStarting("proxy")), sts(stRunning("app")),
			condTrue, notReady("containers with unready status: [proxy]"), notReady("containers with unready status: [proxy]")},
		{"sidecar restarting does not undo Initialized", proxy, true, api.PodRunning, sts(stBackOff("proxy", 1)), sts(stRunning("app")),
			condTrue, notReady("containers with unready status: [proxy]"), notReady("containers with unready status: [proxy]")},
		{"all ready with a sidecar", proxy, true, api.PodRunning, sts(stRunning("proxy")), sts(stRunning("app")),
			condTrue, condTrue, condTrue},
		{"Succeeded", proxy, false, api.PodSucceeded, sts(stExited("proxy", 143)), sts(stExited("app", 0)),
			cond{api.ConditionTrue, ReasonPodCompleted, ""}, completed, completed},
		{"Failed", nil, false, api.PodFailed, nil, sts(stExited("app", 1)),
			condTrue, failed, failed},
		{"Failed in init", setup, false, api.PodFailed, sts(stExited("setup", 1)), sts(stWaiting("app")),
			notInit("containers with incomplete status: [setup]"), failed, failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPod(api.RestartPolicyOnFailure, tt.inits, "app")
			got := Conditions(p, tt.phase, tt.init, tt.app, tt.sandboxReady, t0)
			sandbox := cond{status: api.ConditionFalse}
			if tt.sandboxReady {
				sandbox = condTrue
			}
			want := []api.PodCondition{
				sandbox.condition(api.PodReadyToStartContainers),
				tt.initialized.condition(api.PodInitialized),
				tt.ready.condition(api.PodReady),
				tt.containersReady.condition(api.ContainersReady),
				condTrue.condition(api.PodScheduled),
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("conditions\n%s\nwant\n%s", fmtJSON(got), fmtJSON(want))
			}
		})
	}
}

// Each condition keeps its transition time while its status stays; the
// conditions the node does not own stay as they are, first.
func TestConditionTransitionTimes(t *testing.T) {
	p := newPod(api.RestartPolicyAlways, nil, "app")
	scheduled := t0.Add(-time.Hour)
	p.Status.Conditions = []api.PodCondition{
		{Type: api.PodScheduled, Status: api.ConditionTrue, LastTransitionTime: scheduled},
		{Type: "DisruptionTarget", Status: api.ConditionTrue, Reason: "EvictionByEvictionAPI", LastTransitionTime: scheduled},
	}

	// First sync: the sandbox is up, the container starts.
	t1 := t0.Add(time.Second)
	p.Status.Conditions = Conditions(p, api.PodPending, nil, sts(stWaiting("app")), true, t1)
	want := map[api.PodConditionType]time.Time{"DisruptionTarget": scheduled, api.PodScheduled: scheduled,
		api.PodReadyToStartContainers: t1, api.PodInitialized: t1, api.PodReady: t1, api.ContainersReady: t1}
	checkTransitionTimes(t, "first sync", p.Status.Conditions, want)
	if p.Status.Conditions[0].Type != "DisruptionTarget" || p.Status.Conditions[0].Reason != "EvictionByEvictionAPI" {
		t.Errorf("a condition the node does not own: %s", fmtJSON(p.Status.Conditions[0]))
	}

	// The container runs and is ready: Ready and ContainersReady change.
	t2 := t1.Add(time.Second)
	p.Status.Conditions = Conditions(p, api.PodRunning, nil, sts(stRunning("app")), true, t2)
	want[api.PodReady], want[api.ContainersReady] = t2, t2
	checkTransitionTimes(t, "ready", p.Status.Conditions, want)

	// Nothing changes: every time stays.
	p.Status.Conditions = Conditions(p, api.PodRunning, nil, sts(stRunning("app")), true, t2.Add(time.Minute))
	checkTransitionTimes(t, "no change", p.Status.Conditions, want)

	// The container crashes: not ready any more.
	t3 := t2.Add(time.Hour)
	p.Status.Conditions = Conditions(p, api.PodRunning, nil, sts(stBackOff("app", 1)), true, t3)
	want[api.PodReady], want[api.ContainersReady] = t3, t3
	checkTransitionTimes(t, "crashed", p.Status.Conditions, want)

	// The sandbox is lost; ContainersReady stays False with another
	// message, and keeps its time.
	p.Status.Conditions = Conditions(p, api.PodRunning, nil, nil, false, t3.Add(time.Second))
	want[api.PodReadyToStartContainers] = t3.Add(time.Second)
	checkTransitionTimes(t, "sandbox lost", p.Status.Conditions, want)
}

func checkTransitionTimes(t *testing.T, when string, got []api.PodCondition, want map[api.PodConditionType]time.Time) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d conditions, want %d: %s", when, len(got), len(want), fmtJSON(got))
	}
	for _, c := range got {
		if !c.LastTransitionTime.Equal(want[c.Type]) {
			t.Errorf("%s: %s changed at %v, want %v", when, c.Type, c.LastTransitionTime, want[c.Type])
		}
	}
}

// condition returns the condition of type typ with status, reason and message
// of c, changed at t0.
func (c cond) condition(typ api.PodConditionType) api.PodCondition {
	return api.PodCondition{Type: typ, Status: c.status, Reason: c.reason, Message: c.message, LastTransitionTime: t0}
}
