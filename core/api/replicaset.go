package api

import "time"

// PodTemplateSpec is the pod a controller makes copies of: the labels its
// selector looks for, and the spec. It has no name: each pod gets one.
type PodTemplateSpec struct {
	ObjectMeta `json:"metadata,omitzero"`
	Spec       PodSpec `json:"spec"`
}

// NewPod returns a pod made from the template, as a controller creates
// one: a copy of the template's labels, annotations, finalizers and
// spec, in the owner's namespace, named by the store from generateName
// "<owner>-" plus random letters (SEMANTICS.md §6.1), and controlled by
// the owner, whose kind is ownerKind. The pod shares nothing with the
// template, which may be an object from a cache.
func (t *PodTemplateSpec) NewPod(owner Object, ownerKind TypeMeta) *Pod {
	m := owner.GetObjectMeta()
	pod := DeepCopy(&Pod{
		TypeMeta: KindPod,
		ObjectMeta: ObjectMeta{
			Labels:      t.Labels,
			Annotations: t.Annotations,
			Finalizers:  t.Finalizers,
		},
		Spec: t.Spec,
	})
	pod.Namespace = m.Namespace
	pod.GenerateName = m.Name + "-"
	pod.OwnerReferences = []OwnerReference{NewControllerRef(owner, ownerKind)}
	return pod
}

// ReplicationController keeps a number of pods running, like a
// ReplicaSet, but selects them by equality only (SEMANTICS.md §5.3). It
// is the older of the two.
type ReplicationController struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       ReplicationControllerSpec `json:"spec"`
	// Status has the fields of a ReplicaSet's status.
	Status ReplicaSetStatus `json:"status,omitzero"`
}

// ReplicationControllerSpec is what the user asks for.
type ReplicationControllerSpec struct {
	// Replicas is how many pods to run (default 1). A pointer, because 0
	// is a valid choice that must not be mistaken for "unset".
	Replicas        *int32 `json:"replicas,omitempty"`
	MinReadySeconds int32  `json:"minReadySeconds,omitempty"`
	// Selector holds labels the pods must all carry; empty means the
	// labels of the template.
	Selector map[string]string `json:"selector,omitempty"`
	Template PodTemplateSpec   `json:"template"`
}

// ReplicaSet keeps a number of pods that match its selector running:
// it creates pods from its template when there are too few and deletes
// some when there are too many (SEMANTICS.md §6.1).
type ReplicaSet struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       ReplicaSetSpec   `json:"spec"`
	Status     ReplicaSetStatus `json:"status,omitzero"`
}

// ReplicaSetSpec is what the user, or a Deployment, asks for.
type ReplicaSetSpec struct {
	Replicas *int32 `json:"replicas,omitempty"` // default 1
	// MinReadySeconds is how long a pod must be Ready to count as available.
	MinReadySeconds int32 `json:"minReadySeconds,omitempty"`
	// Selector must match the labels of the template: the pods it makes
	// must be its own.
	Selector *LabelSelector  `json:"selector,omitempty"`
	Template PodTemplateSpec `json:"template"`
}

// ReplicaSetStatus counts the pods, as the controller last saw them.
type ReplicaSetStatus struct {
	Replicas             int32 `json:"replicas,omitempty"`
	FullyLabeledReplicas int32 `json:"fullyLabeledReplicas,omitempty"`
	ReadyReplicas        int32 `json:"readyReplicas,omitempty"`
	AvailableReplicas    int32 `json:"availableReplicas,omitempty"`
	// ObservedGeneration is the metadata.generation the counts are for.
	ObservedGeneration int64       `json:"observedGeneration,omitempty"`
	Conditions         []Condition `json:"conditions,omitempty"`
}

// Condition is one aspect of a workload's state, like ReplicaFailure.
// The conditions of ReplicationControllers, ReplicaSets, StatefulSets,
// DaemonSets and HorizontalPodAutoscalers all have these fields;
// Kubernetes gives each kind its own type.
type Condition struct {
	Type               string          `json:"type"`
	Status             ConditionStatus `json:"status"`
	LastTransitionTime time.Time       `json:"lastTransitionTime,omitzero"`
	Reason             string          `json:"reason,omitempty"`
	Message            string          `json:"message,omitempty"`
}
