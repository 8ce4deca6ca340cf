package runtime

import (
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/network"
)

// PodState is what the runtime knows about a Pod on this machine, kept in
// <pods>/<uid>/pod.json (/run/podlab/pods/<uid>/pod.json by default) so
// that another process (the checker, a node agent after a restart) can find
// the Pod and adopt it.
//
// A Pod is a sandbox, the pause process holding the network, IPC and UTS
// namespaces (and PID with shareProcessNamespace), plus containers that
// join them, each with its own mount namespace and root filesystem.
//
// The node agent drives a Pod in steps, as the kubelet drives a CRI
// runtime: CreateSandbox, then StartContainer for each container in the
// order it chooses, ContainerState to see how each is doing, StopContainer,
// and RemoveSandbox at the end. RunPod is all of it at once. The steps of
// one Pod must not run concurrently: each may rewrite pod.json.
type PodState struct {
	Pod       api.Pod   `json:"pod"` // as it was run, defaults applied
	Dir       string    `json:"dir"`
	Pause     Process   `json:"pause"`  // the sandbox
	Cgroup    string    `json:"cgroup"` // the pause's cgroup, <parent>/pod-<uid>/pause
	Hostname  string    `json:"hostname"`
	CreatedAt time.Time `json:"createdAt"`

	// Network is the pod's attachment to the node bridge (nil without one).
	Network    *network.Attachment `json:"network,omitempty"`
	NetConfig  *network.Config     `json:"netConfig,omitempty"`
	Volumes    map[string]string   `json:"volumes"`    // volume name -> host directory
	Containers map[string]string   `json:"containers"` // container name -> runtime container name, once started
	// Restarts counts, per container, the instances StartContainer replaced:
	// the restartCount of the container's status in Kubernetes.
	Restarts map[string]int `json:"restarts"`
}

// PodPhase is what the runtime can say of a Pod by itself: its sandbox
// lives or not. (Kubernetes phases come with the node agent.)
type PodPhase string

const (
	PodRunning PodPhase = "Running" // the pause process is alive
	PodDead    PodPhase = "Dead"    // the pause process is gone: so is the Pod
)

// Names on one node. Kubernetes names a Pod by its namespace and its name,
// and two namespaces may each have a Pod "web". The runtime keeps the short
// names of a single-node podlab in namespace "default" and adds the
// namespace otherwise:
//
//	Pod              name claim (pods/names/)   runtime container of "app"
//	web in default   web                        web-app
//	web in dev       web_dev                    dev-web-app
//
// "<name>_<namespace>" is what the kubelet calls a Pod's full name; no Pod
// or namespace name has a '_', so two claims never clash. A runtime
// container name must be a DNS label (it names a directory and a cgroup),
// so there the namespace is a prefix joined by '-'. "dev-web-app" is then
// also the name of container "app" of a Pod "dev-web" in default: the
// runtime refuses to start the second of the two, naming the container
// that holds the name. The Pod's own directory and cgroup are named by its
// uid, which is unique anyway.

// podFullName names a Pod on this node: its name in namespace default,
// "<name>_<namespace>" in any other.
func podFullName(namespace, name string) string {
	if namespace == "" || namespace == api.NamespaceDefault {
		return name
	}
	return name + "_" + namespace
}

// podContainerName is the runtime's name for a container of a Pod:
// "<pod>-<container>", or "<namespace>-<pod>-<container>" outside namespace
// default, made a DNS label: dots become dashes, and a name longer than 63
// characters is cut and made unique with a hash.
func podContainerName(pod *api.Pod, container string) string {
	name := strings.ReplaceAll(pod.Name, ".", "-") + "-" + container
	if ns := pod.Namespace; ns != "" && ns != api.NamespaceDefault {
		name = ns + "-" + name
	}
	if len(name) > 63 {
		h := fnv.New32a()
		h.Write([]byte(name))
		name = strings.TrimRight(name[:54], "-") + "-" + strconv.FormatUint(uint64(h.Sum32()), 36)
	}
	return name
}

// describe names a Pod in messages: "web", or "web" in namespace "dev".
func describe(pod *api.Pod) string {
	if pod.Namespace == "" || pod.Namespace == api.NamespaceDefault {
		return strconv.Quote(pod.Name)
	}
	return strconv.Quote(pod.Name) + " in namespace " + strconv.Quote(pod.Namespace)
}
