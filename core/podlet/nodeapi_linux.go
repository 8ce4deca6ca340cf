package podlet

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
	"github.com/podlab/podlab/core/runtime"
)

// RuntimeNodeAPI is the configuration of the node API of node nodeName
// over its runtime rt: its pods, the cgroups under rt.CgroupParent, and
// this machine's /proc and netlink. Tokens go to reviewer.
//
//	srv, err := podlet.NewNodeAPIServer(podlet.RuntimeNodeAPI("node1", rt,
//		podlet.NewAPIServerReviewer("http://172.30.0.1:6443"), log))
func RuntimeNodeAPI(nodeName string, rt *runtime.Runtime, reviewer TokenReviewer, log *slog.Logger) NodeAPIConfig {
	return NodeAPIConfig{
		NodeName:   nodeName,
		Runtime:    rt,
		Cgroups:    DriverUsage{rt.Cgroups},
		NodeCgroup: rt.CgroupParent,
		Inspector:  ProcInspector{},
		Reviewer:   reviewer,
		Log:        log,
	}
}

// DriverUsage reads cgroup usage through a cgroup driver (v1 or v2).
type DriverUsage struct{ Driver cgroup.Driver }

// Usage reads the CPU time and memory of a cgroup; a cgroup that does not
// exist (the node's, before its first pod) has used nothing.
func (d DriverUsage) Usage(name string) (CgroupUsage, error) {
	cg, err := d.Driver.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return CgroupUsage{}, nil
	}
	if err != nil {
		return CgroupUsage{}, err
	}
	st, err := cg.Stats()
	if err != nil {
		return CgroupUsage{}, err
	}
	u := CgroupUsage{CPU: st.CPUUsage, Memory: st.MemoryUsage, WorkingSet: st.MemoryUsage}
	// The inactive file cache is in memory.stat, beside the usage file:
	// "total_inactive_file" on v1 (the group and its children, as the
	// usage counts them), "inactive_file" on v2 (always hierarchical).
	key := "inactive_file"
	if d.Driver.Version() == 1 {
		key = "total_inactive_file"
	}
	stat := filepath.Join(filepath.Dir(cg.Files()["memory usage"]), "memory.stat")
	if inactive, err := statKey(stat, key); err == nil && inactive < u.Memory {
		u.WorkingSet = u.Memory - inactive
	}
	return u, nil
}

// statKey reads the number on the line "key N" of a flat-keyed file.
func statKey(file, key string) (uint64, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+" "); ok {
			return strconv.ParseUint(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no %q in %s", key, file)
}

// ProcInspector inspects pods through /proc and netlink. It must run in
// the node's network namespace, where the node's ends of the veths are.
type ProcInspector struct{}

// Process reads the namespaces and cgroups of a process. One that is gone,
// or whose PID another process has now, is reported not alive.
func (ProcInspector) Process(pid int, start uint64) (ProcessInspection, error) {
	p := ProcessInspection{PID: pid}
	if !proc.Alive(pid, start) {
		return p, nil
	}
	set, err := ns.Inspect(pid)
	if err != nil {
		return p, nil // it exited meanwhile
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return p, nil
	}
	// Read before, checked after: the answer is this process's.
	if !proc.Alive(pid, start) {
		return p, nil
	}
	p.Alive, p.Namespaces = true, set
	p.ProcCgroup = strings.Split(strings.TrimSpace(string(data)), "\n")
	return p, nil
}

// Network reads both ends of the pod's veth pair: the node's in the node's
// network namespace (the config's NodeNetNS; "" is this process's), eth0
// in the pause's.
func (ProcInspector) Network(ps *runtime.PodState) (*NetworkInspection, error) {
	nodeNetNS := ""
	if ps.NetConfig != nil {
		nodeNetNS = ps.NetConfig.NodeNetNS
	}
	node, err := network.HandleAt(nodeNetNS)
	if err != nil {
		return nil, err
	}
	defer node.Close()
	pod, err := network.HandleAt(ns.Path(ps.Pause.Pid, ns.Net))
	if err != nil {
		return nil, err
	}
	defer pod.Close()

	in := &NetworkInspection{HostVeth: ps.Network.HostVeth}
	if host, err := node.LinkByName(in.HostVeth); err == nil {
		in.HostVethIfindex, in.HostVethPeer = host.Attrs().Index, host.Attrs().ParentIndex
		if br, err := node.LinkByIndex(host.Attrs().MasterIndex); err == nil {
			in.Bridge = br.Attrs().Name
		}
	}
	eth0, err := pod.LinkByName(network.PodInterface)
	if err != nil {
		return in, nil // no eth0: the answer shows it
	}
	in.PodIfindex, in.PodPeer = eth0.Attrs().Index, eth0.Attrs().ParentIndex
	if addrs, err := pod.AddrList(eth0, netlink.FAMILY_V4); err == nil && len(addrs) > 0 {
		in.PodIP = addrs[0].IP.String()
	}
	return in, nil
}
