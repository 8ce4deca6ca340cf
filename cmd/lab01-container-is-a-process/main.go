// Lab 01: a container is a process. We start one in new PID, UTS, IPC,
// mount and network namespaces and look at it from the host: PID 1 inside,
// an ordinary PID outside, its own hostname, its own /proc/PID/ns inodes.
package main

import (
	"fmt"
	"os"
	goruntime "runtime"

	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
	"github.com/podlab/podlab/core/runtime"
	. "github.com/podlab/podlab/core/steps"
)

// Namespaces are joined on throw-away threads: keep main on its own (IMPLEMENTATION.md §1.4).
func init() { goruntime.LockOSThread() }

const name = "lab01" // the checker looks for this container

func main() {
	if runtime.Reexec() {
		return
	}
	rt, err := runtime.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab01:", err)
		os.Exit(1)
	}
	var pid int // the container's PID 1, as the host numbers it

	Main(Lab{
		Number: "01",
		Name:   "container-is-a-process",
		Title:  T("A container is a process", "容器就是一个进程"),
		Undo:   map[string]Undo{"container": rt.ForceRemove},
		After: T("Check it: sudo bin/checker run 01. Exercise: start a container with a hostname of your choice (see labs/01-container-is-a-process).",
			"检查：sudo bin/checker run 01。练习：启动一个使用你自选主机名的容器（见 labs/01-container-is-a-process）。"),
		Steps: []Step{{
			Title:   T("Look at the namespaces of an ordinary process", "查看一个普通进程的命名空间"),
			Command: "ls -l /proc/self/ns",
			Why: T("Every process belongs to one namespace of each type; the number is the namespace's inode. Processes that show the same number share that namespace.",
				"每个进程在每种命名空间里各属于一个；数字是命名空间的 inode。数字相同的进程共享该命名空间。"),
			Run: func(r *Run) error { return showNamespaces(r, os.Getpid()) },
		}, {
			Title:   T("Start a process in new namespaces", "在新的命名空间中启动一个进程"),
			Command: "unshare --pid --uts --ipc --mount --net --fork --mount-proc sleep 3600",
			Why: T("clone(2) with CLONE_NEWPID|NEWUTS|NEWIPC|NEWNS|NEWNET creates the namespaces and the process in one system call. That is all a container is.",
				"clone(2) 带上 CLONE_NEWPID|NEWUTS|NEWIPC|NEWNS|NEWNET，一次系统调用同时创建命名空间和进程。容器不过如此。"),
			Run: func(r *Run) error {
				if err := r.Created("container", name); err != nil {
					return err
				}
				st, err := rt.Run(r.Ctx, runtime.Spec{Name: name, Image: "busybox", Hostname: name,
					Network: true, Args: []string{"sleep", "3600"}})
				if err != nil {
					return err
				}
				pid = st.Pid
				r.Value("container", name)
				r.Value("host PID", pid)
				r.Command("podlab container run -d --name %s --hostname %s --net busybox sleep 3600", name, name)
				return nil
			},
		}, {
			Title:   T("PID 1 inside, an ordinary PID outside", "内部是 PID 1，外部是普通 PID"),
			Command: "grep NSpid /proc/PID/status",
			Why: T("A PID namespace renumbers processes: the kernel keeps one PID per namespace level. Inside, the workload is PID 1 (single-process model, lab 04).",
				"PID 命名空间为进程重新编号：内核为每一层命名空间各记一个 PID。在内部，工作负载就是 PID 1（单进程模型，见实验 04）。"),
			Run: func(r *Run) error {
				ids, err := proc.NSpid(pid)
				if err != nil {
					return err
				}
				r.Command("grep NSpid /proc/%d/status", pid)
				r.Value("NSpid", ids)
				r.Value("PID on the host", ids[0])
				r.Value("PID inside", ids[len(ids)-1])
				return nil
			},
		}, {
			Title:   T("Its own hostname", "它自己的主机名"),
			Command: "nsenter --target PID --uts hostname",
			Why: T("The UTS namespace holds the hostname. In a Pod every container shares the pause container's UTS namespace, so they all see the pod's name.",
				"UTS 命名空间保存主机名。在 Pod 中，所有容器共享 Pause 容器的 UTS 命名空间，所以都看到 Pod 的名字。"),
			Run: func(r *Run) error {
				inside, err := ns.Hostname(pid)
				if err != nil {
					return err
				}
				host, _ := os.Hostname()
				r.Command("nsenter --target %d --uts hostname", pid)
				r.Value("hostname inside", inside)
				r.Value("hostname of the host", host)
				return nil
			},
		}, {
			Title:   T("Compare its namespaces with the host's", "把它的命名空间和宿主机的对比"),
			Command: "ls -l /proc/PID/ns",
			Why: T("pid, uts, ipc, mnt and net differ: the container was given new ones. cgroup and user are the host's: nobody asked for new ones.",
				"pid、uts、ipc、mnt 和 net 都不同：容器得到了新的。cgroup 和 user 与宿主机相同：没有要求创建新的。"),
			Run: func(r *Run) error {
				r.Command("ls -l /proc/%d/ns", pid)
				return compareNamespaces(r, pid)
			},
		}, {
			Title:   T("Still an ordinary process", "仍然是一个普通进程"),
			Command: "ps -o pid,ppid,comm -p PID",
			Why: T("The host sees, schedules and can kill the container's process like any other. Its parent is the shim that records how it ends.",
				"宿主机能像看待其他进程一样看到、调度和杀死容器的进程。它的父进程是记录其退出状态的 shim。"),
			Run: func(r *Run) error {
				st, err := proc.ReadStat(pid)
				if err != nil {
					return err
				}
				parent, _ := proc.ReadStat(st.PPid)
				r.Command("ps -o pid,ppid,comm -p %d", pid)
				r.Value("process", fmt.Sprintf("%d %s (state %c)", st.Pid, st.Comm, st.State))
				r.Value("parent", fmt.Sprintf("%d %v", parent.Pid, proc.Cmdline(parent.Pid)))
				return nil
			},
		}},
	})
}

func showNamespaces(r *Run, pid int) error {
	set, err := ns.Inspect(pid)
	if err != nil {
		return err
	}
	for _, t := range set.Types() {
		r.Value(string(t), fmt.Sprintf("%s:[%d]", t, set[t]))
	}
	return nil
}

func compareNamespaces(r *Run, pid int) error {
	host, err := ns.Inspect(os.Getpid())
	if err != nil {
		return err
	}
	box, err := ns.Inspect(pid)
	if err != nil {
		return err
	}
	for _, t := range box.Types() {
		verdict := r.Text(T("new", "新的"))
		if box[t] == host[t] {
			verdict = r.Text(T("shared with the host", "与宿主机共享"))
		}
		r.Value(string(t), fmt.Sprintf("container %d, host %d: %s", box[t], host[t], verdict))
	}
	return nil
}
