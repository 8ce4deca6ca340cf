package podlet

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/hooks"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/runtime"
)

// The seams of the sync loop for hooks and probes (pods_hooks_linux.go),
// filled in with core/hooks: LifecycleHooks runs the postStart and
// preStop hooks, Probes keeps a hooks.Manager per pod. Both reach a
// container through a hooks.Target: the pod's IP for httpGet and
// tcpSocket handlers, the runtime's ExecOutput for exec handlers.

// ContainerExec is what the hooks and the probes need of the runtime:
// *runtime.Runtime is one.
type ContainerExec interface {
	ContainerState(ps *runtime.PodState, container string) (*runtime.State, error)
	ExecOutput(ctx context.Context, st *runtime.State, argv ...string) (string, int, error)
}

// LifecycleHooks runs the postStart and preStop hooks of containers with
// core/hooks: the Hooks of PodsConfig. The sync loop records the
// FailedPostStartHook and FailedPreStopHook events, kills a container
// whose postStart failed, and bounds a preStop by the grace period.
type LifecycleHooks struct{ Runtime ContainerExec }

// PostStart runs the postStart hook of container c, instance st.
func (h LifecycleHooks) PostStart(ctx context.Context, ps *runtime.PodState, c *api.Container, st *runtime.State) error {
	if c.Lifecycle == nil {
		return nil
	}
	return hooks.Run(ctx, c.Lifecycle.PostStart, c, h.target(ps, st))
}

// PreStop runs the preStop hook of container c, instance st.
func (h LifecycleHooks) PreStop(ctx context.Context, ps *runtime.PodState, c *api.Container, st *runtime.State) error {
	if c.Lifecycle == nil {
		return nil
	}
	return hooks.Run(ctx, c.Lifecycle.PreStop, c, h.target(ps, st))
}

func (h LifecycleHooks) target(ps *runtime.PodState, st *runtime.State) hooks.Target {
	t := nodeTarget(ps)
	t.Exec = func(ctx context.Context, argv []string) (string, int, error) {
		return h.Runtime.ExecOutput(ctx, st, argv...)
	}
	return t
}

// Probes runs the startup, liveness and readiness probes of the pods'
// containers with core/hooks, one hooks.Manager per pod: the Prober of
// PodsConfig. Every failed attempt of a probe records an Unhealthy event
// with Kubernetes' message ("Liveness probe failed: ..."), as the
// kubelet does, even when the result stays what it was (a readiness
// probe failing from the start); the Event recorder counts repeats.
type Probes struct {
	runtime  ContainerExec
	recorder EventRecorder

	mu       sync.Mutex
	pods     map[string]*podProbes // by pod uid
	changed  map[string]bool       // pod uids whose results changed, for Run to hand on
	wake     chan struct{}         // tells Run that changed has uids
	stopping bool                  // Run has returned: no more probing
}

// podProbes are the probes of one pod.
type podProbes struct {
	*hooks.Manager
	// pod is the latest copy of the pod a sync passed, for the events the
	// probing goroutines record.
	pod atomic.Pointer[api.Pod]
}

// NewProbes returns the probes of a node whose containers run in rt;
// their events go to recorder (nil: none).
func NewProbes(rt ContainerExec, recorder EventRecorder) *Probes {
	if recorder == nil {
		recorder = noEvents{}
	}
	return &Probes{runtime: rt, recorder: recorder, pods: map[string]*podProbes{},
		changed: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// Run hands each pod whose probe results changed to changed, until ctx
// ends; then it stops every probe. The probing goroutines only mark the
// pod: a pod that changes again before Run looks is synced once.
func (p *Probes) Run(ctx context.Context, changed func(podUID string)) {
	defer p.stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		}
		p.mu.Lock()
		uids := p.changed
		p.changed = map[string]bool{}
		p.mu.Unlock()
		for uid := range uids {
			changed(uid)
		}
	}
}

// Results starts probing the running instances of pod's containers,
// stops probing those that no longer run, and fills snap in with what the
// probes say (see Prober). Every running instance is added before the
// results are read: a container restarted since the last sync must not
// be killed again for the failure of the instance before it.
func (p *Probes) Results(pod *api.Pod, ps *runtime.PodState, snap *PodSnapshot) {
	pp := p.podProbes(pod)
	if pp == nil {
		return // no probes, or the loop is stopping
	}
	all := pod.AllContainers()
	for i := range all {
		p.probe(pp, &all[i], ps, snap)
	}
	p.mu.Lock()
	stopping := p.stopping
	p.mu.Unlock()
	if stopping {
		pp.Stop() // Run stopped them while this sync added some
	}
	for name, s := range snap.Containers {
		s.Started, s.Ready = pp.Started(name), pp.Ready(name)
		snap.Containers[name] = s
	}
	snap.Unhealthy = pp.Unhealthy()
}

// probe probes the instance of container c, if it runs and has a probe,
// and stops probing c otherwise. c must not change while its probes run:
// it is a copy of the sync's own.
func (p *Probes) probe(pp *podProbes, c *api.Container, ps *runtime.PodState, snap *PodSnapshot) {
	s, ok := snap.Containers[c.Name]
	if !ok || !s.running() || !hasProbe(c) {
		pp.Remove(c.Name)
		return
	}
	pp.Add(hooks.Instance{
		Container: c,
		// Every instance of a container has the same ContainerID.
		ID:        s.ContainerID + "@" + s.StartedAt.Format(time.RFC3339Nano),
		StartedAt: s.StartedAt,
		Target:    p.target(ps, c.Name, s.StartedAt),
	})
}

// Forget stops the probes of pod uid, gone from the node.
func (p *Probes) Forget(uid string) {
	p.mu.Lock()
	pp := p.pods[uid]
	delete(p.pods, uid)
	delete(p.changed, uid)
	p.mu.Unlock()
	if pp != nil {
		pp.Stop() // without p.mu: the probing goroutines it waits for take it
	}
}

// podProbes returns the probes of pod, made at its first sync; nil if
// none of its containers has a probe, or if Run has returned (a sync that
// ends after the loop stopped writes no status: its context has ended).
func (p *Probes) podProbes(pod *api.Pod) *podProbes {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping {
		return nil
	}
	pp := p.pods[pod.UID]
	if pp == nil {
		if !anyProbe(pod) {
			return nil
		}
		uid := pod.UID
		pp = &podProbes{}
		pp.Manager = hooks.NewManager(
			func(string, hooks.ProbeKind, hooks.Result, string) { p.notify(uid) },
			func(_ string, _ hooks.ProbeKind, message string) {
				p.recorder.Event(pp.pod.Load(), api.EventTypeWarning, "Unhealthy", message)
			})
		p.pods[uid] = pp
	}
	pp.pod.Store(pod)
	return pp
}

// notify marks pod uid for Run to sync. It runs on the probing goroutines.
func (p *Probes) notify(uid string) {
	p.mu.Lock()
	p.changed[uid] = true
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default: // Run has a wake-up coming already
	}
}

// stop stops every probe, once Run returns.
func (p *Probes) stop() {
	p.mu.Lock()
	p.stopping = true
	all := p.pods
	p.pods = map[string]*podProbes{}
	p.mu.Unlock()
	for _, pp := range all {
		pp.Stop()
	}
}

// target is how the probes reach container name of sandbox ps, in its
// instance started at startedAt. An exec looks the instance up when it
// runs: the probes of an instance that has been replaced run nothing in
// the next one.
func (p *Probes) target(ps *runtime.PodState, name string, startedAt time.Time) hooks.Target {
	t := nodeTarget(ps)
	t.Exec = func(ctx context.Context, argv []string) (string, int, error) {
		st, err := p.runtime.ContainerState(ps, name)
		if err != nil {
			return "", -1, err
		}
		if !st.StartedAt.Equal(startedAt) {
			return "", -1, fmt.Errorf("container %q has been restarted since", name)
		}
		return p.runtime.ExecOutput(ctx, st, argv...)
	}
	return t
}

// hasProbe reports whether container c has any probe.
func hasProbe(c *api.Container) bool {
	return c.StartupProbe != nil || c.LivenessProbe != nil || c.ReadinessProbe != nil
}

// anyProbe reports whether a container of pod has a probe.
func anyProbe(pod *api.Pod) bool {
	for _, c := range pod.AllContainers() {
		if hasProbe(&c) {
			return true
		}
	}
	return false
}

// nodeTarget is where the hooks and probes of a container of sandbox ps
// connect: the pod's IP, from the node's network namespace.
func nodeTarget(ps *runtime.PodState) hooks.Target {
	t := hooks.Target{PodIP: ps.IP()}
	if ps.NetConfig != nil && ps.NetConfig.NodeNetNS != "" {
		t.Dial = dialFrom(ps.NetConfig.NodeNetNS)
	}
	return t
}

// dialFrom dials from inside the network namespace at path netns: the
// pod IPs are reachable from the node's, where a podlet normally runs,
// but a podlet outside it (a test's) must dial from inside.
//
// Hazard: a socket belongs to the network namespace of the thread that
// makes it, so the dial runs on a throw-away thread that has joined the
// namespace (ns.Do). The connection then works from any thread. An IP
// address, as the pod's, is dialed on that thread; a host name could be
// looked up from elsewhere.
func dialFrom(netns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var conn net.Conn
		err := ns.Do(map[ns.Type]string{ns.Net: netns}, func() (err error) {
			var d net.Dialer
			conn, err = d.DialContext(ctx, network, addr)
			return err
		})
		return conn, err
	}
}
