package podlet

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
)

// fakeNode plays the runtime under ComputeActions: it does what the
// actions say, instantly, and reports the status after every sync, as
// the podlet will.
type fakeNode struct {
	t       *testing.T
	pod     *api.Pod
	snap    PodSnapshot
	backoff *Backoff
	now     time.Time
}

func newFakeNode(t *testing.T, pod *api.Pod) *fakeNode {
	return &fakeNode{t: t, pod: pod, snap: PodSnapshot{Containers: map[string]ContainerSnapshot{}}, backoff: NewBackoff(0, 0), now: t0}
}

// sync runs one sync: decide, report, act.
func (n *fakeNode) sync() Actions {
	a := ComputeActions(n.pod, n.snap, n.now, n.backoff)
	n.pod.Status = Status(n.pod, n.snap, a, n.now)
	for _, k := range a.Kill {
		n.exit(k.Name, 137)
	}
	if a.CreateSandbox {
		n.snap.SandboxReady, n.snap.Containers = true, map[string]ContainerSnapshot{}
	}
	if a.KillSandbox {
		n.snap.SandboxReady = false
	}
	for _, s := range a.Start {
		n.snap.Containers[s.Name] = ContainerSnapshot{Name: s.Name, ContainerID: fmt.Sprintf("podlab://%s-%d", s.Name, s.RestartCount),
			State: ContainerRunning, StartedAt: n.now, RestartCount: s.RestartCount, LastTermination: s.LastTermination}
	}
	return a
}

// syncUntilIdle syncs until a sync has nothing to do, at most 10 times,
// and returns the actions of each.
func (n *fakeNode) syncUntilIdle() []Actions {
	var all []Actions
	for range 10 {
		a := n.sync()
		all = append(all, a)
		if len(a.Kill) == 0 && len(a.Start) == 0 && !a.CreateSandbox {
			return all
		}
	}
	n.t.Fatalf("still busy after 10 syncs: %s", fmtJSON(all))
	return nil
}

// exit ends the process of container name with code, now.
func (n *fakeNode) exit(name string, code int32) {
	s, ok := n.snap.Containers[name]
	if !ok || s.State != ContainerRunning {
		n.t.Fatalf("%s does not run", name)
	}
	s.State, s.ExitCode, s.FinishedAt = ContainerExited, code, n.now
	n.snap.Containers[name] = s
}

func (n *fakeNode) wait(d time.Duration) { n.now = n.now.Add(d) }

// phase is the phase reported at the last sync.
func (n *fakeNode) phase() api.PodPhase { return n.pod.Status.Phase }

func (n *fakeNode) status(name string) *api.ContainerStatus {
	return findStatus(slices.Concat(n.pod.Status.InitContainerStatuses, n.pod.Status.ContainerStatuses), name)
}

func (n *fakeNode) condition(typ api.PodConditionType) api.ConditionStatus {
	for _, c := range n.pod.Status.Conditions {
		if c.Type == typ {
			return c.Status
		}
	}
	return ""
}

func startNames(a Actions) []string {
	var names []string
	for _, s := range a.Start {
		names = append(names, s.Name)
	}
	return names
}

func killNames(a Actions) []string {
	var names []string
	for _, k := range a.Kill {
		names = append(names, k.Name)
	}
	return names
}

// expect checks who a sync starts and kills.
func expect(t *testing.T, when string, a Actions, start, kill []string) {
	t.Helper()
	if got := startNames(a); !slices.Equal(got, start) {
		t.Errorf("%s: start %q, want %q", when, got, start)
	}
	if got := killNames(a); !slices.Equal(got, kill) {
		t.Errorf("%s: kill %q, want %q", when, got, kill)
	}
}

// Every row of the restartPolicy truth table of SEMANTICS.md §2.3: one
// container, or two where app exits and web runs on or has exited too.
func TestRestartPolicyTable(t *testing.T) {
	const (
		always    = api.RestartPolicyAlways
		onFailure = api.RestartPolicyOnFailure
		never     = api.RestartPolicyNever
	)
	at := t0.Add(time.Minute)
	app0, app1, appOOM := exited("app", 0, at), exited("app", 1, at), oomKilled("app", at)
	web0, web1, webRuns := exited("web", 0, at), exited("web", 1, at), running("web")
	tests := []struct {
		policy    api.RestartPolicy
		instances []ContainerSnapshot
		restart   []string // restarted now
		phase     api.PodPhase
	}{
		// One container.
		{always, sts2(app0), []string{"app"}, api.PodRunning},
		{always, sts2(app1), []string{"app"}, api.PodRunning},
		{always, sts2(appOOM), []string{"app"}, api.PodRunning},
		{onFailure, sts2(app0), nil, api.PodSucceeded},
		{onFailure, sts2(app1), []string{"app"}, api.PodRunning},
		{onFailure, sts2(appOOM), []string{"app"}, api.PodRunning},
		{never, sts2(app0), nil, api.PodSucceeded},
		{never, sts2(app1), nil, api.PodFailed},
		{never, sts2(appOOM), nil, api.PodFailed},

		// Two containers: app exits, web runs.
		{always, sts2(app0, webRuns), []string{"app"}, api.PodRunning},
		{always, sts2(app1, webRuns), []string{"app"}, api.PodRunning},
		{always, sts2(appOOM, webRuns), []string{"app"}, api.PodRunning},
		{onFailure, sts2(app0, webRuns), nil, api.PodRunning},
		{onFailure, sts2(app1, webRuns), []string{"app"}, api.PodRunning},
		{onFailure, sts2(appOOM, webRuns), []string{"app"}, api.PodRunning},
		{never, sts2(app0, webRuns), nil, api.PodRunning},
		{never, sts2(app1, webRuns), nil, api.PodRunning},
		{never, sts2(appOOM, webRuns), nil, api.PodRunning},

		// Two containers: both have exited.
		{always, sts2(app0, web0), []string{"app", "web"}, api.PodRunning},
		{always, sts2(app1, web0), []string{"app", "web"}, api.PodRunning},
		{onFailure, sts2(app0, web0), nil, api.PodSucceeded},
		{onFailure, sts2(app0, web1), []string{"web"}, api.PodRunning},
		{onFailure, sts2(appOOM, web0), []string{"app"}, api.PodRunning},
		{never, sts2(app0, web0), nil, api.PodSucceeded},
		{never, sts2(app0, web1), nil, api.PodFailed},
		{never, sts2(app1, web0), nil, api.PodFailed},
		{never, sts2(appOOM, web0), nil, api.PodFailed},
	}
	for _, tt := range tests {
		var desc []string
		for _, s := range tt.instances {
			desc = append(desc, describe(s))
		}
		t.Run(fmt.Sprintf("%s %v", tt.policy, desc), func(t *testing.T) {
			var apps []string
			for _, s := range tt.instances {
				apps = append(apps, s.Name)
			}
			p := newPod(tt.policy, nil, apps...)
			snap := snapshot(tt.instances...)
			a := ComputeActions(p, snap, at, NewBackoff(0, 0))
			expect(t, "sync", a, tt.restart, nil)
			s := Status(p, snap, a, at)
			if s.Phase != tt.phase {
				t.Errorf("phase %s, want %s", s.Phase, tt.phase)
			}
			if done := tt.phase == api.PodSucceeded || tt.phase == api.PodFailed; a.Finished != done || a.KillSandbox != done {
				t.Errorf("finished %v, kill sandbox %v; want %v", a.Finished, a.KillSandbox, done)
			}
			for _, st := range s.ContainerStatuses {
				if in := snap.Containers[st.Name]; in.OOMKilled && st.State.Terminated.Reason != ReasonOOMKilled {
					t.Errorf("%s: reason %q, want OOMKilled", st.Name, st.State.Terminated.Reason)
				}
			}
		})
	}
}

func sts2(s ...ContainerSnapshot) []ContainerSnapshot { return s }

func describe(s ContainerSnapshot) string {
	switch {
	case s.OOMKilled:
		return s.Name + "=OOM"
	case s.State == ContainerExited:
		return fmt.Sprintf("%s=%d", s.Name, s.ExitCode)
	}
	return s.Name + "=runs"
}

// Never: app fails while web runs; the pod runs on, then fails when web
// ends, even with exit 0 (SEMANTICS.md §2.3).
func TestNeverFailsWhenTheLastContainerEnds(t *testing.T) {
	n := newFakeNode(t, newPod(api.RestartPolicyNever, nil, "app", "web"))
	n.syncUntilIdle()
	n.exit("app", 1)
	n.sync()
	if n.phase() != api.PodRunning {
		t.Fatalf("app failed, web runs: phase %s, want Running", n.phase())
	}
	n.exit("web", 0)
	a := n.syncUntilIdle()
	if n.phase() != api.PodFailed || !a[0].Finished || !a[0].KillSandbox {
		t.Errorf("both ended: phase %s, actions %s; want Failed, finished", n.phase(), fmtJSON(a))
	}
}

// CrashLoopBackOff (SEMANTICS.md §2.4): the first exit restarts at once,
// the next ones wait 10 s, 20 s, ... 300 s, shown in the container state.
func TestCrashLoopBackOff(t *testing.T) {
	n := newFakeNode(t, newPod(api.RestartPolicyAlways, nil, "app"))
	n.syncUntilIdle()
	n.wait(time.Second)
	n.exit("app", 1)
	expect(t, "first exit", n.sync(), []string{"app"}, nil)

	msg := "back-off %s restarting failed container=app pod=web_default(" + testUID + ")"
	for i, delay := range []time.Duration{10, 20, 40, 80, 160, 300, 300} {
		delay *= time.Second
		n.wait(time.Second)
		n.exit("app", 1)
		exitedAt := n.now
		a := n.sync()
		st := n.status("app")
		wantMsg := fmt.Sprintf(msg, delay)
		if len(a.Start) != 0 || len(a.BackOff) != 1 || !a.RetryAt.Equal(exitedAt.Add(delay)) || a.BackOff[0].Message != wantMsg {
			t.Fatalf("exit %d: actions %s, want a back-off of %v", i+2, fmtJSON(a), delay)
		}
		if w := st.State.Waiting; w == nil || w.Reason != ReasonCrashLoopBackOff || w.Message != wantMsg {
			t.Errorf("exit %d: state %s, want Waiting CrashLoopBackOff %q", i+2, fmtJSON(st.State), wantMsg)
		}
		if l := st.LastTerminationState.Terminated; l == nil || l.ExitCode != 1 || l.Reason != ReasonError || !l.FinishedAt.Equal(exitedAt) {
			t.Errorf("exit %d: lastState %s", i+2, fmtJSON(st.LastTerminationState))
		}
		if st.RestartCount != int32(i+1) || n.phase() != api.PodRunning {
			t.Errorf("exit %d: restart count %d, phase %s; want %d, Running", i+2, st.RestartCount, n.phase(), i+1)
		}
		n.now = a.RetryAt.Add(-time.Millisecond)
		expect(t, "just before the back-off ends", n.sync(), nil, nil)
		n.now = a.RetryAt
		a = n.sync()
		expect(t, "when the back-off ends", a, []string{"app"}, nil)
		if a.Start[0].RestartCount != int32(i+2) || a.Start[0].LastTermination.ExitCode != 1 {
			t.Errorf("restart %d: %s", i+2, fmtJSON(a.Start[0]))
		}
	}
	// Running ten minutes without trouble resets the back-off.
	n.wait(10*time.Minute + time.Second)
	n.exit("app", 1)
	expect(t, "exit after 10 minutes", n.sync(), []string{"app"}, nil)
}

// Init containers run one at a time, in order, before the app containers,
// which start together, in order (SEMANTICS.md §1.3, §3.1).
func TestInitContainersRunInOrder(t *testing.T) {
	n := newFakeNode(t, newPod(api.RestartPolicyAlways, []api.Container{regular("fetch"), regular("setup")}, "app", "web"))
	a := n.sync()
	if !a.CreateSandbox || len(a.Start) != 0 {
		t.Fatalf("first sync: %s, want only the sandbox", fmtJSON(a))
	}
	if st := n.status("app"); st.State.Waiting.Reason != ReasonPodInitializing {
		t.Errorf("app before init: %s", fmtJSON(st.State))
	}
	expect(t, "sandbox ready", n.sync(), []string{"fetch"}, nil)
	if s := n.pod.Status.ContainerStatuses; len(s) != 2 {
		t.Fatalf("statuses %s", fmtJSON(s))
	}
	expect(t, "fetch runs", n.sync(), nil, nil)
	if n.phase() != api.PodPending || n.condition(api.PodInitialized) != api.ConditionFalse {
		t.Errorf("fetch runs: phase %s, Initialized %s", n.phase(), n.condition(api.PodInitialized))
	}
	n.exit("fetch", 0)
	a = n.sync()
	expect(t, "fetch done", a, []string{"setup"}, nil)
	if !a.Start[0].Init {
		t.Errorf("setup not started as an init container: %s", fmtJSON(a.Start))
	}
	n.exit("setup", 0)
	a = n.sync()
	expect(t, "setup done", a, []string{"app", "web"}, nil)
	if a.Start[0].Init || a.Start[0].RestartCount != 0 {
		t.Errorf("app start: %s", fmtJSON(a.Start[0]))
	}
	n.sync()
	if n.phase() != api.PodRunning || n.condition(api.PodInitialized) != api.ConditionTrue || n.condition(api.PodReady) != api.ConditionTrue {
		t.Errorf("all run: phase %s, conditions %s", n.phase(), fmtJSON(n.pod.Status.Conditions))
	}
	// Done init containers are not run again.
	n.exit("app", 1)
	expect(t, "app exits", n.sync(), []string{"app"}, nil)
}

// A failed regular init container fails the pod under Never, and is retried
// with back-off, the pod Pending, under Always and OnFailure (SEMANTICS.md
// §3.1).
func TestInitContainerFails(t *testing.T) {
	for _, policy := range []api.RestartPolicy{api.RestartPolicyNever, api.RestartPolicyOnFailure, api.RestartPolicyAlways} {
		t.Run(string(policy), func(t *testing.T) {
			n := newFakeNode(t, newPod(policy, []api.Container{sidecar("proxy"), regular("setup")}, "app"))
			n.syncUntilIdle()
			n.exit("setup", 1)
			if policy == api.RestartPolicyNever {
				a := n.sync()
				expect(t, "setup failed", a, nil, []string{"proxy"})
				if !a.Finished || n.phase() != api.PodFailed {
					t.Errorf("setup failed: finished %v, phase %s; want Failed", a.Finished, n.phase())
				}
				a = n.sync()
				if !a.KillSandbox || len(a.Start) != 0 || n.phase() != api.PodFailed {
					t.Errorf("proxy stopped: %s, phase %s", fmtJSON(a), n.phase())
				}
				return
			}
			expect(t, "setup failed", n.sync(), []string{"setup"}, nil)
			n.wait(time.Second)
			n.exit("setup", 1)
			a := n.sync()
			if len(a.Start) != 0 || len(a.BackOff) != 1 || a.BackOff[0].Name != "setup" || !a.RetryAt.Equal(n.now.Add(10*time.Second)) {
				t.Fatalf("setup failed again: %s, want a back-off of 10s", fmtJSON(a))
			}
			st := n.status("setup")
			if n.phase() != api.PodPending || st.State.Waiting == nil || st.State.Waiting.Reason != ReasonCrashLoopBackOff {
				t.Errorf("in back-off: phase %s, setup %s", n.phase(), fmtJSON(st))
			}
			n.now = a.RetryAt
			expect(t, "back-off over", n.sync(), []string{"setup"}, nil)
			n.exit("setup", 0)
			expect(t, "setup done", n.sync(), []string{"app"}, nil)
		})
	}
}

// Native sidecars (SEMANTICS.md §3.2): each starts in init order, and the
// next init container waits until it is started, not until it exits; it
// is restarted whatever the pod's restartPolicy; it does not keep a pod
// that has run to completion alive: it is stopped, and the pod Succeeds.
func TestSidecarLifecycle(t *testing.T) {
	n := newFakeNode(t, newPod(api.RestartPolicyNever, []api.Container{sidecar("proxy"), regular("setup")}, "app"))
	n.sync() // the sandbox
	a := n.sync()
	expect(t, "sandbox ready", a, []string{"proxy"}, nil)
	if !a.Start[0].Init {
		t.Errorf("proxy not started as an init container")
	}

	// A startup probe holds the next init container back.
	proxy := n.snap.Containers["proxy"]
	proxy.Started = new(false)
	n.snap.Containers["proxy"] = proxy
	expect(t, "proxy not started", n.sync(), nil, nil)
	proxy.Started = new(true)
	n.snap.Containers["proxy"] = proxy
	expect(t, "proxy started", n.sync(), []string{"setup"}, nil)

	// A sidecar that exits during initialization restarts; setup runs on.
	n.exit("proxy", 2)
	expect(t, "proxy exits while setup runs", n.sync(), []string{"proxy"}, nil)
	if n.phase() != api.PodPending {
		t.Errorf("initializing: phase %s", n.phase())
	}
	n.exit("setup", 0)
	expect(t, "setup done", n.sync(), []string{"app"}, nil)

	// After initialization too, even under restartPolicy Never, with
	// back-off: it is its second exit.
	n.wait(time.Minute)
	n.exit("proxy", 1)
	a = n.sync()
	if len(a.Start) != 0 || len(a.BackOff) != 1 || a.BackOff[0].Name != "proxy" {
		t.Fatalf("proxy exits beside app: %s, want a back-off", fmtJSON(a))
	}
	if n.phase() != api.PodRunning || n.condition(api.PodInitialized) != api.ConditionTrue || n.condition(api.PodReady) != api.ConditionFalse {
		t.Errorf("proxy restarting: phase %s, conditions %s", n.phase(), fmtJSON(n.pod.Status.Conditions))
	}
	n.now = a.RetryAt
	expect(t, "proxy back-off over", n.sync(), []string{"proxy"}, nil)
	n.sync()
	if n.condition(api.ContainersReady) != api.ConditionTrue {
		t.Errorf("proxy and app run: %s", fmtJSON(n.pod.Status.Conditions))
	}

	// app is done: the sidecar is stopped, not restarted, and the pod ends.
	n.exit("app", 0)
	a = n.sync()
	expect(t, "app done", a, nil, []string{"proxy"})
	if !a.Finished || a.KillSandbox || n.phase() != api.PodRunning {
		t.Errorf("app done, proxy runs: finished %v, kill sandbox %v, phase %s", a.Finished, a.KillSandbox, n.phase())
	}
	a = n.sync()
	expect(t, "proxy stopped", a, nil, nil)
	if !a.KillSandbox || n.phase() != api.PodSucceeded {
		t.Errorf("all stopped: kill sandbox %v, phase %s; want Succeeded", a.KillSandbox, n.phase())
	}
	if c := findCondition(n.pod.Status.Conditions, api.PodReady); c.Reason != ReasonPodCompleted {
		t.Errorf("Ready: %s, want reason PodCompleted", fmtJSON(c))
	}
	// Nothing starts again, the sandbox gone or not.
	a = n.sync()
	if len(a.Start) != 0 || a.CreateSandbox || n.phase() != api.PodSucceeded {
		t.Errorf("after the end: %s, phase %s", fmtJSON(a), n.phase())
	}
}

func findCondition(conds []api.PodCondition, typ api.PodConditionType) api.PodCondition {
	for _, c := range conds {
		if c.Type == typ {
			return c
		}
	}
	return api.PodCondition{}
}

// App containers stop first, then sidecars one by one, the last declared
// first (SEMANTICS.md §3.2, §4.2); a deleted pod's containers get what is
// left of the grace period, at least 2 s.
func TestTermination(t *testing.T) {
	p := newPod(api.RestartPolicyAlways, []api.Container{sidecar("log"), regular("setup"), sidecar("proxy")}, "app", "web")
	n := newFakeNode(t, p)
	n.syncUntilIdle()
	n.exit("setup", 0)
	n.syncUntilIdle()
	if n.phase() != api.PodRunning {
		t.Fatalf("phase %s", n.phase())
	}

	n.pod.DeletionTimestamp = new(n.now.Add(30 * time.Second))
	steps := []struct {
		after time.Duration
		kill  []string
		grace time.Duration
	}{
		{0, []string{"app", "web"}, 30 * time.Second},
		{10 * time.Second, []string{"proxy"}, 20 * time.Second},
		{25 * time.Second, []string{"log"}, 2 * time.Second}, // past the deadline
	}
	for _, step := range steps {
		n.wait(step.after)
		a := n.sync()
		expect(t, fmt.Sprintf("after %v", step.after), a, nil, step.kill)
		for _, k := range a.Kill {
			if k.GracePeriod != step.grace || k.Message != "Stopping container "+k.Name {
				t.Errorf("kill %s", fmtJSON(k))
			}
		}
		if !a.Finished || a.KillSandbox {
			t.Errorf("while stopping: finished %v, kill sandbox %v", a.Finished, a.KillSandbox)
		}
	}
	a := n.sync()
	if !a.KillSandbox || len(a.Kill) != 0 || len(a.Start) != 0 {
		t.Errorf("all stopped: %s, want the sandbox killed", fmtJSON(a))
	}
	if n.phase() != api.PodFailed { // killed: exit code 137
		t.Errorf("phase %s, want Failed", n.phase())
	}
}

// A container a probe found unhealthy is killed, with the probe's
// message and the pod's grace period; its restart follows the
// restartPolicy once it has exited.
func TestUnhealthyContainerIsKilled(t *testing.T) {
	for _, policy := range []api.RestartPolicy{api.RestartPolicyAlways, api.RestartPolicyNever} {
		t.Run(string(policy), func(t *testing.T) {
			p := newPod(policy, []api.Container{sidecar("proxy")}, "app")
			p.Spec.TerminationGracePeriodSeconds = new(int64(5))
			n := newFakeNode(t, p)
			n.syncUntilIdle()
			msg := "Container app failed liveness probe, will be restarted"
			n.snap.Unhealthy = map[string]string{"app": msg, "proxy": "Container proxy failed liveness probe, will be restarted"}
			a := n.sync()
			expect(t, "unhealthy", a, nil, []string{"proxy", "app"})
			if k := a.Kill[1]; k.Message != msg || k.GracePeriod != 5*time.Second {
				t.Errorf("kill %s", fmtJSON(k))
			}
			n.snap.Unhealthy = nil
			a = n.sync()
			if policy == api.RestartPolicyNever {
				// app is done for good, so the pod is: proxy stays down.
				expect(t, "killed", a, nil, nil)
				if !a.Finished || n.phase() != api.PodFailed {
					t.Errorf("finished %v, phase %s; want Failed", a.Finished, n.phase())
				}
				return
			}
			expect(t, "killed", a, []string{"proxy", "app"}, nil)
		})
	}
}

// A container killed by its failed probe gets the probe's own
// terminationGracePeriodSeconds, if it has one: the startup probe's
// while it has not started, the liveness probe's after (SEMANTICS.md
// §4.2); else the pod's.
func TestProbeGracePeriod(t *testing.T) {
	probe := func(grace *int64) *api.Probe {
		return &api.Probe{ProbeHandler: api.ProbeHandler{Exec: &api.ExecAction{Command: []string{"true"}}},
			TerminationGracePeriodSeconds: grace}
	}
	for _, tt := range []struct {
		name              string
		startup, liveness *api.Probe
		started           *bool
		want              time.Duration
	}{
		{"liveness probe's", nil, probe(new(int64(7))), nil, 7 * time.Second},
		{"liveness probe without one: the pod's", nil, probe(nil), nil, 30 * time.Second},
		{"startup probe's, not started", probe(new(int64(4))), probe(new(int64(7))), new(false), 4 * time.Second},
		{"liveness probe's, started", probe(new(int64(4))), probe(new(int64(7))), new(true), 7 * time.Second},
		{"at least 2 s", nil, probe(new(int64(1))), nil, 2 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPod(api.RestartPolicyAlways, nil, "app")
			p.Spec.TerminationGracePeriodSeconds = new(int64(30))
			p.Spec.Containers[0].StartupProbe, p.Spec.Containers[0].LivenessProbe = tt.startup, tt.liveness
			n := newFakeNode(t, p)
			n.syncUntilIdle()
			s := n.snap.Containers["app"]
			s.Started = tt.started
			n.snap.Containers["app"] = s
			n.snap.Unhealthy = map[string]string{"app": "Container app failed liveness probe, will be restarted"}
			a := n.sync()
			if len(a.Kill) != 1 || a.Kill[0].GracePeriod != tt.want {
				t.Errorf("kill %s, want grace %v", fmtJSON(a.Kill), tt.want)
			}
		})
	}
}

// A lost sandbox is replaced, and everything runs again in the new one,
// init containers first; the restart counts go on.
func TestSandboxReplaced(t *testing.T) {
	n := newFakeNode(t, newPod(api.RestartPolicyAlways, []api.Container{regular("setup")}, "app"))
	n.syncUntilIdle()
	n.exit("setup", 0)
	n.syncUntilIdle()

	n.snap.SandboxReady = false
	a := n.sync()
	expect(t, "sandbox lost", a, nil, []string{"app"})
	if !a.CreateSandbox || a.Finished {
		t.Errorf("sandbox lost: %s", fmtJSON(a))
	}
	if c := findCondition(n.pod.Status.Conditions, api.PodReadyToStartContainers); c.Status != api.ConditionFalse {
		t.Errorf("PodReadyToStartContainers %s", fmtJSON(c))
	}
	a = n.sync()
	expect(t, "new sandbox", a, []string{"setup"}, nil)
	if s := a.Start[0]; s.RestartCount != 1 || s.LastTermination == nil || s.LastTermination.Reason != ReasonCompleted {
		t.Errorf("setup again: %s", fmtJSON(s))
	}
	n.exit("setup", 0)
	a = n.sync()
	expect(t, "setup done again", a, []string{"app"}, nil)
	if s := a.Start[0]; s.RestartCount != 1 || s.LastTermination == nil || s.LastTermination.ExitCode != 137 {
		t.Errorf("app again: %s", fmtJSON(s))
	}
}

// Under restartPolicy Never, a pod whose containers ran gets no new sandbox:
// it is finished, as in the kubelet.
func TestSandboxLostNever(t *testing.T) {
	p := newPod(api.RestartPolicyNever, nil, "app", "web")
	snap := PodSnapshot{Containers: map[string]ContainerSnapshot{"app": exited("app", 0, t0), "web": running("web")}}
	a := ComputeActions(p, snap, t0, nil)
	expect(t, "sandbox lost", a, nil, []string{"web"})
	if a.CreateSandbox || !a.Finished {
		t.Errorf("actions %s, want finished", fmtJSON(a))
	}
	snap.Containers["web"] = exited("web", 137, t0)
	a = ComputeActions(p, snap, t0, nil)
	if a.CreateSandbox || !a.Finished || !a.KillSandbox {
		t.Errorf("actions %s, want finished", fmtJSON(a))
	}
	if s := Status(p, snap, a, t0); s.Phase != api.PodFailed {
		t.Errorf("phase %s, want Failed", s.Phase)
	}
}

// Containers whose instances are gone (the podlet restarted, the sandbox
// was re-created) start again counting on from what was reported.
func TestRestartCountGoesOn(t *testing.T) {
	p := newPod(api.RestartPolicyAlways, nil, "app", "web", "db", "cache")
	running := stRunning("app")
	running.RestartCount = 4
	backOff := stBackOff("web", 1)
	p.Status.ContainerStatuses = sts(running, backOff, stExited("db", 2), stWaiting("cache"))
	a := ComputeActions(p, snapshot(), t0, nil)
	want := []Start{
		{Name: "app", RestartCount: 5, LastTermination: lostTermination()},
		{Name: "web", RestartCount: 2, LastTermination: backOff.LastTerminationState.Terminated},
		{Name: "db", RestartCount: 1, LastTermination: p.Status.ContainerStatuses[2].State.Terminated},
		{Name: "cache"},
	}
	if !reflect.DeepEqual(a.Start, want) {
		t.Errorf("start\n%s\nwant\n%s", fmtJSON(a.Start), fmtJSON(want))
	}
}

// An instance that was created but did not start is started again, as the
// same attempt; one that failed to start restarts with back-off.
func TestStartAgain(t *testing.T) {
	p := newPod(api.RestartPolicyAlways, []api.Container{regular("setup")}, "app")
	created := ContainerSnapshot{Name: "setup", State: ContainerCreated, RestartCount: 1}
	a := ComputeActions(p, snapshot(created), t0, nil)
	if want := []Start{{Name: "setup", Init: true, RestartCount: 1}}; !reflect.DeepEqual(a.Start, want) {
		t.Errorf("created: start %s, want %s", fmtJSON(a.Start), fmtJSON(want))
	}
	failed := created
	failed.Error, failed.FinishedAt = "no such file", t0
	b := NewBackoff(0, 0)
	b.Restart(testUID, "setup", t0.Add(-time.Minute), t0.Add(-time.Minute))
	a = ComputeActions(p, snapshot(failed), t0, b)
	if len(a.BackOff) != 1 || !a.RetryAt.Equal(t0.Add(10*time.Second)) {
		t.Errorf("failed to start again: %s, want a back-off", fmtJSON(a))
	}
	if s := Status(p, snapshot(failed), a, t0); s.Phase != api.PodPending || s.InitContainerStatuses[0].LastTerminationState.Terminated.Reason != ReasonStartError {
		t.Errorf("status %s", fmtJSON(s))
	}
}

// The status a node reports says Succeeded or Failed for good.
func TestTerminalPhaseIsFinal(t *testing.T) {
	p := newPod(api.RestartPolicyAlways, nil, "app")
	p.Status.Phase = api.PodSucceeded
	a := ComputeActions(p, snapshot(running("app")), t0, nil)
	expect(t, "running in a Succeeded pod", a, nil, []string{"app"})
	a = ComputeActions(p, snapshot(exited("app", 1, t0)), t0, nil)
	if !a.Finished || !a.KillSandbox || len(a.Start) != 0 {
		t.Errorf("exited in a Succeeded pod: %s", fmtJSON(a))
	}
}

// A sync that runs twice over the same snapshot decides the same.
func TestComputeActionsIsRepeatable(t *testing.T) {
	p := newPod(api.RestartPolicyOnFailure, []api.Container{sidecar("proxy")}, "app", "web")
	b := NewBackoff(0, 0)
	at := t0.Add(time.Minute)
	first := snapshot(running("proxy"), exited("app", 1, at), running("web"))
	second := snapshot(restarted(exited("proxy", 1, at), 1, nil), restarted(exited("app", 1, at.Add(time.Second)), 1, nil), running("web"))
	for _, snap := range []PodSnapshot{first, second} {
		a := ComputeActions(p, snap, at.Add(time.Second), b)
		again := ComputeActions(p, snap, at.Add(time.Second), b)
		if !reflect.DeepEqual(a, again) {
			t.Errorf("first\n%s\nthen\n%s", fmtJSON(a), fmtJSON(again))
		}
	}
}

// Two containers in back-off: RetryAt is the earlier end.
func TestRetryAtIsTheEarliest(t *testing.T) {
	p := newPod(api.RestartPolicyAlways, nil, "app", "web")
	b := NewBackoff(0, 0)
	for _, name := range []string{"app", "web"} { // a first exit each, restarted
		b.Restart(testUID, name, t0, t0)
	}
	b.Restart(testUID, "web", t0.Add(time.Second), t0.Add(time.Minute)) // a second, restarted after 10 s
	at := t0.Add(2 * time.Minute)
	a := ComputeActions(p, snapshot(exited("app", 1, at), exited("web", 1, at)), at, b)
	if len(a.BackOff) != 2 || !a.RetryAt.Equal(at.Add(10*time.Second)) {
		t.Errorf("actions %s, want retry in 10s", fmtJSON(a))
	}
}

// A fresh pod: first the sandbox, then the containers.
func TestFirstSync(t *testing.T) {
	p := newPod(api.RestartPolicyAlways, nil, "app")
	a := ComputeActions(p, PodSnapshot{}, t0, nil)
	want := Actions{CreateSandbox: true}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("actions %s, want %s", fmtJSON(a), fmtJSON(want))
	}
	s := Status(p, PodSnapshot{}, a, t0)
	if s.Phase != api.PodPending || s.ContainerStatuses[0].State.Waiting.Reason != ReasonContainerCreating {
		t.Errorf("status %s", fmtJSON(s))
	}
	a = ComputeActions(p, snapshot(), t0, nil)
	expect(t, "sandbox ready", a, []string{"app"}, nil)
}
