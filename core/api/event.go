package api

import "time"

// Event records something that happened to an object, like a pod
// scheduled or a container killed, for "kubectl describe" and "kubectl
// get events". A component that sees the same thing again raises Count
// and LastTimestamp instead of writing a new Event.
type Event struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	// InvolvedObject is the object the event is about.
	InvolvedObject ObjectReference `json:"involvedObject"`
	// Reason is a short CamelCase word a program can test, like
	// "Scheduled", "BackOff" or "SuccessfulCreate".
	Reason string `json:"reason,omitempty"`
	// Message says the same to a person.
	Message string `json:"message,omitempty"`
	// Source is the component that saw it, like "default-scheduler".
	Source         EventSource `json:"source,omitzero"`
	FirstTimestamp time.Time   `json:"firstTimestamp,omitzero"`
	LastTimestamp  time.Time   `json:"lastTimestamp,omitzero"`
	Count          int32       `json:"count,omitempty"`
	// Type is Normal or Warning.
	Type               string `json:"type,omitempty"`
	ReportingComponent string `json:"reportingComponent,omitempty"`
	ReportingInstance  string `json:"reportingInstance,omitempty"`
}

// EventSource names the component, and the node, that reported an event.
type EventSource struct {
	Component string `json:"component,omitempty"`
	Host      string `json:"host,omitempty"`
}

// Event types.
const (
	EventTypeNormal  = "Normal"  // all is as it should be
	EventTypeWarning = "Warning" // something may need a look
)
