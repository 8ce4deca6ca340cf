package checker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
)

// Lab 05: the pause container holds the Pod's namespaces; the containers
// join them.

const (
	lab05Pod    = "lab05"        // server + client
	lab05Shared = "lab05-shared" // shareProcessNamespace, orphans
	lab05Doomed = "lab05-doomed" // its pause killed by the lab
)

func lab05() []Check {
	return []Check{
		{ID: "05.pause-sandbox", Lab: "05", Points: 2,
			Title: "the pause process holds new network, IPC and UTS namespaces",
			Run:   checkPauseSandbox},
		{ID: "05.shared-namespaces", Lab: "05", Points: 3,
			Title: "both containers have the pause's net, ipc and uts inodes and mount namespaces of their own",
			Run:   checkSharedNamespaces},
		{ID: "05.one-ip", Lab: "05", Points: 2,
			Title: "the Pod has one IP, on eth0 inside the pause's network namespace",
			Run:   checkOneIP},
		{ID: "05.localhost", Lab: "05", Points: 2,
			Title: "inside the Pod, localhost:8080 reaches the server container",
			Run:   func(ctx context.Context) Result { return checkLocalhost(lab05Pod) }},
		{ID: "05.port-conflict", Lab: "05", Points: 2,
			Title: "a second bind of port 8080 in the Pod fails with EADDRINUSE",
			Run:   checkPortConflict},
		{ID: "05.shared-pid-reaps", Lab: "05", Points: 3,
			Title: "with shareProcessNamespace, pause is PID 1 of the Pod and reaps the orphans of a container",
			Run:   checkSharedPID},
		{ID: "05.pause-death-ends-pod", Lab: "05", Points: 2,
			Title: "when pause dies, the Pod's containers are stopped",
			Run:   checkPauseDeath},
		{ID: "05.exercise-localhost", Lab: "05", Points: 2, Exercise: true,
			Title: "a Pod of your own: one container serves on localhost:8080, another fetches it",
			Run:   checkLocalhostExercise},
	}
}

func checkPauseSandbox(ctx context.Context) Result {
	p, bad := runningPod(lab05Pod, runLab("05"))
	if bad != nil {
		return *bad
	}
	var evidence []string
	ok := true
	for _, t := range []ns.Type{ns.Net, ns.IPC, ns.UTS} {
		d, ev := differs(p.pause, t)
		ok = ok && d
		evidence = append(evidence, "pause "+ev)
	}
	if !ok {
		return fail("pause must be started in new net, ipc and uts namespaces; "+runLab("05"), evidence...)
	}
	return pass(evidence...)
}

func checkSharedNamespaces(ctx context.Context) Result {
	p, bad := runningPod(lab05Pod, runLab("05"))
	if bad != nil {
		return *bad
	}
	pause, err := ns.Inspect(p.pause)
	if err != nil {
		return fail(runLab("05"), err.Error())
	}
	evidence := []string{fmt.Sprintf("pause (pid %d): net:[%d] ipc:[%d] uts:[%d] mnt:[%d]", p.pause, pause[ns.Net], pause[ns.IPC], pause[ns.UTS], pause[ns.Mount])}
	mounts := map[uint64]bool{pause[ns.Mount]: true}
	ok := true
	for _, name := range []string{"server", "client"} {
		c := p.containers[name]
		if c == nil || c.pid == 0 {
			return fail(runLab("05"), append(evidence, fmt.Sprintf("container %q is not running", name))...)
		}
		set, err := ns.Inspect(c.pid)
		if err != nil {
			return fail(runLab("05"), err.Error())
		}
		evidence = append(evidence, fmt.Sprintf("%s (pid %d): net:[%d] ipc:[%d] uts:[%d] mnt:[%d]", name, c.pid, set[ns.Net], set[ns.IPC], set[ns.UTS], set[ns.Mount]))
		ok = ok && set[ns.Net] == pause[ns.Net] && set[ns.IPC] == pause[ns.IPC] && set[ns.UTS] == pause[ns.UTS] && !mounts[set[ns.Mount]]
		mounts[set[ns.Mount]] = true
	}
	if !ok {
		return fail("containers must join the pause's net, ipc and uts namespaces and keep their own mount namespace; "+runLab("05"), evidence...)
	}
	return pass(evidence...)
}

// addrsOf lists the IPv4 addresses of a link inside a network namespace.
func addrsOf(netnsPath, link string) ([]string, error) {
	h, err := netns.GetFromPath(netnsPath)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		return nil, err
	}
	defer nl.Close()
	l, err := nl.LinkByName(link)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", link, err)
	}
	addrs, err := nl.AddrList(l, netlink.FAMILY_V4)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, err
	}
	var out []string
	for _, a := range addrs {
		out = append(out, a.IPNet.String())
	}
	return out, nil
}

func checkOneIP(ctx context.Context) Result {
	p, bad := runningPod(lab05Pod, runLab("05"))
	if bad != nil {
		return *bad
	}
	ip := p.state.IP()
	addrs, err := addrsOf(p.netns(), "eth0")
	ev := fmt.Sprintf("eth0 inside the pod: %v (err %v); pod IP %q", addrs, err, ip)
	for _, a := range addrs {
		if ip != "" && strings.HasPrefix(a, ip+"/") {
			return pass(ev)
		}
	}
	return fail("the pod needs its network: eth0 with an address from the node bridge; "+runLab("05"), ev)
}

func checkLocalhost(name string) Result {
	p, bad := runningPod(name, runLab("05"))
	if bad != nil {
		return *bad
	}
	reply, err := dial(p.netns(), "127.0.0.1:8080")
	ev := fmt.Sprintf("GET http://127.0.0.1:8080/ from inside pod %q: %q (err %v)", name, firstLines(reply, 3), err)
	if err != nil || !strings.Contains(reply, "hostname: "+name) {
		return fail("the server container must listen on 8080 in the pod's network namespace; "+runLab("05"), ev)
	}
	return pass(ev)
}

func checkPortConflict(ctx context.Context) Result {
	p, bad := runningPod(lab05Pod, runLab("05"))
	if bad != nil {
		return *bad
	}
	err := ns.Do(map[ns.Type]string{ns.Net: p.netns()}, func() error {
		l, err := net.Listen("tcp", ":8080")
		if err == nil {
			l.Close()
		}
		return err
	})
	ev := fmt.Sprintf("bind :8080 inside pod %q: %v", lab05Pod, err)
	if !errors.Is(err, syscall.EADDRINUSE) {
		return fail("a container of the pod must hold port 8080; "+runLab("05"), ev)
	}
	return pass(ev)
}

func checkSharedPID(ctx context.Context) Result {
	p, bad := runningPod(lab05Shared, runLab("05"))
	if bad != nil {
		return *bad
	}
	ids, _ := proc.NSpid(p.pause)
	c := p.containers["orphans"]
	if c == nil || c.pid == 0 {
		return fail(runLab("05"), "container orphans is not running")
	}
	pauseNS, _ := ns.Inode(p.pause, ns.PID)
	appNS, _ := ns.Inode(c.pid, ns.PID)
	list := procsInPIDNamespace(pauseNS)
	log, _ := os.ReadFile(c.rtLog())
	spawned := strings.Count(string(log), "spawned orphan")
	evidence := []string{
		fmt.Sprintf("pause NSpid %v; pid namespace of pause pid:[%d], of the app pid:[%d]", ids, pauseNS, appNS),
		fmt.Sprintf("orphans made so far: %d; zombies in the pod: %d", spawned, len(zombies(list))),
	}
	if len(ids) < 2 || ids[len(ids)-1] != 1 || appNS != pauseNS || spawned < minZombies || len(zombies(list)) > 1 {
		return fail("the pod needs shareProcessNamespace: true, so the app joins pause's PID namespace; "+runLab("05"), evidence...)
	}
	return pass(evidence...)
}

func checkPauseDeath(ctx context.Context) Result {
	p, err := findPod(lab05Doomed)
	if err != nil {
		return fail(runLab("05"), fmt.Sprintf("pod %q: %v", lab05Doomed, err))
	}
	c := p.containers["app"]
	if c == nil {
		return fail(runLab("05"), "the pod has no container app")
	}
	procs := 0
	if c.cg != nil {
		list, _ := c.cg.Procs()
		procs = len(list)
	}
	evidence := []string{
		fmt.Sprintf("pause pid %d alive: %v", p.state.Pause.Pid, p.pause != 0),
		fmt.Sprintf("container app: %s, exit code %d, %q; processes left in its cgroup: %d", c.state.Status, c.state.ExitCode, c.state.Error, procs),
	}
	if p.pause != 0 || c.state.Status != "exited" || !strings.Contains(c.state.Error, "pause") || procs != 0 {
		return fail(runLab("05"), evidence...)
	}
	return pass(evidence...)
}

func checkLocalhostExercise(ctx context.Context) Result {
	const hint = "run a pod like workloads/manifests/pods/two-containers.yaml under a name of your own: sudo bin/podlab pod run -f FILE (see labs/05-pause-container/solution.sh)"
	pods, err := allPods()
	if err != nil {
		return fail(hint, err.Error())
	}
	var evidence []string
	for _, p := range pods {
		if isLabContainer(p.state.Pod.Name) || len(p.containers) < 2 {
			continue
		}
		reply, err := dial(p.netns(), "127.0.0.1:8080")
		body := firstLines(reply[strings.Index(reply, "\r\n\r\n")+1:], 1)
		evidence = append(evidence, fmt.Sprintf("pod %q: localhost:8080 answers %q (err %v)", p.state.Pod.Name, body, err))
		if err != nil || strings.TrimSpace(body) == "" {
			continue
		}
		for name, c := range p.containers {
			log, _ := os.ReadFile(c.rtLog())
			if strings.Contains(string(log), strings.TrimSpace(body)) {
				evidence = append(evidence, fmt.Sprintf("container %q printed it: it fetched localhost:8080", name))
				return pass(evidence...)
			}
		}
	}
	if len(evidence) == 0 {
		evidence = append(evidence, "no running pod of two or more containers besides the labs'")
	}
	return fail(hint, evidence...)
}

// firstLines returns the first n lines of s.
func firstLines(s string, n int) string {
	lines := strings.SplitN(strings.TrimLeft(s, "\r\n"), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
