package checker

import (
	"context"
	"fmt"
	"time"

	"github.com/podlab/podlab/core/cgroup"
)

// Lab 02: cgroups limit what a container may use.

const (
	lab02CPU     = "lab02-cpu" // burns CPU under a 0.5-CPU quota
	lab02Memory  = "lab02-mem" // allocates past a 64 MiB limit
	halfCPUQuota = 50000       // µs of CPU per period
	cpuPeriod    = 100000      // µs: the Kubernetes period
	limit64Mi    = 64 << 20    // bytes
)

func lab02() []Check {
	return []Check{
		{ID: "02.cpu-quota", Lab: "02", Points: 2,
			Title: "the CPU container's cgroup has a quota of 0.5 CPU (50000 µs per 100000 µs)",
			Run:   func(ctx context.Context) Result { return checkLimits(lab02CPU, halfCPUQuota, 0) }},
		{ID: "02.cpu-usage", Lab: "02", Points: 2,
			Title: "a CPU-burning container under a 0.5-CPU quota uses about half a CPU",
			Run:   checkCPUUsage},
		{ID: "02.memory-limit", Lab: "02", Points: 2,
			Title: "the memory container's cgroup is limited to 64 MiB",
			Run:   func(ctx context.Context) Result { return checkLimits(lab02Memory, 0, limit64Mi) }},
		{ID: "02.oom-killed", Lab: "02", Points: 3,
			Title: "a container over its memory limit is OOM-killed by the kernel (exit 137, OOMKilled)",
			Run:   checkOOMKilled},
		{ID: "02.exercise-limits", Lab: "02", Points: 2, Exercise: true,
			Title: "a container of your own runs limited to 0.5 CPU and 64 MiB",
			Run:   checkLimitsExercise},
	}
}

// checkLimits reads the limits of a container's cgroup from the kernel;
// a zero quota or memory means "not checked".
func checkLimits(name string, quota, memory int64) Result {
	c, err := findContainer(name)
	if err != nil {
		return fail(runLab("02"), fmt.Sprintf("container %q: %v", name, err))
	}
	if c.cg == nil {
		return fail(runLab("02"), fmt.Sprintf("container %q has no cgroup", name))
	}
	res, err := c.cg.Resources()
	if err != nil {
		return fail(runLab("02"), err.Error())
	}
	files := c.cg.Files()
	var evidence []string
	ok := true
	if quota != 0 {
		evidence = append(evidence, fmt.Sprintf("%s = %d, %s = %d", files["cpu quota"], res.CPUQuota, files["cpu period"], res.CPUPeriod))
		ok = ok && res.CPUQuota == quota && res.CPUPeriod == cpuPeriod
		if c.pid == 0 {
			ok = false
			evidence = append(evidence, fmt.Sprintf("container %q is not running", name))
		}
	}
	if memory != 0 {
		evidence = append(evidence, fmt.Sprintf("%s = %d bytes", files["memory limit"], res.MemoryLimit))
		ok = ok && res.MemoryLimit == memory
	}
	if !ok {
		return fail(runLab("02"), evidence...)
	}
	return pass(evidence...)
}

// cpuRate samples the CPU usage counter of a cgroup over d: CPUs used.
func cpuRate(ctx context.Context, cg cgroup.Cgroup, d time.Duration) (float64, error) {
	a, err := cg.Stats()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(d):
	}
	b, err := cg.Stats()
	if err != nil {
		return 0, err
	}
	return float64(b.CPUUsage-a.CPUUsage) / float64(time.Since(start)), nil
}

func checkCPUUsage(ctx context.Context) Result {
	c, bad := running(lab02CPU, runLab("02"))
	if bad != nil {
		return *bad
	}
	rate, err := cpuRate(ctx, c.cg, 1500*time.Millisecond)
	if err != nil {
		return fail(runLab("02"), err.Error())
	}
	ev := fmt.Sprintf("CPU used by %q over 1.5 s: %.2f CPU (from %s)", lab02CPU, rate, c.cg.Files()["cpu usage"])
	// The workload wants a whole CPU; the quota holds it near 0.5.
	if rate < 0.35 || rate > 0.6 {
		return fail("the container should burn CPU and be held near 0.5 CPU by its quota; "+runLab("02"), ev)
	}
	return pass(ev)
}

func checkOOMKilled(ctx context.Context) Result {
	c, err := findContainer(lab02Memory)
	if err != nil {
		return fail(runLab("02"), fmt.Sprintf("container %q: %v", lab02Memory, err))
	}
	st := c.state
	evidence := []string{fmt.Sprintf("container %q: status %s, exit code %d, OOMKilled %v", lab02Memory, st.Status, st.ExitCode, st.OOMKilled)}
	var kills uint64
	if c.cg != nil {
		if stats, err := c.cg.Stats(); err == nil {
			kills = stats.OOMKills
			evidence = append(evidence, fmt.Sprintf("%s: oom_kill %d", c.cg.Files()["oom kills"], kills))
		}
	}
	if st.Status != "exited" || st.ExitCode != 137 || !st.OOMKilled || kills == 0 {
		return fail(runLab("02"), evidence...)
	}
	return pass(evidence...)
}

func checkLimitsExercise(ctx context.Context) Result {
	const hint = `start one: sudo bin/podlab container run -d --name limited --cpus 0.5 --memory 64Mi busybox sleep 3600`
	list, err := runningContainers()
	if err != nil {
		return fail(hint, err.Error())
	}
	var evidence []string
	for _, c := range list {
		if isLabContainer(c.name) || c.cg == nil {
			continue
		}
		res, err := c.cg.Resources()
		if err != nil {
			continue
		}
		evidence = append(evidence, fmt.Sprintf("container %q: cpu quota %d/%d µs, memory limit %d bytes", c.name, res.CPUQuota, res.CPUPeriod, res.MemoryLimit))
		if res.CPUQuota == halfCPUQuota && res.CPUPeriod == cpuPeriod && res.MemoryLimit == limit64Mi {
			return pass(evidence...)
		}
	}
	if len(evidence) == 0 {
		evidence = append(evidence, "no running container besides the labs'")
	}
	return fail(hint, evidence...)
}
