package podlet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

// Probes and lifecycle hooks in the pod sync loop, for real (SEMANTICS.md
// §4), on the node of pods_linux_test.go. Probe periods are whole
// seconds, so the cases run side by side, each with a pod of its own.
// What happens inside a container shows on the host through a hostPath
// volume in the test's directory.
func TestPodProbesAndHooks(t *testing.T) {
	e := newPodletEnv(t)
	e.startPodlet()
	for _, tc := range []struct {
		name string
		test func(*podletEnv, *testing.T)
	}{
		{"LivenessRestarts", (*podletEnv).testLiveness},
		{"ReadinessDrivesReady", (*podletEnv).testReadiness},
		{"StartupHoldsLivenessBack", (*podletEnv).testStartup},
		{"PostStartBlocks", (*podletEnv).testPostStart},
		{"PostStartFails", (*podletEnv).testPostStartFails},
		{"PostStartCutByDelete", (*podletEnv).testPostStartCutByDelete},
		{"PreStopBeforeSIGTERM", (*podletEnv).testPreStop},
		{"PreStopOutlastsGrace", (*podletEnv).testPreStopOutlastsGrace},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.test(e, t)
		})
	}
}

// testLiveness: a liveness probe that fails gets the container killed,
// with the probe's own grace period (2 s here, not the pod's 60 s), and
// restarted.
func (e *podletEnv) testLiveness(t *testing.T) {
	pod := e.createPod(t, `
apiVersion: v1
kind: Pod
metadata: {name: liveness}
spec:
  terminationGracePeriodSeconds: 60
  containers:
  - name: app
    image: busybox
    command: [sh, -c, "touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 3600"]
    livenessProbe:
      exec: {command: [cat, /tmp/healthy]}
      initialDelaySeconds: 1
      periodSeconds: 1
      failureThreshold: 1
      terminationGracePeriodSeconds: 1
`)
	p := e.waitPod(t, "liveness", "restarted", func(p *api.Pod) bool {
		return app(p).RestartCount >= 1 && app(p).State.Running != nil
	})
	if last := app(p).LastTerminationState.Terminated; last == nil || last.ExitCode != 137 {
		t.Errorf("last state, want killed:\n%s", toJSON(app(p)))
	}
	if took := app(p).State.Running.StartedAt.Sub(pod.CreationTimestamp); took > 15*time.Second {
		t.Errorf("restarted %v after the pod was made: not with the probe's grace period", took)
	}
	e.waitEventWith(t, pod, "Unhealthy", `Liveness probe failed: command "cat /tmp/healthy" exited with code 1`)
	e.waitEventWith(t, pod, "Killing", "Container app failed liveness probe, will be restarted")
	e.deleteNow(t, "liveness")
}

// testReadiness: a readiness probe decides the container's ready and the
// pod's Ready condition, both ways, and restarts nothing. httpd serves a
// directory of the host: the test makes the page appear and go.
func (e *podletEnv) testReadiness(t *testing.T) {
	www := e.hostDir(t, "www")
	pod := e.createPod(t, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: readiness}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{name: www, hostPath: {path: %s}}]
  containers:
  - name: app
    image: busybox
    command: [httpd, -f, -p, "8080", -h, /www]
    volumeMounts: [{name: www, mountPath: /www}]
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
      periodSeconds: 1
      failureThreshold: 1
`, www))
	ready := func(want bool) func(*api.Pod) bool {
		return func(p *api.Pod) bool {
			return app(p).State.Running != nil && app(p).Ready == want &&
				podCondition(p, api.PodReady) == conditionStatus(want) && podCondition(p, api.ContainersReady) == conditionStatus(want)
		}
	}
	e.waitPod(t, "readiness", "running, not ready", ready(false))
	// Failing from the first attempt, the result never changed: still, as
	// with the kubelet, every failed attempt is an Unhealthy event.
	e.waitEventWith(t, pod, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 404")
	if err := os.WriteFile(filepath.Join(www, "ready"), []byte("ok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.waitPod(t, "readiness", "ready once the page is there", ready(true))
	if err := os.Remove(filepath.Join(www, "ready")); err != nil {
		t.Fatal(err)
	}
	p := e.waitPod(t, "readiness", "not ready once the page is gone", ready(false))
	if app(p).RestartCount != 0 {
		t.Errorf("a readiness probe restarted the container:\n%s", toJSON(app(p)))
	}
	e.deleteNow(t, "readiness")
}

// testStartup: until the startup probe succeeds the container is not
// started, nor ready, and its liveness probe, which would fail, waits.
func (e *podletEnv) testStartup(t *testing.T) {
	pod := e.createPod(t, `
apiVersion: v1
kind: Pod
metadata: {name: startup}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: busybox
    command: [sh, -c, "sleep 3; touch /tmp/started; exec sleep 3600"]
    startupProbe: {exec: {command: [cat, /tmp/started]}, periodSeconds: 1, failureThreshold: 10}
    livenessProbe: {exec: {command: [cat, /tmp/started]}, periodSeconds: 1, failureThreshold: 1}
`)
	e.waitPod(t, "startup", "running, not started", func(p *api.Pod) bool {
		cs := app(p)
		return cs.State.Running != nil && cs.Started != nil && !*cs.Started && !cs.Ready
	})
	e.waitPod(t, "startup", "started and ready", func(p *api.Pod) bool {
		cs := app(p)
		return cs.Started != nil && *cs.Started && cs.Ready && podCondition(p, api.PodReady) == api.ConditionTrue
	})
	time.Sleep(1500 * time.Millisecond) // the liveness probe runs now, and passes
	p := e.waitPod(t, "startup", "", func(*api.Pod) bool { return true })
	if app(p).RestartCount != 0 || app(p).State.Running == nil {
		t.Errorf("restarted: the liveness probe did not wait for the startup probe:\n%s", toJSON(app(p)))
	}
	e.noEvent(t, pod, "Killing")
	e.deleteNow(t, "startup")
}

// testPostStart: the container whose postStart hook runs is not reported
// running, and the next container does not start, until the hook is done.
// The hook writes a file that its container's command waits for.
func (e *podletEnv) testPostStart(t *testing.T) {
	dir := e.hostDir(t, "poststart")
	e.createPod(t, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: poststart}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{name: host, hostPath: {path: %s}}]
  containers:
  - name: first
    image: busybox
    command: [sh, -c, "until [ -e /host/hooked ]; do sleep 0.1; done; touch /host/first; exec sleep 3600"]
    volumeMounts: [{name: host, mountPath: /host}]
    lifecycle:
      postStart: {exec: {command: [sh, -c, "sleep 1; touch /host/hooked"]}}
  - name: second
    image: busybox
    command: [sh, -c, "touch /host/second; exec sleep 3600"]
    volumeMounts: [{name: host, mountPath: /host}]
`, dir))
	e.waitPod(t, "poststart", "first running", func(p *api.Pod) bool { return app(p).State.Running != nil })
	hooked := mtime(t, filepath.Join(dir, "hooked")) // the hook was done when the container showed running
	p := e.waitPod(t, "poststart", "Running", phaseIs(api.PodRunning))
	if second := mtime(t, filepath.Join(dir, "second")); second.Before(hooked) {
		t.Errorf("the second container started %v before the first's postStart hook was done", hooked.Sub(second))
	}
	waitFile(t, filepath.Join(dir, "first")) // the command saw what its hook wrote
	if app(p).RestartCount != 0 {
		t.Errorf("restarted:\n%s", toJSON(p.Status))
	}
	e.deleteNow(t, "poststart")
}

// testPostStartCutByDelete: a postStart hook that never returns holds
// the pod back, but not its deletion: deleting the pod ends the hook, the
// container is killed within the grace period and the pod is gone.
func (e *podletEnv) testPostStartCutByDelete(t *testing.T) {
	dir := e.hostDir(t, "poststartcut")
	pod := e.createPod(t, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: poststartcut}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: host, hostPath: {path: %s}}]
  containers:
  - name: app
    image: busybox
    command: [sleep, "3600"]
    volumeMounts: [{name: host, mountPath: /host}]
    lifecycle:
      postStart: {exec: {command: [sh, -c, "touch /host/hooking; exec sleep 3600"]}}
`, dir))
	waitFile(t, filepath.Join(dir, "hooking"))
	start := time.Now()
	e.delete(t, "poststartcut")
	e.waitGone(t, "poststartcut", 15*time.Second)
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("the pod went %v after its delete, with a grace period of 1 s", took)
	}
	e.waitNoSandbox(t, pod.UID)
}

// testPostStartFails: a failed postStart hook kills the container, which
// restarts as its restartPolicy says.
func (e *podletEnv) testPostStartFails(t *testing.T) {
	pod := e.createPod(t, `
apiVersion: v1
kind: Pod
metadata: {name: poststartfails}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: busybox
    command: [sh, -c, "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
    lifecycle:
      postStart: {exec: {command: [sh, -c, "echo no way; exit 3"]}}
`)
	p := e.waitPod(t, "poststartfails", "restarted", func(p *api.Pod) bool { return app(p).RestartCount >= 1 })
	if app(p).Started != nil && *app(p).Started || app(p).Ready {
		t.Errorf("a container whose postStart hook fails is reported started or ready:\n%s", toJSON(app(p)))
	}
	e.waitEventWith(t, pod, "FailedPostStartHook", `command "sh -c echo no way; exit 3" exited with code 3: "no way"`)
	e.deleteNow(t, "poststartfails")
}

// preStopPod is a pod whose container runs preStop on a delete, then
// takes SIGTERM: both leave a file in dir, whose times tell the order.
func preStopPod(name, dir string, grace int, preStop string) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  terminationGracePeriodSeconds: %d
  volumes: [{name: host, hostPath: {path: %s}}]
  containers:
  - name: app
    image: busybox
    command: [sh, -c, "trap 'touch /host/sigterm; exit 0' TERM; while :; do sleep 0.1; done"]
    volumeMounts: [{name: host, mountPath: /host}]
    lifecycle:
      preStop: {exec: {command: [sh, -c, "touch /host/prestop; %s"]}}
`, name, grace, dir, preStop)
}

// testPreStop: a graceful delete runs the preStop hook to its end, then
// sends SIGTERM.
func (e *podletEnv) testPreStop(t *testing.T) {
	dir := e.hostDir(t, "prestop")
	pod := e.createPod(t, preStopPod("prestop", dir, 10, "sleep 1"))
	e.waitPod(t, "prestop", "Running", phaseIs(api.PodRunning))
	e.delete(t, "prestop")
	e.waitGone(t, "prestop", 10*time.Second)
	gap := mtime(t, filepath.Join(dir, "sigterm")).Sub(mtime(t, filepath.Join(dir, "prestop")))
	if gap < 900*time.Millisecond || gap > 5*time.Second {
		t.Errorf("SIGTERM came %v after the preStop hook began, want after its 1 s", gap)
	}
	e.waitEvent(t, pod, "Killing")
	e.noEvent(t, pod, "FailedPreStopHook")
}

// testPreStopOutlastsGrace: a preStop hook is cut short when the grace
// period ends; the container still gets SIGTERM, and 2 s to act on it.
func (e *podletEnv) testPreStopOutlastsGrace(t *testing.T) {
	dir := e.hostDir(t, "prestopgrace")
	pod := e.createPod(t, preStopPod("prestopgrace", dir, 2, "sleep 30"))
	e.waitPod(t, "prestopgrace", "Running", phaseIs(api.PodRunning))
	e.delete(t, "prestopgrace")
	e.waitGone(t, "prestopgrace", 10*time.Second)
	// The trap ran: the container had its SIGTERM, not a SIGKILL at once.
	gap := mtime(t, filepath.Join(dir, "sigterm")).Sub(mtime(t, filepath.Join(dir, "prestop")))
	if gap < time.Second || gap > 4*time.Second {
		t.Errorf("SIGTERM came %v after the preStop hook began, want when the 2 s grace period ended", gap)
	}
	e.waitEventWith(t, pod, "FailedPreStopHook", "context deadline exceeded")
}

// hostDir makes a directory of the host for a hostPath volume.
func (e *podletEnv) hostDir(t *testing.T, name string) string {
	dir := filepath.Join(e.dir, "volumes", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// delete deletes pod name gracefully.
func (e *podletEnv) delete(t *testing.T, name string) {
	t.Helper()
	if _, err := e.client.Pods(api.NamespaceDefault).Delete(context.Background(), name, client.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// deleteNow deletes pod name with grace 0, as the clean-up does: one
// case's pod stops probing while the others go on.
func (e *podletEnv) deleteNow(t *testing.T, name string) {
	t.Helper()
	if _, err := e.client.Pods(api.NamespaceDefault).Delete(context.Background(), name,
		client.DeleteOptions{GracePeriodSeconds: new(int64(0))}); err != nil {
		t.Fatal(err)
	}
}

// events lists the Events of pod.
func (e *podletEnv) events(t *testing.T, pod *api.Pod) []*api.Event {
	t.Helper()
	events, _, err := e.client.Events(api.NamespaceDefault).List(context.Background(),
		client.ListOptions{FieldSelector: "involvedObject.uid=" + pod.UID})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// waitEventWith waits for an Event of reason about pod whose message
// holds text.
func (e *podletEnv) waitEventWith(t *testing.T, pod *api.Pod, reason, text string) {
	t.Helper()
	var seen []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		seen = seen[:0]
		for _, ev := range e.events(t, pod) {
			if ev.Reason == reason && strings.Contains(ev.Message, text) {
				return
			}
			seen = append(seen, ev.Reason+": "+ev.Message)
		}
	}
	t.Errorf("events of pod %s:\n%s\nwant a %s with %q", pod.Name, strings.Join(seen, "\n"), reason, text)
}

// noEvent checks that pod has no Event of reason.
func (e *podletEnv) noEvent(t *testing.T, pod *api.Pod, reason string) {
	t.Helper()
	for _, ev := range e.events(t, pod) {
		if ev.Reason == reason {
			t.Errorf("event %s: %s", ev.Reason, ev.Message)
		}
	}
}

// mtime is when the file at path was last written.
func mtime(t *testing.T, path string) time.Time {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.ModTime()
}

// waitFile waits for the file at path to exist.
func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Errorf("no %s after 5s", path)
}
