package checker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/paths"
	"github.com/podlab/podlab/core/proc"
	"github.com/podlab/podlab/core/runtime"
)

// Lab 06: shared volumes. An emptyDir is one directory of the Pod on the
// host, bind-mounted into every container that names it: it survives a
// container restart and goes with the Pod. A hostPath outlives the Pod.

const (
	lab06Pod     = "lab06"          // writer + reader sharing the emptyDir "shared" at /data
	lab06Temp    = "lab06-temp"     // run and deleted by the lab
	lab06HostDir = "lab06-hostpath" // under paths.Lib(): /var/lib/podlab/lab06-hostpath
)

func lab06() []Check {
	return []Check{
		{ID: "06.emptydir-shared", Lab: "06", Points: 3,
			Title: "an emptyDir is one directory mounted in two containers: the same file in both, read-only in the reader",
			Run:   checkEmptyDirShared},
		{ID: "06.survives-restart", Lab: "06", Points: 3,
			Title: "after a container restart the emptyDir keeps its data, while a file outside any volume is gone",
			Run:   checkSurvivesRestart},
		{ID: "06.emptydir-gone-hostpath-kept", Lab: "06", Points: 2,
			Title: "a deleted pod's emptyDir directory is gone, what it wrote to a hostPath stays",
			Run:   checkHostPathKept},
		{ID: "06.exercise-log-sidecar", Lab: "06", Points: 2, Exercise: true,
			Title: "a sidecar prints the log file that another container of its pod writes to a shared emptyDir",
			Run:   checkLogSidecar},
	}
}

// lab06Containers finds the running writer and reader of the lab's pod.
func lab06Containers() (*pod, *container, *container, *Result) {
	p, bad := runningPod(lab06Pod, runLab("06"))
	if bad != nil {
		return nil, nil, nil, bad
	}
	w, r := p.containers["writer"], p.containers["reader"]
	for name, c := range map[string]*container{"writer": w, "reader": r} {
		if c == nil || c.pid == 0 {
			res := fail(runLab("06"), fmt.Sprintf("pod %q: container %q is not running", lab06Pod, name))
			return nil, nil, nil, &res
		}
	}
	return p, w, r, nil
}

// containerPath is a path as the container's process sees it: the kernel
// resolves /proc/PID/root/... through the process's own mounts.
func containerPath(pid int, path string) string {
	return filepath.Join(fmt.Sprintf("/proc/%d/root", pid), path)
}

func checkEmptyDirShared(ctx context.Context) Result {
	p, w, r, bad := lab06Containers()
	if bad != nil {
		return *bad
	}
	var evidence []string
	for _, c := range []*container{w, r} {
		mounts, err := proc.Mounts(c.pid)
		i := slices.IndexFunc(mounts, func(m proc.Mount) bool { return m.Point == "/data" })
		if i < 0 {
			return fail("mount the emptyDir at /data in both containers; "+runLab("06"),
				fmt.Sprintf("container %q (pid %d): no mount at /data (%v)", c.name, c.pid, err))
		}
		evidence = append(evidence, fmt.Sprintf("container %q (pid %d): %s mount at /data, device %s", c.name, c.pid, mounts[i].FSType, mounts[i].Dev))
	}
	// One file under three names: the same inode on the same device.
	dir := p.state.Volumes["shared"]
	names := []string{containerPath(w.pid, "/data/log.txt"), containerPath(r.pid, "/data/log.txt"), filepath.Join(dir, "log.txt")}
	var first os.FileInfo
	same := true
	for _, name := range names {
		fi, err := os.Stat(name)
		if err != nil {
			return fail(runLab("06"), append(evidence, err.Error())...)
		}
		st := fi.Sys().(*syscall.Stat_t)
		evidence = append(evidence, fmt.Sprintf("%s: inode %d on device %d:%d, %d bytes", name, st.Ino, unix.Major(st.Dev), unix.Minor(st.Dev), fi.Size()))
		if first == nil {
			first = fi
		}
		same = same && os.SameFile(first, fi)
	}
	if !same {
		return fail("both containers must bind-mount the pod's emptyDir directory; "+runLab("06"), evidence...)
	}
	// A file created through the reader's root goes through its /data
	// mount: the kernel must refuse it there.
	probe := containerPath(r.pid, fmt.Sprintf("/data/.podlab-checker-%d", os.Getpid()))
	f, err := os.OpenFile(probe, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err == nil {
		f.Close()
		os.Remove(probe)
		return fail("mount the volume with readOnly: true in the reader; "+runLab("06"),
			append(evidence, "the reader's /data accepted a new file: it is not read-only")...)
	}
	evidence = append(evidence, fmt.Sprintf("creating a file in the reader's /data: %v", errors.Unwrap(err)))
	if !errors.Is(err, unix.EROFS) {
		return fail("mount the volume with readOnly: true in the reader; "+runLab("06"), evidence...)
	}
	return pass(evidence...)
}

func checkSurvivesRestart(ctx context.Context) Result {
	p, w, r, bad := lab06Containers()
	if bad != nil {
		return *bad
	}
	ws, err1 := proc.ReadStat(w.pid)
	rs, err2 := proc.ReadStat(r.pid)
	if err := errors.Join(err1, err2); err != nil {
		return fail(runLab("06"), err.Error())
	}
	// The reader was started with the pod and never restarted: a restarted
	// writer is a younger process.
	restarts := p.state.Restarts["writer"]
	evidence := []string{fmt.Sprintf("writer restarted %d times; its pid %d started at tick %d, the reader's pid %d at tick %d",
		restarts, w.pid, ws.StartTime, r.pid, rs.StartTime)}
	log, err := os.ReadFile(containerPath(w.pid, "/data/log.txt"))
	if err != nil {
		return fail(runLab("06"), append(evidence, err.Error())...)
	}
	marked := slices.Contains(strings.Split(string(log), "\n"), "before-restart")
	evidence = append(evidence, fmt.Sprintf("the writer's /data/log.txt (%d lines) has the line \"before-restart\": %v", strings.Count(string(log), "\n"), marked))
	_, err = os.Stat(containerPath(w.pid, "/tmp/lost.txt"))
	lost := errors.Is(err, fs.ErrNotExist)
	evidence = append(evidence, fmt.Sprintf("the writer's /tmp/lost.txt is gone: %v", lost))
	if restarts < 1 || ws.StartTime <= rs.StartTime || !marked || !lost {
		return fail(runLab("06"), evidence...)
	}
	return pass(evidence...)
}

// A pod uid names its directory under the pods directory; it has no slash.
var podUID = regexp.MustCompile(`^[0-9A-Za-z-]+$`)

func checkHostPathKept(ctx context.Context) Result {
	kept := filepath.Join(lab06HostPath(), "from-temp.txt")
	data, err := os.ReadFile(kept)
	if err != nil {
		return fail(runLab("06"), err.Error())
	}
	evidence := []string{fmt.Sprintf("%s: %q", kept, strings.TrimSpace(string(data)))}
	uid, err := os.ReadFile(filepath.Join(lab06HostPath(), "temp-uid"))
	if err != nil || !podUID.MatchString(strings.TrimSpace(string(uid))) {
		return fail(runLab("06"), append(evidence, fmt.Sprintf("no pod uid in %s (%v)", filepath.Join(lab06HostPath(), "temp-uid"), err))...)
	}
	rt, err := runtime.New()
	if err != nil {
		return fail(runLab("06"), err.Error())
	}
	dir := filepath.Join(rt.PodsDir(), strings.TrimSpace(string(uid)))
	_, err = os.Stat(dir)
	gone := errors.Is(err, fs.ErrNotExist)
	evidence = append(evidence, fmt.Sprintf("directory of pod %s (its emptyDir inside) is gone: %v", dir, gone))
	_, err = rt.GetPod(lab06Temp)
	deleted := errors.Is(err, runtime.ErrPodNotFound)
	evidence = append(evidence, fmt.Sprintf("pod %q is deleted: %v", lab06Temp, deleted))
	if !strings.Contains(string(data), lab06Temp) || !gone || !deleted {
		return fail(runLab("06"), evidence...)
	}
	return pass(evidence...)
}

// The exercise: in a pod of the student's, two running containers mount
// one emptyDir, and one of them prints what is written to a file in it.
func checkLogSidecar(ctx context.Context) Result {
	const hint = "run a pod whose app appends to a file in an emptyDir and whose sidecar runs tail -F on it: see labs/06-shared-volumes/solution.sh"
	pods, err := allPods()
	if err != nil {
		return fail(hint, err.Error())
	}
	var evidence []string
	for _, p := range pods {
		if isLabContainer(p.state.Pod.Name) {
			continue
		}
		for _, v := range p.state.Pod.Spec.Volumes {
			if v.EmptyDir == nil {
				continue
			}
			users := volumeUsers(p, v.Name)
			if len(users) < 2 {
				continue
			}
			dir := p.state.Volumes[v.Name]
			lines := lastLines(dir)
			var last []string
			for path, line := range lines {
				rel, _ := filepath.Rel(dir, path)
				last = append(last, fmt.Sprintf("%s ends with %q", rel, line))
			}
			slices.Sort(last)
			if len(last) == 0 {
				last = []string{"no file with a whole line in it"}
			}
			evidence = append(evidence, fmt.Sprintf("pod %q: emptyDir %q (%s) is mounted in %s; %s",
				p.state.Pod.Name, v.Name, dir, strings.Join(users, ", "), strings.Join(last, "; ")))
			if who, line := printedBy(ctx, p, users, lines); who != "" {
				return pass(append(evidence, fmt.Sprintf("container %q printed %q", who, line))...)
			}
		}
	}
	if len(evidence) == 0 {
		evidence = append(evidence, "no running pod besides the labs' has two running containers that mount one emptyDir")
	}
	return fail(hint, evidence...)
}

// volumeUsers lists the running containers of p that mount volume, as the
// manifest says and the kernel's mount table confirms.
func volumeUsers(p *pod, volume string) []string {
	var users []string
	for _, c := range p.state.Pod.Spec.Containers {
		rc := p.containers[c.Name]
		if rc == nil || rc.pid == 0 {
			continue
		}
		mounts, _ := proc.Mounts(rc.pid)
		for _, m := range c.VolumeMounts {
			if m.Name == volume && slices.ContainsFunc(mounts, func(k proc.Mount) bool { return k.Point == filepath.Clean(m.MountPath) }) {
				users = append(users, c.Name)
				break
			}
		}
	}
	return users
}

// lastLines returns the last line of each regular file in dir, by path.
func lastLines(dir string) map[string]string {
	lines := map[string]string{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if len(lines) >= 20 {
			return fs.SkipAll
		}
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		data := fileTail(path, 4096)
		if i := strings.LastIndexByte(data, '\n'); i >= 0 {
			data = data[:i] // the last whole line
		}
		if line := data[strings.LastIndexByte(data, '\n')+1:]; strings.TrimSpace(line) != "" {
			lines[path] = line
		}
		return nil
	})
	return lines
}

// printedBy waits a few seconds for one of the containers to print one of
// the lines as a line of its output (a tail -F looks once a second).
func printedBy(ctx context.Context, p *pod, containers []string, lines map[string]string) (string, string) {
	deadline := time.Now().Add(3 * time.Second)
	for {
		for _, name := range containers {
			out := "\n" + fileTail(p.containers[name].rtLog(), 64<<10)
			for _, line := range lines {
				if strings.Contains(out, "\n"+line+"\n") {
					return name, line
				}
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", ""
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// fileTail returns the last n bytes of a file.
func fileTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		f.Seek(fi.Size()-n, io.SeekStart)
	}
	data, _ := io.ReadAll(io.LimitReader(f, n))
	return string(data)
}

// lab06HostPath is the lab's hostPath volume, a directory of the node.
func lab06HostPath() string { return filepath.Join(paths.Lib(), lab06HostDir) }
