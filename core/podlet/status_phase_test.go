package podlet

import (
	"testing"

	"github.com/podlab/podlab/core/api"
)

// Container statuses, as the node reports them, to feed PodPhase.
func stRunning(name string) api.ContainerStatus {
	return api.ContainerStatus{Name: name, State: api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: t0}},
		Started: new(true), Ready: true}
}

// stRunningInit is a regular init container that runs: not ready until
// it has exited 0.
func stRunningInit(name string) api.ContainerStatus {
	st := stRunning(name)
	st.Ready = false
	return st
}

// stStarting is running, but its startup probe has not passed yet.
func stStarting(name string) api.ContainerStatus {
	st := stRunning(name)
	st.Started, st.Ready = new(false), false
	return st
}

func stWaiting(name string) api.ContainerStatus {
	return api.ContainerStatus{Name: name, State: api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: ReasonPodInitializing}}}
}

func stExited(name string, code int32) api.ContainerStatus {
	return api.ContainerStatus{Name: name, State: api.ContainerState{Terminated: &api.ContainerStateTerminated{ExitCode: code}}}
}

// stBackOff waits in CrashLoopBackOff after exiting with code.
func stBackOff(name string, code int32) api.ContainerStatus {
	return api.ContainerStatus{Name: name, RestartCount: 1,
		State:                api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: ReasonCrashLoopBackOff}},
		LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{ExitCode: code}}}
}

func sts(s ...api.ContainerStatus) []api.ContainerStatus { return s }

// The algorithm of SEMANTICS.md §2.2, case by case. The pods have an init
// container "setup", a sidecar "proxy" or neither, and app containers
// "app" and "web".
func TestPodPhase(t *testing.T) {
	setup := []api.Container{regular("setup")}
	proxy := []api.Container{sidecar("proxy")}
	both := []api.Container{sidecar("proxy"), regular("setup")}
	tests := []struct {
		name     string
		policy   api.RestartPolicy
		inits    []api.Container
		deleting bool
		init     []api.ContainerStatus
		app      []api.ContainerStatus
		want     api.PodPhase
	}{
		// Step 1: regular init containers.
		{"no status at all", api.RestartPolicyAlways, setup, false, nil, nil, api.PodPending},
		{"init waits", api.RestartPolicyAlways, setup, false, sts(stWaiting("setup")), sts(stWaiting("app")), api.PodPending},
		{"init runs", api.RestartPolicyAlways, setup, false, sts(stRunningInit("setup")), sts(stWaiting("app")), api.PodPending},
		{"init failed, Never", api.RestartPolicyNever, setup, false, sts(stExited("setup", 1)), sts(stWaiting("app")), api.PodFailed},
		{"init failed, OnFailure: retried, Pending", api.RestartPolicyOnFailure, setup, false, sts(stExited("setup", 1)), sts(stWaiting("app")), api.PodPending},
		{"init failed, Always: retried, Pending", api.RestartPolicyAlways, setup, false, sts(stBackOff("setup", 1)), sts(stWaiting("app")), api.PodPending},
		{"init in back-off, Never", api.RestartPolicyNever, setup, false, sts(stBackOff("setup", 2)), sts(stWaiting("app")), api.PodFailed},
		{"init done, app waits", api.RestartPolicyAlways, setup, false, sts(stExited("setup", 0)), sts(stWaiting("app")), api.PodPending},
		{"init done, app runs", api.RestartPolicyAlways, setup, false, sts(stExited("setup", 0)), sts(stRunning("app")), api.PodRunning},

		// Step 2: sidecars.
		{"sidecar not started yet", api.RestartPolicyAlways, proxy, false, sts(stStarting("proxy")), sts(stWaiting("app")), api.PodPending},
		{"sidecar waits to start", api.RestartPolicyAlways, proxy, false, sts(stWaiting("proxy")), sts(stWaiting("app")), api.PodPending},
		{"sidecar started, next init runs", api.RestartPolicyAlways, both, false, sts(stRunning("proxy"), stRunningInit("setup")), sts(stWaiting("app")), api.PodPending},
		{"sidecar and app run", api.RestartPolicyAlways, proxy, false, sts(stRunning("proxy")), sts(stRunning("app")), api.PodRunning},
		{"sidecar restarting after init: still Running", api.RestartPolicyNever, proxy, false, sts(stBackOff("proxy", 1)), sts(stRunning("app")), api.PodRunning},
		{"restarted sidecar not started yet: still Running", api.RestartPolicyAlways, proxy, false, sts(stStarting("proxy")), sts(stRunning("app")), api.PodRunning},
		{"sidecar stopped, app runs", api.RestartPolicyAlways, proxy, false, sts(stExited("proxy", 1)), sts(stRunning("app")), api.PodRunning},
		{"sidecar status without state", api.RestartPolicyAlways, proxy, false, sts(api.ContainerStatus{Name: "proxy"}), sts(stRunning("app")), api.PodPending},
		{"app status without state", api.RestartPolicyAlways, nil, false, nil, sts(stRunning("app"), api.ContainerStatus{Name: "web"}), api.PodPending},
		{"sidecar without status", api.RestartPolicyAlways, proxy, false, nil, sts(stRunning("app")), api.PodPending},
		{"stopped sidecar does not count: Succeeded", api.RestartPolicyOnFailure, proxy, false, sts(stExited("proxy", 143)), sts(stExited("app", 0)), api.PodSucceeded},
		{"stopped sidecar does not count: Failed", api.RestartPolicyNever, proxy, false, sts(stExited("proxy", 0)), sts(stExited("app", 1)), api.PodFailed},
		{"running sidecar keeps a finished pod Running", api.RestartPolicyOnFailure, proxy, false, sts(stRunning("proxy")), sts(stExited("app", 0)), api.PodRunning},

		// Steps 3 and 4: app containers.
		{"app waits", api.RestartPolicyAlways, nil, false, nil, sts(stWaiting("app")), api.PodPending},
		{"one runs, one waits", api.RestartPolicyAlways, nil, false, nil, sts(stRunning("app"), stWaiting("web")), api.PodPending},
		{"both run", api.RestartPolicyAlways, nil, false, nil, sts(stRunning("app"), stRunning("web")), api.PodRunning},
		{"one runs, one failed, Never", api.RestartPolicyNever, nil, false, nil, sts(stRunning("app"), stExited("web", 1)), api.PodRunning},
		{"all exited 0, Always: restarting", api.RestartPolicyAlways, nil, false, nil, sts(stExited("app", 0), stExited("web", 0)), api.PodRunning},
		{"in back-off, Always", api.RestartPolicyAlways, nil, false, nil, sts(stBackOff("app", 1), stExited("web", 0)), api.PodRunning},
		{"all exited 0, OnFailure", api.RestartPolicyOnFailure, nil, false, nil, sts(stExited("app", 0), stExited("web", 0)), api.PodSucceeded},
		{"one failed, OnFailure: restarting", api.RestartPolicyOnFailure, nil, false, nil, sts(stExited("app", 0), stExited("web", 1)), api.PodRunning},
		{"all exited 0, Never", api.RestartPolicyNever, nil, false, nil, sts(stExited("app", 0), stExited("web", 0)), api.PodSucceeded},
		{"one failed, Never", api.RestartPolicyNever, nil, false, nil, sts(stExited("app", 0), stExited("web", 1)), api.PodFailed},
		{"back-off counts as stopped, Never", api.RestartPolicyNever, nil, false, nil, sts(stBackOff("app", 1), stExited("web", 0)), api.PodFailed},

		// podIsTerminal: a deleted pod ends Succeeded or Failed.
		{"deleted, Always, all exited 0", api.RestartPolicyAlways, nil, true, nil, sts(stExited("app", 0), stExited("web", 0)), api.PodSucceeded},
		{"deleted, Always, killed", api.RestartPolicyAlways, nil, true, nil, sts(stExited("app", 143), stExited("web", 0)), api.PodFailed},
		{"deleted, still running", api.RestartPolicyAlways, nil, true, nil, sts(stRunning("app"), stExited("web", 143)), api.PodRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apps := []string{"app"}
			if len(tt.app) == 2 {
				apps = append(apps, "web")
			}
			p := newPod(tt.policy, tt.inits, apps...)
			if tt.deleting {
				p.DeletionTimestamp = new(t0)
			}
			got := PodPhase(p, tt.init, tt.app)
			if got != tt.want {
				t.Errorf("phase %s, want %s", got, tt.want)
			}
			if got == api.PodUnknown {
				t.Error("PodPhase never says Unknown")
			}
		})
	}
}

// A container without a status is unknown: the pod is not Running yet.
func TestPodPhaseUnknownContainer(t *testing.T) {
	p := newPod(api.RestartPolicyAlways, nil, "app", "web")
	if got := PodPhase(p, nil, sts(stRunning("app"))); got != api.PodPending {
		t.Errorf("phase %s, want Pending", got)
	}
	if got := PodPhase(p, nil, sts(stExited("app", 0))); got != api.PodPending {
		t.Errorf("phase %s, want Pending", got)
	}
}
