// Lab 04: the single-process model. The container's workload is PID 1 of
// its PID namespace. Orphans are re-parented to PID 1; a PID 1 that never
// waits for them leaves them as zombies, a reaping init collects them, and
// when PID 1 dies the kernel kills everything else in the namespace.
package main

import (
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
)

// Namespaces are joined on throw-away threads: keep main on its own (IMPLEMENTATION.md §1.4).
func init() { goruntime.LockOSThread() }

// The checker looks for these containers.
const (
	zombies = "lab04-zombies"
	reaper  = "lab04-reaper"
	victim  = "lab04-kill"
)

func main() {
	if runtime.Reexec() {
		return
	}
	rt, err := runtime.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab04:", err)
		os.Exit(1)
	}
	start := func(r *Run, spec runtime.Spec) (*runtime.State, error) {
		if err := r.Created("container", spec.Name); err != nil {
			return nil, err
		}
		return rt.Run(r.Ctx, spec)
	}
	var victimPid int

	Main(Lab{
		Number: "04",
		Name:   "single-process-model",
		Title:  T("The single-process model: PID 1, orphans and zombies", "单进程模型：PID 1、孤儿进程与僵尸进程"),
		Undo:   map[string]Undo{"container": rt.ForceRemove},
		After:  T("Check it: sudo bin/checker run 04.", "检查：sudo bin/checker run 04。"),
		Steps: []Step{{
			Title:   T("A PID 1 that never reaps", "一个从不回收子进程的 PID 1"),
			Command: "podlab container run -d --name lab04-zombies orphans -every 300ms",
			Why: T("When a process exits, its parent must wait(2) for it; until then it is a zombie. Orphans are re-parented to PID 1 of their namespace, so PID 1 must wait for children it never made.",
				"进程退出后，父进程必须 wait(2) 它；在此之前它是僵尸进程。孤儿进程会被过继给所在命名空间的 PID 1，所以 PID 1 必须回收并非它创建的子进程。"),
			Run: func(r *Run) error {
				st, err := start(r, runtime.Spec{Name: zombies, Image: "orphans", Args: []string{"-every", "300ms", "-max", "20"}})
				if err != nil {
					return err
				}
				list, err := waitFor(r, st.Pid, func(l []proc.Stat) bool { return countZombies(l) >= 4 })
				if err != nil {
					return err
				}
				r.Command("ps -o pid,ppid,stat,comm --ppid %d", st.Pid)
				show(r, list)
				r.Value("zombies", countZombies(list))
				return nil
			},
		}, {
			Title:   T("A reaping init as PID 1", "以能回收子进程的 init 作为 PID 1"),
			Command: "podlab container run -d --init --name lab04-reaper orphans -every 300ms",
			Why: T("An init that waits for every child (tini, docker --init, and in a Pod the pause container) keeps the process table clean. The app itself runs as its child.",
				"一个回收所有子进程的 init（tini、docker --init，以及 Pod 里的 Pause 容器）让进程表保持干净。应用本身作为它的子进程运行。"),
			Run: func(r *Run) error {
				st, err := start(r, runtime.Spec{Name: reaper, Image: "orphans", Init: true, Args: []string{"-every", "300ms", "-max", "20"}})
				if err != nil {
					return err
				}
				// Give it as long as the first container needed for its zombies.
				list, err := waitFor(r, st.Pid, func([]proc.Stat) bool {
					log, _ := os.ReadFile(rt.LogPath(reaper))
					return strings.Count(string(log), "spawned orphan") >= 4
				})
				if err != nil {
					return err
				}
				show(r, list)
				r.Value("PID 1", strings.Join(proc.Cmdline(st.Pid), " "))
				r.Value("zombies", countZombies(list))
				return nil
			},
		}, {
			Title:   T("Killing PID 1 ends the container", "杀死 PID 1 会结束整个容器"),
			Command: "podlab container run -d --name lab04-kill busybox sh -c 'sleep 1000 & sleep 1000 & wait'; kill -KILL PID",
			Why: T("When PID 1 of a PID namespace dies, the kernel sends SIGKILL to every other process in it. A container lives exactly as long as its PID 1.",
				"PID 命名空间的 PID 1 一死，内核就向其中所有其他进程发送 SIGKILL。容器的寿命恰好等于它的 PID 1 的寿命。"),
			Run: func(r *Run) error {
				st, err := start(r, runtime.Spec{Name: victim, Image: "busybox",
					Args: []string{"sh", "-c", "sleep 1000 & sleep 1000 & wait"}})
				if err != nil {
					return err
				}
				victimPid = st.Pid
				list, err := waitFor(r, st.Pid, func(l []proc.Stat) bool { return len(l) >= 3 })
				if err != nil {
					return err
				}
				show(r, list)
				// Remember the namespace: after the kill, PID 1 is gone and
				// with it /proc/PID/ns.
				ino, err := ns.Inode(victimPid, ns.PID)
				if err != nil {
					return err
				}
				r.Command("kill -KILL %d", victimPid)
				if err := unix.Kill(victimPid, unix.SIGKILL); err != nil { // our own container's PID 1
					return err
				}
				final, err := rt.Wait(r.Ctx, victim)
				if err != nil {
					return err
				}
				left := inNamespace(ino)
				r.Value("exit code", final.ExitCode)
				r.Value("processes left", len(left))
				if len(left) > 0 {
					return fmt.Errorf("%d processes outlived PID 1", len(left))
				}
				return nil
			},
		}},
	})
}

// inNamespaceOf lists the processes in the PID namespace of pid.
func inNamespaceOf(pid int) ([]proc.Stat, error) {
	ino, err := ns.Inode(pid, ns.PID)
	if err != nil {
		return nil, err
	}
	return inNamespace(ino), nil
}

// inNamespace lists the processes in the PID namespace with inode ino.
func inNamespace(ino uint64) []proc.Stat {
	var list []proc.Stat
	for _, p := range proc.List() {
		if i, err := ns.Inode(p, ns.PID); err == nil && i == ino {
			if st, err := proc.ReadStat(p); err == nil {
				list = append(list, st)
			}
		}
	}
	return list
}

// waitFor polls the container's processes until ready says so (10 s at most).
func waitFor(r *Run, pid int, ready func([]proc.Stat) bool) ([]proc.Stat, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, err := inNamespaceOf(pid)
		if err != nil {
			return nil, err
		}
		if ready(list) {
			return list, nil
		}
		if time.Now().After(deadline) {
			return list, fmt.Errorf("timed out waiting for the processes of pid %d", pid)
		}
		select {
		case <-r.Ctx.Done():
			return nil, r.Ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func countZombies(list []proc.Stat) int {
	n := 0
	for _, p := range list {
		if p.State == 'Z' {
			n++
		}
	}
	return n
}

func show(r *Run, list []proc.Stat) {
	for _, p := range list {
		r.Value(fmt.Sprintf("pid %d", p.Pid), fmt.Sprintf("ppid %d, state %c, %s", p.PPid, p.State, p.Comm))
	}
}
