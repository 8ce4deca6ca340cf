package checker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/paths"
)

// Lab 10: the life of a pod, as the podlet of the student's cluster runs
// it. The checks read the pods' status (phase, container states, restart
// counts, conditions) and Events from the API server, the hostPath files
// the hooks wrote on the node, and compare them with what Kubernetes does
// (SEMANTICS.md §2–4), not with what the lab printed. Those files are
// read from this machine, which holds them on the local cluster only: on
// a cluster of machines (Vagrant) they are on the nodes, and the checks
// that read them do not apply.

const (
	lab10NS   = "lab10"
	lab10Hint = "run the lab: sudo bin/lab10-pod-lifecycle --auto"
	// lab10Elsewhere is why the checks that read the hostPath files do
	// not apply on a cluster of machines.
	lab10Elsewhere = "it reads the files that pods' hooks wrote into a hostPath directory of their node, from this machine: it runs on the local cluster (sudo podlab up), whose nodes share this machine's files, not on a cluster of machines"
)

// lab10Dir is the node directory of the lab's hostPath volumes.
func lab10Dir() string { return filepath.Join(paths.Run(), "lab10") }

func lab10() []Check {
	return []Check{
		{ID: "10.phases", Lab: "10", Points: 2,
			Title: "pods of lab10 show the phases Running, Succeeded and Failed, each consistent with its containers' states",
			Run:   checkLab10Phases},
		{ID: "10.restart-policy", Lab: "10", Points: 4,
			Title: "every row of the restart-policy table (Always/OnFailure/Never × 1 or 2 containers × exit 0, exit 3, OOM) has the phase and restarts Kubernetes gives it",
			Run:   checkLab10RestartPolicy},
		{ID: "10.crashloop-backoff", Lab: "10", Points: 2,
			Title: "a crashing container waits in CrashLoopBackOff, and the waits between its restarts double",
			Run:   checkLab10Backoff},
		{ID: "10.hooks", Lab: "10", Points: 2,
			Title:         "postStart ran while the app waited for it; preStop ran before SIGTERM when the pod was deleted",
			NotApplicable: onlyOnLocalCluster(lab10Elsewhere),
			Run:           checkLab10Hooks},
		{ID: "10.graceful-termination", Lab: "10", Points: 2,
			Title: "on delete, a container that handles SIGTERM ends at once; one that ignores it is killed after the grace period (exit 137)",
			Run:   checkLab10Termination},
		{ID: "10.liveness", Lab: "10", Points: 2,
			Title: "a failing liveness probe got the container killed and restarted (events Unhealthy and Killing)",
			Run:   checkLab10Liveness},
		{ID: "10.readiness", Lab: "10", Points: 2,
			Title: "a readiness probe kept the pod's Ready condition False until it succeeded, without a restart",
			Run:   checkLab10Readiness},
		{ID: "10.exercise-prestop", Lab: "10", Points: 2, Exercise: true,
			Title:         "a pod of your own in lab10, now deleted, whose preStop hook wrote a file into " + filepath.Join("$PODLAB_RUN", "lab10", "exercise") + " as it was stopped",
			NotApplicable: onlyOnLocalCluster(lab10Elsewhere),
			Run:           checkLab10Exercise},
	}
}

// lab10Row is a row of the restart-policy table (SEMANTICS.md §2.3), as
// the checker knows it: the pod's spec and the outcome Kubernetes gives.
type lab10Row struct {
	pod      string
	policy   api.RestartPolicy
	commands []string // per container: what it runs, as "exit 0", "exit 3", "oom", "runs", "exit 0 later"
	phase    api.PodPhase
	restarts bool // the first container is restarted; else it ended once and stays ended
	reason   string
}

var lab10Table = []lab10Row{
	{"lab10-always-exit0", api.RestartPolicyAlways, []string{"exit 0"}, api.PodRunning, true, "Completed"},
	{"lab10-always-exit3", api.RestartPolicyAlways, []string{"exit 3"}, api.PodRunning, true, "Error"},
	{"lab10-always-oom", api.RestartPolicyAlways, []string{"oom"}, api.PodRunning, true, "OOMKilled"},
	{"lab10-onfailure-exit0", api.RestartPolicyOnFailure, []string{"exit 0"}, api.PodSucceeded, false, "Completed"},
	{"lab10-onfailure-exit3", api.RestartPolicyOnFailure, []string{"exit 3"}, api.PodRunning, true, "Error"},
	{"lab10-onfailure-oom", api.RestartPolicyOnFailure, []string{"oom"}, api.PodRunning, true, "OOMKilled"},
	{"lab10-never-exit0", api.RestartPolicyNever, []string{"exit 0"}, api.PodSucceeded, false, "Completed"},
	{"lab10-never-exit3", api.RestartPolicyNever, []string{"exit 3"}, api.PodFailed, false, "Error"},
	{"lab10-never-oom", api.RestartPolicyNever, []string{"oom"}, api.PodFailed, false, "OOMKilled"},
	{"lab10-always-two", api.RestartPolicyAlways, []string{"exit 3", "runs"}, api.PodRunning, true, "Error"},
	{"lab10-onfailure-two", api.RestartPolicyOnFailure, []string{"exit 3", "runs"}, api.PodRunning, true, "Error"},
	{"lab10-onfailure-two-a0", api.RestartPolicyOnFailure, []string{"exit 0", "runs"}, api.PodRunning, false, "Completed"},
	{"lab10-never-two", api.RestartPolicyNever, []string{"exit 3", "runs"}, api.PodRunning, false, "Error"},
	{"lab10-never-two-b0", api.RestartPolicyNever, []string{"exit 3", "exit 0 later"}, api.PodFailed, false, "Error"},
	{"lab10-never-two-a0-b0", api.RestartPolicyNever, []string{"exit 0", "exit 0 later"}, api.PodSucceeded, false, "Completed"},
}

// lab10Does tells what a container runs, in the words of lab10Row.
func lab10Does(c api.Container) string {
	cmd := strings.Join(append(slices.Clone(c.Command), c.Args...), " ")
	switch {
	case cmd == "sh -c exit 0":
		return "exit 0"
	case cmd == "sh -c exit 3":
		return "exit 3"
	case cmd == "sh -c sleep 2; exit 0":
		return "exit 0 later"
	case strings.Contains(cmd, "while true"):
		return "runs"
	}
	if _, mem, _ := c.Resources.Limits(); mem > 0 && (strings.HasPrefix(cmd, "dd ") || c.Image == "memhog") {
		return "oom"
	}
	return cmd
}

func lab10States(p *api.Pod) string {
	var out []string
	for _, s := range p.Status.ContainerStatuses {
		out = append(out, s.Summary())
	}
	return strings.Join(out, "; ")
}

// lab10RowOK judges one row: the spec is the row's, and the status shows
// what Kubernetes gives it.
func lab10RowOK(w lab10Row, p *api.Pod) (string, bool) {
	var does []string
	for _, c := range p.Spec.Containers {
		does = append(does, lab10Does(c))
	}
	ev := fmt.Sprintf("%s: restartPolicy %s, containers %v, phase %s; %s", w.pod, p.Spec.RestartPolicy, does, p.Status.Phase, lab10States(p))
	if p.Spec.RestartPolicy != w.policy || !slices.Equal(does, w.commands) || p.Status.Phase != w.phase ||
		len(p.Status.ContainerStatuses) != len(w.commands) || p.DeletionTimestamp != nil {
		return ev, false
	}
	first := p.Status.ContainerStatuses[0]
	if first.Name != p.Spec.Containers[0].Name {
		return ev, false
	}
	ended := first.State.Terminated
	if w.restarts {
		ended = first.LastTerminationState.Terminated
		if first.RestartCount < 1 {
			return ev, false
		}
	} else if first.RestartCount != 0 {
		return ev, false
	}
	if ended == nil || ended.Reason != w.reason {
		return ev, false
	}
	for _, s := range p.Status.ContainerStatuses[1:] {
		if s.RestartCount != 0 {
			return ev, false // the second container never fails
		}
	}
	return ev, true
}

func checkLab10RestartPolicy(ctx context.Context) Result {
	c, bad := connectCluster()
	if bad != nil {
		return *bad
	}
	var evidence []string
	ok := true
	for _, w := range lab10Table {
		p, bad := c.pod(ctx, lab10NS, w.pod, lab10Hint)
		if bad != nil {
			return fail(lab10Hint, append(evidence, bad.Evidence...)...)
		}
		ev, good := lab10RowOK(w, p)
		if !good {
			ev += fmt.Sprintf(" — want phase %s, %s", w.phase, map[bool]string{true: "the first container restarted", false: "no restart"}[w.restarts])
		}
		evidence = append(evidence, ev)
		ok = ok && good
	}
	return passIf(ok, "every row must show what its restartPolicy makes of its containers (SEMANTICS.md §2.3); "+lab10Hint, evidence...)
}

// lab10PhaseOK tells whether a pod's phase agrees with its containers'
// states, by the kubelet's rules (SEMANTICS.md §2.2).
func lab10PhaseOK(p *api.Pod) bool {
	var running, ended, failed int
	for _, s := range p.Status.ContainerStatuses {
		switch t := s.State.Terminated; {
		case s.State.Running != nil:
			running++
		case t != nil:
			ended++
			if t.ExitCode != 0 {
				failed++
			}
		}
	}
	n := len(p.Spec.Containers)
	switch p.Status.Phase {
	case api.PodSucceeded:
		return ended == n && failed == 0
	case api.PodFailed:
		return ended == n && failed > 0 && p.Spec.RestartPolicy != api.RestartPolicyAlways
	case api.PodRunning:
		return running > 0 || p.Spec.RestartPolicy != api.RestartPolicyNever
	}
	return false
}

func checkLab10Phases(ctx context.Context) Result {
	c, bad := connectCluster()
	if bad != nil {
		return *bad
	}
	list, _, err := c.api.Pods(lab10NS).List(ctx, client.ListOptions{LabelSelector: "lab10=restart-policy"})
	if err != nil {
		return fail(lab10Hint, err.Error())
	}
	seen := map[api.PodPhase][]string{}
	var evidence []string
	ok := true
	for _, p := range list {
		good := lab10PhaseOK(p)
		if good {
			seen[p.Status.Phase] = append(seen[p.Status.Phase], p.Name)
		} else {
			evidence = append(evidence, fmt.Sprintf("%s: phase %q does not agree with its containers: %s", p.Name, p.Status.Phase, lab10States(p)))
		}
		ok = ok && good
	}
	for _, phase := range []api.PodPhase{api.PodRunning, api.PodSucceeded, api.PodFailed} {
		evidence = append(evidence, fmt.Sprintf("%s: %s", phase, strings.Join(seen[phase], ", ")))
		ok = ok && len(seen[phase]) > 0
	}
	return passIf(ok, lab10Hint, evidence...)
}

var lab10BackOffMessage = regexp.MustCompile(`^back-off (\S+) restarting failed container`)

// checkLab10Backoff reads a crashing container's status. While it waits,
// its message names the next wait D; after n restarts with a first wait b
// doubling up to a cap, D = min(b·2^(n-1), cap), and the time from the
// pod's start to the last exit is the sum of the waits before: b(2^(n-1)-1)
// without the cap. A constant back-off, or none, gives other sums.
func checkLab10Backoff(ctx context.Context) Result {
	const name = "lab10-always-exit3"
	c, bad := connectCluster()
	if bad != nil {
		return *bad
	}
	var p *api.Pod
	var s api.ContainerStatus
	for try := 0; ; try++ { // the container runs for a moment between waits
		p, bad = c.pod(ctx, lab10NS, name, lab10Hint)
		if bad != nil {
			return *bad
		}
		if len(p.Status.ContainerStatuses) == 1 {
			s = p.Status.ContainerStatuses[0]
			if s.State.Waiting != nil || try == 10 {
				break
			}
		}
		if try == 10 {
			return fail(lab10Hint, name+": no container status")
		}
		time.Sleep(100 * time.Millisecond)
	}
	evidence := []string{fmt.Sprintf("%s: started %s; %s", name, p.Status.StartTime.Format(time.RFC3339Nano), s.Summary())}
	w, last := s.State.Waiting, s.LastTerminationState.Terminated
	if w == nil || w.Reason != "CrashLoopBackOff" || last == nil || s.RestartCount < 3 {
		return fail("the container must have restarted at least 3 times and be waiting in CrashLoopBackOff (about 30 s after the pod started); "+lab10Hint, evidence...)
	}
	evidence = append(evidence, "waiting: "+w.Message, "last exit: "+last.FinishedAt.Format(time.RFC3339Nano))
	m := lab10BackOffMessage.FindStringSubmatch(w.Message)
	next, err := time.ParseDuration(safeIndex(m, 1))
	if err != nil {
		return fail("the waiting message must name the back-off; "+lab10Hint, evidence...)
	}
	elapsed := last.FinishedAt.Sub(p.Status.StartTime)
	n := int(s.RestartCount)
	// Try each place the cap may have been reached at: at the last wait
	// (j = n-1: no cap seen), or earlier. b must be below D: it grew.
	for j := n - 1; j >= 1; j-- {
		b := next / time.Duration(1<<j)
		if b < 500*time.Millisecond {
			continue
		}
		var sum time.Duration
		for k := 0; k < n-1; k++ {
			sum += min(b*time.Duration(1<<k), next)
		}
		if elapsed >= sum*9/10 && elapsed <= sum*11/10+3*time.Second {
			evidence = append(evidence, fmt.Sprintf("%d restarts: waits of %v doubling (capped at %v) add up to %v; the last exit came %v after the start",
				n, b, next, sum, elapsed.Round(10*time.Millisecond)))
			return pass(evidence...)
		}
	}
	evidence = append(evidence, fmt.Sprintf("%d restarts in %v: not waits that double up to %v", n, elapsed.Round(10*time.Millisecond), next))
	return fail("the waits between restarts must double; "+lab10Hint, evidence...)
}

func safeIndex(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// lab10Events lists the events of one object in lab10, oldest first.
func lab10Events(ctx context.Context, c *cluster, name string) ([]*api.Event, error) {
	list, _, err := c.api.Events(lab10NS).List(ctx, client.ListOptions{FieldSelector: "involvedObject.name=" + name})
	slices.SortStableFunc(list, func(a, b *api.Event) int { return a.FirstTimestamp.Compare(b.FirstTimestamp) })
	return list, err
}

func lab10Find(events []*api.Event, reason string) *api.Event {
	for _, e := range events {
		if e.Reason == reason {
			return e
		}
	}
	return nil
}

func checkLab10Hooks(ctx context.Context) Result {
	const name = "lab10-hooks"
	c, bad := connectCluster()
	if bad != nil {
		return *bad
	}
	file := filepath.Join(lab10Dir(), "hooks", "order")
	data, err := os.ReadFile(file)
	if err != nil {
		return fail(lab10Hint, err.Error())
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		_, what, _ := strings.Cut(l, " ") // drop the time
		lines = append(lines, what)
	}
	evidence := []string{fmt.Sprintf("%s: %s", file, strings.Join(lines, " | "))}
	index := func(prefix string) int {
		return slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
	}
	post, found, pre, term := index("postStart:"), index("app: found"), index("preStop:"), index("app: got SIGTERM")
	_, err = c.api.Pods(lab10NS).Get(ctx, name)
	gone := client.IsNotFound(err)
	events, _ := lab10Events(ctx, c, name)
	killing := lab10Find(events, "Killing")
	evidence = append(evidence, fmt.Sprintf("pod %s gone from the API: %v; Killing event: %v; FailedPostStartHook or FailedPreStopHook: %v",
		name, gone, killing != nil, lab10Find(events, "FailedPostStartHook") != nil || lab10Find(events, "FailedPreStopHook") != nil))
	ok := post >= 0 && found >= post && pre >= found && term >= pre && gone && killing != nil &&
		lab10Find(events, "FailedPostStartHook") == nil && lab10Find(events, "FailedPreStopHook") == nil
	return passIf(ok, "the file must show postStart before the app found its file, and preStop before SIGTERM, of a deleted pod; "+lab10Hint, evidence...)
}

func checkLab10Termination(ctx context.Context) Result {
	c, bad := connectCluster()
	if bad != nil {
		return *bad
	}
	var evidence []string
	ok := true
	for _, name := range []string{"lab10-term-trap", "lab10-term-ignore"} {
		p, bad := c.pod(ctx, lab10NS, name, lab10Hint)
		if bad != nil {
			return *bad
		}
		events, _ := lab10Events(ctx, c, name)
		killing := lab10Find(events, "Killing")
		if p.DeletionTimestamp == nil || killing == nil || len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].State.Terminated == nil {
			evidence = append(evidence, fmt.Sprintf("%s: deleted %v, Killing event %v, %s", name, p.DeletionTimestamp != nil, killing != nil, lab10States(p)))
			ok = false
			continue
		}
		t := p.Status.ContainerStatuses[0].State.Terminated
		grace := time.Duration(api.DefaultTerminationGracePeriodSeconds) * time.Second
		if g := p.Spec.TerminationGracePeriodSeconds; g != nil {
			grace = time.Duration(*g) * time.Second
		}
		took := t.FinishedAt.Sub(killing.FirstTimestamp)
		evidence = append(evidence, fmt.Sprintf("%s: grace %v; Killing at %s, the container ended %v later, exit code %d (%s)",
			name, grace, killing.FirstTimestamp.Format("15:04:05.000"), took.Round(10*time.Millisecond), t.ExitCode, t.Reason))
		if name == "lab10-term-trap" {
			ok = ok && t.ExitCode == 0 && took < grace/2
		} else {
			// The node kills at deletionTimestamp, which the API keeps to the
			// second: the wait may be up to a second short of the grace
			// period, never shorter than the 2 s minimum (SEMANTICS.md §4.2).
			ok = ok && t.ExitCode == 137 && took >= min(grace, 2*time.Second)-500*time.Millisecond && took < grace+3*time.Second
		}
	}
	return passIf(ok, "delete both pods of termination.yaml (their finalizer keeps their last status); "+lab10Hint, evidence...)
}

func checkLab10Liveness(ctx context.Context) Result {
	const name = "lab10-liveness"
	c, p, bad := connectPod(ctx, lab10NS, name, lab10Hint)
	if bad != nil {
		return *bad
	}
	events, _ := lab10Events(ctx, c, name)
	unhealthy, killing := lab10Find(events, "Unhealthy"), lab10Find(events, "Killing")
	evidence := []string{name + ": " + lab10States(p)}
	for _, e := range []*api.Event{unhealthy, killing} {
		if e != nil {
			evidence = append(evidence, fmt.Sprintf("event %s (x%d): %s", e.Reason, e.Count, e.Message))
		}
	}
	s := p.Status.ContainerStatuses
	ok := len(p.Spec.Containers) == 1 && p.Spec.Containers[0].LivenessProbe != nil && len(s) == 1 && s[0].RestartCount >= 1 &&
		s[0].LastTerminationState.Terminated != nil && unhealthy != nil && strings.HasPrefix(unhealthy.Message, "Liveness probe failed") &&
		killing != nil && strings.Contains(killing.Message, "liveness")
	return passIf(ok, lab10Hint, evidence...)
}

func checkLab10Readiness(ctx context.Context) Result {
	const name = "lab10-readiness"
	_, p, bad := connectPod(ctx, lab10NS, name, lab10Hint)
	if bad != nil {
		return *bad
	}
	ready := podCondition(p, api.PodReady)
	s := p.Status.ContainerStatuses
	if ready == nil || len(s) != 1 || s[0].State.Running == nil || len(p.Spec.Containers) != 1 || p.Spec.Containers[0].ReadinessProbe == nil {
		return fail(lab10Hint, name+": "+lab10States(p))
	}
	late := ready.LastTransitionTime.Sub(s[0].State.Running.StartedAt)
	evidence := []string{fmt.Sprintf("%s: %s; Ready=%s since %s, %v after the container started; readiness probe %v",
		name, lab10States(p), ready.Status, ready.LastTransitionTime.Format("15:04:05.000"), late.Round(10*time.Millisecond),
		strings.Join(p.Spec.Containers[0].ReadinessProbe.Exec.Command, " "))}
	// Ready turned True well after the start: it was False until the probe passed.
	return passIf(ready.Status == api.ConditionTrue && s[0].Ready && s[0].RestartCount == 0 && late >= 2*time.Second, lab10Hint, evidence...)
}

// The exercise: a pod of the student's own in lab10 with a preStop hook
// that writes a file into the hostPath directory $PODLAB_RUN/lab10/
// exercise. The pod must be deleted (gone from the API), the node must
// have stopped it (a Killing event), and a file in the directory must have
// been written after the Killing event, within the pod's last seconds.
func checkLab10Exercise(ctx context.Context) Result {
	dir := filepath.Join(lab10Dir(), "exercise")
	hint := "in namespace lab10, run a pod with a hostPath volume " + dir + " (type DirectoryOrCreate) and a preStop hook that writes a file into it, then delete the pod: see labs/10-pod-lifecycle, solution.sh"
	c, bad := connectCluster()
	if bad != nil {
		return *bad
	}
	nsObj, err := c.api.Namespaces().Get(ctx, lab10NS)
	if err != nil {
		return fail(hint, fmt.Sprintf("namespace %s: %v", lab10NS, err))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fail(hint, err.Error())
	}
	events, _, err := c.api.Events(lab10NS).List(ctx, client.ListOptions{})
	if err != nil {
		return fail(hint, err.Error())
	}
	labPods := []string{"lab10-hooks", "lab10-term-trap", "lab10-term-ignore", "lab10-liveness", "lab10-readiness"}
	for _, w := range lab10Table {
		labPods = append(labPods, w.pod)
	}
	var evidence []string
	for _, e := range events {
		pod := e.InvolvedObject.Name
		if e.Reason != "Killing" || e.InvolvedObject.Kind != "Pod" || slices.Contains(labPods, pod) {
			continue
		}
		if _, err := c.api.Pods(lab10NS).Get(ctx, pod); !client.IsNotFound(err) {
			evidence = append(evidence, fmt.Sprintf("pod %s was stopped at %s but is still in the API: delete it", pod, e.FirstTimestamp.Format("15:04:05.000")))
			continue
		}
		for _, f := range entries {
			info, err := f.Info()
			if err != nil || !info.Mode().IsRegular() || info.Size() == 0 || info.ModTime().Before(nsObj.CreationTimestamp) {
				continue
			}
			if d := info.ModTime().Sub(e.FirstTimestamp); d >= -time.Second && d < 35*time.Second {
				return pass(fmt.Sprintf("pod %s: stopped by its node at %s (Killing), now gone from the API", pod, e.FirstTimestamp.Format("15:04:05.000")),
					fmt.Sprintf("%s: %d bytes, written at %s, %v after the stop began", filepath.Join(dir, f.Name()), info.Size(), info.ModTime().Format("15:04:05.000"), d.Round(10*time.Millisecond)))
			}
			evidence = append(evidence, fmt.Sprintf("%s was written at %s, not while pod %s was stopped (%s)", f.Name(), info.ModTime().Format("15:04:05.000"), pod, e.FirstTimestamp.Format("15:04:05.000")))
		}
	}
	if len(evidence) == 0 {
		evidence = append(evidence, fmt.Sprintf("%d file(s) in %s; no deleted pod of your own in %s was stopped by its node", len(entries), dir, lab10NS))
	}
	return fail(hint, evidence...)
}
