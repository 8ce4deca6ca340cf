// Lab 02: cgroups limit what a container may use. A CPU-hungry container is
// held to half a CPU by a CFS quota; a memory-hungry one is killed by the
// kernel's OOM killer when it passes its limit (exit 137, OOMKilled).
package main

import (
	"context"
	"fmt"
	"os"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/runtime"
	. "github.com/podlab/podlab/core/steps"
)

// Namespaces are joined on throw-away threads: keep main on its own (IMPLEMENTATION.md §1.4).
func init() { goruntime.LockOSThread() }

// The checker looks for these containers.
const (
	cpuName = "lab02-cpu"
	memName = "lab02-mem"
)

func main() {
	if runtime.Reexec() {
		return
	}
	rt, err := runtime.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab02:", err)
		os.Exit(1)
	}
	var cpu, mem cgroup.Cgroup

	start := func(r *Run, spec runtime.Spec) (*runtime.State, cgroup.Cgroup, error) {
		if err := r.Created("container", spec.Name); err != nil {
			return nil, nil, err
		}
		st, err := rt.Run(r.Ctx, spec)
		if err != nil {
			return nil, nil, err
		}
		cg, err := rt.Cgroups.Open(st.Cgroup)
		return st, cg, err
	}

	Main(Lab{
		Number: "02",
		Name:   "resource-limits",
		Title:  T("Resource limits with cgroups", "用 cgroups 限制资源"),
		Undo:   map[string]Undo{"container": rt.ForceRemove},
		After: T("Check it: sudo bin/checker run 02. Exercise: run a container limited to 0.5 CPU and 64 MiB (see labs/02-resource-limits).",
			"检查：sudo bin/checker run 02。练习：运行一个限制为 0.5 CPU 和 64 MiB 的容器（见 labs/02-resource-limits）。"),
		Steps: []Step{{
			Title:   T("Find the cgroup hierarchy", "找到 cgroup 层级"),
			Command: "stat -fc %T /sys/fs/cgroup",
			Why: T("cgroup v1 has one tree per controller (cpu, memory, pids...); v2 has a single tree. Either way a limit is a number written into a file.",
				"cgroup v1 每个控制器（cpu、memory、pids……）一棵树；v2 只有一棵树。无论哪种，限制就是写进文件的一个数字。"),
			Run: func(r *Run) error {
				r.Value("cgroup version", rt.Cgroups.Version())
				r.Value("podlab's parent cgroup", rt.CgroupParent)
				return nil
			},
		}, {
			Title:   T("Start a CPU burner limited to 0.5 CPU", "启动一个限制为 0.5 CPU 的 CPU 消耗程序"),
			Command: "podlab container run -d --name lab02-cpu --cpus 0.5 cpuburn -cpus 1",
			Why: T("--cpus 0.5 becomes a CFS quota: 50000 µs of CPU time in every 100000 µs period, which is how the kubelet turns resources.limits.cpu into cgroup files.",
				"--cpus 0.5 变成 CFS 配额：每 100000 µs 周期内最多 50000 µs CPU 时间，kubelet 正是这样把 resources.limits.cpu 写进 cgroup 文件的。"),
			Run: func(r *Run) error {
				var err error
				_, cpu, err = start(r, runtime.Spec{Name: cpuName, Image: "cpuburn", Args: []string{"-cpus", "1"},
					Resources: cgroup.Resources{CPUQuota: 50000, CPUPeriod: 100000}})
				if err != nil {
					return err
				}
				res, err := cpu.Resources()
				if err != nil {
					return err
				}
				f := cpu.Files()
				r.Command("cat %s %s", f["cpu quota"], f["cpu period"])
				r.Value("cpu quota (µs)", res.CPUQuota)
				r.Value("cpu period (µs)", res.CPUPeriod)
				return nil
			},
		}, {
			Title:   T("Measure: it wants a whole CPU, it gets half", "测量：它想要一整个 CPU，只得到一半"),
			Command: "cat cpuacct.usage; sleep 2; cat cpuacct.usage",
			Why: T("The kernel throttles the group for the rest of each period once the quota is used up. The counter is the CPU time the whole group consumed.",
				"配额用完后，内核在本周期剩余时间里限制（throttle）整个组。计数器是整个组消耗的 CPU 时间。"),
			Run: func(r *Run) error {
				a, err := cpu.Stats()
				if err != nil {
					return err
				}
				t0 := time.Now()
				select {
				case <-r.Ctx.Done():
					return r.Ctx.Err()
				case <-time.After(2 * time.Second):
				}
				b, err := cpu.Stats()
				if err != nil {
					return err
				}
				r.Command("cat %s", cpu.Files()["cpu usage"])
				r.Value("CPU time used in 2 s", (b.CPUUsage - a.CPUUsage).Round(time.Millisecond))
				r.Value("CPUs used", fmt.Sprintf("%.2f", float64(b.CPUUsage-a.CPUUsage)/float64(time.Since(t0))))
				return nil
			},
		}, {
			Title:   T("Start a memory hog limited to 64 MiB", "启动一个限制为 64 MiB 的内存消耗程序"),
			Command: "podlab container run -d --name lab02-mem --memory 64Mi memhog -mb 200",
			Why: T("The memory limit is a hard ceiling: the kernel first reclaims what it can, then its OOM killer kills a process of the group.",
				"内存限制是硬上限：内核先尽量回收，然后 OOM killer 杀死该组中的一个进程。"),
			Run: func(r *Run) error {
				var err error
				_, mem, err = start(r, runtime.Spec{Name: memName, Image: "memhog", Args: []string{"-mb", "200"},
					Resources: cgroup.Resources{MemoryLimit: 64 << 20}})
				if err != nil {
					return err
				}
				res, err := mem.Resources()
				if err != nil {
					return err
				}
				r.Command("cat %s", mem.Files()["memory limit"])
				r.Value("memory limit (bytes)", res.MemoryLimit)
				return nil
			},
		}, {
			Title:   T("The kernel kills it: exit 137, OOMKilled", "内核杀死了它：退出码 137，OOMKilled"),
			Command: "podlab container ls",
			Why: T("SIGKILL is signal 9, so the exit code is 128+9 = 137. The runtime sees the OOM kill counter of the cgroup and reports OOMKilled, as Kubernetes does in the container's lastState.",
				"SIGKILL 是 9 号信号，所以退出码是 128+9=137。运行时看到 cgroup 的 OOM kill 计数，报告 OOMKilled，就像 Kubernetes 在容器的 lastState 中那样。"),
			Run: func(r *Run) error {
				// memhog passes 64 MiB within a second; do not hang if it never does.
				ctx, cancel := context.WithTimeout(r.Ctx, 30*time.Second)
				defer cancel()
				st, err := rt.Wait(ctx, memName)
				if err != nil {
					return err
				}
				stats, err := mem.Stats()
				if err != nil {
					return err
				}
				log, _ := os.ReadFile(rt.LogPath(memName))
				lines := strings.Split(strings.TrimSpace(string(log)), "\n")
				r.Value("last output", lines[len(lines)-1])
				r.Value("exit code", st.ExitCode)
				r.Value("signal", st.Signal)
				r.Value("OOMKilled", st.OOMKilled)
				r.Command("grep oom_kill %s", mem.Files()["oom kills"])
				r.Value("oom_kill", stats.OOMKills)
				if !st.OOMKilled {
					return fmt.Errorf("container %q ended with exit code %d but was not OOM-killed", memName, st.ExitCode)
				}
				return nil
			},
		}},
	})
}
