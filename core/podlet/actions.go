package podlet

import (
	"fmt"
	"slices"
	"time"

	"github.com/podlab/podlab/core/api"
)

// What the node does next for a pod: the kubelet's computePodActions, cut
// to what podlab models. ComputeActions only decides; the podlet does what
// it says, then takes a new snapshot and asks again (level-triggered, as
// every sync in podlab).

// Actions is what to do for a pod in one sync, in this order: Kill, then
// CreateSandbox or KillSandbox, then Start.
type Actions struct {
	// Kill lists the containers to stop now, all at once.
	Kill []Kill
	// CreateSandbox asks to (re)create the pod's sandbox (the pause
	// process and the network), once Kill is done, and sync again: the
	// containers of the old sandbox are gone, and the init containers run
	// again in the new one.
	CreateSandbox bool
	// KillSandbox asks to stop the sandbox: nothing runs in it and nothing
	// will. A pod being deleted may then be removed from the API server.
	KillSandbox bool
	// Start lists the containers to start now, in this order.
	Start []Start
	// BackOff lists the containers the node would restart but for their
	// back-off; RetryAt is when the first back-off ends (zero if none):
	// sync the pod again then.
	BackOff []BackOff
	RetryAt time.Time
	// Finished is true when the pod will start no container again: its app
	// containers ran to completion and the restartPolicy restarts none, a
	// regular init container failed under restartPolicy Never, its phase
	// is terminal, or it is being deleted. Kill and KillSandbox then stop
	// what is left: app containers first, then sidecars one by one, the
	// last declared first (SEMANTICS.md §3.2).
	Finished bool
}

// Start is a container to start, with what its new instance reports.
type Start struct {
	Name string
	Init bool // an init container (regular or sidecar)
	// RestartCount and LastTermination go with the new instance, into its
	// ContainerSnapshot: 0 and nil for the first, else one more than the
	// instance before and how that one ended.
	RestartCount    int32
	LastTermination *api.ContainerStateTerminated
}

// Kill is a container to stop: SIGTERM, then SIGKILL after GracePeriod
// (SEMANTICS.md §4.2).
type Kill struct {
	Name        string
	Message     string // for the Killing event, like "Stopping container app"
	GracePeriod time.Duration
}

// BackOff is a container that waits out its restart back-off
// (SEMANTICS.md §2.4). Its status is Waiting, reason CrashLoopBackOff,
// with Message.
type BackOff struct {
	Name    string
	RetryAt time.Time
	Message string // "back-off 20s restarting failed container=app pod=web_default(<uid>)"
}

// minimumGracePeriod is the least time a container gets to stop, as in
// the kubelet: a SIGTERM always comes before the SIGKILL.
const minimumGracePeriod = 2 * time.Second

// ComputeActions returns what the node does next for pod, given snap, the
// time now and the node's restart back-off (nil: restart at once).
// Restarts follow the pod's restartPolicy (SEMANTICS.md §2.3; sidecars
// always restart, §3.2) and wait out the back-off; a container that has
// not run in this sandbox starts at once.
//
// A restart that ComputeActions returns is recorded in backoff: start it.
// Asking again about the same exit gives the same answer.
func ComputeActions(pod *api.Pod, snap PodSnapshot, now time.Time, backoff *Backoff) Actions {
	p := &planner{pod: pod, snap: snap, now: now, backoff: backoff}
	switch {
	case pod.DeletionTimestamp != nil, isTerminal(pod.Status.Phase), p.ranToCompletion():
		p.finish()
	case !snap.SandboxReady:
		p.replaceSandbox()
	default:
		if p.initialize() {
			for i := range pod.Spec.Containers {
				p.keep(&pod.Spec.Containers[i], false)
			}
		}
	}
	return p.actions
}

// planner builds the Actions of one sync.
type planner struct {
	pod     *api.Pod
	snap    PodSnapshot
	now     time.Time
	backoff *Backoff
	actions Actions
}

// instance returns the latest instance of container name, or nil.
func (p *planner) instance(name string) *ContainerSnapshot {
	if s, ok := p.snap.Containers[name]; ok {
		return &s
	}
	return nil
}

// restarts reports whether the pod's restartPolicy restarts an app
// container that exited with exitCode (SEMANTICS.md §2.3).
func restarts(policy api.RestartPolicy, exitCode int32) bool {
	switch policy {
	case api.RestartPolicyNever:
		return false
	case api.RestartPolicyOnFailure:
		return exitCode != 0
	}
	return true // Always, the default
}

// ranToCompletion reports whether every app container has run and exited,
// never to be restarted (restartPolicy OnFailure or Never).
func (p *planner) ranToCompletion() bool {
	for _, c := range p.pod.Spec.Containers {
		s := p.instance(c.Name)
		if s == nil || !s.exited() || restarts(p.pod.Spec.RestartPolicy, s.exitCode()) {
			return false
		}
	}
	return true
}

// replaceSandbox handles a pod whose sandbox is missing or broken: stop its
// containers and make a new sandbox, in which everything runs again; but a
// pod with restartPolicy Never whose containers have run is finished, as
// in the kubelet.
func (p *planner) replaceSandbox() {
	if p.pod.Spec.RestartPolicy == api.RestartPolicyNever && len(p.snap.Containers) > 0 {
		p.finish()
		return
	}
	for _, c := range p.pod.AllContainers() {
		p.kill(c.Name, "", p.gracePeriod())
	}
	p.actions.CreateSandbox = true
}

// initialize walks the init containers (SEMANTICS.md §3): one at a time, in
// order, each regular one to a successful exit, each sidecar until it is
// started. It returns true once they have all done their part and the app
// containers may run. The furthest init container with an instance shows
// how far the walk got: those before it have done their part already, and
// only their sidecars need keeping alive.
func (p *planner) initialize() bool {
	inits := p.pod.Spec.InitContainers
	if p.anyAppInstance() { // initialized in this sandbox already
		for i := range inits {
			p.keepSidecar(&inits[i])
		}
		return true
	}
	last := -1
	for i := range inits {
		if p.instance(inits[i].Name) != nil {
			last = i
		}
	}
	for i := range last {
		p.keepSidecar(&inits[i])
	}
	if last < 0 {
		return p.startInit(0)
	}
	if p.advanceInit(&inits[last]) {
		return p.startInit(last + 1)
	}
	return false
}

// startInit starts init container i, or returns true if there is none.
func (p *planner) startInit(i int) bool {
	if i == len(p.pod.Spec.InitContainers) {
		return true
	}
	p.start(p.pod.Spec.InitContainers[i].Name, true)
	return false
}

// anyAppInstance reports whether an app container has an instance in this
// sandbox: the init containers have done their part.
func (p *planner) anyAppInstance() bool {
	for _, c := range p.pod.Spec.Containers {
		if p.instance(c.Name) != nil {
			return true
		}
	}
	return false
}

// advanceInit looks after the furthest init container c that has an
// instance, and reports whether it has done its part: a regular one exited
// 0, a sidecar started. A regular one that failed restarts with back-off,
// or, under restartPolicy Never, fails the pod.
func (p *planner) advanceInit(c *api.Container) bool {
	s := p.instance(c.Name)
	switch {
	case s.running():
		p.killIfUnhealthy(c)
		return c.IsSidecar() && s.started()
	case !s.exited(): // created, but it did not start: try again
		p.start(c.Name, true)
	case c.IsSidecar():
		p.restart(c.Name, true, s)
	case s.exitCode() == 0:
		return true
	case p.pod.Spec.RestartPolicy == api.RestartPolicyNever:
		p.finish()
	default:
		p.restart(c.Name, true, s)
	}
	return false
}

// keepSidecar keeps a sidecar running, once it has done its part in the
// initialization; regular init containers are left alone.
func (p *planner) keepSidecar(c *api.Container) {
	if c.IsSidecar() {
		p.keep(c, true)
	}
}

// keep looks after an app container or a started sidecar: start it if it
// has no instance yet, kill it if a probe says so, restart it once it has
// exited if its restart policy says so (sidecars: always).
func (p *planner) keep(c *api.Container, init bool) {
	s := p.instance(c.Name)
	switch {
	case s == nil, !s.running() && !s.exited():
		p.start(c.Name, init)
	case s.running():
		p.killIfUnhealthy(c)
	case c.IsSidecar() || restarts(p.pod.Spec.RestartPolicy, s.exitCode()):
		p.restart(c.Name, init, s)
	}
}

// finish stops what still runs of a pod that will start nothing again: the
// app containers and a regular init container all at once; after them the
// sidecars, one at a time, the last declared first (SEMANTICS.md §3.2);
// the sandbox once nothing runs.
func (p *planner) finish() {
	p.actions = Actions{Finished: true} // drops what was planned before
	for _, c := range p.pod.AllContainers() {
		if !c.IsSidecar() {
			p.kill(c.Name, "", p.gracePeriod())
		}
	}
	inits := p.pod.Spec.InitContainers
	for i := len(inits) - 1; i >= 0 && len(p.actions.Kill) == 0; i-- {
		if inits[i].IsSidecar() {
			p.kill(inits[i].Name, "", p.gracePeriod())
		}
	}
	p.actions.KillSandbox = len(p.actions.Kill) == 0
}

// kill stops container name if it runs, with grace, saying why (default:
// "Stopping container <name>").
func (p *planner) kill(name, message string, grace time.Duration) {
	if s := p.instance(name); s == nil || !s.running() {
		return
	}
	if message == "" {
		message = fmt.Sprintf("Stopping container %s", name)
	}
	p.actions.Kill = append(p.actions.Kill, Kill{Name: name, Message: message, GracePeriod: grace})
}

// killIfUnhealthy kills container c if a probe has asked for it.
func (p *planner) killIfUnhealthy(c *api.Container) {
	if message, ok := p.snap.Unhealthy[c.Name]; ok {
		p.kill(c.Name, message, p.probeGracePeriod(c))
	}
}

// probeGracePeriod is how long container c gets to stop when its failed
// probe kills it: the terminationGracePeriodSeconds of that probe, if it
// has one, else the pod's (SEMANTICS.md §4.2). The probe that failed is
// the startup probe while the container has not started, else the
// liveness probe (it runs only once the startup probe has succeeded).
func (p *planner) probeGracePeriod(c *api.Container) time.Duration {
	probe := c.LivenessProbe
	if s := p.instance(c.Name); s != nil && !s.started() {
		probe = c.StartupProbe
	}
	if probe == nil || probe.TerminationGracePeriodSeconds == nil {
		return p.gracePeriod()
	}
	return max(time.Duration(*probe.TerminationGracePeriodSeconds)*time.Second, minimumGracePeriod)
}

// gracePeriod is how long a container gets to stop: what is left until
// the deletionTimestamp of a pod being deleted, else the pod's
// terminationGracePeriodSeconds (default 30); never less than 2 s.
func (p *planner) gracePeriod() time.Duration {
	grace := time.Duration(api.DefaultTerminationGracePeriodSeconds) * time.Second
	switch {
	case p.pod.DeletionTimestamp != nil:
		grace = p.pod.DeletionTimestamp.Sub(p.now)
	case p.pod.Spec.TerminationGracePeriodSeconds != nil:
		grace = time.Duration(*p.pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return max(grace, minimumGracePeriod)
}

// restart starts container name again after its instance s exited, unless
// its back-off has not elapsed: then it waits, in CrashLoopBackOff.
func (p *planner) restart(name string, init bool, s *ContainerSnapshot) {
	if p.backoff != nil {
		ok, retryAt, delay := p.backoff.Restart(p.pod.UID, name, s.FinishedAt, p.now)
		if !ok {
			p.wait(BackOff{Name: name, RetryAt: retryAt, Message: fmt.Sprintf(
				"back-off %s restarting failed container=%s pod=%s_%s(%s)", delay, name, p.pod.Name, p.pod.Namespace, p.pod.UID)})
			return
		}
	}
	p.start(name, init)
}

// wait records a back-off and keeps RetryAt at the earliest one.
func (p *planner) wait(b BackOff) {
	p.actions.BackOff = append(p.actions.BackOff, b)
	if p.actions.RetryAt.IsZero() || b.RetryAt.Before(p.actions.RetryAt) {
		p.actions.RetryAt = b.RetryAt
	}
}

// start starts container name, counting the restart.
func (p *planner) start(name string, init bool) {
	count, last := p.nextInstance(name)
	p.actions.Start = append(p.actions.Start, Start{Name: name, Init: init, RestartCount: count, LastTermination: last})
}

// nextInstance returns the restart count and the last termination of the
// next instance of container name: from its instance in this sandbox, or
// else from what was reported of it, so that the count goes on in a new
// sandbox.
func (p *planner) nextInstance(name string) (int32, *api.ContainerStateTerminated) {
	if s := p.instance(name); s != nil {
		if t := s.terminated(); t != nil {
			return s.RestartCount + 1, t
		}
		return s.RestartCount, s.LastTermination // never ran: the same attempt
	}
	old := findStatus(slices.Concat(p.pod.Status.InitContainerStatuses, p.pod.Status.ContainerStatuses), name)
	switch {
	case old == nil:
		return 0, nil
	case old.State.Terminated != nil:
		return old.RestartCount + 1, old.State.Terminated
	case old.State.Running != nil: // gone with its sandbox, nobody saw how
		return old.RestartCount + 1, lostTermination()
	case old.LastTerminationState.Terminated != nil: // was waiting to restart
		return old.RestartCount + 1, old.LastTerminationState.Terminated
	}
	return old.RestartCount, nil
}
