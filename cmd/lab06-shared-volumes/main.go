// Lab 06: shared volumes. A volume belongs to the Pod, not to a container:
// an emptyDir is a directory the runtime makes for the Pod on the host and
// bind-mounts into every container that names it. It survives a restart of
// a container and is deleted with the Pod; a hostPath is the node's own
// directory and outlives the Pod.
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"time"

	"github.com/podlab/podlab/core/paths"
	"github.com/podlab/podlab/core/proc"
	"github.com/podlab/podlab/core/runtime"
	. "github.com/podlab/podlab/core/steps"
	"github.com/podlab/podlab/workloads/manifests"
)

// Exec joins namespaces on throw-away threads: keep main on its own (IMPLEMENTATION.md §1.4).
func init() { goruntime.LockOSThread() }

// hostPath is the "host" volume of lab06/temp.yaml, a directory of the
// node: /var/lib/podlab/lab06-hostpath (under $PODLAB_LIB when it is set).
var hostPath = filepath.Join(paths.Lib(), "lab06-hostpath")

func main() {
	if runtime.Reexec() {
		return
	}
	rt, err := runtime.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab06:", err)
		os.Exit(1)
	}
	var pod *runtime.PodState
	// Volumes need no network: these pods get only a loopback interface.
	run := func(r *Run, manifest string) (*runtime.PodState, error) {
		p, err := manifests.Pod(manifest)
		if err == nil {
			err = r.Created("pod", p.Name)
		}
		if err != nil {
			return nil, err
		}
		for _, v := range p.Spec.Volumes {
			if v.HostPath != nil {
				v.HostPath.Path = hostPath
			}
		}
		return rt.RunPod(r.Ctx, p, nil)
	}
	exec := func(r *Run, container string, argv ...string) (string, int, error) {
		st, err := rt.PodContainer(pod, container)
		if err != nil {
			return "", -1, err
		}
		out, code, err := rt.ExecOutput(r.Ctx, st, argv...)
		return strings.TrimSpace(out), code, err
	}
	// The lab removes the hostPath only when it made it, and nothing else.
	removeHostPath := func(_ context.Context, name string) error {
		if name != hostPath {
			return fmt.Errorf("lab 06 only makes %q, not %q", hostPath, name)
		}
		return os.RemoveAll(name)
	}

	Main(Lab{
		Number: "06",
		Name:   "shared-volumes",
		Title:  T("Shared volumes: emptyDir and hostPath", "共享存储：emptyDir 与 hostPath"),
		Undo:   map[string]Undo{"pod": rt.ForceRemovePod, "hostpath": removeHostPath},
		After: T("Check it: sudo bin/checker run 06. Exercise: a sidecar that prints the log file the main container writes (see labs/06-shared-volumes).",
			"检查：sudo bin/checker run 06。练习：一个边车（Sidecar）容器，输出主容器写入的日志文件（见 labs/06-shared-volumes）。"),
		Steps: []Step{{
			Title:   T("Run a pod whose two containers mount one emptyDir", "运行一个 Pod：两个容器挂载同一个 emptyDir"),
			Command: "podlab pod run --no-network -f workloads/manifests/lab06/pod.yaml",
			Why: T("The runtime made one directory for the Pod and bind-mounted it at /data in each container's own mount namespace: two mount points, one directory. The kubelet keeps it under /var/lib/kubelet/pods/<uid>/volumes/.",
				"运行时为 Pod 创建了一个目录，并把它绑定挂载（bind mount）到每个容器各自挂载命名空间里的 /data：两个挂载点，同一个目录。kubelet 把它放在 /var/lib/kubelet/pods/<uid>/volumes/ 下。"),
			Run: func(r *Run) error {
				if pod, err = run(r, "lab06/pod.yaml"); err != nil {
					return err
				}
				r.Value("emptyDir \"shared\" on the host", pod.Volumes["shared"])
				for _, c := range []string{"writer", "reader"} {
					st, err := rt.PodContainer(pod, c)
					if err != nil {
						return err
					}
					mounts, err := proc.Mounts(st.Pid)
					i := slices.IndexFunc(mounts, func(m proc.Mount) bool { return m.Point == "/data" })
					if i < 0 {
						return errors.Join(fmt.Errorf("%s (pid %d) has no mount at /data", c, st.Pid), err)
					}
					r.Value(c+" /data", fmt.Sprintf("pid %d: %s mount of device %s", st.Pid, mounts[i].FSType, mounts[i].Dev))
					r.Command("grep ' /data ' /proc/%d/mountinfo", st.Pid)
				}
				return nil
			},
		}, {
			Title:   T("The reader reads what the writer writes, and cannot write", "读者读到写者写入的内容，但自己不能写"),
			Command: "podlab pod exec -c reader lab06 -- tail -n 3 /data/log.txt",
			Why: T("Both containers see the same files through their mounts. readOnly: true remounted the reader's bind mount read-only: the kernel refuses its writes with EROFS.",
				"两个容器通过各自的挂载看到同一批文件。readOnly: true 把读者的绑定挂载重新挂载为只读：内核以 EROFS 拒绝它的写入。"),
			Run: func(r *Run) error {
				log := filepath.Join(pod.Volumes["shared"], "log.txt")
				poll(func() bool { fi, err := os.Stat(log); return err == nil && fi.Size() > 0 }) // the writer's first line
				out, code, err := exec(r, "reader", "tail", "-n", "3", "/data/log.txt")
				r.Value("reader sees", strings.ReplaceAll(out, "\n", " | "))
				if err != nil || code != 0 {
					return errors.Join(errors.New("the reader cannot read /data/log.txt"), err)
				}
				r.Command("podlab pod exec -c reader lab06 -- touch /data/x")
				out, code, err = exec(r, "reader", "touch", "/data/x")
				r.Value("touch /data/x", out)
				if err == nil && code == 0 {
					return errors.New("the reader could write to /data: readOnly was not applied")
				}
				return err
			},
		}, {
			Title:   T("Restart the writer: the volume keeps its files, the container does not", "重启写者：卷保留文件，容器不保留"),
			Command: "podlab pod exec -c writer lab06 -- sh -c 'echo before-restart >> /data/log.txt; echo lost > /tmp/lost.txt'",
			Why: T("A restarted container is a new container from the image: a fresh upper layer, so /tmp/lost.txt is gone. The volume is the Pod's: it is mounted again, with everything in it. Data a container must not lose belongs in a volume.",
				"重启的容器是由镜像新建的容器：全新的可写层，所以 /tmp/lost.txt 没了。卷属于 Pod：它被重新挂载进来，里面的内容都在。容器不能丢失的数据应该放在卷里。"),
			Run: func(r *Run) error {
				if out, code, err := exec(r, "writer", "sh", "-c", "echo before-restart >> /data/log.txt; echo lost > /tmp/lost.txt"); err != nil || code != 0 {
					return errors.Join(fmt.Errorf("write in the writer: exit code %d: %s", code, out), err)
				}
				old, err := rt.PodContainer(pod, "writer")
				if err != nil {
					return err
				}
				st, err := rt.RestartPodContainer(r.Ctx, pod, "writer", 2*time.Second)
				if err != nil {
					return err
				}
				r.Value("writer pid", fmt.Sprintf("%d before, %d after; restarts: %d", old.Pid, st.Pid, pod.Restarts["writer"]))
				out, code, err := exec(r, "writer", "grep", "before-restart", "/data/log.txt")
				r.Value("grep before-restart /data/log.txt", out)
				if err != nil || code != 0 {
					return errors.Join(errors.New("the marker is not in the volume after the restart"), err)
				}
				out, code, err = exec(r, "writer", "cat", "/tmp/lost.txt")
				r.Value("cat /tmp/lost.txt", out)
				if err == nil && code == 0 {
					return errors.New("/tmp/lost.txt survived the restart: the container kept its upper layer")
				}
				return err
			},
		}, {
			Title:   T("Delete a pod: its emptyDir goes, its hostPath stays", "删除 Pod：emptyDir 随之删除，hostPath 保留"),
			Command: "podlab pod run --no-network -f workloads/manifests/lab06/temp.yaml; podlab pod rm --grace-period 0 lab06-temp",
			Why: T("An emptyDir is scratch space that lives and dies with its Pod. A hostPath is a directory of the node: what a pod wrote there stays for the next pod on this node, and only on this node.",
				"emptyDir 是临时空间，与 Pod 同生共死。hostPath 是节点上的目录：Pod 写在那里的内容会留给这个节点上的下一个 Pod，而且只在这个节点上。"),
			Run: func(r *Run) error {
				if _, err := os.Stat(hostPath); errors.Is(err, fs.ErrNotExist) {
					if err := r.Created("hostpath", hostPath); err != nil {
						return err
					}
				}
				temp, err := run(r, "lab06/temp.yaml")
				if err != nil {
					return err
				}
				scratch, kept := temp.Volumes["scratch"], filepath.Join(hostPath, "from-temp.txt")
				// Wait for the whole line, not for the file: the shell
				// creates it empty first, then writes.
				if !poll(func() bool { b, _ := os.ReadFile(kept); return strings.HasSuffix(string(b), "\n") }) {
					return fmt.Errorf("lab06-temp wrote no %s", kept)
				}
				r.Value("emptyDir \"scratch\" on the host", scratch)
				// The uid names the pod's directory: the checker looks for it too.
				if err := os.WriteFile(filepath.Join(hostPath, "temp-uid"), []byte(temp.Pod.UID+"\n"), 0o644); err != nil {
					return err
				}
				if err := rt.RemovePod(r.Ctx, temp.Pod.Name, 0); err != nil {
					return err
				}
				r.Command("ls %s; cat %s", scratch, kept)
				if _, err := os.Stat(scratch); !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("emptyDir %q outlived its pod: %v", scratch, err)
				}
				data, err := os.ReadFile(kept)
				r.Value("after pod rm", fmt.Sprintf("the emptyDir is gone; %s says %q", kept, strings.TrimSpace(string(data))))
				return err
			},
		}},
	})
}

// poll asks ok every 100ms, for up to 5 seconds, until it says true.
func poll(ok func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok() {
			return true
		}
	}
	return false
}
