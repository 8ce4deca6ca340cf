package api

import "time"

// Node is a machine that runs pods. The node agent registers it and keeps
// its status fresh; the node controller marks it NotReady or Unknown when
// it falls silent (SEMANTICS.md §11). Nodes belong to no namespace.
type Node struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       NodeSpec   `json:"spec,omitzero"`
	Status     NodeStatus `json:"status,omitzero"`
}

// NodeSpec is what the cluster decides about the node.
type NodeSpec struct {
	// PodCIDR is the range the node gives its pods IP addresses from,
	// like "10.244.1.0/24" (lab 08).
	PodCIDR string `json:"podCIDR,omitempty"`
	// Unschedulable keeps new pods off the node ("kubectl cordon").
	Unschedulable bool `json:"unschedulable,omitempty"`
	// Taints repel the pods that do not tolerate them.
	Taints []Taint `json:"taints,omitempty"`
}

// Taint marks a node so that only pods with a matching toleration are
// scheduled there (NoSchedule) or stay there (NoExecute).
type Taint struct {
	Key    string      `json:"key"`
	Value  string      `json:"value,omitempty"`
	Effect TaintEffect `json:"effect"`
	// TimeAdded is when a NoExecute taint was put on; eviction counts
	// the tolerationSeconds of pods from it.
	TimeAdded *time.Time `json:"timeAdded,omitempty"`
}

// TaintEffect is what a taint does to pods that do not tolerate it.
type TaintEffect string

const (
	TaintEffectNoSchedule       TaintEffect = "NoSchedule"       // no new pods
	TaintEffectPreferNoSchedule TaintEffect = "PreferNoSchedule" // new pods only if nothing else fits
	TaintEffectNoExecute        TaintEffect = "NoExecute"        // running pods are evicted too
)

// Taints the node controller and "kubectl cordon" put on nodes.
const (
	TaintNodeNotReady      = "node.kubernetes.io/not-ready"     // condition Ready is False
	TaintNodeUnreachable   = "node.kubernetes.io/unreachable"   // condition Ready is Unknown
	TaintNodeUnschedulable = "node.kubernetes.io/unschedulable" // spec.unschedulable is true
)

// NodeStatus is what the node agent reports.
type NodeStatus struct {
	// Capacity is all the node has, Allocatable what pods may request:
	// "cpu", "memory", "pods" (how many) and "ephemeral-storage".
	Capacity    ResourceList    `json:"capacity,omitempty"`
	Allocatable ResourceList    `json:"allocatable,omitempty"`
	Conditions  []NodeCondition `json:"conditions,omitempty"`
	Addresses   []NodeAddress   `json:"addresses,omitempty"`
	NodeInfo    NodeSystemInfo  `json:"nodeInfo,omitzero"`
}

// Resource names that only nodes list.
const (
	ResourcePods             = "pods"              // how many pods fit, 110 by default
	ResourceEphemeralStorage = "ephemeral-storage" // bytes of local disk
)

// NodeCondition is one aspect of the node's health, like Ready.
type NodeCondition struct {
	Type   NodeConditionType `json:"type"`
	Status ConditionStatus   `json:"status"`
	// LastHeartbeatTime is when the node agent last reported this
	// condition; LastTransitionTime when its status last changed.
	LastHeartbeatTime  time.Time `json:"lastHeartbeatTime,omitzero"`
	LastTransitionTime time.Time `json:"lastTransitionTime,omitzero"`
	Reason             string    `json:"reason,omitempty"`
	Message            string    `json:"message,omitempty"`
}

// NodeConditionType names a node condition.
type NodeConditionType string

const (
	NodeReady              NodeConditionType = "Ready"
	NodeMemoryPressure     NodeConditionType = "MemoryPressure"
	NodeDiskPressure       NodeConditionType = "DiskPressure"
	NodePIDPressure        NodeConditionType = "PIDPressure"
	NodeNetworkUnavailable NodeConditionType = "NetworkUnavailable"
)

// NodeAddress is one way to reach the node.
type NodeAddress struct {
	Type    NodeAddressType `json:"type"`
	Address string          `json:"address"`
}

// NodeAddressType says what kind of address a NodeAddress is.
type NodeAddressType string

const (
	NodeInternalIP NodeAddressType = "InternalIP" // the underlay IP other nodes use
	NodeExternalIP NodeAddressType = "ExternalIP"
	NodeHostName   NodeAddressType = "Hostname"
)

// NodeSystemInfo describes the node's software, as "kubectl get nodes
// -o wide" shows it.
type NodeSystemInfo struct {
	MachineID               string `json:"machineID,omitempty"`
	KernelVersion           string `json:"kernelVersion,omitempty"`
	OSImage                 string `json:"osImage,omitempty"`
	ContainerRuntimeVersion string `json:"containerRuntimeVersion,omitempty"`
	KubeletVersion          string `json:"kubeletVersion,omitempty"`
	OperatingSystem         string `json:"operatingSystem,omitempty"`
	Architecture            string `json:"architecture,omitempty"`
}

// Namespace groups objects: names are unique within one namespace, and
// selectors only select in their own. Namespaces belong to no namespace.
type Namespace struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       NamespaceSpec   `json:"spec,omitzero"`
	Status     NamespaceStatus `json:"status,omitzero"`
}

// NamespaceSpec lists what must be cleaned up before a deleted namespace
// goes away.
type NamespaceSpec struct {
	Finalizers []string `json:"finalizers,omitempty"`
}

// NamespaceStatus says whether the namespace is in use or being deleted.
type NamespaceStatus struct {
	Phase NamespacePhase `json:"phase,omitempty"`
}

// NamespacePhase is Active or Terminating.
type NamespacePhase string

const (
	NamespaceActive      NamespacePhase = "Active"
	NamespaceTerminating NamespacePhase = "Terminating"
)
