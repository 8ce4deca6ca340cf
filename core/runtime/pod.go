package runtime

import (
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/network"
)

// PodState is what the runtime knows about a Pod on this machine, kept in
// /run/podlab/pods/<uid>/pod.json so that another process (the checker, a
// node agent after a restart) can find the Pod and adopt it.
//
// A Pod is a sandbox, the pause process holding the network, IPC and UTS
// namespaces (and PID with shareProcessNamespace), plus containers that
// join them, each with its own mount namespace and root filesystem.
type PodState struct {
	Pod       api.Pod   `json:"pod"` // as it was run, defaults applied
	Dir       string    `json:"dir"`
	Pause     Process   `json:"pause"`  // the sandbox
	Cgroup    string    `json:"cgroup"` // the pause's cgroup
	Hostname  string    `json:"hostname"`
	CreatedAt time.Time `json:"createdAt"`

	// Network is the pod's attachment to the node bridge (nil without one).
	Network    *network.Attachment `json:"network,omitempty"`
	NetConfig  *network.Config     `json:"netConfig,omitempty"`
	Volumes    map[string]string   `json:"volumes"`    // volume name -> host directory
	Containers map[string]string   `json:"containers"` // container name -> runtime container name
	Restarts   map[string]int      `json:"restarts"`   // container name -> times restarted
}

// PodPhase is what the runtime can say of a Pod by itself: its sandbox
// lives or not. (Kubernetes phases come with the node agent.)
type PodPhase string

const (
	PodRunning PodPhase = "Running" // the pause process is alive
	PodDead    PodPhase = "Dead"    // the pause process is gone: so is the Pod
)
