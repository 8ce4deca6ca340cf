package checker

import (
	"context"
	"fmt"
	"os"

	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
)

// Lab 01: a container is a process in new namespaces.

const lab01Container = "lab01"

func lab01() []Check {
	return []Check{
		{ID: "01.pid-namespace", Lab: "01", Points: 2,
			Title: "the container's process is PID 1 in its own PID namespace and an ordinary PID on the host",
			Run:   func(ctx context.Context) Result { return checkPIDNamespace(lab01Container) }},
		{ID: "01.uts-namespace", Lab: "01", Points: 2,
			Title: "the container has its own UTS namespace and its own hostname",
			Run:   func(ctx context.Context) Result { return checkHostname(lab01Container) }},
		{ID: "01.mount-ipc-net-namespaces", Lab: "01", Points: 2,
			Title: "the container's mount, IPC and network namespaces differ from the host's",
			Run:   func(ctx context.Context) Result { return checkOtherNamespaces(lab01Container) }},
		{ID: "01.exercise-hostname", Lab: "01", Points: 2, Exercise: true,
			Title: "a container of your own runs with a hostname of your choice",
			Run:   checkHostnameExercise},
	}
}

// running finds a container whose PID 1 runs, or says how to get one.
func running(name, hint string) (*container, *Result) {
	c, err := findContainer(name)
	if err != nil {
		r := fail(hint, fmt.Sprintf("container %q: %v", name, err))
		return nil, &r
	}
	if c.pid == 0 {
		r := fail(hint, fmt.Sprintf("container %q is %s, not running", name, c.state.Status))
		return nil, &r
	}
	return c, nil
}

// differs compares one namespace of pid with the checker's own (the host's).
func differs(pid int, t ns.Type) (bool, string) {
	mine, err1 := ns.Inode(os.Getpid(), t)
	theirs, err2 := ns.Inode(pid, t)
	if err1 != nil || err2 != nil {
		return false, fmt.Sprintf("%s namespace: cannot read (%v %v)", t, err1, err2)
	}
	return mine != theirs, fmt.Sprintf("%s namespace: container %s:[%d], host %s:[%d]", t, t, theirs, t, mine)
}

func checkPIDNamespace(name string) Result {
	c, bad := running(name, runLab("01"))
	if bad != nil {
		return *bad
	}
	own, ev := differs(c.pid, ns.PID)
	ids, err := proc.NSpid(c.pid)
	if err != nil {
		return fail(runLab("01"), ev, err.Error())
	}
	ev2 := fmt.Sprintf("NSpid of the container process: %v (host PID %d, PID %d inside)", ids, ids[0], ids[len(ids)-1])
	if !own || len(ids) < 2 || ids[len(ids)-1] != 1 {
		return fail("the container must be started in a new PID namespace (CLONE_NEWPID); "+runLab("01"), ev, ev2)
	}
	return pass(ev, ev2)
}

func checkHostname(name string) Result {
	c, bad := running(name, runLab("01"))
	if bad != nil {
		return *bad
	}
	own, ev := differs(c.pid, ns.UTS)
	theirs, err := ns.Hostname(c.pid)
	if err != nil {
		return fail(runLab("01"), ev, err.Error())
	}
	mine, _ := os.Hostname()
	ev2 := fmt.Sprintf("hostname inside: %q, on the host: %q", theirs, mine)
	if !own || theirs == mine {
		return fail("the container needs a new UTS namespace and sethostname(2); "+runLab("01"), ev, ev2)
	}
	return pass(ev, ev2)
}

func checkOtherNamespaces(name string) Result {
	c, bad := running(name, runLab("01"))
	if bad != nil {
		return *bad
	}
	var evidence []string
	ok := true
	for _, t := range []ns.Type{ns.Mount, ns.IPC, ns.Net} {
		d, ev := differs(c.pid, t)
		ok = ok && d
		evidence = append(evidence, ev)
	}
	if !ok {
		return fail("start the container with new mount, IPC and network namespaces; "+runLab("01"), evidence...)
	}
	return pass(evidence...)
}

// The exercise: any running container other than the labs' own, in its own
// UTS namespace, with a hostname of its own: neither the host's nor its name.
func checkHostnameExercise(ctx context.Context) Result {
	const hint = `start one: sudo bin/podlab container run -d --name mybox --hostname my-host busybox sleep 3600`
	list, err := runningContainers()
	if err != nil {
		return fail(hint, err.Error())
	}
	host, _ := os.Hostname()
	var evidence []string
	for _, c := range list {
		if isLabContainer(c.name) {
			continue
		}
		own, _ := differs(c.pid, ns.UTS)
		name, err := ns.Hostname(c.pid)
		if err != nil {
			continue
		}
		evidence = append(evidence, fmt.Sprintf("container %q (pid %d): hostname %q, own UTS namespace: %v", c.name, c.pid, name, own))
		// The hostname defaults to the container's name: choosing one means
		// giving another.
		if own && name != host && name != c.name {
			return pass(evidence...)
		}
	}
	if len(evidence) == 0 {
		evidence = append(evidence, "no running container besides the lab's")
	}
	return fail(hint, evidence...)
}
