package api

// DaemonSet runs one pod on every node that fits its template: a node
// that joins gets one, a node that goes takes its pod with it
// (SEMANTICS.md §8).
type DaemonSet struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       DaemonSetSpec   `json:"spec"`
	Status     DaemonSetStatus `json:"status,omitzero"`
}

// DaemonSetSpec is what the user asks for.
type DaemonSetSpec struct {
	Selector        *LabelSelector          `json:"selector,omitempty"`
	Template        PodTemplateSpec         `json:"template"`
	UpdateStrategy  DaemonSetUpdateStrategy `json:"updateStrategy,omitzero"`
	MinReadySeconds int32                   `json:"minReadySeconds,omitempty"`
	// RevisionHistoryLimit is how many old revisions are kept (default 10).
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
}

// DaemonSetUpdateStrategy says how pods move to a new template.
type DaemonSetUpdateStrategy struct {
	Type          DaemonSetUpdateStrategyType `json:"type,omitempty"`
	RollingUpdate *RollingUpdateDaemonSet     `json:"rollingUpdate,omitempty"`
}

// DaemonSetUpdateStrategyType is RollingUpdate (the default) or OnDelete.
type DaemonSetUpdateStrategyType string

const (
	RollingUpdateDaemonSetStrategyType DaemonSetUpdateStrategyType = "RollingUpdate"
	OnDeleteDaemonSetStrategyType      DaemonSetUpdateStrategyType = "OnDelete"
)

// RollingUpdateDaemonSet bounds a rolling update, in nodes or a percent
// of them (rounded up). They may not both be 0.
type RollingUpdateDaemonSet struct {
	// MaxUnavailable is how many nodes may be without a ready pod (default 1).
	MaxUnavailable *IntOrString `json:"maxUnavailable,omitempty"`
	// MaxSurge is how many nodes may run an old and a new pod at once (default 0).
	MaxSurge *IntOrString `json:"maxSurge,omitempty"`
}

// DaemonSetStatus counts nodes, as the controller last saw them.
type DaemonSetStatus struct {
	// CurrentNumberScheduled nodes run a daemon pod and should;
	// NumberMisscheduled run one and should not; DesiredNumberScheduled
	// should.
	CurrentNumberScheduled int32       `json:"currentNumberScheduled"`
	NumberMisscheduled     int32       `json:"numberMisscheduled"`
	DesiredNumberScheduled int32       `json:"desiredNumberScheduled"`
	NumberReady            int32       `json:"numberReady"`
	ObservedGeneration     int64       `json:"observedGeneration,omitempty"`
	UpdatedNumberScheduled int32       `json:"updatedNumberScheduled,omitempty"`
	NumberAvailable        int32       `json:"numberAvailable,omitempty"`
	NumberUnavailable      int32       `json:"numberUnavailable,omitempty"`
	CollisionCount         *int32      `json:"collisionCount,omitempty"`
	Conditions             []Condition `json:"conditions,omitempty"`
}
