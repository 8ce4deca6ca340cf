package podlet

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
)

const testUID = "9b2e7f0c-3c1d-4e5f-8a6b-1c2d3e4f5a6b"

// newPod returns the pod default/web with the given init containers and
// app containers.
func newPod(policy api.RestartPolicy, inits []api.Container, apps ...string) *api.Pod {
	p := &api.Pod{Spec: api.PodSpec{RestartPolicy: policy, InitContainers: inits}}
	p.Name, p.Namespace, p.UID = "web", api.NamespaceDefault, testUID
	for _, name := range apps {
		p.Spec.Containers = append(p.Spec.Containers, regular(name))
	}
	return p
}

func regular(name string) api.Container { return api.Container{Name: name, Image: "busybox"} }

func sidecar(name string) api.Container {
	c := regular(name)
	c.RestartPolicy = new(api.ContainerRestartPolicyAlways)
	return c
}

// Container instances, as the runtime reports them.
func running(name string) ContainerSnapshot {
	return ContainerSnapshot{Name: name, ContainerID: "podlab://web-" + name, State: ContainerRunning, StartedAt: t0}
}

// exited is an instance that ran from a second before at until at.
func exited(name string, code int32, at time.Time) ContainerSnapshot {
	s := running(name)
	s.State, s.ExitCode, s.StartedAt, s.FinishedAt = ContainerExited, code, at.Add(-time.Second), at
	return s
}

func oomKilled(name string, at time.Time) ContainerSnapshot {
	s := exited(name, 137, at)
	s.OOMKilled = true
	return s
}

// restarted gives instance s the restart count n and the previous exit.
func restarted(s ContainerSnapshot, n int32, last *api.ContainerStateTerminated) ContainerSnapshot {
	s.RestartCount, s.LastTermination = n, last
	return s
}

// snapshot is a pod with a ready sandbox and these instances.
func snapshot(instances ...ContainerSnapshot) PodSnapshot {
	snap := PodSnapshot{SandboxReady: true, Containers: map[string]ContainerSnapshot{}}
	for _, s := range instances {
		snap.Containers[s.Name] = s
	}
	return snap
}

// The container states of SEMANTICS.md §2.1, from the runtime's words.
func TestContainerStatus(t *testing.T) {
	t1 := t0.Add(time.Minute)
	lastExit := &api.ContainerStateTerminated{ExitCode: 1, Reason: ReasonError, FinishedAt: t0}
	startFailed := ContainerSnapshot{Name: "app", ContainerID: "podlab://web-app", State: ContainerCreated,
		Error: `exec: "nginx": executable file not found in $PATH`, FinishedAt: t1}
	lost := running("app")
	lost.Error = "the shim is gone"
	probed := running("app")
	probed.Started, probed.Ready = new(true), new(false)
	starting := running("app")
	starting.Started = new(false)
	terminated := func(code int32, reason string) *api.ContainerStateTerminated {
		return &api.ContainerStateTerminated{ExitCode: code, Reason: reason, StartedAt: t1.Add(-time.Second), FinishedAt: t1, ContainerID: "podlab://web-app"}
	}
	tests := []struct {
		name    string
		inits   []api.Container // app is an app container, unless named here
		s       *ContainerSnapshot
		backOff []BackOff
		want    api.ContainerStatus
	}{
		{"not started, no init containers", nil, nil, nil, api.ContainerStatus{
			State: waitingState(ReasonContainerCreating), Started: new(false)}},
		{"not started, pod with init containers", []api.Container{regular("setup")}, nil, nil, api.ContainerStatus{
			State: waitingState(ReasonPodInitializing), Started: new(false)}},
		{"init container not started", []api.Container{regular("app")}, nil, nil, api.ContainerStatus{
			State: waitingState(ReasonPodInitializing), Started: new(false)}},
		{"created, starting", nil, &ContainerSnapshot{Name: "app", ContainerID: "podlab://web-app", State: ContainerCreated}, nil, api.ContainerStatus{
			State: waitingState(ReasonContainerCreating), Started: new(false), ContainerID: "podlab://web-app"}},
		{"running", nil, new(running("app")), nil, api.ContainerStatus{
			State: api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: t0}}, Ready: true, Started: new(true), ContainerID: "podlab://web-app"}},
		{"running, restarted twice", nil, new(restarted(running("app"), 2, lastExit)), nil, api.ContainerStatus{
			State:                api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: t0}},
			LastTerminationState: api.ContainerState{Terminated: lastExit},
			RestartCount:         2, Ready: true, Started: new(true), ContainerID: "podlab://web-app"}},
		{"running, readiness probe failing", nil, &probed, nil, api.ContainerStatus{
			State: api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: t0}}, Started: new(true), ContainerID: "podlab://web-app"}},
		{"running, startup probe not passed", nil, &starting, nil, api.ContainerStatus{
			State: api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: t0}}, Started: new(false), ContainerID: "podlab://web-app"}},
		{"init container running is not ready", []api.Container{regular("app")}, new(running("app")), nil, api.ContainerStatus{
			State: api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: t0}}, Started: new(true), ContainerID: "podlab://web-app"}},
		{"sidecar running is ready", []api.Container{sidecar("app")}, new(running("app")), nil, api.ContainerStatus{
			State: api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: t0}}, Ready: true, Started: new(true), ContainerID: "podlab://web-app"}},
		{"exited 0: Completed", nil, new(exited("app", 0, t1)), nil, api.ContainerStatus{
			State: api.ContainerState{Terminated: terminated(0, ReasonCompleted)}, Started: new(false), ContainerID: "podlab://web-app"}},
		{"init container exited 0 is ready", []api.Container{regular("app")}, new(exited("app", 0, t1)), nil, api.ContainerStatus{
			State: api.ContainerState{Terminated: terminated(0, ReasonCompleted)}, Ready: true, Started: new(false), ContainerID: "podlab://web-app"}},
		{"init container exited 1 is not", []api.Container{regular("app")}, new(exited("app", 1, t1)), nil, api.ContainerStatus{
			State: api.ContainerState{Terminated: terminated(1, ReasonError)}, Started: new(false), ContainerID: "podlab://web-app"}},
		{"exited 2: Error", nil, new(exited("app", 2, t1)), nil, api.ContainerStatus{
			State: api.ContainerState{Terminated: terminated(2, ReasonError)}, Started: new(false), ContainerID: "podlab://web-app"}},
		{"OOMKilled", nil, new(oomKilled("app", t1)), nil, api.ContainerStatus{
			State: api.ContainerState{Terminated: terminated(137, ReasonOOMKilled)}, Started: new(false), ContainerID: "podlab://web-app"}},
		{"failed to start", nil, &startFailed, nil, api.ContainerStatus{
			State: api.ContainerState{Terminated: &api.ContainerStateTerminated{ExitCode: 128, Reason: ReasonStartError,
				Message: startFailed.Error, FinishedAt: t1, ContainerID: "podlab://web-app"}},
			Started: new(false), ContainerID: "podlab://web-app"}},
		{"lost by the runtime", nil, &lost, nil, api.ContainerStatus{
			State: api.ContainerState{Terminated: &api.ContainerStateTerminated{ExitCode: 137, Reason: ReasonContainerStatusUnknown,
				Message: "the shim is gone", StartedAt: t0, ContainerID: "podlab://web-app"}},
			Started: new(false), ContainerID: "podlab://web-app"}},
		{"in back-off: CrashLoopBackOff, the exit as lastState", nil, new(restarted(exited("app", 1, t1), 3, lastExit)),
			[]BackOff{{Name: "app", Message: "back-off 40s ..."}}, api.ContainerStatus{
				State:                api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: ReasonCrashLoopBackOff, Message: "back-off 40s ..."}},
				LastTerminationState: api.ContainerState{Terminated: terminated(1, ReasonError)},
				RestartCount:         3, Started: new(false), ContainerID: "podlab://web-app"}},
		{"another container's back-off", nil, new(exited("app", 1, t1)), []BackOff{{Name: "web"}}, api.ContainerStatus{
			State: api.ContainerState{Terminated: terminated(1, ReasonError)}, Started: new(false), ContainerID: "podlab://web-app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inits []api.Container
			apps := []string{"app"}
			for _, c := range tt.inits {
				inits = append(inits, c)
				if c.Name == "app" {
					apps = []string{"main"}
				}
			}
			p := newPod(api.RestartPolicyAlways, inits, apps...)
			snap := snapshot()
			if tt.s != nil {
				snap = snapshot(*tt.s)
			}
			init, app := ContainerStatuses(p, snap, tt.backOff)
			got := findStatus(append(init, app...), "app")
			tt.want.Name, tt.want.Image = "app", "busybox"
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("status\n%+v\nwant\n%+v", fmtJSON(*got), fmtJSON(tt.want))
			}
		})
	}
}

func waitingState(reason string) api.ContainerState {
	return api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: reason}}
}

// fmtJSON prints v with its pointers followed, for error messages.
func fmtJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(data)
}

// A container gone with an old sandbox keeps what was reported of it.
func TestContainerStatusWithoutInstance(t *testing.T) {
	p := newPod(api.RestartPolicyAlways, []api.Container{regular("setup")}, "app")
	done := stExited("setup", 0)
	p.Status.InitContainerStatuses = sts(done)
	p.Status.ContainerStatuses = sts(stBackOff("app", 1))
	init, app := ContainerStatuses(p, snapshot(), nil)
	if !reflect.DeepEqual(init[0], done) {
		t.Errorf("init container: %s, want what was reported: %s", fmtJSON(init[0]), fmtJSON(done))
	}
	want := api.ContainerStatus{Name: "app", Image: "busybox", RestartCount: 1, Started: new(false),
		State:                waitingState(ReasonPodInitializing),
		LastTerminationState: p.Status.ContainerStatuses[0].LastTerminationState}
	if !reflect.DeepEqual(app[0], want) {
		t.Errorf("app container: %s, want %s", fmtJSON(app[0]), fmtJSON(want))
	}
}

func TestStatus(t *testing.T) {
	p := newPod(api.RestartPolicyNever, nil, "app")
	snap := snapshot(running("app"))
	snap.PodIP, snap.HostIP = "10.244.1.5", "172.30.0.11"
	now := t0.Add(time.Minute)

	s := Status(p, snap, Actions{}, now)
	if s.Phase != api.PodRunning || s.PodIP != "10.244.1.5" || s.HostIP != "172.30.0.11" || !s.StartTime.Equal(now) {
		t.Errorf("first status: phase %s, IPs %s %s, start time %v", s.Phase, s.PodIP, s.HostIP, s.StartTime)
	}
	if len(s.ContainerStatuses) != 1 || s.ContainerStatuses[0].State.Running == nil {
		t.Errorf("container statuses %s", fmtJSON(s.ContainerStatuses))
	}

	// The next sync keeps the start time, the IPs and the reason of an
	// unchanged phase.
	p.Status = s
	p.Status.Reason, p.Status.Message = "Because", "of a test"
	s = Status(p, PodSnapshot{SandboxReady: true, Containers: snap.Containers}, Actions{}, now.Add(time.Minute))
	if !s.StartTime.Equal(now) || s.PodIP != "10.244.1.5" || s.Reason != "Because" || s.Message != "of a test" {
		t.Errorf("second status: start time %v, IP %s, reason %q %q", s.StartTime, s.PodIP, s.Reason, s.Message)
	}

	// A new phase drops the reason.
	s = Status(p, snapshot(exited("app", 1, now)), Actions{}, now.Add(time.Minute))
	if s.Phase != api.PodFailed || s.Reason != "" {
		t.Errorf("after the exit: phase %s, reason %q; want Failed, no reason", s.Phase, s.Reason)
	}

	// A terminal phase stays, whatever the containers say.
	p.Status = s
	s = Status(p, snapshot(running("app")), Actions{}, now.Add(time.Minute))
	if s.Phase != api.PodFailed {
		t.Errorf("phase after Failed: %s, want Failed still", s.Phase)
	}
}
