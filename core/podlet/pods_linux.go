package podlet

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/runtime"
)

// The pod sync loop: the kubelet's pod workers, cut to what a lab needs.
// Three sources wake a pod up, and one sync function converges it:
//
//	informer  pods with spec.nodeName=<node>: added, changed, deleted ─┐
//	PLEG      every second: which containers started or exited      ├─> queue of pod uids
//	probes    a probe result changed (core/hooks)                    ─┘        │
//	                                                                            v
//	sync(uid), one worker per pod at a time:
//	  the pod is gone from the API, its sandbox is not   remove the sandbox
//	  otherwise   snapshot the runtime → ComputeActions → Status
//	              act: Kill, then CreateSandbox or KillSandbox, then Start
//	              write the status if it changed
//	              a pod being deleted whose sandbox is gone: delete it, grace 0
//	              after acting, sync again at once; in a back-off, at RetryAt
//
// The queue holds pod uids, not "namespace/name": the runtime knows pods by
// uid, the PLEG reports uids, and a pod deleted and made again under its
// name is another pod, with another sandbox, that must not be mistaken for
// the first.
//
// When ctx ends (SIGTERM), the loop stops and the pods keep running, as
// with the kubelet: a podlet that starts again adopts them. A sync cut
// short leaves the runtime consistent: a start is rolled back, a stop
// ends with SIGKILL.

// Runtime is what the podlet asks of the container runtime: the steps of
// the CRI, podlab's way. *runtime.Runtime is one.
type Runtime interface {
	CreateSandbox(ctx context.Context, pod *api.Pod, net *network.Config) (*runtime.PodState, error)
	RemoveSandbox(ctx context.Context, ps *runtime.PodState, grace time.Duration) error
	SandboxByUID(uid string) (*runtime.PodState, error)
	Sandboxes() ([]*runtime.PodState, error)
	StartContainer(ctx context.Context, ps *runtime.PodState, c api.Container) (*runtime.State, error)
	StopContainer(ctx context.Context, ps *runtime.PodState, container string, grace time.Duration) (*runtime.State, error)
	ContainerState(ps *runtime.PodState, container string) (*runtime.State, error)
}

// EventRecorder writes Events about pods; *client.Recorder is one.
type EventRecorder interface {
	Event(obj api.Object, eventType, reason, message string)
}

// PodsConfig is what the pod sync loop works with.
type PodsConfig struct {
	Client   *client.Client
	NodeName string
	NodeIP   string // reported as each pod's status.hostIP
	Runtime  Runtime
	// Network is the node's pod network: its bridge and its podCIDR (see
	// WaitForPodCIDR). nil gives pods a loopback interface only.
	Network *network.Config
	// StateDir keeps, one file per pod, what the podlet must remember
	// across its own restarts: the restart count and last termination of
	// each container (recordStore). "" keeps it in memory only.
	StateDir string
	Backoff  *Backoff      // the CrashLoopBackOff; nil: the Kubernetes defaults
	Recorder EventRecorder // nil: no Events
	Hooks    Hooks         // nil: no lifecycle hooks run
	Prober   Prober        // nil: no probes run
	Log      *slog.Logger  // nil: slog.Default()

	Workers      int           // pods synced at once; 0: DefaultPodWorkers
	RelistPeriod time.Duration // how often the PLEG looks; 0: DefaultRelistPeriod
	Resync       time.Duration // how often every pod is synced anyway; 0: DefaultPodResync
}

// withDefaults fills in the defaults and checks what has none.
func (c PodsConfig) withDefaults() (PodsConfig, error) {
	switch {
	case c.Client == nil:
		return c, errors.New("pod sync loop: no API client")
	case c.NodeName == "":
		return c, errors.New("pod sync loop: no node name")
	case c.Runtime == nil:
		return c, errors.New("pod sync loop: no container runtime")
	}
	c.Backoff = cmp.Or(c.Backoff, &Backoff{})
	c.Log = cmp.Or(c.Log, slog.Default())
	if c.Recorder == nil {
		c.Recorder = noEvents{}
	}
	if c.Hooks == nil {
		c.Hooks = noHooks{}
	}
	if c.Prober == nil {
		c.Prober = noProbes{}
	}
	c.Workers = cmp.Or(c.Workers, DefaultPodWorkers)
	c.RelistPeriod = cmp.Or(c.RelistPeriod, DefaultRelistPeriod)
	c.Resync = cmp.Or(c.Resync, DefaultPodResync)
	return c, nil
}

type noEvents struct{}

func (noEvents) Event(api.Object, string, string, string) {}

// syncLoop is the state of one run of the pod sync loop.
type syncLoop struct {
	cfg     PodsConfig
	log     *slog.Logger
	pods    *client.Informer[*api.Pod] // the pods bound to this node
	queue   *client.Queue              // pod uids
	records recordStore

	mu     sync.Mutex
	memory map[string]*podMemory // by pod uid
	// hooks cuts short the postStart hook that runs for a pod (by uid)
	// when the pod is deleted: a hook that never returns would otherwise
	// hold the pod's sync, its deletion with it.
	hooks map[string]context.CancelFunc
}

// podMemory is what the podlet remembers of one pod between syncs. Only
// the worker syncing the pod touches it (the queue hands a uid to one
// worker at a time).
type podMemory struct {
	record podRecord // its container instances, saved in the records
	// written is the JSON of the status this podlet last wrote, and
	// writtenRV the resourceVersion the write made; nil before the first
	// write of this process.
	written   []byte
	writtenRV string
	// backOffs holds, per container, the end of the back-off last
	// announced with a BackOff Event: one Event per wait, not per sync.
	backOffs map[string]time.Time
	// nameHeldSince is when the pod began to wait for the sandbox of a
	// deleted pod of its name (see nameHeld).
	nameHeldSince time.Time
}

// RunPods runs the pods the scheduler binds to the node until ctx ends,
// then returns nil, leaving them running. It adopts the sandboxes a
// previous podlet left: those of pods still bound to the node go on,
// the others are removed.
func RunPods(ctx context.Context, cfg PodsConfig) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	l := &syncLoop{cfg: cfg, log: cfg.Log, queue: client.NewQueue(), records: recordStore{cfg.StateDir},
		memory: map[string]*podMemory{}, hooks: map[string]context.CancelFunc{}}
	// A sync that fails (a sandbox that cannot be made) is retried no
	// more slowly than a crashing container.
	_, l.queue.MaxDelay = cfg.Backoff.limits()
	l.pods = client.NewInformer(cfg.Client.Pods(""), client.ListOptions{FieldSelector: "spec.nodeName=" + cfg.NodeName}, cfg.Resync)
	l.pods.AddHandler(client.Handler[*api.Pod]{
		OnAdd: func(p *api.Pod) { l.queue.Add(p.UID) },
		OnUpdate: func(old, p *api.Pod) {
			if p.DeletionTimestamp != nil {
				l.interruptHook(p.UID)
			}
			l.queue.Add(p.UID)
			if old.UID != p.UID { // deleted and made again between two lists
				l.interruptHook(old.UID)
				l.queue.Add(old.UID)
			}
		},
		OnDelete: func(p *api.Pod) {
			l.interruptHook(p.UID)
			l.queue.Add(p.UID)
		},
	})
	l.logConfig()

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { l.pods.Run(ctx) })
	// Before the cache is full, a sandbox would look like that of a pod
	// gone from the API, and be removed.
	if !client.WaitForSync(ctx, l.pods) {
		return nil
	}
	if err := l.adopt(); err != nil {
		return err
	}
	wg.Go(func() { newPLEG(cfg.Runtime, cfg.RelistPeriod, l.log).run(ctx, l.queue.Add) })
	wg.Go(func() { cfg.Prober.Run(ctx, l.queue.Add) })
	wg.Go(func() { l.forgetOldBackOffs(ctx) })
	(&client.Controller{Name: "podlet", Workers: cfg.Workers, Sync: l.sync, Queue: l.queue}).Run(ctx)
	l.log.Info("stopped the pod sync loop; the pods keep running", "node", cfg.NodeName)
	return nil
}

// logConfig logs the effective configuration once (STYLE.md rule 12).
func (l *syncLoop) logConfig() {
	c := l.cfg
	period, maxDelay := c.Backoff.limits()
	args := []any{"node", c.NodeName, "backoff-base", period, "backoff-max", maxDelay,
		"relist", c.RelistPeriod, "resync", c.Resync, "workers", c.Workers, "state-dir", c.StateDir}
	if n := c.Network; n != nil {
		args = append(args, "bridge", cmp.Or(n.Bridge, network.DefaultBridge), "podCIDR", n.Subnet, "ipam", n.StateDir)
	}
	l.log.Info("starting the pod sync loop", args...)
}

// adopt looks at the sandboxes on the node once the cache is full, as a
// kubelet does after a restart: each is synced, which keeps the pods
// still bound here running as they are and removes the others. Records
// of pods that have no sandbox any more are dropped.
func (l *syncLoop) adopt() error {
	sandboxes, err := l.cfg.Runtime.Sandboxes()
	if err != nil {
		return fmt.Errorf("list the sandboxes on the node: %w", err)
	}
	have := map[string]bool{}
	for _, ps := range sandboxes {
		have[ps.Pod.UID] = true
		l.log.Info("found a sandbox on the node", "pod", podKey(&ps.Pod), "uid", ps.Pod.UID, "sandbox", ps.Phase())
		l.queue.Add(ps.Pod.UID)
	}
	for _, uid := range l.records.uids() {
		if !have[uid] {
			l.records.remove(uid)
		}
	}
	return nil
}

// forgetOldBackOffs drops, every few minutes, the back-offs that have
// expired, as the kubelet does.
func (l *syncLoop) forgetOldBackOffs(ctx context.Context) {
	tick := time.NewTicker(5 * time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			l.cfg.Backoff.GC(now)
		}
	}
}

// sync converges the pod with uid (STYLE.md rule 6): it reads what the API
// wants and what the runtime has, acts on the difference in the order
// ComputeActions gives, and reports the status. An error is retried with
// back-off by the queue.
func (l *syncLoop) sync(ctx context.Context, uid string) error {
	ps, err := l.sandbox(uid)
	if err != nil {
		return err
	}
	cached := l.podByUID(uid)
	if cached == nil {
		return l.removeOrphan(ctx, uid, ps)
	}
	mem := l.memoryOf(uid)
	pod := withOwnStatus(cached, mem)
	snap, err := l.snapshot(pod, ps, mem)
	if err != nil {
		return err
	}
	now := time.Now()
	a := ComputeActions(pod, snap, now, l.cfg.Backoff)
	status := Status(pod, snap, a, now)
	acted, actErr := l.act(ctx, pod, ps, mem, a)
	if err := l.writeStatus(ctx, cached, mem, status, pod.Status.Phase); err != nil {
		return errors.Join(actErr, err)
	}
	if errors.Is(actErr, errNameHeld) {
		l.queue.AddAfter(uid, nameHeldPoll)
		return nil
	}
	if actErr != nil {
		return actErr
	}
	switch {
	case a.KillSandbox && pod.DeletionTimestamp != nil:
		return l.deleteFromAPI(ctx, pod)
	case acted:
		l.queue.Add(uid) // see what the actions did
	case !a.RetryAt.IsZero():
		l.queue.AddAfter(uid, time.Until(a.RetryAt))
	}
	return nil
}

// sandbox returns the sandbox of pod uid, or nil if it has none.
func (l *syncLoop) sandbox(uid string) (*runtime.PodState, error) {
	ps, err := l.cfg.Runtime.SandboxByUID(uid)
	if errors.Is(err, runtime.ErrPodNotFound) {
		return nil, nil
	}
	return ps, err
}

// podByUID returns the cached pod with uid, or nil. A node has at most a
// hundred pods or so: a look at each is cheaper than keeping an index.
func (l *syncLoop) podByUID(uid string) *api.Pod {
	for _, p := range l.pods.List(nil) {
		if p.UID == uid {
			return p
		}
	}
	return nil
}

// memoryOf returns what the podlet remembers of pod uid, reading its
// record back after a restart of the podlet.
func (l *syncLoop) memoryOf(uid string) *podMemory {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.memory[uid]
	if m == nil {
		m = &podMemory{record: l.records.load(uid), backOffs: map[string]time.Time{}}
		l.memory[uid] = m
	}
	return m
}

// forget drops everything the node keeps about pod uid, once it is gone.
func (l *syncLoop) forget(uid string) error {
	l.mu.Lock()
	delete(l.memory, uid)
	l.mu.Unlock()
	l.cfg.Backoff.Forget(uid)
	l.cfg.Prober.Forget(uid)
	return l.records.remove(uid)
}

// removeOrphan removes the sandbox of a pod that is gone from the API
// server: deleted with grace 0, or while the podlet was down. Nobody waits
// for it, so its containers get the least grace period there is.
func (l *syncLoop) removeOrphan(ctx context.Context, uid string, ps *runtime.PodState) error {
	if ps != nil {
		l.log.Info("the pod is gone from the API server: removing its sandbox", "pod", podKey(&ps.Pod), "uid", uid)
		if err := l.cfg.Runtime.RemoveSandbox(ctx, ps, minimumGracePeriod); err != nil {
			return err
		}
	}
	return l.forget(uid)
}

// withOwnStatus returns a copy of the cached pod whose status is the one
// this podlet wrote last, if it wrote one: the cache may lag behind the
// podlet's own writes, and Status needs the last reported status to keep
// transition times, restart counts and a terminal phase. The conditions
// the podlet does not own stay the cache's: others write them.
func withOwnStatus(cached *api.Pod, mem *podMemory) *api.Pod {
	pod := api.DeepCopy(cached)
	var own api.PodStatus
	if mem.written == nil || json.Unmarshal(mem.written, &own) != nil {
		return pod
	}
	var conds []api.PodCondition
	for _, c := range own.Conditions {
		if slices.Contains(kubeletConditions, c.Type) {
			conds = append(conds, c)
		}
	}
	for _, c := range cached.Status.Conditions {
		if !slices.Contains(kubeletConditions, c.Type) {
			conds = append(conds, c)
		}
	}
	own.Conditions = conds
	pod.Status = own
	return pod
}

// act does what ComputeActions decided, in its order: Kill, then
// CreateSandbox or KillSandbox, then Start. It reports whether it changed
// anything, so that the pod is synced again to see the result.
func (l *syncLoop) act(ctx context.Context, pod *api.Pod, ps *runtime.PodState, mem *podMemory, a Actions) (acted bool, err error) {
	l.announceBackOffs(pod, mem, a.BackOff)
	if len(a.Kill) > 0 {
		if err := l.kill(ctx, pod, ps, a.Kill); err != nil {
			return true, err
		}
		acted = true
	}
	switch {
	case a.CreateSandbox:
		// The containers start in the next sync, from a fresh snapshot.
		return true, l.createSandbox(ctx, pod, ps, mem)
	case a.KillSandbox && ps != nil:
		return true, l.removeSandbox(ctx, pod, ps, mem)
	}
	if len(a.Start) > 0 {
		if err := l.start(ctx, pod, ps, mem, a.Start); err != nil {
			return true, err
		}
		acted = true
	}
	return acted, nil
}

// kill stops the containers of kills, all at once, each after its preStop
// hook, with the grace period that is left after the hook.
func (l *syncLoop) kill(ctx context.Context, pod *api.Pod, ps *runtime.PodState, kills []Kill) error {
	errs := make([]error, len(kills))
	var wg sync.WaitGroup
	for i, k := range kills {
		wg.Go(func() { errs[i] = l.killContainer(ctx, pod, ps, k) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (l *syncLoop) killContainer(ctx context.Context, pod *api.Pod, ps *runtime.PodState, k Kill) error {
	l.event(pod, api.EventTypeNormal, "Killing", k.Message)
	l.log.Info("killing container", "pod", podKey(pod), "container", k.Name, "grace", k.GracePeriod, "why", k.Message)
	grace := k.GracePeriod
	if st, err := l.cfg.Runtime.ContainerState(ps, k.Name); err == nil && st.Status == runtime.Running {
		began := time.Now()
		hookCtx, cancel := context.WithTimeout(ctx, grace)
		err := l.cfg.Hooks.PreStop(hookCtx, ps, containerSpec(pod, k.Name), st)
		cancel()
		if err != nil {
			l.event(pod, api.EventTypeWarning, "FailedPreStopHook", fmt.Sprintf("PreStopHook failed: %v", err))
		}
		grace = max(grace-time.Since(began), minimumGracePeriod) // SEMANTICS.md §4.2
	}
	if _, err := l.cfg.Runtime.StopContainer(ctx, ps, k.Name, grace); err != nil && !errors.Is(err, runtime.ErrNotFound) {
		return err
	}
	return nil
}

// createSandbox makes the pod's sandbox, after removing a broken one. The
// instances of the old sandbox go with it: the init containers run again.
func (l *syncLoop) createSandbox(ctx context.Context, pod *api.Pod, old *runtime.PodState, mem *podMemory) error {
	if old != nil {
		l.event(pod, api.EventTypeNormal, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
		if err := l.cfg.Runtime.RemoveSandbox(ctx, old, 0); err != nil {
			return err
		}
	}
	mem.record = podRecord{}
	if waiting, err := l.nameHeld(pod, mem); waiting || err != nil {
		return err
	}
	ps, err := l.cfg.Runtime.CreateSandbox(ctx, pod, l.cfg.Network)
	if err != nil {
		if ctx.Err() == nil {
			l.event(pod, api.EventTypeWarning, "FailedCreatePodSandBox", fmt.Sprintf("Failed to create pod sandbox: %v", err))
		}
		return errors.Join(err, l.records.save(pod.UID, mem.record))
	}
	l.log.Info("created the pod sandbox", "pod", podKey(pod), "uid", pod.UID, "ip", ps.IP(), "pause", ps.Pause.Pid)
	mem.record.Sandbox = ps.CreatedAt
	return l.records.save(pod.UID, mem.record)
}

// nameHeldWait is how long a pod made again under the name of a deleted
// one waits for the old sandbox to go before it tries to make its own, and
// nameHeldPoll how often it looks meanwhile.
const (
	nameHeldWait = 10 * time.Second
	nameHeldPoll = 200 * time.Millisecond
)

// nameHeld reports whether the pod must wait for the sandbox of another
// pod of its namespace and name, gone from the API server or being
// deleted: the runtime names sandboxes by namespace and name, and the old
// pod's worker is removing it (its uid is queued to be sure). The pod is
// synced again in nameHeldPoll, without a FailedCreatePodSandBox Event and
// the error back-off, as the kubelet kills the old pod before it starts
// the new one. After nameHeldWait, CreateSandbox says what holds the name.
func (l *syncLoop) nameHeld(pod *api.Pod, mem *podMemory) (bool, error) {
	sandboxes, err := l.cfg.Runtime.Sandboxes()
	if err != nil {
		return false, fmt.Errorf("list the sandboxes on the node: %w", err)
	}
	for _, ps := range sandboxes {
		if ps.Pod.Namespace != pod.Namespace || ps.Pod.Name != pod.Name || ps.Pod.UID == pod.UID {
			continue
		}
		if p := l.podByUID(ps.Pod.UID); p != nil && p.DeletionTimestamp == nil {
			break // a pod that stays: CreateSandbox says so
		}
		if mem.nameHeldSince.IsZero() {
			mem.nameHeldSince = time.Now()
			l.log.Info("waiting for the sandbox of the deleted pod of the same name to go", "pod", podKey(pod), "uid", pod.UID, "old", ps.Pod.UID)
		}
		if time.Since(mem.nameHeldSince) > nameHeldWait {
			break
		}
		l.queue.Add(ps.Pod.UID)
		return true, errNameHeld
	}
	mem.nameHeldSince = time.Time{}
	return false, nil
}

// errNameHeld: the pod waits for the sandbox of a deleted pod of its name.
var errNameHeld = errors.New("the name is held by the sandbox of a deleted pod")

// removeSandbox removes the sandbox of a pod that will run nothing again:
// its pause process goes and its IP address is free for another pod. Its
// container statuses stay in the pod's status.
func (l *syncLoop) removeSandbox(ctx context.Context, pod *api.Pod, ps *runtime.PodState, mem *podMemory) error {
	if err := l.cfg.Runtime.RemoveSandbox(ctx, ps, 0); err != nil {
		return err
	}
	l.log.Info("removed the pod sandbox: the pod runs nothing any more", "pod", podKey(pod), "uid", pod.UID)
	mem.record = podRecord{}
	return l.records.save(pod.UID, mem.record)
}

// start starts the containers of starts, in order. Each new instance is
// recorded with the restart count and last termination ComputeActions
// gave it. A start that fails is recorded as an instance that exited at
// once, and restarts with back-off like a crash (it is no error of the
// sync).
func (l *syncLoop) start(ctx context.Context, pod *api.Pod, ps *runtime.PodState, mem *podMemory, starts []Start) error {
	if mem.record.Containers == nil {
		mem.record.Containers = map[string]instanceRecord{}
	}
	for _, s := range starts {
		rec := instanceRecord{RestartCount: s.RestartCount, LastTermination: s.LastTermination}
		st, err := l.startContainer(ctx, pod, ps, containerSpec(pod, s.Name))
		if err != nil && ctx.Err() != nil {
			return ctx.Err() // stopping: not the container's fault
		}
		if err != nil {
			rec.StartError, rec.FailedAt = err.Error(), time.Now()
		} else {
			rec.CreatedAt = st.CreatedAt
		}
		mem.record.Containers[s.Name] = rec
		if err := l.records.save(pod.UID, mem.record); err != nil {
			return err
		}
	}
	return nil
}

// startContainer starts one container and runs its postStart hook; a
// failed hook kills the container again, as the kubelet does.
func (l *syncLoop) startContainer(ctx context.Context, pod *api.Pod, ps *runtime.PodState, c *api.Container) (*runtime.State, error) {
	st, err := l.cfg.Runtime.StartContainer(ctx, ps, *c)
	if err != nil {
		if ctx.Err() == nil {
			l.event(pod, api.EventTypeWarning, "Failed", fmt.Sprintf("Error: %v", err))
			l.log.Warn("container failed to start", "pod", podKey(pod), "container", c.Name, "err", err)
		}
		return nil, err
	}
	// podlab pulls nothing: the image was in the node's image store.
	l.event(pod, api.EventTypeNormal, "Pulled", fmt.Sprintf("Container image %q already present on machine", c.Image))
	l.event(pod, api.EventTypeNormal, "Created", "Created container: "+c.Name)
	l.event(pod, api.EventTypeNormal, "Started", "Started container "+c.Name)
	l.log.Info("started container", "pod", podKey(pod), "container", c.Name, "pid", st.Pid)
	hookCtx, done := l.interruptible(ctx, pod.UID)
	err = l.cfg.Hooks.PostStart(hookCtx, ps, c, st)
	interrupted := hookCtx.Err() != nil
	done()
	switch {
	case ctx.Err() != nil:
	case interrupted:
		// The pod is being deleted: the next sync kills the container.
		l.log.Info("postStart hook cut short: the pod is being deleted", "pod", podKey(pod), "container", c.Name)
	case err != nil:
		l.event(pod, api.EventTypeWarning, "FailedPostStartHook", fmt.Sprintf("PostStartHook failed: %v", err))
		if _, err := l.cfg.Runtime.StopContainer(ctx, ps, c.Name, -1); err != nil {
			return st, err
		}
	}
	return st, nil
}

// interruptible returns a context for the postStart hook of pod uid that
// interruptHook ends, and the function to call when the hook is done.
func (l *syncLoop) interruptible(ctx context.Context, uid string) (context.Context, func()) {
	hookCtx, cancel := context.WithCancel(ctx)
	l.mu.Lock()
	l.hooks[uid] = cancel
	l.mu.Unlock()
	return hookCtx, func() {
		l.mu.Lock()
		delete(l.hooks, uid)
		l.mu.Unlock()
		cancel()
	}
}

// interruptHook ends the postStart hook that runs for pod uid, if one
// does. The informer's handlers call it when the pod is deleted.
func (l *syncLoop) interruptHook(uid string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cancel := l.hooks[uid]; cancel != nil {
		cancel()
	}
}

// announceBackOffs writes a BackOff Event for each container that begins
// to wait out a restart back-off.
func (l *syncLoop) announceBackOffs(pod *api.Pod, mem *podMemory, backOffs []BackOff) {
	for _, b := range backOffs {
		if mem.backOffs[b.Name].Equal(b.RetryAt) {
			continue
		}
		mem.backOffs[b.Name] = b.RetryAt
		l.event(pod, api.EventTypeWarning, "BackOff", fmt.Sprintf("Back-off restarting failed container %s in pod %s_%s(%s)",
			b.Name, pod.Name, pod.Namespace, pod.UID))
	}
}

// writeStatus writes status as the pod's, unless the API server has it
// already, or has not yet shown the podlet's own last write of the same
// status (the cache lags). The write replaces the whole status, with no
// resourceVersion precondition: the podlet owns the pod status, and
// Status kept the conditions others own. was is the phase reported last.
func (l *syncLoop) writeStatus(ctx context.Context, cached *api.Pod, mem *podMemory, status api.PodStatus, was api.PodPhase) error {
	data, err := json.Marshal(status)
	if err != nil {
		return err
	}
	have, err := json.Marshal(cached.Status)
	if err != nil {
		return err
	}
	if bytes.Equal(data, have) {
		mem.written, mem.writtenRV = data, cached.ResourceVersion
		return nil
	}
	if bytes.Equal(data, mem.written) && !newerRV(cached.ResourceVersion, mem.writtenRV) {
		return nil // written already; the cache has not seen it yet
	}
	pod := api.DeepCopy(cached)
	pod.ResourceVersion = ""
	pod.Status = status
	updated, err := l.cfg.Client.Pods(pod.Namespace).UpdateStatus(ctx, pod)
	if client.IsNotFound(err) {
		return nil // deleted meanwhile: the informer tells, and the pod is synced again
	}
	if err != nil {
		return fmt.Errorf("update the status of pod %s: %w", podKey(pod), err)
	}
	mem.written, mem.writtenRV = data, updated.ResourceVersion
	if status.Phase != was {
		l.log.Info("pod phase", "pod", podKey(pod), "phase", status.Phase, "was", was)
	}
	return nil
}

// newerRV reports whether resourceVersion a comes after b. In podlab a
// resourceVersion is the etcd revision of the write, a number that only
// grows (Kubernetes clients must not rely on that; the podlet is part of
// podlab). "" is older than any.
func newerRV(a, b string) bool {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	return errA == nil && (errB != nil || x > y)
}

// deleteFromAPI deletes a pod being deleted whose containers are stopped
// and whose sandbox is gone: the last step of a graceful deletion. The
// API server removes it at once (grace 0).
func (l *syncLoop) deleteFromAPI(ctx context.Context, pod *api.Pod) error {
	pods := l.cfg.Client.Pods(pod.Namespace)
	// The kubelet deletes with a uid precondition; podlab's DeleteOptions
	// have none, so look first: a pod made again under the name is not
	// this one.
	cur, err := pods.Get(ctx, pod.Name)
	if client.IsNotFound(err) || err == nil && cur.UID != pod.UID {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete pod %s: %w", podKey(pod), err)
	}
	if _, err := pods.Delete(ctx, pod.Name, client.DeleteOptions{GracePeriodSeconds: new(int64(0))}); err != nil && !client.IsNotFound(err) {
		return fmt.Errorf("delete pod %s: %w", podKey(pod), err)
	}
	l.log.Info("deleted the pod from the API server: its containers are stopped and its sandbox is gone", "pod", podKey(pod), "uid", pod.UID)
	return nil
}

// event writes an Event about pod.
func (l *syncLoop) event(pod *api.Pod, eventType, reason, message string) {
	l.cfg.Recorder.Event(pod, eventType, reason, message)
}

// containerSpec returns the init or app container of pod called name.
func containerSpec(pod *api.Pod, name string) *api.Container {
	for _, list := range [][]api.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return &api.Container{Name: name} // ComputeActions names only containers of the spec
}

// podKey names a pod in logs: "namespace/name".
func podKey(pod *api.Pod) string { return client.KeyFor(pod.Namespace, pod.Name) }
