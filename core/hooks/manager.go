package hooks

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/podlab/podlab/core/api"
)

// Manager probes the running containers of one pod and keeps their
// results for the podlet's sync, as the kubelet's prober manager does.
// For each container instance it runs the startup probe first, if there
// is one, and the liveness and readiness probes once it has succeeded.
//
// The podlet, at each sync of the pod: calls Add for every running
// instance, then reads Started, Ready and Unhealthy into its snapshot;
// calls Remove for a container that no longer runs; and Stop when the
// pod is gone.
type Manager struct {
	onChange ReportFunc
	onFailed FailedFunc

	mu         sync.Mutex
	containers map[string]*probedContainer // by container name
}

// Instance is one run of a container, as the podlet sees it.
type Instance struct {
	Container *api.Container
	// ID names the instance, like its ContainerID: a restarted container
	// is a new instance, probed afresh.
	ID string
	// StartedAt is when its process started: initialDelaySeconds counts
	// from it.
	StartedAt time.Time
	Target    Target
}

// probedContainer holds the workers and results of one instance.
type probedContainer struct {
	Instance
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	started, ready *bool  // nil: the container has no such probe
	unhealthy      string // why the container must be killed, "" if it need not
}

// NewManager returns a Manager for one pod. onChange, which may be nil,
// is called after a probe's result changed and the Manager shows the
// change: the podlet uses it to sync the pod at once and to record an
// Unhealthy event. It is called from the probing goroutines, so it must
// not call Remove or Stop (they wait for those goroutines): it should
// only hand the work over, like queueing the pod.
//
// onFailed, which may be nil, is called on every failed attempt of a
// probe, from the probing goroutines too: the podlet records the
// Unhealthy event there, as the kubelet does for each failure.
func NewManager(onChange ReportFunc, onFailed FailedFunc) *Manager {
	return &Manager{onChange: onChange, onFailed: onFailed, containers: map[string]*probedContainer{}}
}

// Add starts probing container instance in, unless it is probed already:
// the podlet calls it at every sync. A new instance of a container
// replaces the old one, whose results are dropped. The workers read
// in.Container while they run: pass a container nobody changes, like one
// of a pod from the informer's cache.
func (m *Manager) Add(in Instance) {
	m.mu.Lock()
	old := m.containers[in.Container.Name]
	if old != nil && old.ID == in.ID {
		m.mu.Unlock()
		return
	}
	pc := &probedContainer{Instance: in}
	pc.ctx, pc.cancel = context.WithCancel(context.Background())
	if in.Container.StartupProbe != nil {
		pc.started = new(false)
	}
	if in.Container.ReadinessProbe != nil {
		pc.ready = new(false)
	}
	m.containers[in.Container.Name] = pc
	if pc.started != nil {
		m.startWorkers(pc, Startup)
	} else {
		m.startWorkers(pc, Liveness, Readiness)
	}
	m.mu.Unlock()
	if old != nil {
		old.stop()
	}
}

// Remove stops probing container name and forgets its results.
func (m *Manager) Remove(name string) {
	m.mu.Lock()
	pc := m.containers[name]
	delete(m.containers, name)
	m.mu.Unlock()
	if pc != nil {
		pc.stop()
	}
}

// Stop stops probing every container of the pod.
func (m *Manager) Stop() {
	m.mu.Lock()
	all := m.containers
	m.containers = map[string]*probedContainer{}
	m.mu.Unlock()
	for _, pc := range all {
		pc.stop()
	}
}

// Started returns whether container name has passed its startup probe;
// nil if it has none, or is not probed: the podlet counts it started as
// soon as it runs.
func (m *Manager) Started(name string) *bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if pc := m.containers[name]; pc != nil && pc.started != nil {
		return new(*pc.started)
	}
	return nil
}

// Ready returns whether container name passes its readiness probe: false
// until it has started and passed it; nil if it has no readiness probe,
// or is not probed: the podlet counts it ready as soon as it has started.
func (m *Manager) Ready(name string) *bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if pc := m.containers[name]; pc != nil && pc.ready != nil {
		return new(*pc.ready)
	}
	return nil
}

// Unhealthy returns the containers whose liveness or startup probe has
// failed, with the reason to kill them, like "Container app failed
// liveness probe, will be restarted": what PodSnapshot.Unhealthy holds.
func (m *Manager) Unhealthy() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	unhealthy := map[string]string{}
	for name, pc := range m.containers {
		if pc.unhealthy != "" {
			unhealthy[name] = pc.unhealthy
		}
	}
	return unhealthy
}

// startWorkers starts a worker for each probe of kinds that pc's
// container has. m.mu is held.
func (m *Manager) startWorkers(pc *probedContainer, kinds ...ProbeKind) {
	for _, kind := range kinds {
		if kind.Of(pc.Container) == nil {
			continue
		}
		w := &Worker{Kind: kind, Container: pc.Container, Target: pc.Target, StartedAt: pc.StartedAt,
			Report: func(_ string, kind ProbeKind, result Result, message string) {
				m.update(pc, kind, result, message)
			},
			Failed: m.onFailed}
		pc.wg.Go(func() { w.Run(pc.ctx) })
	}
}

// update records a worker's new result: a started container gets its
// liveness and readiness probes; a failed liveness or startup probe marks
// it unhealthy.
func (m *Manager) update(pc *probedContainer, kind ProbeKind, result Result, message string) {
	name := pc.Container.Name
	m.mu.Lock()
	if m.containers[name] != pc {
		m.mu.Unlock()
		return // a worker of an instance that has been replaced or removed
	}
	switch {
	case kind == Startup && result == Success:
		pc.started = new(true)
		m.startWorkers(pc, Liveness, Readiness)
	case kind == Readiness:
		pc.ready = new(result == Success)
	case result == Failure: // liveness or startup
		pc.unhealthy = fmt.Sprintf("Container %s failed %s probe, will be restarted", name, strings.ToLower(string(kind)))
	}
	m.mu.Unlock()
	if m.onChange != nil {
		m.onChange(name, kind, result, message)
	}
}

// stop ends the workers of pc and waits for them.
func (pc *probedContainer) stop() {
	pc.cancel()
	pc.wg.Wait()
}
