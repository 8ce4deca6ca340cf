package api

// StatefulSet runs pods with a stable identity: web-0, web-1, ... each
// with its own hostname, DNS name through a headless Service, and
// PersistentVolumeClaims that outlive the pod (SEMANTICS.md §7).
type StatefulSet struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       StatefulSetSpec   `json:"spec"`
	Status     StatefulSetStatus `json:"status,omitzero"`
}

// StatefulSetSpec is what the user asks for.
type StatefulSetSpec struct {
	Replicas *int32          `json:"replicas,omitempty"` // default 1
	Selector *LabelSelector  `json:"selector,omitempty"`
	Template PodTemplateSpec `json:"template"`
	// VolumeClaimTemplates make one claim per pod, named
	// <template>-<statefulset>-<ordinal>; the template's containers mount
	// it by the template's name.
	VolumeClaimTemplates []PersistentVolumeClaim `json:"volumeClaimTemplates,omitempty"`
	// ServiceName is the headless Service that gives the pods their DNS
	// names, <pod>.<service>.<namespace>.svc.cluster.local.
	ServiceName string `json:"serviceName,omitempty"`
	// PodManagementPolicy is OrderedReady (the default: one pod at a
	// time, in order) or Parallel.
	PodManagementPolicy PodManagementPolicyType   `json:"podManagementPolicy,omitempty"`
	UpdateStrategy      StatefulSetUpdateStrategy `json:"updateStrategy,omitzero"`
	// RevisionHistoryLimit is how many old revisions are kept (default 10).
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
	MinReadySeconds      int32  `json:"minReadySeconds,omitempty"`
	// PersistentVolumeClaimRetentionPolicy says whether claims are
	// deleted with the StatefulSet or on scale-down (default: never).
	PersistentVolumeClaimRetentionPolicy *StatefulSetPersistentVolumeClaimRetentionPolicy `json:"persistentVolumeClaimRetentionPolicy,omitempty"`
}

// PodManagementPolicyType is OrderedReady or Parallel.
type PodManagementPolicyType string

const (
	OrderedReadyPodManagement PodManagementPolicyType = "OrderedReady"
	ParallelPodManagement     PodManagementPolicyType = "Parallel"
)

// StatefulSetUpdateStrategy says how pods move to a new template.
type StatefulSetUpdateStrategy struct {
	Type          StatefulSetUpdateStrategyType     `json:"type,omitempty"`
	RollingUpdate *RollingUpdateStatefulSetStrategy `json:"rollingUpdate,omitempty"`
}

// StatefulSetUpdateStrategyType is RollingUpdate (the default: from the
// highest ordinal down, one pod at a time) or OnDelete (only pods the
// user deletes are replaced).
type StatefulSetUpdateStrategyType string

const (
	RollingUpdateStatefulSetStrategyType StatefulSetUpdateStrategyType = "RollingUpdate"
	OnDeleteStatefulSetStrategyType      StatefulSetUpdateStrategyType = "OnDelete"
)

// RollingUpdateStatefulSetStrategy bounds a rolling update.
type RollingUpdateStatefulSetStrategy struct {
	// Partition keeps pods with a lower ordinal at the old template
	// (default 0: update them all).
	Partition *int32 `json:"partition,omitempty"`
	// MaxUnavailable is how many pods may be down at once (default 1).
	MaxUnavailable *IntOrString `json:"maxUnavailable,omitempty"`
}

// StatefulSetPersistentVolumeClaimRetentionPolicy says when the claims
// of a StatefulSet are deleted.
type StatefulSetPersistentVolumeClaimRetentionPolicy struct {
	WhenDeleted PersistentVolumeClaimRetentionPolicyType `json:"whenDeleted,omitempty"`
	WhenScaled  PersistentVolumeClaimRetentionPolicyType `json:"whenScaled,omitempty"`
}

// PersistentVolumeClaimRetentionPolicyType is Retain (the default) or Delete.
type PersistentVolumeClaimRetentionPolicyType string

const (
	RetainPersistentVolumeClaimRetentionPolicyType PersistentVolumeClaimRetentionPolicyType = "Retain"
	DeletePersistentVolumeClaimRetentionPolicyType PersistentVolumeClaimRetentionPolicyType = "Delete"
)

// StatefulSetStatus is what the controller last saw.
type StatefulSetStatus struct {
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	Replicas           int32 `json:"replicas,omitempty"`
	ReadyReplicas      int32 `json:"readyReplicas,omitempty"`
	// CurrentReplicas run CurrentRevision, UpdatedReplicas UpdateRevision.
	CurrentReplicas   int32       `json:"currentReplicas,omitempty"`
	UpdatedReplicas   int32       `json:"updatedReplicas,omitempty"`
	AvailableReplicas int32       `json:"availableReplicas,omitempty"`
	CurrentRevision   string      `json:"currentRevision,omitempty"`
	UpdateRevision    string      `json:"updateRevision,omitempty"`
	CollisionCount    *int32      `json:"collisionCount,omitempty"`
	Conditions        []Condition `json:"conditions,omitempty"`
}
