package podlet

import (
	"errors"
	"net/http"

	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/runtime"
)

// GET /inspect/{namespace}/{pod}: what the kernel says of a pod, for the
// checker, which runs on the host and cannot see into a node as a node's
// own agent can. The runtime's records say what should be; the answer
// reads what is, from /proc and netlink:
//
//	sandbox     the pause process: its PID, whether it is alive, the inodes
//	            of its namespaces (/proc/PID/ns/*), its cgroup as the
//	            runtime named it and as /proc/PID/cgroup says
//	containers  the same of each container's PID 1, the instances that run
//	network     the node's end of the veth pair (its name, index and the
//	            index of its peer), eth0 in the pod (its index, its peer's
//	            index) and the pod's IP on it
//
// Two processes share a namespace exactly when the inodes are equal: a
// container's net, ipc and uts are the pause's, its mnt is its own.

// PodInspection is the answer of /inspect.
type PodInspection struct {
	PodRef     PodReference          `json:"podRef"`
	Sandbox    ProcessInspection     `json:"sandbox"`
	Containers []ContainerInspection `json:"containers"`
	Network    *NetworkInspection    `json:"network,omitempty"`
}

// ProcessInspection is one process of a pod, as /proc shows it.
type ProcessInspection struct {
	PID   int  `json:"pid"`
	Alive bool `json:"alive"`
	// Namespaces maps each namespace type (net, ipc, uts, pid, mnt, ...)
	// to the inode of /proc/PID/ns/TYPE.
	Namespaces ns.Set `json:"namespaces,omitempty"`
	// Cgroup is the process's cgroup as the runtime named it; ProcCgroup
	// the lines of /proc/PID/cgroup, one per hierarchy.
	Cgroup     string   `json:"cgroup"`
	ProcCgroup []string `json:"procCgroup,omitempty"`
}

// ContainerInspection is the PID 1 of one container.
type ContainerInspection struct {
	Name   string `json:"name"`
	Status string `json:"status"` // created, running or exited
	ProcessInspection
}

// NetworkInspection is the pod's veth pair, as netlink shows it.
type NetworkInspection struct {
	PodIP           string `json:"podIP"`           // the IPv4 address on eth0
	HostVeth        string `json:"hostVeth"`        // the node's end, like veth1a2b3c4d
	HostVethIfindex int    `json:"hostVethIfindex"` // its index in the node's network namespace
	HostVethPeer    int    `json:"hostVethPeer"`    // its peer's index, in the pod's: eth0's
	Bridge          string `json:"bridge"`          // the bridge the node's end is in
	PodIfindex      int    `json:"podIfindex"`      // eth0's index in the pod's network namespace
	PodPeer         int    `json:"podPeer"`         // eth0's peer's index, in the node's: the veth's
}

// PodInspector reads what the kernel says of a pod's processes and links.
type PodInspector interface {
	// Process inspects the process pid that started at start.
	Process(pid int, start uint64) (ProcessInspection, error)
	// Network inspects the pod's veth pair; ps.Network is not nil.
	Network(ps *runtime.PodState) (*NetworkInspection, error)
}

func (a *NodeAPIServer) inspect(w http.ResponseWriter, r *http.Request) {
	ps, ok := a.lookupPod(w, r)
	if !ok {
		return
	}
	in, err := a.inspectPod(ps)
	if err != nil {
		writeStatus(w, http.StatusInternalServerError, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, in)
}

func (a *NodeAPIServer) inspectPod(ps *runtime.PodState) (*PodInspection, error) {
	insp := a.cfg.Inspector
	in := &PodInspection{
		PodRef:     PodReference{Name: ps.Pod.Name, Namespace: ps.Pod.Namespace, UID: ps.Pod.UID},
		Containers: []ContainerInspection{},
	}
	var err error
	if in.Sandbox, err = insp.Process(ps.Pause.Pid, ps.Pause.Start); err != nil {
		return nil, err
	}
	in.Sandbox.Cgroup = ps.Cgroup
	for _, c := range ps.Pod.AllContainers() {
		st, err := a.cfg.Runtime.ContainerState(ps, c.Name)
		if errors.Is(err, runtime.ErrNotFound) {
			continue // not started yet
		}
		if err != nil {
			return nil, err
		}
		ci := ContainerInspection{Name: c.Name, Status: string(st.Status)}
		if st.Status == runtime.Running {
			if ci.ProcessInspection, err = insp.Process(st.Pid, st.PidStart); err != nil {
				return nil, err
			}
		}
		ci.Cgroup = st.Cgroup
		in.Containers = append(in.Containers, ci)
	}
	if ps.Network != nil && in.Sandbox.Alive {
		if in.Network, err = insp.Network(ps); err != nil {
			return nil, err
		}
	}
	return in, nil
}
