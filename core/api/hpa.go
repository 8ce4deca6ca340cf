package api

import "time"

// HorizontalPodAutoscaler sets the replicas of a Deployment, ReplicaSet
// or StatefulSet from the CPU use of its pods: desired = ceil(current ×
// usage / target), within minReplicas and maxReplicas (SEMANTICS.md §10).
type HorizontalPodAutoscaler struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       HorizontalPodAutoscalerSpec   `json:"spec"`
	Status     HorizontalPodAutoscalerStatus `json:"status,omitzero"`
}

// HorizontalPodAutoscalerSpec is what the user asks for.
type HorizontalPodAutoscalerSpec struct {
	// ScaleTargetRef names the object to scale, in the HPA's namespace.
	ScaleTargetRef CrossVersionObjectReference `json:"scaleTargetRef"`
	MinReplicas    *int32                      `json:"minReplicas,omitempty"` // default 1
	MaxReplicas    int32                       `json:"maxReplicas"`
	// Metrics to follow; the default is CPU at 80% of the requests.
	Metrics  []MetricSpec                     `json:"metrics,omitempty"`
	Behavior *HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
}

// CrossVersionObjectReference names an object by kind and name.
type CrossVersionObjectReference struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	APIVersion string `json:"apiVersion,omitempty"`
}

// MetricSpec is one metric to scale on. podlab has the Resource type:
// CPU or memory of the pods, against their requests.
type MetricSpec struct {
	Type     MetricSourceType      `json:"type"`
	Resource *ResourceMetricSource `json:"resource,omitempty"`
}

// MetricSourceType says where a metric comes from.
type MetricSourceType string

// ResourceMetricSourceType is a resource of the pods, like cpu.
const ResourceMetricSourceType MetricSourceType = "Resource"

// ResourceMetricSource is a resource and its target, like cpu at 50%.
type ResourceMetricSource struct {
	Name   string       `json:"name"` // cpu or memory
	Target MetricTarget `json:"target"`
}

// MetricTarget is the value the HPA steers toward.
type MetricTarget struct {
	// Type is Utilization (a percent of the requests) or AverageValue
	// (a quantity per pod).
	Type               MetricTargetType `json:"type"`
	AverageUtilization *int32           `json:"averageUtilization,omitempty"`
	AverageValue       string           `json:"averageValue,omitempty"`
}

// MetricTargetType is Utilization or AverageValue.
type MetricTargetType string

const (
	UtilizationMetricType  MetricTargetType = "Utilization"
	AverageValueMetricType MetricTargetType = "AverageValue"
)

// DefaultCPUUtilization is the target of an HPA that names no metric.
const DefaultCPUUtilization = 80

// HorizontalPodAutoscalerBehavior tunes scaling up and down.
type HorizontalPodAutoscalerBehavior struct {
	ScaleUp   *HPAScalingRules `json:"scaleUp,omitempty"`
	ScaleDown *HPAScalingRules `json:"scaleDown,omitempty"`
}

// HPAScalingRules tunes one direction.
type HPAScalingRules struct {
	// StabilizationWindowSeconds makes the HPA use the most cautious
	// recommendation of that many past seconds, so that a short dip does
	// not remove pods (defaults: 0 up, 300 down; at most 3600).
	StabilizationWindowSeconds *int32 `json:"stabilizationWindowSeconds,omitempty"`
}

// Default stabilization windows, in seconds.
const (
	DefaultScaleUpStabilizationSeconds   = 0
	DefaultScaleDownStabilizationSeconds = 300
	MaxStabilizationWindowSeconds        = 3600
)

// HorizontalPodAutoscalerStatus is what the autoscaler last saw and did.
type HorizontalPodAutoscalerStatus struct {
	ObservedGeneration *int64         `json:"observedGeneration,omitempty"`
	LastScaleTime      time.Time      `json:"lastScaleTime,omitzero"`
	CurrentReplicas    int32          `json:"currentReplicas,omitempty"`
	DesiredReplicas    int32          `json:"desiredReplicas"`
	CurrentMetrics     []MetricStatus `json:"currentMetrics,omitempty"`
	// Conditions are AbleToScale, ScalingActive and ScalingLimited.
	Conditions []Condition `json:"conditions,omitempty"`
}

// MetricStatus is the last value of one metric.
type MetricStatus struct {
	Type     MetricSourceType      `json:"type"`
	Resource *ResourceMetricStatus `json:"resource,omitempty"`
}

// ResourceMetricStatus is the last use of one resource.
type ResourceMetricStatus struct {
	Name    string            `json:"name"`
	Current MetricValueStatus `json:"current"`
}

// MetricValueStatus is a measured value.
type MetricValueStatus struct {
	AverageUtilization *int32 `json:"averageUtilization,omitempty"`
	AverageValue       string `json:"averageValue,omitempty"`
}
