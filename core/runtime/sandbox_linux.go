package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
)

// The sandbox of a Pod, as the CRI's RunPodSandbox and RemovePodSandbox
// make and remove it: a directory with pod.json, the volumes, the pause
// process in its cgroup, and the network. Everything else of the Pod, its
// containers, comes and goes inside it.
//
// Nothing here assumes the host's network namespace: net.NodeNetNS ""
// means the caller's, so a node agent started inside a node's network
// namespace (nsenter --net, not ip netns exec: see NewAt) gets its bridge,
// veths and IPAM there. The pause is born in a network namespace of its
// own (clone flags). Visits to the pause's namespace happen on throw-away
// threads (ns.Do), or, to open a netlink socket there, on a locked thread
// that goes back to the namespace it came from: the caller's, whatever it
// is (netlink.NewHandleAt saves the thread's own, not PID 1's).

// ErrPodNotFound is wrapped by errors about pods that do not exist.
var ErrPodNotFound = errors.New("pod not found")

// PodsDir holds one directory per Pod, named by its uid, and the name
// claims in names/.
func (r *Runtime) PodsDir() string { return filepath.Join(filepath.Dir(r.Root), "pods") }

// CreateSandbox makes the sandbox of a Pod: it applies the defaults and
// validates the Pod, records it in <pods>/<uid>/pod.json, claims its name,
// makes its volumes, starts the pause process and connects it to net (a
// loopback interface only when net is nil). On any error it removes what it
// made. It starts no container: StartContainer does, one at a time.
//
// A Pod whose uid already has a sandbox is refused, with an error wrapping
// fs.ErrExist: adopt it with SandboxByUID, or remove it first.
func (r *Runtime) CreateSandbox(ctx context.Context, pod *api.Pod, net *network.Config) (_ *PodState, err error) {
	api.SetDefaults(pod)
	if errs := api.ValidatePod(pod); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	ps := &PodState{
		Pod: *pod,
		Dir: filepath.Join(r.PodsDir(), pod.UID),
		// Like the kubelet's kubepods/pod<uid>: one cgroup per Pod, with
		// the pause and each container below it.
		Cgroup:     r.CgroupParent + "/pod-" + pod.UID + "/pause",
		Hostname:   hostname(pod.Name),
		CreatedAt:  time.Now(),
		NetConfig:  net,
		Volumes:    map[string]string{},
		Containers: map[string]string{},
		Restarts:   map[string]int{},
	}
	if pod.Spec.Hostname != "" {
		ps.Hostname = pod.Spec.Hostname
	}
	if err := r.makePodDir(ps); err != nil {
		return nil, err
	}
	// Rollback (STYLE.md rule 4): RemoveSandbox undoes any prefix of what
	// follows, and only what belongs to this Pod.
	defer func() {
		if err != nil {
			r.removeSandbox(context.Background(), ps, 0)
		}
	}()
	// Recorded before anything starts: a start killed half-way can still be
	// found and removed by another process ("podlab pod rm", a node agent).
	if err := writePodState(ps); err != nil {
		return nil, err
	}
	if err := r.claimName(&ps.Pod); err != nil {
		return nil, err
	}
	if err := r.makeVolumes(ps); err != nil {
		return nil, err
	}
	if err := r.startPause(ctx, ps); err != nil {
		return nil, err
	}
	if err := writePodState(ps); err != nil {
		return nil, err
	}
	if err := connect(ps, net); err != nil {
		return nil, err
	}
	if err := writePodState(ps); err != nil {
		return nil, err
	}
	return ps, nil
}

// makePodDir creates the Pod's directory. One without pod.json is what a
// create killed in its first moment leaves: it is taken over.
func (r *Runtime) makePodDir(ps *PodState) error {
	if err := os.MkdirAll(r.PodsDir(), 0o700); err != nil {
		return fmt.Errorf("create pods directory: %w", err)
	}
	err := os.Mkdir(ps.Dir, 0o700)
	if errors.Is(err, fs.ErrExist) {
		if _, statErr := os.Stat(filepath.Join(ps.Dir, podFile)); !errors.Is(statErr, fs.ErrNotExist) {
			return fmt.Errorf("pod %s (uid %s) already has a sandbox: %w", describe(&ps.Pod), ps.Pod.UID, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("create pod directory: %w", err)
	}
	return nil
}

// connect gives the sandbox its network: a veth on the node's bridge and
// an IP, or only a loopback interface.
func connect(ps *PodState, net *network.Config) error {
	podNetNS := ns.Path(ps.Pause.Pid, ns.Net)
	if net == nil {
		if err := network.LoopbackOnly(podNetNS); err != nil {
			return fmt.Errorf("pod %s: %w", describe(&ps.Pod), err)
		}
		return nil
	}
	att, err := net.Add(ps.Pod.UID, podNetNS)
	if err != nil {
		return fmt.Errorf("pod %s: network: %w", describe(&ps.Pod), err)
	}
	ps.Network = att
	return nil
}

// RemoveSandbox removes a Pod the way Kubernetes deletes one: each
// container gets SIGTERM and grace to exit, then SIGKILL, all in parallel;
// then the pause goes, taking the namespaces (and with the network
// namespace the pod's end of the veth pair); the IP is released, the
// cgroups, emptyDir volumes and pod.json are deleted and the name is given
// up. A negative grace means the Pod's own terminationGracePeriodSeconds.
//
// It removes only what belongs to this Pod, and what is already gone counts
// as removed: a sandbox whose removal was interrupted, or whose pause died,
// can be removed again. On error the record stays, for another try.
func (r *Runtime) RemoveSandbox(ctx context.Context, ps *PodState, grace time.Duration) error {
	return r.removeSandbox(ctx, ps, podGrace(ps, grace))
}

// podGrace turns a negative grace into the Pod's own.
func podGrace(ps *PodState, grace time.Duration) time.Duration {
	if grace < 0 && ps.Pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*ps.Pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return max(grace, 0)
}

func (r *Runtime) removeSandbox(ctx context.Context, ps *PodState, grace time.Duration) error {
	var errs []error
	// Containers first, in parallel: each has its own grace period.
	names := r.containerNames(ps)
	done := make(chan error, len(names))
	for _, name := range names {
		go func() { done <- r.removePodContainer(ctx, ps, name, grace) }()
	}
	for range names {
		if err := <-done; err != nil {
			errs = append(errs, err)
		}
	}
	if fd, err := openPidfd(ps.Pause.Pid, ps.Pause.Start); err == nil {
		unix.PidfdSendSignal(fd, unix.SIGTERM, nil, 0) // pause exits 0 on SIGTERM
		if !waitPidfd(ctx, fd, 2*time.Second) {
			unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
			waitPidfd(ctx, fd, 2*time.Second)
		}
		unix.Close(fd)
	}
	if ps.NetConfig != nil {
		// "": the pause is gone, and the kernel deletes the veth pair with
		// its network namespace.
		if err := ps.NetConfig.Del(ps.Pod.UID, ""); err != nil {
			errs = append(errs, err)
		}
	}
	// Whatever is left below the Pod's cgroup is the Pod's: the pause's
	// cgroup, or a container's left by a start that was killed half-way.
	if children, err := r.Cgroups.Children(podCgroup(ps)); err == nil {
		for _, child := range children {
			r.killAndRemove(child)
		}
	}
	if err := r.removeCgroup(ctx, podCgroup(ps)); err != nil {
		errs = append(errs, err)
	}
	r.removeParentIfEmpty()
	if len(errs) > 0 {
		// Keep the record, so that "podlab pod rm" can try again.
		return fmt.Errorf("remove pod %s: %w", describe(&ps.Pod), errors.Join(errs...))
	}
	if err := os.RemoveAll(ps.Dir); err != nil {
		return fmt.Errorf("remove pod %s: %w", describe(&ps.Pod), err)
	}
	return r.releaseName(&ps.Pod)
}

// podCgroup is the cgroup of the Pod, <parent>/pod-<uid>: the parent of the
// pause's cgroup and of one cgroup per container.
func podCgroup(ps *PodState) string { return path.Dir(ps.Cgroup) }

// containerNames lists the runtime names the Pod's containers have or
// would have: those recorded, and those of every container in its spec,
// in case a start was interrupted before it was recorded.
func (r *Runtime) containerNames(ps *PodState) []string {
	seen := map[string]bool{}
	var names []string
	add := func(name string) {
		if name != "" && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	for _, c := range ps.Pod.AllContainers() {
		add(ps.Containers[c.Name])
		add(podContainerName(&ps.Pod, c.Name))
	}
	for _, name := range ps.Containers {
		add(name)
	}
	return names
}

// removePodContainer stops and removes a container of the Pod, if there is
// one by that name and it is the Pod's.
func (r *Runtime) removePodContainer(ctx context.Context, ps *PodState, name string, grace time.Duration) error {
	st, err := r.Get(name)
	if errors.Is(err, ErrNotFound) || err == nil && !ps.owns(st) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := r.Stop(ctx, name, grace); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	// With a shared PID namespace the workload's children outlive it.
	r.killAndRemove(st.Cgroup)
	return r.ForceRemove(ctx, name)
}

// owns tells whether the container is one of this Pod's: started in this
// very sandbox. Another container may have the name (another Pod's, or one
// of "podlab container run"), and is then left alone.
func (ps *PodState) owns(st *State) bool {
	return st.Spec.Sandbox != nil && ps.Pause.Pid != 0 && *st.Spec.Sandbox == ps.Pause
}

// SandboxByUID returns the sandbox of the Pod with this uid, as recorded in
// its pod.json: how a node agent finds its Pods again after a restart. The
// error wraps ErrPodNotFound when there is none.
func (r *Runtime) SandboxByUID(uid string) (*PodState, error) {
	if uid == "" || uid == "." || uid == ".." || uid == namesDir || filepath.Base(uid) != uid {
		return nil, fmt.Errorf("pod uid %q: %w", uid, ErrPodNotFound)
	}
	ps, err := readPodState(filepath.Join(r.PodsDir(), uid))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("pod uid %q: %w", uid, ErrPodNotFound)
	}
	return ps, err
}

// Sandboxes lists every Pod recorded on this machine, by namespace, then
// name, then age, whether its pause lives or not (Phase tells): what a node
// agent adopts, or removes, after a restart.
func (r *Runtime) Sandboxes() ([]*PodState, error) {
	entries, err := os.ReadDir(r.PodsDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list []*PodState
	for _, e := range entries {
		if !e.IsDir() || e.Name() == namesDir {
			continue
		}
		// Unreadable: half-made by a concurrent create, or removed meanwhile.
		if ps, err := readPodState(filepath.Join(r.PodsDir(), e.Name())); err == nil {
			list = append(list, ps)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Pod.Namespace != b.Pod.Namespace {
			return a.Pod.Namespace < b.Pod.Namespace
		}
		if a.Pod.Name != b.Pod.Name {
			return a.Pod.Name < b.Pod.Name
		}
		return a.CreatedAt.Before(b.CreatedAt)
	})
	return list, nil
}

// Pod names are unique on this machine per namespace: <pods>/names/<full
// name> (see podFullName) holds the uid of the Pod that has the name.
// Creating it with O_EXCL claims the name atomically, and GetPod finds a
// Pod without reading every Pod's state.
const namesDir = "names"

func (r *Runtime) nameFile(namespace, name string) string {
	return filepath.Join(r.PodsDir(), namesDir, podFullName(namespace, name))
}

// claimName claims the Pod's name. A claim whose Pod is gone (its removal
// was interrupted before it gave the name up) is taken over. The names
// directory is locked meanwhile, so that two processes cannot both take
// over the same claim.
func (r *Runtime) claimName(pod *api.Pod) error {
	unlock, err := r.lockNames()
	if err != nil {
		return err
	}
	defer unlock()
	file := r.nameFile(pod.Namespace, pod.Name)
	if uid, err := os.ReadFile(file); err == nil {
		if string(uid) == pod.UID {
			return nil
		}
		if _, err := r.SandboxByUID(string(uid)); !errors.Is(err, ErrPodNotFound) {
			if pod.Namespace != api.NamespaceDefault {
				return fmt.Errorf("pod %s already exists on this node (uid %s)", describe(pod), uid)
			}
			return fmt.Errorf("pod %q already exists: remove it with \"podlab pod rm %s\"", pod.Name, pod.Name)
		}
		if err := os.Remove(file); err != nil {
			return fmt.Errorf("take over the name of pod %s: %w", describe(pod), err)
		}
	}
	f, err := os.OpenFile(file, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("claim the name of pod %s: %w", describe(pod), err)
	}
	_, err = f.WriteString(pod.UID)
	return errors.Join(err, f.Close())
}

// releaseName gives the name up if it still belongs to this Pod.
func (r *Runtime) releaseName(pod *api.Pod) error {
	unlock, err := r.lockNames()
	if err != nil {
		return err
	}
	defer unlock()
	file := r.nameFile(pod.Namespace, pod.Name)
	if uid, err := os.ReadFile(file); err == nil && string(uid) == pod.UID {
		if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("give up the name of pod %s: %w", describe(pod), err)
		}
	}
	return nil
}

// lockNames takes an exclusive flock(2) on the names directory itself (a
// lock file in it would look like a name).
func (r *Runtime) lockNames() (unlock func(), err error) {
	dir := filepath.Join(r.PodsDir(), namesDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create pod names directory: %w", err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open pod names directory: %w", err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("lock %q: %w", dir, err)
	}
	return func() { unix.Close(fd) }, nil
}

// podFile is the record of a Pod in its directory.
const podFile = "pod.json"

func writePodState(ps *PodState) error {
	data, err := json.MarshalIndent(ps, "", "  ")
	if err != nil {
		return err
	}
	// Write and rename: a reader never sees half a file.
	tmp := filepath.Join(ps.Dir, podFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write state of pod %s: %w", describe(&ps.Pod), err)
	}
	return os.Rename(tmp, filepath.Join(ps.Dir, podFile))
}

func readPodState(dir string) (*PodState, error) {
	data, err := os.ReadFile(filepath.Join(dir, podFile))
	if err != nil {
		return nil, err
	}
	var ps PodState
	if err := json.Unmarshal(data, &ps); err != nil {
		return nil, fmt.Errorf("read state of pod in %q: %w", dir, err)
	}
	if ps.Containers == nil {
		ps.Containers = map[string]string{}
	}
	if ps.Restarts == nil {
		ps.Restarts = map[string]int{}
	}
	if ps.Volumes == nil {
		ps.Volumes = map[string]string{}
	}
	return &ps, nil
}
