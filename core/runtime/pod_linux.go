package runtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/paths"
	"github.com/podlab/podlab/core/proc"
)

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
// (pause in new namespaces) and its network, then the init containers one
// after another, each run to completion (a native sidecar only started),
// then the app containers, each joining the sandbox's namespaces. net may be nil for a Pod with only a
// loopback interface. On any error everything made so far is removed.
//
// It is the steps of a node agent done at once, without restarts: a node
// agent calls CreateSandbox and StartContainer itself.
func (r *Runtime) RunPod(ctx context.Context, pod *api.Pod, net *network.Config) (_ *PodState, err error) {
	ps, err := r.CreateSandbox(ctx, pod, net)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			r.removeSandbox(context.Background(), ps, 0)
		}
	}()
	for _, c := range ps.Pod.Spec.InitContainers {
		st, err := r.StartContainer(ctx, ps, c)
		if err != nil {
			return nil, err
		}
		if c.IsSidecar() {
			continue // a native sidecar keeps running beside the app containers
		}
		if st, err = r.Wait(ctx, st.Spec.Name); err != nil {
			return nil, err
		}
		if st.ExitCode != 0 {
			return nil, fmt.Errorf("pod %s: init container %q failed with exit code %d", describe(&ps.Pod), c.Name, st.ExitCode)
		}
	}
	for _, c := range ps.Pod.Spec.Containers {
		if _, err := r.StartContainer(ctx, ps, c); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

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
		return fmt.Errorf("pod %s: %w", describe(&ps.Pod), err)
	}
	err = ns.Do(nil, func() error { return cg.Start(cmd) })
	readyW.Close()
	if err != nil {
		return fmt.Errorf("pod %s: start pause: %w", describe(&ps.Pod), err)
	}
	go cmd.Wait() // reap it if this process lives that long
	ps.Pause = Process{Pid: cmd.Process.Pid, Start: startTime(cmd.Process.Pid)}
	readyR.SetReadDeadline(time.Now().Add(startTimeout))
	stop := context.AfterFunc(ctx, func() { readyR.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 256)
	n, _ := readyR.Read(buf)
	if msg := strings.TrimSpace(string(buf[:n])); msg != "ok" {
		return fmt.Errorf("pod %s: pause did not start: %q", describe(&ps.Pod), msg)
	}
	return nil
}

// RestartPodContainer stops one app container of a running Pod and starts
// it again from its image, in the same sandbox: what the kubelet does under
// restartPolicy Always. The new container has a fresh root filesystem; the
// Pod's volumes and network stay, and ps.Restarts counts one more. grace
// is as in StopContainer (negative: the Pod's own).
func (r *Runtime) RestartPodContainer(ctx context.Context, ps *PodState, container string, grace time.Duration) (*State, error) {
	for _, c := range ps.Pod.Spec.Containers {
		if c.Name != container {
			continue
		}
		if _, err := r.StopContainer(ctx, ps, c.Name, grace); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return r.StartContainer(ctx, ps, c)
	}
	return nil, fmt.Errorf("pod %s has no container %q", describe(&ps.Pod), container)
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

// Pods lists the Pods on this machine, by namespace and name: Sandboxes.
func (r *Runtime) Pods() ([]*PodState, error) { return r.Sandboxes() }

// GetPod finds a Pod of namespace default by name.
func (r *Runtime) GetPod(name string) (*PodState, error) {
	return r.GetPodIn(api.NamespaceDefault, name)
}

// GetPodIn finds a Pod by namespace and name, through its name claim.
func (r *Runtime) GetPodIn(namespace, name string) (*PodState, error) {
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: namespace, Name: name}}
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/_") || strings.ContainsAny(namespace, "/_") {
		return nil, fmt.Errorf("pod %s: %w", describe(pod), ErrPodNotFound)
	}
	uid, err := os.ReadFile(r.nameFile(namespace, name))
	if err != nil {
		return nil, fmt.Errorf("pod %s: %w", describe(pod), ErrPodNotFound)
	}
	ps, err := r.SandboxByUID(string(uid))
	if err != nil {
		return nil, fmt.Errorf("pod %s: %w", describe(pod), ErrPodNotFound)
	}
	return ps, nil
}

// RemovePod removes a Pod of namespace default by name: RemoveSandbox. A
// negative grace means the Pod's own terminationGracePeriodSeconds.
func (r *Runtime) RemovePod(ctx context.Context, name string, grace time.Duration) error {
	ps, err := r.GetPod(name)
	if err != nil {
		return err
	}
	return r.RemoveSandbox(ctx, ps, grace)
}

// Exec runs a command inside a running container of a Pod, like kubectl
// exec: it enters every namespace of the container, the mount namespace
// included (so the container's root filesystem), then joins its cgroup.
// When ctx ends first, the command is killed and Exec returns ctx's error
// with the exit code: a probe that timed out leaves nothing running.
func (r *Runtime) Exec(ctx context.Context, st *State, argv []string, stdin *os.File, stdout, stderr *os.File) (int, error) {
	return r.exec(ctx, st, argv, stdio{stdin, stdout, stderr}, false)
}

// ExecOutput runs a command in a container like Exec and returns what it
// printed (stdout and stderr) and its exit code. The command runs in a
// process group of its own, so that when ctx ends what it started in the
// background (the "sleep" of "sh -c 'sleep 60'") is killed with it.
func (r *Runtime) ExecOutput(ctx context.Context, st *State, argv ...string) (string, int, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return "", -1, err
	}
	defer pr.Close()
	out := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(pr); out <- b }()
	code, err := r.exec(ctx, st, argv, stdio{nil, pw, pw}, true)
	pw.Close()
	select {
	case b := <-out:
		return string(b), code, err
	case <-ctx.Done():
		// A process that left the group may still hold the pipe open:
		// stop reading, keep what came.
		pr.SetReadDeadline(time.Now())
		return string(<-out), code, cmp.Or(err, ctx.Err())
	}
}

// stdio are the files of a command run by exec; nil is /dev/null.
type stdio struct{ in, out, err *os.File }

// exec runs argv in the container of st and waits for it, or kills it when
// ctx ends: its process group if group (it has one of its own), else the
// process alone (an interactive command stays in the terminal's
// foreground group, where it may read the terminal).
func (r *Runtime) exec(ctx context.Context, st *State, argv []string, std stdio, group bool) (int, error) {
	cmd := execCommand(st, argv)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = std.in, std.out, std.err
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: group}
	if _, err := r.startExec(st, cmd, nil); err != nil {
		return -1, err
	}
	return r.waitExec(ctx, st, cmd, group)
}

// execCommand is argv to run in the container of st, with its environment
// and working directory; startExec finds the program in its image.
func execCommand(st *State, argv []string) *exec.Cmd {
	return &exec.Cmd{Args: argv, Env: st.Env, Dir: cmp.Or(st.Spec.WorkingDir, "/")}
}

// startExec starts cmd inside every namespace of the container of st, the
// mount namespace included, then puts it in the container's cgroup. With
// tty not nil, cmd gets a terminal of that size, opened in the container
// (openPTY), as stdin, stdout, stderr and controlling terminal, in a
// session of its own; startExec returns the terminal's master side.
//
// Hazard: paths mean the container's files only on the thread that has
// joined its mount namespace, the throw-away thread that ns.Do runs fn on.
// So the lookup of the command in the image, the opening of the
// container's /dev/ptmx and the fork all happen inside fn: a goroutine
// started there, or code after ns.Do returns, would see the host's files
// (a terminal from the host's /dev/pts, which the container cannot see).
func (r *Runtime) startExec(st *State, cmd *exec.Cmd, tty *TerminalSize) (master *os.File, err error) {
	if st.Status != Running || !proc.Alive(st.Pid, st.PidStart) {
		return nil, fmt.Errorf("container %q is not running", st.Spec.Name)
	}
	join := map[ns.Type]string{}
	for _, t := range []ns.Type{ns.IPC, ns.UTS, ns.Net, ns.PID, ns.Mount} {
		join[t] = ns.Path(st.Pid, t)
	}
	err = ns.Do(join, func() error {
		path, err := lookPath(cmd.Args[0], cmd.Env)
		if err != nil {
			return fmt.Errorf("exec %q: not found in container %q", cmd.Args[0], st.Spec.Name)
		}
		cmd.Path = path
		if tty != nil {
			var slave *os.File
			if master, slave, err = openPTY(*tty); err != nil {
				return fmt.Errorf("exec %q in container %q: %w", cmd.Args[0], st.Spec.Name, err)
			}
			// The command's own copy of the slave is enough: with ours open
			// too, the master would never see the terminal's last close.
			defer slave.Close()
			onTerminal(cmd, slave)
		}
		return cmd.Start()
	})
	if err != nil {
		if master != nil {
			master.Close()
		}
		return nil, err
	}
	// Into the container's cgroup at once (the cgroup files are not
	// reachable from inside the container's mount namespace, where the
	// fork happened).
	if cg, err := r.Cgroups.Open(st.Cgroup); err == nil {
		cg.Add(cmd.Process.Pid)
	}
	return master, nil
}

// waitExec waits for cmd, started by startExec, and returns its exit code.
// When ctx ends first it kills cmd, or its whole process group if group,
// and returns ctx's error too.
func (r *Runtime) waitExec(ctx context.Context, st *State, cmd *exec.Cmd, group bool) (int, error) {
	target := cmd.Process.Pid
	if group {
		target = -target // the whole group: its id is its leader's pid
	}
	// Killed when ctx ends, but only before it is reaped: until then its
	// pid, and the group's id, name it and nothing else.
	var mu sync.Mutex
	reaped, killed := false, false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !reaped {
			killed = syscall.Kill(target, syscall.SIGKILL) == nil
		}
	})
	defer stop()
	waitExited(cmd.Process.Pid)
	mu.Lock()
	reaped = true
	mu.Unlock()
	err := cmd.Wait()
	code, _ := exitStatus(cmd.ProcessState, err)
	if killed {
		return code, fmt.Errorf("exec %q in container %q: %w", cmd.Args[0], st.Spec.Name, ctx.Err())
	}
	return code, nil
}

// waitExited waits until process pid, a child, has exited, and leaves it
// to be reaped (WNOWAIT) by cmd.Wait.
func waitExited(pid int) {
	var info unix.Siginfo
	for unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil) == unix.EINTR {
	}
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
