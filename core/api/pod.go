package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Pod is a group of containers that share a network namespace, an IP
// address and volumes, and are scheduled onto one node together.
type Pod struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       PodSpec   `json:"spec"`
	Status     PodStatus `json:"status,omitzero"`
}

// PodSpec is what the user asks for.
type PodSpec struct {
	Volumes []Volume `json:"volumes,omitempty"`
	// InitContainers run one at a time, in order, each to completion,
	// before any of Containers starts.
	InitContainers []Container `json:"initContainers,omitempty"`
	Containers     []Container `json:"containers"`
	// RestartPolicy says which exited containers the node restarts:
	// Always (the default), OnFailure or Never.
	RestartPolicy RestartPolicy `json:"restartPolicy,omitempty"`
	// TerminationGracePeriodSeconds is how long containers get between
	// SIGTERM and SIGKILL (default 30). A pointer: 0 is a valid choice.
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`
	// NodeSelector restricts scheduling to nodes that carry all these labels.
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// NodeName is the node the pod is bound to; the scheduler sets it.
	NodeName string `json:"nodeName,omitempty"`
	// ShareProcessNamespace puts all containers in one PID namespace, where
	// the pause process is PID 1 and reaps orphans. Default false: each
	// container has its own PID namespace and its process is PID 1 there.
	ShareProcessNamespace *bool `json:"shareProcessNamespace,omitempty"`
	// Hostname of the pod; empty means the pod name.
	Hostname string `json:"hostname,omitempty"`
	// Subdomain, with a headless Service of that name, gives the pod the
	// DNS name <hostname>.<subdomain>.<namespace>.svc.cluster.local, as a
	// StatefulSet does for its pods.
	Subdomain string `json:"subdomain,omitempty"`
	// Tolerations let the pod onto, or stay on, nodes with matching taints.
	Tolerations []Toleration `json:"tolerations,omitempty"`
}

// Toleration lets a pod ignore a node taint. An empty key with operator
// Exists tolerates every taint; an empty effect, every effect.
type Toleration struct {
	Key      string             `json:"key,omitempty"`
	Operator TolerationOperator `json:"operator,omitempty"`
	Value    string             `json:"value,omitempty"`
	Effect   TaintEffect        `json:"effect,omitempty"`
	// TolerationSeconds is how long a pod stays on a node after a
	// NoExecute taint appears (nil: forever). In Kubernetes, admission
	// gives every pod 300 s for the not-ready and unreachable taints
	// (SEMANTICS.md §11); Default does not.
	TolerationSeconds *int64 `json:"tolerationSeconds,omitempty"`
}

// TolerationOperator is Equal (the default: key and value match) or
// Exists (the key matches, whatever the value).
type TolerationOperator string

const (
	TolerationOpEqual  TolerationOperator = "Equal"
	TolerationOpExists TolerationOperator = "Exists"
)

// ToleratesTaint reports whether t tolerates taint.
func (t *Toleration) ToleratesTaint(taint *Taint) bool {
	if t.Effect != "" && t.Effect != taint.Effect {
		return false
	}
	if t.Key != "" && t.Key != taint.Key {
		return false
	}
	switch t.Operator {
	case TolerationOpExists:
		return true
	case "", TolerationOpEqual:
		return t.Value == taint.Value
	}
	return false
}

// RestartPolicy is the pod-level restart policy (SEMANTICS.md §2.3).
type RestartPolicy string

const (
	RestartPolicyAlways    RestartPolicy = "Always"
	RestartPolicyOnFailure RestartPolicy = "OnFailure"
	RestartPolicyNever     RestartPolicy = "Never"
)

// DefaultTerminationGracePeriodSeconds is the grace period of a pod that
// sets none, as in Kubernetes.
const DefaultTerminationGracePeriodSeconds = 30

// Container is one process tree of the pod, started from an image.
type Container struct {
	Name  string `json:"name"`
	Image string `json:"image,omitempty"`
	// Command replaces the image's entrypoint and Args its cmd, as in
	// Kubernetes.
	Command      []string             `json:"command,omitempty"`
	Args         []string             `json:"args,omitempty"`
	WorkingDir   string               `json:"workingDir,omitempty"`
	Ports        []ContainerPort      `json:"ports,omitempty"`
	Env          []EnvVar             `json:"env,omitempty"`
	Resources    ResourceRequirements `json:"resources,omitzero"`
	VolumeMounts []VolumeMount        `json:"volumeMounts,omitempty"`
	// RestartPolicy may only be set on an init container, and only to
	// Always: the init container is then a native sidecar (SEMANTICS.md
	// §3.2), started in init order but kept running, and restarted,
	// beside the app containers whatever the pod's restartPolicy.
	RestartPolicy *ContainerRestartPolicy `json:"restartPolicy,omitempty"`
	// The probes and hooks (probe.go, SEMANTICS.md §4): only app
	// containers and sidecars may have them.
	LivenessProbe  *Probe     `json:"livenessProbe,omitempty"`
	ReadinessProbe *Probe     `json:"readinessProbe,omitempty"`
	StartupProbe   *Probe     `json:"startupProbe,omitempty"`
	Lifecycle      *Lifecycle `json:"lifecycle,omitempty"`
}

// ContainerRestartPolicy is the restart policy of one container. Its only
// value is Always, which makes an init container a native sidecar.
type ContainerRestartPolicy string

// ContainerRestartPolicyAlways makes an init container a native sidecar.
const ContainerRestartPolicyAlways ContainerRestartPolicy = "Always"

// IsSidecar reports whether c, an init container, is a native sidecar
// (restartPolicy: Always); Kubernetes calls it a restartable init container.
func (c *Container) IsSidecar() bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == ContainerRestartPolicyAlways
}

// EnvVar is one environment variable of a container.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

// ContainerPort documents a port the container listens on. All containers
// of a pod share one network namespace, so the port is the pod's.
type ContainerPort struct {
	Name          string   `json:"name,omitempty"`
	ContainerPort int32    `json:"containerPort"`
	Protocol      Protocol `json:"protocol,omitempty"`
}

// Protocol is a transport protocol of a port.
type Protocol string

const (
	ProtocolTCP  Protocol = "TCP"
	ProtocolUDP  Protocol = "UDP"
	ProtocolSCTP Protocol = "SCTP"
)

// ResourceRequirements are what a container asks for (requests, which the
// scheduler reserves) and may not exceed (limits, which the cgroup
// enforces). The fields are named ...List because the methods Limits and
// Requests give the parsed values.
type ResourceRequirements struct {
	LimitList   ResourceList `json:"limits,omitempty"`
	RequestList ResourceList `json:"requests,omitempty"`
}

// Limits returns the CPU limit in millicores and the memory limit in
// bytes, 0 for no limit.
func (r ResourceRequirements) Limits() (cpuMillis, memoryBytes int64, err error) {
	return r.LimitList.parse()
}

// Requests returns the CPU request in millicores and the memory request in
// bytes, 0 for none.
func (r ResourceRequirements) Requests() (cpuMillis, memoryBytes int64, err error) {
	return r.RequestList.parse()
}

// Resource names in a ResourceList.
const (
	ResourceCPU    = "cpu"    // cores, like "0.5" or "500m"
	ResourceMemory = "memory" // bytes, like "64Mi" or "1G"
)

// ResourceList maps "cpu" and "memory" to quantities, like
// {"cpu": "500m", "memory": "64Mi"}.
type ResourceList map[string]string

// parse returns the CPU in millicores and the memory in bytes of l, 0 for
// a resource l does not name.
func (l ResourceList) parse() (cpuMillis, memoryBytes int64, err error) {
	if q, ok := l[ResourceCPU]; ok {
		if cpuMillis, err = ParseCPU(q); err != nil {
			return 0, 0, err
		}
	}
	if q, ok := l[ResourceMemory]; ok {
		if memoryBytes, err = ParseMemory(q); err != nil {
			return 0, 0, err
		}
	}
	return cpuMillis, memoryBytes, nil
}

// UnmarshalJSON accepts numbers as well as strings, as Kubernetes does for
// quantities: "cpu: 1" means the same as "cpu: '1'".
func (l *ResourceList) UnmarshalJSON(data []byte) error {
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keep "0.5" as written, not as a float64
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return err
	}
	*l = make(ResourceList, len(raw))
	for name, v := range raw {
		switch v := v.(type) {
		case string:
			(*l)[name] = v
		case json.Number:
			(*l)[name] = v.String()
		default:
			return fmt.Errorf("quantity of %q must be a string or a number, not %v", name, v)
		}
	}
	return nil
}

// VolumeMount makes a volume of the pod visible at MountPath in a container.
type VolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

// Volume is a directory the containers of a pod can mount. Exactly one
// source must be set.
type Volume struct {
	Name     string                `json:"name"`
	EmptyDir *EmptyDirVolumeSource `json:"emptyDir,omitempty"`
	HostPath *HostPathVolumeSource `json:"hostPath,omitempty"`
}

// EmptyDirVolumeSource is a directory that starts empty and lives as long
// as the pod: the way containers of one pod share files.
type EmptyDirVolumeSource struct {
	// Medium "" is the node's disk; "Memory" is a tmpfs.
	Medium StorageMedium `json:"medium,omitempty"`
	// SizeLimit is a memory quantity, like "64Mi".
	SizeLimit string `json:"sizeLimit,omitempty"`
}

// StorageMedium is where an emptyDir keeps its files.
type StorageMedium string

const (
	StorageMediumDefault StorageMedium = ""
	StorageMediumMemory  StorageMedium = "Memory"
)

// HostPathVolumeSource is a file or directory of the node.
type HostPathVolumeSource struct {
	Path string       `json:"path"`
	Type HostPathType `json:"type,omitempty"`
}

// HostPathType says what must be at a hostPath before the pod starts.
type HostPathType string

const (
	HostPathUnset             HostPathType = "" // no check
	HostPathDirectoryOrCreate HostPathType = "DirectoryOrCreate"
	HostPathDirectory         HostPathType = "Directory"
	HostPathFileOrCreate      HostPathType = "FileOrCreate"
	HostPathFile              HostPathType = "File"
	HostPathSocket            HostPathType = "Socket"
	HostPathCharDev           HostPathType = "CharDevice"
	HostPathBlockDev          HostPathType = "BlockDevice"
)

// PodStatus is what the node reports about the pod.
type PodStatus struct {
	Phase      PodPhase       `json:"phase,omitempty"`
	Conditions []PodCondition `json:"conditions,omitempty"`
	// Reason and Message say why the pod is in its phase, like reason
	// "Evicted" or "NodeLost".
	Reason                string            `json:"reason,omitempty"`
	Message               string            `json:"message,omitempty"`
	HostIP                string            `json:"hostIP,omitempty"`
	PodIP                 string            `json:"podIP,omitempty"`
	StartTime             time.Time         `json:"startTime,omitzero"`
	InitContainerStatuses []ContainerStatus `json:"initContainerStatuses,omitempty"`
	ContainerStatuses     []ContainerStatus `json:"containerStatuses,omitempty"`
}

// PodPhase sums up where the pod is in its life (SEMANTICS.md §2.2).
type PodPhase string

const (
	PodPending   PodPhase = "Pending"
	PodRunning   PodPhase = "Running"
	PodSucceeded PodPhase = "Succeeded"
	PodFailed    PodPhase = "Failed"
	PodUnknown   PodPhase = "Unknown"
)

// PodCondition is one aspect of the pod's state, like Ready (SEMANTICS.md §2.5).
type PodCondition struct {
	Type               PodConditionType `json:"type"`
	Status             ConditionStatus  `json:"status"`
	LastTransitionTime time.Time        `json:"lastTransitionTime,omitzero"`
	Reason             string           `json:"reason,omitempty"`
	Message            string           `json:"message,omitempty"`
}

// PodConditionType names a pod condition.
type PodConditionType string

const (
	PodScheduled              PodConditionType = "PodScheduled"
	PodReadyToStartContainers PodConditionType = "PodReadyToStartContainers"
	PodInitialized            PodConditionType = "Initialized"
	ContainersReady           PodConditionType = "ContainersReady"
	PodReady                  PodConditionType = "Ready"
)

// ConditionStatus is True, False or Unknown.
type ConditionStatus string

const (
	ConditionTrue    ConditionStatus = "True"
	ConditionFalse   ConditionStatus = "False"
	ConditionUnknown ConditionStatus = "Unknown"
)

// ContainerStatus is what the node reports about one container.
type ContainerStatus struct {
	Name  string         `json:"name"`
	State ContainerState `json:"state,omitzero"`
	// LastTerminationState is how the previous run ended, after a restart.
	LastTerminationState ContainerState `json:"lastState,omitzero"`
	Ready                bool           `json:"ready"`
	RestartCount         int32          `json:"restartCount"`
	// Started is true once the container runs and has passed its startup
	// probe, if it has one; the next init container waits for a sidecar
	// to be started. A pointer, as in Kubernetes: nil is "not known".
	Started     *bool  `json:"started,omitempty"`
	Image       string `json:"image,omitempty"`
	ContainerID string `json:"containerID,omitempty"`
}

// ContainerState holds exactly one of its fields (SEMANTICS.md §2.1).
type ContainerState struct {
	Waiting    *ContainerStateWaiting    `json:"waiting,omitempty"`
	Running    *ContainerStateRunning    `json:"running,omitempty"`
	Terminated *ContainerStateTerminated `json:"terminated,omitempty"`
}

// String says the state in a few words, for evidence and lab output:
// "running", "waiting CrashLoopBackOff", "terminated Error (exit 3)".
func (s ContainerState) String() string {
	switch {
	case s.Running != nil:
		return "running"
	case s.Terminated != nil:
		return fmt.Sprintf("terminated %s (exit %d)", s.Terminated.Reason, s.Terminated.ExitCode)
	case s.Waiting != nil:
		return "waiting " + s.Waiting.Reason
	}
	return "no state"
}

// Summary is a container's status in one line: its state, its restart
// count and how its previous instance ended, like
// "app: waiting CrashLoopBackOff, restartCount 3, lastState terminated Error (exit 1)".
func (s ContainerStatus) Summary() string {
	out := fmt.Sprintf("%s: %s, restartCount %d", s.Name, s.State, s.RestartCount)
	if s.LastTerminationState.Terminated != nil {
		out += ", lastState " + s.LastTerminationState.String()
	}
	return out
}

// ContainerStateWaiting: not running yet, or waiting to restart.
type ContainerStateWaiting struct {
	Reason  string `json:"reason,omitempty"` // like ContainerCreating or CrashLoopBackOff
	Message string `json:"message,omitempty"`
}

// ContainerStateRunning: the process runs.
type ContainerStateRunning struct {
	StartedAt time.Time `json:"startedAt,omitzero"`
}

// ContainerStateTerminated: the process has exited.
type ContainerStateTerminated struct {
	ExitCode    int32     `json:"exitCode"`
	Signal      int32     `json:"signal,omitempty"`
	Reason      string    `json:"reason,omitempty"` // like Completed, Error or OOMKilled
	Message     string    `json:"message,omitempty"`
	StartedAt   time.Time `json:"startedAt,omitzero"`
	FinishedAt  time.Time `json:"finishedAt,omitzero"`
	ContainerID string    `json:"containerID,omitempty"`
}

// AllContainers returns the init containers, then the app containers: the
// order in which the node starts them.
func (p *Pod) AllContainers() []Container {
	all := make([]Container, 0, len(p.Spec.InitContainers)+len(p.Spec.Containers))
	all = append(all, p.Spec.InitContainers...)
	return append(all, p.Spec.Containers...)
}

// SharesPID reports whether the containers share one PID namespace
// (shareProcessNamespace: true).
func (p *Pod) SharesPID() bool {
	return p.Spec.ShareProcessNamespace != nil && *p.Spec.ShareProcessNamespace
}
