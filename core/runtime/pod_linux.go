package runtime

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/paths"
	"github.com/podlab/podlab/core/proc"
)

// ErrPodNotFound is wrapped by errors about pods that do not exist.
var ErrPodNotFound = errors.New("pod not found")

// PodsDir holds one directory per Pod, named by its uid.
func (r *Runtime) PodsDir() string { return filepath.Join(filepath.Dir(r.Root), "pods") }

// PausePath finds the pause binary: $PODLAB_PAUSE, then "pause" next to
// this program (bin/pause beside bin/podlab), then $PATH.
func PausePath() (string, error) {
	if p := os.Getenv("PODLAB_PAUSE"); p != "" {
		return p, nil
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "pause")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("pause"); err == nil {
		return p, nil
	}
	return "", errors.New("pause binary not found: build it (make build puts it in bin/) or set PODLAB_PAUSE")
}

// RunPod runs a Pod on this machine, in the kubelet's order: the sandbox
// (pause in new namespaces), its network, then the init containers one
// after another, then the app containers, each joining the sandbox's
// namespaces. net may be nil for a Pod with only a loopback interface. On
// any error everything made so far is removed.
func (r *Runtime) RunPod(ctx context.Context, pod *api.Pod, net *network.Config) (_ *PodState, err error) {
	api.SetDefaults(pod)
	if errs := api.ValidatePod(pod); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	ps := &PodState{
		Pod: *pod,
		Dir: filepath.Join(r.PodsDir(), pod.UID),
		// Like the kubelet's kubepods/pod<uid>: one cgroup per Pod, with
		// the pause and each container below it.
		Cgroup:     r.podCgroup(pod) + "/pause",
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
	if err := r.claimName(pod); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(r.PodsDir(), 0o700); err != nil {
		r.releaseName(pod)
		return nil, err
	}
	if err := os.Mkdir(ps.Dir, 0o700); err != nil {
		r.releaseName(pod)
		return nil, fmt.Errorf("create pod directory: %w", err)
	}
	defer func() {
		if err != nil {
			r.removePod(context.Background(), ps, 0)
		}
	}()
	// Recorded before anything starts: a start killed half-way can still be
	// found and removed by another process ("podlab pod rm").
	if err := writePodState(ps); err != nil {
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
	if net == nil {
		if err := network.LoopbackOnly(ns.Path(ps.Pause.Pid, ns.Net)); err != nil {
			return nil, fmt.Errorf("pod %q: %w", pod.Name, err)
		}
	} else {
		att, err := net.Add(pod.UID, ns.Path(ps.Pause.Pid, ns.Net))
		if err != nil {
			return nil, fmt.Errorf("pod %q: network: %w", pod.Name, err)
		}
		ps.Network = att
		if err := writePodState(ps); err != nil {
			return nil, err
		}
	}
	for _, c := range pod.Spec.InitContainers {
		st, err := r.runPodContainer(ctx, ps, c)
		if err != nil {
			return nil, err
		}
		if st, err = r.Wait(ctx, st.Spec.Name); err != nil {
			return nil, err
		}
		if st.ExitCode != 0 {
			return nil, fmt.Errorf("pod %q: init container %q failed with exit code %d", pod.Name, c.Name, st.ExitCode)
		}
	}
	for _, c := range pod.Spec.Containers {
		if _, err := r.runPodContainer(ctx, ps, c); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// podContainerName is the runtime's name for a container of a Pod:
// "<pod>-<container>", a DNS label (dots become dashes; a long name is cut
// and made unique with a hash). Should it collide with another container,
// the runtime refuses to start it and the Pod fails to start, naming it.
func podContainerName(pod, container string) string {
	name := strings.ReplaceAll(pod, ".", "-") + "-" + container
	if len(name) > 63 {
		h := fnv.New32a()
		h.Write([]byte(name))
		name = strings.TrimRight(name[:54], "-") + "-" + strconv.FormatUint(uint64(h.Sum32()), 36)
	}
	return name
}

// podCgroup is the cgroup of a Pod: <parent>/pod-<uid>.
func (r *Runtime) podCgroup(pod *api.Pod) string { return r.CgroupParent + "/pod-" + pod.UID }

// hostname is the Pod's hostname as the kubelet makes it from the name: at
// most 63 characters, not ending in '-' or '.'.
func hostname(name string) string {
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-.")
	}
	return name
}

// makeVolumes prepares each volume's host directory: an emptyDir lives and
// dies with the Pod (it survives container restarts); a hostPath is the
// node's own directory and outlives it.
func (r *Runtime) makeVolumes(ps *PodState) error {
	for _, v := range ps.Pod.Spec.Volumes {
		switch {
		case v.EmptyDir != nil && v.EmptyDir.Medium != "":
			return fmt.Errorf("volume %q: emptyDir medium %q is not supported by podlab: leave medium out", v.Name, v.EmptyDir.Medium)
		case v.HostPath != nil && v.HostPath.Type != "" && v.HostPath.Type != "Directory" && v.HostPath.Type != "DirectoryOrCreate":
			return fmt.Errorf("volume %q: hostPath type %q is not supported by podlab: use Directory or DirectoryOrCreate", v.Name, v.HostPath.Type)
		case v.EmptyDir != nil:
			dir := filepath.Join(ps.Dir, "volumes", v.Name)
			if err := os.MkdirAll(dir, 0o777); err != nil {
				return fmt.Errorf("volume %q: %w", v.Name, err)
			}
			os.Chmod(dir, 0o777) // as Kubernetes makes it: any user of the pod may write
			ps.Volumes[v.Name] = dir
		case v.HostPath != nil:
			path := v.HostPath.Path
			if v.HostPath.Type == "DirectoryOrCreate" {
				if err := os.MkdirAll(path, 0o755); err != nil {
					return fmt.Errorf("volume %q: %w", v.Name, err)
				}
			}
			if fi, err := os.Stat(path); err != nil {
				return fmt.Errorf("volume %q: hostPath %q: %w (use type: DirectoryOrCreate to create it)", v.Name, path, err)
			} else if !fi.IsDir() {
				return fmt.Errorf("volume %q: hostPath %q is not a directory", v.Name, path)
			}
			ps.Volumes[v.Name] = path
		}
	}
	return nil
}

// startPause starts the sandbox: the pause binary, born in new network,
// IPC and UTS namespaces (and PID with shareProcessNamespace) and in its own
// cgroup, in its own session so that it outlives the caller. It sets the
// pod's hostname and says "ok" on fd 3 when ready.
func (r *Runtime) startPause(ctx context.Context, ps *PodState) error {
	path, err := PausePath()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(ps.Dir, "pause.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer readyR.Close()
	types := []ns.Type{ns.Net, ns.IPC, ns.UTS}
	if ps.Pod.SharesPID() {
		types = append(types, ns.PID)
	}
	cmd := &exec.Cmd{
		Path: path,
		Args: []string{"pause", "-hostname", ps.Hostname, "-ready-fd", "3"},
		// One scheduler thread is plenty for a process that only waits:
		// about 100 KiB less for every Pod.
		Env:        []string{"GOMAXPROCS=1"},
		Stdout:     logf,
		Stderr:     logf,
		ExtraFiles: []*os.File{readyW},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: ns.CloneFlags(types...),
			Setsid:     true, // no Pdeathsig: the pod outlives the command that ran it
		},
	}
	cg, err := r.newCgroup(ps.Cgroup)
	if err != nil {
		readyW.Close()
		return fmt.Errorf("pod %q: %w", ps.Pod.Name, err)
	}
	err = ns.Do(nil, func() error { return cg.Start(cmd) })
	readyW.Close()
	if err != nil {
		return fmt.Errorf("pod %q: start pause: %w", ps.Pod.Name, err)
	}
	go cmd.Wait() // reap it if this process lives that long
	ps.Pause = Process{Pid: cmd.Process.Pid, Start: startTime(cmd.Process.Pid)}
	readyR.SetReadDeadline(time.Now().Add(startTimeout))
	stop := context.AfterFunc(ctx, func() { readyR.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 256)
	n, _ := readyR.Read(buf)
	if msg := strings.TrimSpace(string(buf[:n])); msg != "ok" {
		return fmt.Errorf("pod %q: pause did not start: %q", ps.Pod.Name, msg)
	}
	return nil
}

// runPodContainer starts one container of the Pod inside its sandbox.
func (r *Runtime) runPodContainer(ctx context.Context, ps *PodState, c api.Container) (*State, error) {
	pause := ps.Pause.Pid
	join := map[ns.Type]string{
		ns.Net: ns.Path(pause, ns.Net),
		ns.IPC: ns.Path(pause, ns.IPC),
		ns.UTS: ns.Path(pause, ns.UTS),
	}
	if ps.Pod.SharesPID() {
		join[ns.PID] = ns.Path(pause, ns.PID)
	}
	cpu, memory, err := c.Resources.Limits()
	if err != nil {
		return nil, err
	}
	var res cgroup.Resources
	if cpu > 0 {
		res.CPUPeriod = 100000
		res.CPUQuota = cpu * res.CPUPeriod / 1000
	}
	res.MemoryLimit = memory
	var env []string
	for _, e := range c.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	var mounts []Mount
	for _, m := range c.VolumeMounts {
		mounts = append(mounts, Mount{Source: ps.Volumes[m.Name], Target: m.MountPath, ReadOnly: m.ReadOnly})
	}
	name := podContainerName(ps.Pod.Name, c.Name)
	st, err := r.Run(ctx, Spec{
		Name:       name,
		Image:      c.Image,
		Command:    c.Command,
		Args:       c.Args,
		Env:        env,
		WorkingDir: c.WorkingDir,
		Join:       join,
		Resources:  res,
		Mounts:     mounts,
		Sandbox:    &ps.Pause,
		Cgroup:     r.podCgroup(&ps.Pod) + "/" + c.Name,
	})
	if err != nil {
		return nil, fmt.Errorf("pod %q: container %q: %w", ps.Pod.Name, c.Name, err)
	}
	// Recorded once it is ours: a name that was taken must not be removed
	// by this Pod's rollback.
	ps.Containers[c.Name] = name
	if err := writePodState(ps); err != nil {
		return nil, err
	}
	return st, nil
}

// RestartPodContainer stops one container of a running Pod and starts it
// again from its image, in the same sandbox: what the kubelet does under
// restartPolicy Always. The new container has a fresh root filesystem; the
// Pod's volumes and network stay.
func (r *Runtime) RestartPodContainer(ctx context.Context, ps *PodState, container string, grace time.Duration) (*State, error) {
	for _, c := range ps.Pod.Spec.Containers {
		if c.Name != container {
			continue
		}
		name := ps.Containers[c.Name]
		if _, err := r.Stop(ctx, name, grace); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if err := r.ForceRemove(ctx, name); err != nil {
			return nil, err
		}
		ps.Restarts[c.Name]++
		return r.runPodContainer(ctx, ps, c)
	}
	return nil, fmt.Errorf("pod %q has no container %q", ps.Pod.Name, container)
}

// Phase says whether the Pod's sandbox is alive.
func (ps *PodState) Phase() PodPhase {
	if proc.Alive(ps.Pause.Pid, ps.Pause.Start) {
		return PodRunning
	}
	return PodDead
}

// IP is the Pod's address, or "" without a network.
func (ps *PodState) IP() string {
	if ps.Network == nil {
		return ""
	}
	return ps.Network.IP.IP.String()
}

// Pods lists the Pods on this machine, by name.
func (r *Runtime) Pods() ([]*PodState, error) {
	entries, err := os.ReadDir(r.PodsDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list []*PodState
	for _, e := range entries {
		if e.Name() == "names" {
			continue
		}
		ps, err := readPodState(filepath.Join(r.PodsDir(), e.Name()))
		if err == nil {
			list = append(list, ps)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Pod.Name < list[j].Pod.Name })
	return list, nil
}

// Pod names are unique on this machine: pods/names/<name> holds the uid of
// the Pod that has the name. Creating it with O_EXCL claims the name
// atomically, and GetPod finds a Pod without reading every Pod's state.
func (r *Runtime) nameFile(name string) string { return filepath.Join(r.PodsDir(), "names", name) }

func (r *Runtime) claimName(pod *api.Pod) error {
	if err := os.MkdirAll(filepath.Dir(r.nameFile(pod.Name)), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(r.nameFile(pod.Name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pod %q already exists: remove it with \"podlab pod rm %s\"", pod.Name, pod.Name)
	}
	if err != nil {
		return err
	}
	_, err = f.WriteString(pod.UID)
	return errors.Join(err, f.Close())
}

// releaseName gives the name up if it still belongs to this Pod.
func (r *Runtime) releaseName(pod *api.Pod) {
	if uid, err := os.ReadFile(r.nameFile(pod.Name)); err == nil && string(uid) == pod.UID {
		os.Remove(r.nameFile(pod.Name))
	}
}

// GetPod finds a Pod by name.
func (r *Runtime) GetPod(name string) (*PodState, error) {
	uid, err := os.ReadFile(r.nameFile(name))
	if err != nil || strings.ContainsAny(string(uid), "/.") {
		return nil, fmt.Errorf("pod %q: %w", name, ErrPodNotFound)
	}
	ps, err := readPodState(filepath.Join(r.PodsDir(), string(uid)))
	if err != nil {
		return nil, fmt.Errorf("pod %q: %w", name, ErrPodNotFound)
	}
	return ps, nil
}

// PodContainer returns the runtime state of one container of a Pod; an
// empty name means the Pod's first container.
func (r *Runtime) PodContainer(ps *PodState, container string) (*State, error) {
	if container == "" && len(ps.Pod.Spec.Containers) > 0 {
		container = ps.Pod.Spec.Containers[0].Name
	}
	name, ok := ps.Containers[container]
	if !ok {
		var names []string
		for _, c := range ps.Pod.AllContainers() {
			names = append(names, c.Name)
		}
		return nil, fmt.Errorf("pod %q has no container %q; its containers are %s", ps.Pod.Name, container, strings.Join(names, ", "))
	}
	return r.Get(name)
}

// RemovePod stops a Pod the way Kubernetes deletes one: each container gets
// SIGTERM and grace to exit, then SIGKILL; then the sandbox goes, taking
// its namespaces (and with the network namespace, the pod's end of the veth
// pair); the IP is released, emptyDir volumes are deleted. A negative grace
// means the Pod's own terminationGracePeriodSeconds.
func (r *Runtime) RemovePod(ctx context.Context, name string, grace time.Duration) error {
	ps, err := r.GetPod(name)
	if err != nil {
		return err
	}
	if grace < 0 && ps.Pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*ps.Pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return r.removePod(ctx, ps, max(grace, 0))
}

func (r *Runtime) removePod(ctx context.Context, ps *PodState, grace time.Duration) error {
	var errs []error
	// Containers first, in parallel: each has its own grace period.
	done := make(chan error, len(ps.Containers))
	for _, name := range ps.Containers {
		go func() {
			if _, err := r.Stop(ctx, name, grace); err != nil && !errors.Is(err, ErrNotFound) {
				done <- err
				return
			}
			done <- r.ForceRemove(ctx, name)
		}()
	}
	for range ps.Containers {
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
		if err := ps.NetConfig.Del(ps.Pod.UID, ""); err != nil {
			errs = append(errs, err)
		}
	}
	r.killAndRemove(ps.Cgroup)
	if err := r.removeCgroup(ctx, r.podCgroup(&ps.Pod)); err != nil {
		errs = append(errs, err)
	}
	r.removeParentIfEmpty()
	if len(errs) > 0 {
		// Keep the record, so that "podlab pod rm" can try again.
		return fmt.Errorf("remove pod %q: %w", ps.Pod.Name, errors.Join(errs...))
	}
	if err := os.RemoveAll(ps.Dir); err != nil {
		return err
	}
	r.releaseName(&ps.Pod)
	return nil
}

// Exec runs a command inside a running container of a Pod, like kubectl
// exec: it enters every namespace of the container, the mount namespace
// included (so the container's root filesystem), then joins its cgroup.
func (r *Runtime) Exec(ctx context.Context, st *State, argv []string, stdin *os.File, stdout, stderr *os.File) (int, error) {
	if st.Status != Running || !proc.Alive(st.Pid, st.PidStart) {
		return -1, fmt.Errorf("container %q is not running", st.Spec.Name)
	}
	join := map[ns.Type]string{}
	for _, t := range []ns.Type{ns.IPC, ns.UTS, ns.Net, ns.PID, ns.Mount} {
		join[t] = ns.Path(st.Pid, t)
	}
	cmd := &exec.Cmd{Args: argv, Env: st.Env, Stdin: stdin, Stdout: stdout, Stderr: stderr, Dir: "/"}
	if st.Spec.WorkingDir != "" {
		cmd.Dir = st.Spec.WorkingDir
	}
	err := ns.Do(join, func() error {
		// Inside the container's mount namespace: look the command up in
		// its image, not on the host.
		path, err := lookPath(argv[0], st.Env)
		if err != nil {
			return fmt.Errorf("exec %q: not found in container %q", argv[0], st.Spec.Name)
		}
		cmd.Path = path
		return cmd.Start()
	})
	if err != nil {
		return -1, err
	}
	// Into the container's cgroup at once (the cgroup files are not
	// reachable from inside the container's mount namespace, where the
	// fork happened).
	if cg, err := r.Cgroups.Open(st.Cgroup); err == nil {
		cg.Add(cmd.Process.Pid)
	}
	err = cmd.Wait()
	code, _ := exitStatus(cmd.ProcessState, err)
	return code, nil
}

// ExecOutput runs a command in a container like Exec and returns what it
// printed (stdout and stderr) and its exit code.
func (r *Runtime) ExecOutput(ctx context.Context, st *State, argv ...string) (string, int, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return "", -1, err
	}
	out := make(chan []byte)
	go func() { b, _ := io.ReadAll(pr); pr.Close(); out <- b }()
	code, err := r.Exec(ctx, st, argv, nil, pw, pw)
	pw.Close()
	return string(<-out), code, err
}

// ForceRemovePod removes a Pod at once; one that does not exist counts as
// removed. Labs clean up with it.
func (r *Runtime) ForceRemovePod(ctx context.Context, name string) error {
	err := r.RemovePod(ctx, name, 0)
	if errors.Is(err, ErrPodNotFound) {
		return nil
	}
	return err
}

func writePodState(ps *PodState) error {
	data, err := json.MarshalIndent(ps, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(ps.Dir, "pod.json.tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write state of pod %q: %w", ps.Pod.Name, err)
	}
	return os.Rename(tmp, filepath.Join(ps.Dir, "pod.json"))
}

func readPodState(dir string) (*PodState, error) {
	data, err := os.ReadFile(filepath.Join(dir, "pod.json"))
	if err != nil {
		return nil, err
	}
	var ps PodState
	if err := json.Unmarshal(data, &ps); err != nil {
		return nil, fmt.Errorf("read state of pod in %q: %w", dir, err)
	}
	if ps.Restarts == nil {
		ps.Restarts = map[string]int{}
	}
	return &ps, nil
}

// DefaultNetwork is the network of pods run on this machine without a
// cluster: the bridge podlab0 with 10.244.0.0/24 in the host's namespace.
// PODLAB_BRIDGE and PODLAB_POD_SUBNET move it (tests run a second one).
func DefaultNetwork() *network.Config {
	bridge := cmp.Or(os.Getenv("PODLAB_BRIDGE"), network.DefaultBridge)
	_, subnet, err := net.ParseCIDR(cmp.Or(os.Getenv("PODLAB_POD_SUBNET"), "10.244.0.0/24"))
	if err != nil {
		_, subnet, _ = net.ParseCIDR("10.244.0.0/24")
	}
	return &network.Config{Bridge: bridge, Subnet: subnet, MTU: network.DefaultMTU,
		StateDir: filepath.Join(paths.Run(), "ipam", bridge)}
}
