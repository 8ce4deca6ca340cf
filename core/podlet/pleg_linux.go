package podlet

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/podlab/podlab/core/runtime"
)

// The PLEG, the kubelet's pod lifecycle event generator: how the podlet
// notices that a container started or exited. Nobody tells it: every
// relist period it reads the state of each container of each sandbox
// from the runtime, compares it with what it saw the time before, and
// each difference is an event about a pod, which is then synced:
//
//	relist at 10:00:07   web-app: running (instance of 10:00:01) → exited   ContainerDied   sync web
//
// Looking is simpler than being told, and survives anything: a podlet
// that restarts just looks again. (The kubelet can also be told by the
// runtime, its "evented PLEG", and still relists now and then.)

// PLEG event types, the kubelet's names.
const (
	ContainerStarted = "ContainerStarted" // a new instance runs
	ContainerDied    = "ContainerDied"    // an instance exited
	ContainerRemoved = "ContainerRemoved" // an instance is gone
	ContainerChanged = "ContainerChanged" // anything else, like created but not started
	SandboxChanged   = "SandboxChanged"   // the pause process lives, or died
)

// pleg relists the runtime and reports the pods that changed.
type pleg struct {
	runtime Runtime
	period  time.Duration
	log     *slog.Logger
	// last is what the previous relist saw: per pod uid, per container
	// (and "" for the sandbox), its state.
	last map[string]map[string]seenState
}

// seenState is the state of a container instance, or of a sandbox, as one
// relist saw it.
type seenState struct {
	status  string    // runtime.Status of a container, runtime.PodPhase of a sandbox
	created time.Time // which instance
}

func newPLEG(rt Runtime, period time.Duration, log *slog.Logger) *pleg {
	return &pleg{runtime: rt, period: period, log: log, last: map[string]map[string]seenState{}}
}

// run relists every period until ctx ends, and calls changed with the uid
// of each pod something happened to. The first relist sees everything as
// new: every pod on the node is synced.
func (g *pleg) run(ctx context.Context, changed func(podUID string)) {
	tick := time.NewTicker(g.period)
	defer tick.Stop()
	for {
		g.relist(changed)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// relist looks at every sandbox once and reports the pods that changed
// since the last relist, including those whose sandbox is gone.
func (g *pleg) relist(changed func(podUID string)) {
	sandboxes, err := g.runtime.Sandboxes()
	if err != nil {
		g.log.Warn("PLEG: cannot list the sandboxes; trying again at the next relist", "err", err)
		return
	}
	now := map[string]map[string]seenState{}
	for _, ps := range sandboxes {
		uid := ps.Pod.UID
		now[uid] = g.look(ps)
		if events := plegEvents(g.last[uid], now[uid]); len(events) > 0 {
			g.log.Debug("PLEG", "pod", podKey(&ps.Pod), "events", events)
			changed(uid)
		}
	}
	for uid := range g.last {
		if _, ok := now[uid]; !ok {
			changed(uid) // its sandbox was removed
		}
	}
	g.last = now
}

// look reads the state of the sandbox ps and of each of its containers.
func (g *pleg) look(ps *runtime.PodState) map[string]seenState {
	seen := map[string]seenState{"": {status: string(ps.Phase()), created: ps.CreatedAt}}
	for _, c := range ps.Pod.AllContainers() {
		if st, err := g.runtime.ContainerState(ps, c.Name); err == nil {
			seen[c.Name] = seenState{status: string(st.Status), created: st.CreatedAt}
		}
	}
	return seen
}

// plegEvents lists what happened between two looks at a pod, as
// "<event> <container>".
func plegEvents(before, after map[string]seenState) []string {
	var events []string
	for _, name := range slices.Sorted(maps.Keys(after)) { // "" first: the sandbox
		now := after[name]
		if was, ok := before[name]; ok && was.status == now.status && was.created.Equal(now.created) {
			continue
		}
		switch {
		case name == "":
			events = append(events, SandboxChanged+" "+now.status)
		case now.status == string(runtime.Running):
			events = append(events, ContainerStarted+" "+name)
		case now.status == string(runtime.Exited):
			events = append(events, ContainerDied+" "+name)
		default:
			events = append(events, ContainerChanged+" "+name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(before)) {
		if _, ok := after[name]; !ok && name != "" {
			events = append(events, ContainerRemoved+" "+name)
		}
	}
	return events
}
