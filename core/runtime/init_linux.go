package runtime

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/ns"
)

// initMain runs inside the new namespaces, as PID 1 of the container (the
// main thread is locked by the caller's init function), already inside its
// cgroup. It prepares the root filesystem and replaces itself with the
// workload. Errors go to fd 3, which the shim reads; fd 3 is close-on-exec,
// so a successful execve closes it and the shim reads an empty message.
func initMain(dir string) int {
	status := os.NewFile(3, "exec-status")
	fail := func(err error) int {
		fmt.Fprint(status, err.Error())
		return 127
	}

	resetIgnoredSignals()
	st, err := readState(dir)
	if err != nil {
		return fail(err)
	}
	if _, joined := st.Spec.Join[ns.UTS]; !joined {
		if err := unix.Sethostname([]byte(st.Spec.Hostname)); err != nil {
			return fail(fmt.Errorf("set hostname %q: %w", st.Spec.Hostname, err))
		}
	}
	pidsMax, err := openPidsLimit(st)
	if err != nil {
		return fail(err)
	}
	if err := setupRootfs(st); err != nil {
		return fail(err)
	}
	if err := pivotRoot(filepath.Join(dir, rootfsDir)); err != nil {
		return fail(err)
	}
	if wd := st.Spec.WorkingDir; wd != "" {
		if err := os.Chdir(wd); err != nil {
			return fail(fmt.Errorf("working directory %q: %w", wd, err))
		}
	}
	path, err := lookPath(st.Argv[0], st.Env)
	if err != nil {
		return fail(fmt.Errorf("exec %q: not found in image %q", st.Argv[0], st.Spec.Image))
	}
	if err := setPidsLimit(pidsMax, st.Spec.Resources.PidsLimit); err != nil {
		return fail(err)
	}
	unix.CloseOnExec(3)
	if st.Spec.Init {
		return reaper(path, st.Argv, st.Env, status)
	}
	err = unix.Exec(path, st.Argv, st.Env)
	return fail(fmt.Errorf("exec %q: %w", st.Argv[0], err))
}

// openPidsLimit opens the cgroup's pids limit file while the host's
// filesystem is still reachable (before pivot_root), if a limit is asked for.
func openPidsLimit(st *State) (*os.File, error) {
	if st.Spec.Resources.PidsLimit == 0 {
		return nil, nil
	}
	cg, err := st.openCgroup()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(cg.Files()["pids limit"], os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("open pids limit: %w", err)
	}
	return f, nil
}

// setPidsLimit writes the pids limit at the last moment: the Go runtime of
// this init has its threads already, and execve leaves one. Written
// earlier, a small limit would stop the runtime from starting a thread.
func setPidsLimit(f *os.File, limit int64) error {
	if f == nil {
		return nil
	}
	defer f.Close()
	if _, err := f.WriteString(fmt.Sprint(limit)); err != nil {
		return fmt.Errorf("set pids limit %d: %w", limit, err)
	}
	return nil
}

// resetIgnoredSignals: a signal ignored by whoever started podlab (nohup,
// make) stays ignored across fork and exec, so the workload could not
// trap it. A caught signal is reset to its default by exec: catch them.
func resetIgnoredSignals() {
	sink := make(chan os.Signal, 1)
	for sig := unix.Signal(1); sig < 32; sig++ {
		if signal.Ignored(sig) {
			signal.Notify(sink, sig)
		}
	}
}

// setupRootfs mounts the container's root filesystem at dir/rootfs:
// overlayfs of the image layers (read-only) and the container's upper
// layer (where every write lands), then /proc and /dev inside it.
func setupRootfs(st *State) error {
	// Mounts made from here on must not propagate back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	root := filepath.Join(st.Dir, rootfsDir)
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s",
		strings.Join(st.Layers, ":"), filepath.Join(st.Dir, upperDir), filepath.Join(st.Dir, workDir))
	if err := unix.Mount("overlay", root, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount overlay on %q (%s): %w", root, opts, err)
	}
	if err := bindMounts(root, st.Spec.Mounts); err != nil {
		return err
	}
	// /proc shows the processes of the PID namespace the mounter is in.
	if err := mountIn(root, "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return err
	}
	return setupDev(filepath.Join(root, "dev"))
}

// bindMounts makes the volumes visible in the root filesystem. Mount points
// that the image lacks are created in the container's upper layer.
func bindMounts(root string, mounts []Mount) error {
	for _, m := range mounts {
		target := filepath.Join(root, m.Target)
		if err := os.MkdirAll(target, 0o755); err != nil {
			return fmt.Errorf("create mount point %q: %w", m.Target, err)
		}
		if err := unix.Mount(m.Source, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind %q on %q: %w", m.Source, m.Target, err)
		}
		if m.ReadOnly {
			// A bind mount takes read-only only when remounted.
			if err := unix.Mount("", target, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
				return fmt.Errorf("make %q read-only: %w", m.Target, err)
			}
		}
	}
	return nil
}

func mountIn(root, target, fstype string, flags uintptr, data string) error {
	path := filepath.Join(root, target)
	if err := os.MkdirAll(path, 0o755); err != nil {
		return fmt.Errorf("create mount point %q: %w", target, err)
	}
	if err := unix.Mount(fstype, path, fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s on %q: %w", fstype, target, err)
	}
	return nil
}

// The few device nodes every program expects (Linux devices.txt numbers).
var devices = []struct {
	name         string
	major, minor uint32
}{
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
	{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
}

// setupDev makes a minimal /dev on a tmpfs: the host's /dev is not shared.
func setupDev(dev string) error {
	if err := os.MkdirAll(dev, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", dev, "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=65536k"); err != nil {
		return fmt.Errorf("mount tmpfs on /dev: %w", err)
	}
	for _, d := range devices {
		path := filepath.Join(dev, d.name)
		if err := unix.Mknod(path, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor))); err != nil {
			return fmt.Errorf("create /dev/%s: %w", d.name, err)
		}
		unix.Chmod(path, 0o666) // mknod applies the umask
	}
	for link, target := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
	} {
		if err := os.Symlink(target, filepath.Join(dev, link)); err != nil {
			return err
		}
	}
	// Terminals for "exec -t": a devpts of the container's own (a new
	// instance, as runc mounts it), so that a terminal opened through its
	// /dev/ptmx is /dev/pts/N in the container, and the host's terminals
	// stay out of sight. gid 5 is the group tty.
	if err := mountIn(dev, "pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"); err != nil {
		return err
	}
	if err := os.Symlink("pts/ptmx", filepath.Join(dev, "ptmx")); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(dev, "shm"), 0o1777); err != nil {
		return err
	}
	return unix.Mount("shm", filepath.Join(dev, "shm"), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777,size=65536k")
}

// pivotRoot makes newRoot the root of this mount namespace and detaches the
// old root, so no path leads back to the host's files (runc's sequence:
// pivot_root(".", ".") stacks the old root under the new one, then it is
// unmounted from where it now sits).
func pivotRoot(newRoot string) error {
	oldRoot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(oldRoot)
	if err := unix.Chdir(newRoot); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root into %q: %w", newRoot, err)
	}
	if err := unix.Fchdir(oldRoot); err != nil {
		return err
	}
	// Do not let the unmount propagate anywhere.
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make old root a slave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	return unix.Chdir("/")
}

// lookPath finds a command in the container's PATH (we are inside its root
// filesystem now, so this searches the image, not the host).
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, exec.Command(name).Err
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// reaper is the reaping init: it starts the workload as its child, passes
// signals on to it, and waits for every child, including orphans the
// kernel re-parents to PID 1. Without such a PID 1, orphans that exit stay
// zombies until the container ends. It exits as the workload exits.
func reaper(path string, argv, env []string, status *os.File) int {
	sigs := make(chan os.Signal, 32)
	// SIGCHLD to reap; the others are passed on to the workload.
	signal.Notify(sigs, unix.SIGCHLD, unix.SIGTERM, unix.SIGINT, unix.SIGHUP,
		unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH)
	child, err := os.StartProcess(path, argv, &os.ProcAttr{
		Env:   env,
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
	})
	if err != nil {
		fmt.Fprintf(status, "exec %q: %v", argv[0], err)
		return 127
	}
	status.Close() // tell the shim the workload runs
	for sig := range sigs {
		if sig != unix.SIGCHLD {
			child.Signal(sig)
			continue
		}
		for {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
			if pid == child.Pid {
				if ws.Signaled() {
					return 128 + int(ws.Signal())
				}
				return ws.ExitStatus()
			}
		}
	}
	return 0
}
