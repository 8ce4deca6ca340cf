package api

import "time"

// Deployment rolls pods from one template to the next: each template
// gets a ReplicaSet, and the Deployment scales the new one up and the old
// ones down within maxSurge and maxUnavailable (SEMANTICS.md §6.2-6.6).
type Deployment struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       DeploymentSpec   `json:"spec"`
	Status     DeploymentStatus `json:"status,omitzero"`
}

// DeploymentSpec is what the user asks for.
type DeploymentSpec struct {
	Replicas *int32             `json:"replicas,omitempty"` // default 1
	Selector *LabelSelector     `json:"selector,omitempty"`
	Template PodTemplateSpec    `json:"template"`
	Strategy DeploymentStrategy `json:"strategy,omitzero"`
	// MinReadySeconds is how long a new pod must be Ready to count as
	// available (default 0).
	MinReadySeconds int32 `json:"minReadySeconds,omitempty"`
	// RevisionHistoryLimit is how many old ReplicaSets, scaled to 0, are
	// kept for a rollback (default 10).
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
	// Paused stops rollouts: a new template makes no new ReplicaSet.
	Paused bool `json:"paused,omitempty"`
	// ProgressDeadlineSeconds is how long a rollout may make no progress
	// before the Progressing condition turns False (default 600).
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`
}

// DeploymentStrategy says how old pods are replaced by new ones.
type DeploymentStrategy struct {
	Type DeploymentStrategyType `json:"type,omitempty"`
	// RollingUpdate is only for type RollingUpdate.
	RollingUpdate *RollingUpdateDeployment `json:"rollingUpdate,omitempty"`
}

// DeploymentStrategyType is RollingUpdate (the default) or Recreate.
type DeploymentStrategyType string

const (
	// RollingUpdateDeploymentStrategyType replaces pods a few at a time.
	RollingUpdateDeploymentStrategyType DeploymentStrategyType = "RollingUpdate"
	// RecreateDeploymentStrategyType stops all old pods, then starts the new.
	RecreateDeploymentStrategyType DeploymentStrategyType = "Recreate"
)

// RollingUpdateDeployment bounds a rolling update. Each is a number of
// pods or a percent of replicas (default 25% each); they may not both be 0.
type RollingUpdateDeployment struct {
	// MaxUnavailable is how many pods below replicas may be unavailable
	// (a percent is rounded down).
	MaxUnavailable *IntOrString `json:"maxUnavailable,omitempty"`
	// MaxSurge is how many pods above replicas may exist (a percent is
	// rounded up).
	MaxSurge *IntOrString `json:"maxSurge,omitempty"`
}

// DefaultDeploymentUniqueLabelKey is the label a Deployment adds to each
// ReplicaSet's selector, template and pods, so that its ReplicaSets never
// select each other's pods.
const DefaultDeploymentUniqueLabelKey = "pod-template-hash"

// DeploymentStatus is what the controller last saw.
type DeploymentStatus struct {
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Replicas counts the pods of all its ReplicaSets; UpdatedReplicas
	// those of the newest template.
	Replicas            int32 `json:"replicas,omitempty"`
	UpdatedReplicas     int32 `json:"updatedReplicas,omitempty"`
	ReadyReplicas       int32 `json:"readyReplicas,omitempty"`
	AvailableReplicas   int32 `json:"availableReplicas,omitempty"`
	UnavailableReplicas int32 `json:"unavailableReplicas,omitempty"`
	// TerminatingReplicas counts pods being deleted (nil: not counted).
	TerminatingReplicas *int32                `json:"terminatingReplicas,omitempty"`
	Conditions          []DeploymentCondition `json:"conditions,omitempty"`
	// CollisionCount changes the pod-template-hash when two templates
	// hash alike.
	CollisionCount *int32 `json:"collisionCount,omitempty"`
}

// DeploymentCondition is Available, Progressing or ReplicaFailure.
type DeploymentCondition struct {
	Type   DeploymentConditionType `json:"type"`
	Status ConditionStatus         `json:"status"`
	// LastUpdateTime is when the rollout last made progress: the
	// progress deadline counts from it.
	LastUpdateTime     time.Time `json:"lastUpdateTime,omitzero"`
	LastTransitionTime time.Time `json:"lastTransitionTime,omitzero"`
	Reason             string    `json:"reason,omitempty"`
	Message            string    `json:"message,omitempty"`
}

// DeploymentConditionType names a Deployment condition.
type DeploymentConditionType string

const (
	DeploymentAvailable      DeploymentConditionType = "Available"
	DeploymentProgressing    DeploymentConditionType = "Progressing"
	DeploymentReplicaFailure DeploymentConditionType = "ReplicaFailure"
)
