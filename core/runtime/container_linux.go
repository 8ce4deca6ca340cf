package runtime

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/image"
	"github.com/podlab/podlab/core/paths"
	"github.com/podlab/podlab/core/proc"
)

// Runtime runs containers from an image store, with state under Root.
type Runtime struct {
	Root         string        // one directory per container
	Images       *image.Store  // where images come from
	Cgroups      cgroup.Driver // v1 or v2
	CgroupParent string        // e.g. "podlab"
}

// New returns a runtime with podlab's default paths ($PODLAB_RUN,
// $PODLAB_CGROUP) and the cgroup driver of this host.
func New() (*Runtime, error) { return NewAt("", "") }

// NewAt returns a runtime whose state lives in stateDir, one directory per
// container in containers/ and one per Pod in pods/, and whose cgroups go
// below cgroupParent; "" means the default (paths.Run(), paths.CgroupParent()).
// The image store is the shared one (paths.Images()).
//
// Nodes that share a host, each a network namespace with its own node
// agent, each need their own, or they would see, adopt and remove each
// other's Pods:
//
//	runtime.NewAt("/run/podlab/nodes/node1", "podlab-node1")
//
// Such an agent must enter only the node's network namespace (nsenter
// --net=/run/netns/NODE, or ns.StartIn): "ip netns exec" also mounts a
// fresh /sys, which hides the cgroup mounts, and NewAt then fails, saying so.
func NewAt(stateDir, cgroupParent string) (*Runtime, error) {
	drv, err := cgroup.Detect()
	if err != nil {
		return nil, withMountNamespaceHint(err)
	}
	if stateDir == "" {
		stateDir = paths.Run()
	}
	if cgroupParent == "" {
		cgroupParent = paths.CgroupParent()
	}
	if !filepath.IsAbs(stateDir) {
		return nil, fmt.Errorf("runtime state directory %q is not an absolute path", stateDir)
	}
	// Children checks the name as the driver will: relative, clean, no "..".
	if _, err := drv.Children(cgroupParent); err != nil {
		return nil, fmt.Errorf("cgroup parent %q: %w", cgroupParent, err)
	}
	return &Runtime{
		Root:         filepath.Join(stateDir, "containers"),
		Images:       image.Default(),
		Cgroups:      drv,
		CgroupParent: cgroupParent,
	}, nil
}

// withMountNamespaceHint explains a cgroup error in a process that sees
// no cgroup mount at all, only the sysfs directory /sys/fs/cgroup: that is
// what "ip netns exec" does, as it mounts a fresh /sys (for the network
// namespace's /sys/class/net) in a mount namespace of its own, hiding the
// host's cgroup mounts. Entering only the network namespace keeps them.
func withMountNamespaceHint(err error) error {
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &st) != nil || st.Type != unix.SYSFS_MAGIC {
		return err
	}
	return fmt.Errorf("%w (nothing is mounted on /sys/fs/cgroup in this process's mount namespace: "+
		"\"ip netns exec\" does that, it mounts a fresh /sys; enter only the network namespace, "+
		"e.g. \"nsenter --net=/run/netns/NAME COMMAND\")", err)
}

// Files of a container directory.
const (
	stateFile = "state.json"
	logFile   = "container.log" // stdout and stderr of the workload
	shimLog   = "shim.log"      // the shim's own errors
	upperDir  = "upper"         // the container's writable overlay layer
	workDir   = "work"          // overlayfs scratch space
	rootfsDir = "rootfs"        // mount point of the merged root filesystem
)

func (r *Runtime) dir(name string) string { return filepath.Join(r.Root, name) }

// LogPath is the file holding the container's stdout and stderr.
func (r *Runtime) LogPath(name string) string { return filepath.Join(r.dir(name), logFile) }

// startTimeout bounds how long Run waits for the workload to start.
const startTimeout = 30 * time.Second

// Run starts a container and returns once its workload is running (its
// command has been exec'd). On any error everything made so far is removed.
func (r *Runtime) Run(ctx context.Context, spec Spec) (_ *State, err error) {
	if err := ValidateName(spec.Name); err != nil {
		return nil, err
	}
	ref, err := image.ParseRef(spec.Image)
	if err != nil {
		return nil, err
	}
	img, err := r.Images.Get(ref)
	if err != nil {
		return nil, err
	}
	layers, err := r.Images.Layers(ref)
	if err != nil {
		return nil, err
	}
	if spec.Hostname == "" {
		spec.Hostname = spec.Name
	}
	st := &State{
		Spec:      spec,
		Status:    Created,
		Argv:      argv(img, spec),
		Env:       mergeEnv(img.Env, spec.Env),
		Layers:    layers,
		Cgroup:    cmp.Or(spec.Cgroup, r.CgroupParent+"/"+spec.Name),
		CreatedAt: time.Now(),
		Dir:       r.dir(spec.Name),
	}
	if len(st.Argv) == 0 {
		return nil, fmt.Errorf("container %q: image %q has no command; give one after the image name", spec.Name, ref)
	}

	// Rollback (STYLE.md rule 4): undo in reverse order unless we succeed.
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()

	if err := os.MkdirAll(r.Root, 0o755); err != nil {
		return nil, fmt.Errorf("create container root %q: %w", r.Root, err)
	}
	if err := os.Mkdir(st.Dir, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("container %q already exists: remove it with \"podlab container rm %s\"", spec.Name, spec.Name)
		}
		return nil, fmt.Errorf("create container directory: %w", err)
	}
	dir := st.Dir
	undo = append(undo, func() { os.RemoveAll(dir) })
	for _, d := range []string{upperDir, workDir, rootfsDir} {
		if err := os.Mkdir(filepath.Join(st.Dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("create %s directory of container %q: %w", d, spec.Name, err)
		}
	}

	cg, err := r.newCgroup(st.Cgroup)
	if err != nil {
		return nil, fmt.Errorf("container %q: %w", spec.Name, err)
	}
	// Undo kills whatever already runs in the cgroup: after a Ctrl-C the
	// init may be running although the shim is gone.
	undo = append(undo, func() { r.killAndRemove(st.Cgroup); r.removeParentIfEmpty() })
	// A new cgroup has no limits: write only those that were asked for. The
	// pids limit is written by the init itself just before it execs the
	// workload, so that podlab's own threads never count against it.
	if limits := withoutPids(spec.Resources); limits != (cgroup.Resources{}) {
		if err := cg.Set(limits); err != nil {
			return nil, fmt.Errorf("set limits of container %q: %w", spec.Name, err)
		}
	}
	if err := writeState(st); err != nil {
		return nil, err
	}

	running, err := r.startShim(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("start container %q: %w", spec.Name, err)
	}
	return running, nil
}

// startShim starts the shim and waits for its word: the state of the
// running workload, or why it could not start. The shim is put in its own session so that it
// outlives the caller and is not hit by the caller's Ctrl-C.
func (r *Runtime) startShim(ctx context.Context, st *State) (*State, error) {
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer readyR.Close()
	logf, err := os.OpenFile(filepath.Join(st.Dir, shimLog), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		readyW.Close()
		return nil, err
	}
	defer logf.Close()

	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{shimArg0, st.Dir},
		Stdout:      logf,
		Stderr:      logf,
		ExtraFiles:  []*os.File{readyW}, // fd 3 in the shim
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	readyW.Close() // the shim holds the only write end now: EOF = shim gone
	if err != nil {
		return nil, fmt.Errorf("start shim: %w", err)
	}
	// Reap the shim when it exits, if this process lives that long.
	go cmd.Wait()

	readyR.SetReadDeadline(time.Now().Add(startTimeout))
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			readyR.SetReadDeadline(time.Now())
		case <-done:
		}
	}()
	line, err := bufio.NewReader(readyR).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("start interrupted: %w", ctx.Err())
		}
		shimErr, _ := os.ReadFile(filepath.Join(st.Dir, shimLog))
		return nil, fmt.Errorf("shim did not report (%v): %s", err, strings.TrimSpace(string(shimErr)))
	}
	var msg shimReport
	if err := json.Unmarshal([]byte(line), &msg); err != nil {
		return nil, fmt.Errorf("shim report %q: %w", line, err)
	}
	if msg.Error != "" {
		return nil, errors.New(msg.Error)
	}
	if msg.State == nil {
		return nil, fmt.Errorf("shim report %q has no state", line)
	}
	return msg.State, nil
}

// shimReport is the one line the shim writes to the caller on fd 3.
type shimReport struct {
	State *State `json:"state,omitempty"` // the container, running
	Error string `json:"error,omitempty"`
}

// Get returns the state of a container. A container recorded as running
// whose process is gone (its shim was killed, or the host rebooted) is
// reported as exited with an error saying so.
func (r *Runtime) Get(name string) (*State, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	st, err := readState(r.dir(name))
	if err != nil {
		return nil, err
	}
	if st.Status == Running && !proc.Alive(st.Pid, st.PidStart) {
		// The shim may be writing the exit right now: give it a moment.
		time.Sleep(20 * time.Millisecond)
		if st, err = readState(r.dir(name)); err != nil {
			return nil, err
		}
		if st.Status == Running && !proc.Alive(st.Pid, st.PidStart) && !proc.Alive(st.ShimPid, st.ShimStart) {
			st.Status = Exited
			st.ExitCode = -1
			st.Error = "the container's process and its shim are gone; the exit code is unknown"
		}
	}
	return st, nil
}

// List returns every container, sorted by name.
func (r *Runtime) List() ([]*State, error) {
	entries, err := os.ReadDir(r.Root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list []*State
	for _, e := range entries {
		if !e.IsDir() || ValidateName(e.Name()) != nil {
			continue
		}
		st, err := r.Get(e.Name())
		if err != nil {
			continue // half-made by a concurrent Run, or removed meanwhile
		}
		list = append(list, st)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Spec.Name < list[j].Spec.Name })
	return list, nil
}

// Wait blocks until the container has exited and returns its final state.
// The shim writes the exit and then exits itself: waiting for the shim
// (through its pidfd) wakes us the moment the record is there.
func (r *Runtime) Wait(ctx context.Context, name string) (*State, error) {
	for {
		st, err := r.Get(name)
		if err != nil || st.Status == Exited {
			return st, err
		}
		if fd, err := openPidfd(st.ShimPid, st.ShimStart); err == nil {
			waitPidfd(ctx, fd, time.Hour)
			unix.Close(fd)
		} else {
			time.Sleep(10 * time.Millisecond) // between a start and its report
		}
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
	}
}

// Stop ends a running container the way Kubernetes does: SIGTERM, then
// SIGKILL when it is still alive after grace. The workload is PID 1 of its
// PID namespace, so the kernel delivers SIGTERM only if the program handles
// it, and killing PID 1 kills every other process of the container.
func (r *Runtime) Stop(ctx context.Context, name string, grace time.Duration) (*State, error) {
	st, err := r.Get(name)
	if err != nil || st.Status != Running {
		return st, err
	}
	// A pidfd names this very process: no risk of signalling a recycled PID.
	pidfd, err := openPidfd(st.Pid, st.PidStart)
	if err != nil {
		return r.Wait(ctx, name)
	}
	defer unix.Close(pidfd)
	if grace > 0 {
		unix.PidfdSendSignal(pidfd, unix.SIGTERM, nil, 0)
		waitPidfd(ctx, pidfd, grace)
	}
	if !exitedPidfd(pidfd) {
		unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)
		waitPidfd(ctx, pidfd, 10*time.Second)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return r.Wait(wctx, name)
}

// Remove deletes a container: its cgroup and its directory (upper layer,
// log, state). A running container is refused unless force is set, in which
// case it is killed first.
func (r *Runtime) Remove(ctx context.Context, name string, force bool) error {
	st, err := r.Get(name)
	if err != nil {
		return err
	}
	if st.Status == Running {
		if !force {
			return fmt.Errorf("container %q is running: stop it first (\"podlab container stop %s\") or use --force", name, name)
		}
		if st, err = r.Stop(ctx, name, 0); err != nil {
			return err
		}
	}
	// Let the shim finish writing the exit before the directory goes.
	if pidfd, err := openPidfd(st.ShimPid, st.ShimStart); err == nil {
		waitPidfd(ctx, pidfd, 5*time.Second)
		unix.Close(pidfd)
	}
	if err := r.removeCgroup(ctx, st.Cgroup); err != nil {
		return fmt.Errorf("remove container %q: %w", name, err)
	}
	r.removeParentIfEmpty()
	if m := mountsUnder(st.Dir); len(m) > 0 {
		return fmt.Errorf("remove container %q: %d mounts still under %q (first: %s); unmount them first", name, len(m), st.Dir, m[0])
	}
	if err := os.RemoveAll(st.Dir); err != nil {
		return fmt.Errorf("remove container %q: %w", name, err)
	}
	return nil
}

// ForceRemove kills the container if it runs and removes it; a container
// that does not exist counts as removed. Labs use it to clean up: running
// a cleanup twice is harmless.
func (r *Runtime) ForceRemove(ctx context.Context, name string) error {
	err := r.Remove(ctx, name, true)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// ImageUsers lists the running containers whose root filesystem has a layer
// of the image: removing or rebuilding it would pull files from under them.
func (r *Runtime) ImageUsers(ref image.Ref) ([]string, error) {
	layers, err := r.Images.Layers(ref)
	if err != nil {
		return nil, err
	}
	list, err := r.List()
	if err != nil {
		return nil, err
	}
	var users []string
	for _, st := range list {
		if st.Status == Running && slices.Contains(st.Layers, layers[0]) {
			users = append(users, st.Spec.Name)
		}
	}
	return users, nil
}

// newCgroup creates the cgroup of a new container. One left behind by a
// start that was killed half-way is removed first if it is empty; one that
// still holds processes is refused.
func (r *Runtime) newCgroup(name string) (cgroup.Cgroup, error) {
	if old, err := r.Cgroups.Open(name); err == nil {
		if procs, _ := old.Procs(); len(procs) > 0 {
			return nil, fmt.Errorf("cgroup %q already holds processes %v: stop them first", name, procs)
		}
		if err := old.Remove(); err != nil {
			return nil, fmt.Errorf("remove stale cgroup: %w", err)
		}
	}
	cg, err := r.Cgroups.Create(name)
	if err != nil {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	return cg, nil
}

// withoutPids returns the limits without the pids limit.
func withoutPids(res cgroup.Resources) cgroup.Resources {
	res.PidsLimit = 0
	return res
}

// killAndRemove kills every process of a container's cgroup (they are the
// container's: its init and what it started) and removes the cgroup.
func (r *Runtime) killAndRemove(name string) {
	if r.killProcs(name) {
		r.removeCgroup(context.Background(), name)
	}
}

// killProcs sends SIGKILL to every process in the cgroup; false if there
// is no such cgroup.
func (r *Runtime) killProcs(name string) bool {
	cg, err := r.Cgroups.Open(name)
	if err != nil {
		return false
	}
	if procs, err := cg.Procs(); err == nil {
		for _, pid := range procs {
			unix.Kill(pid, unix.SIGKILL)
		}
	}
	return true
}

// removeCgroup removes a cgroup, retrying while the kernel finishes tearing
// down the processes of a PID namespace whose PID 1 just died.
func (r *Runtime) removeCgroup(ctx context.Context, name string) error {
	cg, err := r.Cgroups.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Second)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err := cg.Remove()
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(wait)
	}
}

// removeParentIfEmpty removes podlab's parent cgroup once its last
// container is gone, so that cleaning up leaves the host as it was. A
// nested parent ("podlab/node1") goes up to its top as far as it is empty.
func (r *Runtime) removeParentIfEmpty() {
	for parent := r.CgroupParent; parent != "." && parent != "/" && parent != ""; parent = path.Dir(parent) {
		if children, err := r.Cgroups.Children(parent); err != nil || len(children) > 0 {
			return
		}
		cg, err := r.Cgroups.Open(parent)
		if err != nil || cg.Remove() != nil { // fails harmlessly if a container appeared meanwhile
			return
		}
	}
}

// argv combines the image's entrypoint and cmd with the spec's command and
// args, by the rules of a Pod's command and args.
func argv(img *image.Image, spec Spec) []string {
	switch {
	case len(spec.Command) > 0:
		return append(slices.Clone(spec.Command), spec.Args...)
	case len(spec.Args) > 0:
		return append(slices.Clone(img.Entrypoint), spec.Args...)
	}
	return append(slices.Clone(img.Entrypoint), img.Cmd...)
}

func mergeEnv(base, extra []string) []string {
	env := append([]string(nil), base...)
	for _, kv := range extra {
		key, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range env {
			if k, _, _ := strings.Cut(old, "="); k == key {
				env[i], replaced = kv, true
			}
		}
		if !replaced {
			env = append(env, kv)
		}
	}
	return env
}

func writeState(st *State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	// Write and rename: a reader never sees half a file.
	tmp := filepath.Join(st.Dir, stateFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write state of container %q: %w", st.Spec.Name, err)
	}
	return os.Rename(tmp, filepath.Join(st.Dir, stateFile))
}

func readState(dir string) (*State, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("container %q: %w", filepath.Base(dir), ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("read state of container %q: %w", filepath.Base(dir), err)
	}
	return &st, nil
}

// mountsUnder lists mount points below dir in this mount namespace.
func mountsUnder(dir string) []string {
	mounts, _ := proc.Mounts(os.Getpid())
	var found []string
	for _, m := range mounts {
		if m.Point == dir || strings.HasPrefix(m.Point, dir+"/") {
			found = append(found, m.Point)
		}
	}
	return found
}
