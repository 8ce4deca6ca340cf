package podlet

import (
	"errors"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/runtime"
)

// snapshot reads what the node has of pod: its sandbox ps (nil if none),
// and the latest instance of each container in it, from the runtime, with
// what the podlet recorded of each (mem), and what the probes say.
func (l *syncLoop) snapshot(pod *api.Pod, ps *runtime.PodState, mem *podMemory) (PodSnapshot, error) {
	snap := PodSnapshot{HostIP: l.cfg.NodeIP, Containers: map[string]ContainerSnapshot{}}
	if ps == nil {
		return snap, nil
	}
	snap.SandboxReady = ps.Phase() == runtime.PodRunning
	snap.PodIP = ps.IP()
	// Records of another sandbox describe instances that are gone.
	ours := mem.record.Sandbox.Equal(ps.CreatedAt)
	for _, c := range ps.Pod.AllContainers() {
		st, err := l.cfg.Runtime.ContainerState(ps, c.Name)
		if errors.Is(err, runtime.ErrNotFound) {
			st, err = nil, nil // not started in this sandbox
		}
		if err != nil {
			return snap, err
		}
		var rec *instanceRecord
		if r, ok := mem.record.Containers[c.Name]; ok && ours {
			rec = &r
		}
		if s, ok := containerSnapshot(c.Name, st, rec, ps.Restarts[c.Name]); ok {
			snap.Containers[c.Name] = s
		}
	}
	l.cfg.Prober.Results(pod, ps, &snap)
	return snap, nil
}

// containerSnapshot is the latest instance of container name: the
// runtime's st (nil if it has none), with the restart count and the last
// termination the podlet started it with (rec, nil if unknown). It
// reports false if there is no instance.
//
// An instance the podlet has no record of was started by a podlet that
// was stopped before it could write one down: its restart count is the
// runtime's (restarts), the instances it replaced in this sandbox.
func containerSnapshot(name string, st *runtime.State, rec *instanceRecord, restarts int) (ContainerSnapshot, bool) {
	if rec != nil && rec.StartError != "" && (st == nil || st.CreatedAt.Before(rec.FailedAt)) {
		// The last start failed before the runtime made an instance.
		return ContainerSnapshot{Name: name, State: ContainerExited, Error: rec.StartError, FinishedAt: rec.FailedAt,
			RestartCount: rec.RestartCount, LastTermination: rec.LastTermination}, true
	}
	if st == nil {
		return ContainerSnapshot{}, false
	}
	s := ContainerSnapshot{
		Name:         name,
		ContainerID:  "podlab://" + st.Spec.Name,
		State:        RunState(st.Status),
		ExitCode:     int32(st.ExitCode),
		OOMKilled:    st.OOMKilled,
		Error:        st.Error,
		StartedAt:    st.StartedAt.UTC(),
		FinishedAt:   st.FinishedAt.UTC(),
		RestartCount: int32(restarts),
	}
	if rec != nil && rec.CreatedAt.Equal(st.CreatedAt) {
		s.RestartCount, s.LastTermination = rec.RestartCount, rec.LastTermination
	}
	if s.State == ContainerExited && s.FinishedAt.IsZero() {
		// Lost with its shim, nobody saw it end: a time that does not move
		// between syncs, for the back-off to count from.
		s.FinishedAt = st.StartedAt.UTC()
		if s.FinishedAt.IsZero() {
			s.FinishedAt = st.CreatedAt.UTC()
		}
	}
	return s, true
}
