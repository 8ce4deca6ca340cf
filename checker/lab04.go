package checker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
)

// Lab 04: the single-process model. PID 1 is the application; orphans
// re-parent to it; only a PID 1 that reaps keeps zombies away; when PID 1
// dies the whole container dies.

const (
	lab04Zombies = "lab04-zombies" // the orphans app as PID 1: never reaps
	lab04Reaper  = "lab04-reaper"  // the same app under a reaping init
	lab04Kill    = "lab04-kill"    // PID 1 killed: the container ends
	minZombies   = 3
)

func lab04() []Check {
	return []Check{
		{ID: "04.zombies-accumulate", Lab: "04", Points: 3,
			Title: "orphans exiting under a PID 1 that does not reap stay zombies",
			Run:   checkZombies},
		{ID: "04.reaping-init", Lab: "04", Points: 3,
			Title: "under a reaping init as PID 1 the same orphans leave no zombies",
			Run:   checkReaper},
		{ID: "04.pid1-ends-container", Lab: "04", Points: 2,
			Title: "killing PID 1 ends every process of the container",
			Run:   checkPID1Kill},
	}
}

// pidNamespace lists the processes in the PID namespace of a container.
func pidNamespace(c *container) ([]proc.Stat, string, error) {
	ino, err := ns.Inode(c.pid, ns.PID)
	if err != nil {
		return nil, "", err
	}
	list := procsInPIDNamespace(ino)
	var lines []string
	for _, p := range list {
		lines = append(lines, fmt.Sprintf("%d %c %s", p.Pid, p.State, p.Comm))
	}
	return list, fmt.Sprintf("processes in pid:[%d] (host pid, state, name): %s", ino, strings.Join(lines, "; ")), nil
}

func checkZombies(ctx context.Context) Result {
	c, bad := running(lab04Zombies, runLab("04"))
	if bad != nil {
		return *bad
	}
	list, ev, err := pidNamespace(c)
	if err != nil {
		return fail(runLab("04"), err.Error())
	}
	z := zombies(list)
	adopted := 0
	for _, p := range z {
		if p.PPid == c.pid {
			adopted++
		}
	}
	evidence := []string{ev, fmt.Sprintf("zombies whose parent is PID 1 (host pid %d, %q): %d", c.pid, proc.Cmdline(c.pid)[0], adopted)}
	if adopted < minZombies {
		return fail(fmt.Sprintf("expected at least %d zombies under PID 1; %s", minZombies, runLab("04")), evidence...)
	}
	return pass(evidence...)
}

func checkReaper(ctx context.Context) Result {
	c, bad := running(lab04Reaper, runLab("04"))
	if bad != nil {
		return *bad
	}
	list, ev, err := pidNamespace(c)
	if err != nil {
		return fail(runLab("04"), err.Error())
	}
	init := proc.Cmdline(c.pid)[0]
	// The orphans app logs each orphan it made; the kernel shows whether any
	// of them is left unreaped.
	log, _ := os.ReadFile(filepath.Join(c.state.Dir, "container.log"))
	spawned := strings.Count(string(log), "spawned orphan")
	z := zombies(list)
	evidence := []string{ev,
		fmt.Sprintf("PID 1: %q; orphans made so far: %d; zombies: %d", init, spawned, len(z))}
	if init != "podlab-init" || spawned < minZombies || len(z) > 1 {
		// One zombie may exist for the instant between exit and reaping.
		return fail("run the orphans app under a reaping init (podlab container run --init); "+runLab("04"), evidence...)
	}
	return pass(evidence...)
}

func checkPID1Kill(ctx context.Context) Result {
	c, err := findContainer(lab04Kill)
	if err != nil {
		return fail(runLab("04"), fmt.Sprintf("container %q: %v", lab04Kill, err))
	}
	evidence := []string{fmt.Sprintf("container %q: %s, exit code %d (%s)", lab04Kill, c.state.Status, c.state.ExitCode, c.state.Signal)}
	if c.cg == nil {
		return fail(runLab("04"), append(evidence, "its cgroup is gone")...)
	}
	procs, err := c.cg.Procs()
	if err != nil {
		return fail(runLab("04"), append(evidence, err.Error())...)
	}
	evidence = append(evidence, fmt.Sprintf("processes left in cgroup %s: %d", c.cg.Name(), len(procs)))
	if c.state.Status != "exited" || c.state.ExitCode != 137 || len(procs) != 0 {
		return fail(runLab("04"), evidence...)
	}
	return pass(evidence...)
}
