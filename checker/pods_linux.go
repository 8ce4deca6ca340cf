package checker

import (
	"fmt"
	"net"
	"time"

	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
	"github.com/podlab/podlab/core/runtime"
)

// This file finds Pods as the kernel sees them. The runtime's pod.json says
// which pause process and containers belong to a Pod; a Pod only counts as
// running when that pause process is alive and sits in the Pod's cgroup.

// pod is one Pod on this machine.
type pod struct {
	state      *runtime.PodState
	pause      int                   // host PID of the pause process, 0 when dead
	containers map[string]*container // by container name, as in the manifest
	rt         *runtime.Runtime
}

// findPod looks a Pod up by name and verifies its pause and containers.
func findPod(name string) (*pod, error) {
	rt, err := runtime.New()
	if err != nil {
		return nil, err
	}
	ps, err := rt.GetPod(name)
	if err != nil {
		return nil, err
	}
	p := &pod{state: ps, containers: map[string]*container{}, rt: rt}
	if proc.Alive(ps.Pause.Pid, ps.Pause.Start) && proc.InCgroup(ps.Pause.Pid, ps.Cgroup) {
		p.pause = ps.Pause.Pid
	}
	for cname, rname := range ps.Containers {
		if c, err := findContainer(rname); err == nil {
			p.containers[cname] = c
		}
	}
	return p, nil
}

// runningPod finds a Pod whose pause runs, or says how to get one.
func runningPod(name, hint string) (*pod, *Result) {
	p, err := findPod(name)
	if err != nil {
		r := fail(hint, fmt.Sprintf("pod %q: %v", name, err))
		return nil, &r
	}
	if p.pause == 0 {
		r := fail(hint, fmt.Sprintf("pod %q: its pause process (pid %d) is not running", name, p.state.Pause.Pid))
		return nil, &r
	}
	return p, nil
}

// allPods lists the Pods on this machine whose pause runs.
func allPods() ([]*pod, error) {
	rt, err := runtime.New()
	if err != nil {
		return nil, err
	}
	list, err := rt.Pods()
	if err != nil {
		return nil, err
	}
	var pods []*pod
	for _, ps := range list {
		if p, err := findPod(ps.Pod.Name); err == nil && p.pause != 0 {
			pods = append(pods, p)
		}
	}
	return pods, nil
}

// netns is the path of the Pod's network namespace (the pause's).
func (p *pod) netns() string { return ns.Path(p.pause, ns.Net) }

// dial opens a TCP connection from inside the Pod's network namespace: the
// socket is created on a throw-away thread that joined it, and stays there.
func dial(netnsPath, addr string) (string, error) {
	var reply string
	err := ns.Do(map[ns.Type]string{ns.Net: netnsPath}, func() error {
		conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			return err
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(2 * time.Second))
		fmt.Fprintf(conn, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", addr)
		buf := make([]byte, 4096)
		n, _ := conn.Read(buf)
		reply = string(buf[:n])
		return nil
	})
	return reply, err
}
