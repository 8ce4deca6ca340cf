// Lab 05: the pause container. A Pod is a group of containers that share
// the namespaces of one infra process, the pause: it is started first, in
// new network, IPC and UTS namespaces; every container joins them (and
// keeps its own mount namespace). One IP, one localhost, one port space.
package main

import (
	"context"
	"fmt"
	"os"
	goruntime "runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
	"github.com/podlab/podlab/core/runtime"
	. "github.com/podlab/podlab/core/steps"
	"github.com/podlab/podlab/workloads/manifests"
)

// Namespaces are joined on throw-away threads: keep main on its own (IMPLEMENTATION.md §1.4).
func init() { goruntime.LockOSThread() }

func main() {
	if runtime.Reexec() {
		return
	}
	rt, err := runtime.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab05:", err)
		os.Exit(1)
	}
	var web *runtime.PodState
	run := func(r *Run, manifest string) (*runtime.PodState, error) {
		pod, err := manifests.Pod(manifest)
		if err != nil {
			return nil, err
		}
		if err := r.Created("pod", pod.Name); err != nil {
			return nil, err
		}
		return rt.RunPod(r.Ctx, pod, runtime.DefaultNetwork())
	}
	exec := func(container string, argv ...string) (string, error) {
		st, err := rt.PodContainer(web, container)
		if err != nil {
			return "", err
		}
		out, _, err := rt.ExecOutput(context.Background(), st, argv...)
		return strings.TrimSpace(out), err
	}

	Main(Lab{
		Number: "05",
		Name:   "pause-container",
		Title:  T("The pause container: one sandbox, many containers", "Pause 容器：一个沙箱，多个容器"),
		Undo:   map[string]Undo{"pod": rt.ForceRemovePod},
		After: T("Check it: sudo bin/checker run 05. Exercise: a pod of two containers, one serving on localhost:8080, the other fetching it (see labs/05-pause-container).",
			"检查：sudo bin/checker run 05。练习：一个包含两个容器的 Pod，一个在 localhost:8080 提供服务，另一个去访问它（见 labs/05-pause-container）。"),
		Steps: []Step{{
			Title:   T("Run a pod of two containers: pause comes first", "运行一个包含两个容器的 Pod：Pause 最先启动"),
			Command: "podlab pod run -f workloads/manifests/lab05/pod.yaml",
			Why: T("The kubelet creates the sandbox before any container: pause holds the namespaces, so containers can crash and restart while the Pod keeps its IP.",
				"kubelet 在创建任何容器之前先创建沙箱：Pause 持有这些命名空间，因此容器可以崩溃、重启，而 Pod 的 IP 不变。"),
			Run: func(r *Run) error {
				if web, err = run(r, "lab05/pod.yaml"); err != nil {
					return err
				}
				r.Value("pause PID", web.Pause.Pid)
				r.Value("pod IP", web.IP())
				return showNamespaces(r, "pause", web.Pause.Pid)
			},
		}, {
			Title:   T("The containers join the pause's namespaces", "容器加入 Pause 的命名空间"),
			Command: "ls -l /proc/PID/ns/{net,ipc,uts,mnt}",
			Why: T("setns(2) into the pause's net, ipc and uts namespaces before the container's process is forked: same inodes. Each container keeps its own mount namespace, its own root filesystem.",
				"在创建容器进程之前，用 setns(2) 加入 Pause 的 net、ipc、uts 命名空间：inode 相同。每个容器保留自己的挂载命名空间和根文件系统。"),
			Run: func(r *Run) error {
				for _, c := range []string{"server", "client"} {
					st, err := rt.PodContainer(web, c)
					if err != nil {
						return err
					}
					if err := showNamespaces(r, c, st.Pid); err != nil {
						return err
					}
				}
				return nil
			},
		}, {
			Title:   T("One localhost: the client reaches the server", "同一个 localhost：客户端访问到服务端"),
			Command: "podlab pod exec -c client lab05 -- wget -qO- localhost:8080",
			Why: T("Both containers are in one network namespace: the same lo, the same sockets. No IP, no Service needed between containers of a Pod.",
				"两个容器在同一个网络命名空间里：同一个 lo，同一套套接字。Pod 内的容器之间不需要 IP，也不需要 Service。"),
			Run: func(r *Run) error {
				var out string
				for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
					if out, err = exec("client", "wget", "-qO-", "localhost:8080"); err == nil && strings.Contains(out, "hostname") {
						break
					}
				}
				r.Value("answer", strings.ReplaceAll(out, "\n", " | "))
				return err
			},
		}, {
			Title:   T("One port space: a second bind of 8080 fails", "同一个端口空间：第二次绑定 8080 失败"),
			Command: "podlab pod exec -c client lab05 -- timeout 2 nc -l -p 8080",
			Why: T("Containers of a Pod must agree on ports, like processes on one host: the kernel refuses a second bind with EADDRINUSE.",
				"Pod 中的容器必须协调端口，就像同一主机上的进程：内核以 EADDRINUSE 拒绝第二次绑定。"),
			Run: func(r *Run) error {
				out, err := exec("client", "timeout", "2", "nc", "-l", "-p", "8080")
				r.Value("nc -l -p 8080", out)
				return err
			},
		}, {
			Title:   T("shareProcessNamespace: pause is PID 1 and reaps", "shareProcessNamespace：Pause 是 PID 1 并回收僵尸进程"),
			Command: "podlab pod run -f workloads/manifests/lab05/shared-pid.yaml",
			Why: T("With one PID namespace for the Pod, orphans of any container are re-parented to pause, which waits for them: no zombies pile up.",
				"Pod 共用一个 PID 命名空间时，任何容器的孤儿进程都会过继给 Pause，由它回收：僵尸进程不会堆积。"),
			Run: func(r *Run) error {
				shared, err := run(r, "lab05/shared-pid.yaml")
				if err != nil {
					return err
				}
				time.Sleep(2 * time.Second) // let the app make a few orphans
				ids, _ := proc.NSpid(shared.Pause.Pid)
				r.Value("pause NSpid", ids)
				ino, _ := ns.Inode(shared.Pause.Pid, ns.PID)
				zombies := 0
				for _, pid := range proc.List() {
					if i, err := ns.Inode(pid, ns.PID); err == nil && i == ino {
						st, _ := proc.ReadStat(pid)
						r.Value(fmt.Sprintf("pid %d", pid), fmt.Sprintf("ppid %d, state %c, %s", st.PPid, st.State, st.Comm))
						if st.State == 'Z' {
							zombies++
						}
					}
				}
				r.Value("zombies", zombies)
				return nil
			},
		}, {
			Title:   T("Killing pause ends the Pod", "杀死 Pause，Pod 随之结束"),
			Command: "kill -KILL PAUSE_PID",
			Why: T("Without its sandbox a Pod has no network namespace to live in: the containers are stopped and the Pod is dead, as the kubelet would find it.",
				"没有了沙箱，Pod 就没有可以依存的网络命名空间：容器被停止，Pod 死亡，就像 kubelet 发现的那样。"),
			Run: func(r *Run) error {
				doomed, err := run(r, "lab05/doomed.yaml")
				if err != nil {
					return err
				}
				r.Command("kill -KILL %d", doomed.Pause.Pid)
				if err := unix.Kill(doomed.Pause.Pid, unix.SIGKILL); err != nil { // the pause this lab started
					return err
				}
				st, err := rt.PodContainer(doomed, "app")
				if err != nil {
					return err
				}
				if st, err = rt.Wait(r.Ctx, st.Spec.Name); err != nil {
					return err
				}
				r.Value("container app", fmt.Sprintf("%s, exit code %d: %s", st.Status, st.ExitCode, st.Error))
				r.Value("pod", doomed.Phase())
				return nil
			},
		}},
	})
}

func showNamespaces(r *Run, who string, pid int) error {
	set, err := ns.Inspect(pid)
	if err != nil {
		return err
	}
	r.Value(who, fmt.Sprintf("net:[%d] ipc:[%d] uts:[%d] mnt:[%d]", set[ns.Net], set[ns.IPC], set[ns.UTS], set[ns.Mount]))
	return nil
}
