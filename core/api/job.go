package api

import "time"

// Job runs pods until a number of them have succeeded, retrying failed
// ones up to backoffLimit times (SEMANTICS.md §9.1).
type Job struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       JobSpec   `json:"spec"`
	Status     JobStatus `json:"status,omitzero"`
}

// JobSpec is what the user asks for.
type JobSpec struct {
	// Parallelism is how many pods may run at once (default 1).
	Parallelism *int32 `json:"parallelism,omitempty"`
	// Completions is how many pods must succeed. Both unset means 1 and 1;
	// completions unset with parallelism set is a work queue: done when
	// one pod succeeds and all have stopped.
	Completions *int32 `json:"completions,omitempty"`
	// ActiveDeadlineSeconds bounds how long the Job may run, from its start.
	ActiveDeadlineSeconds *int64 `json:"activeDeadlineSeconds,omitempty"`
	// BackoffLimit is how many retries the Job has before it fails (default 6).
	BackoffLimit *int32 `json:"backoffLimit,omitempty"`
	// Selector is made from the Job's uid, unless ManualSelector is true.
	Selector       *LabelSelector  `json:"selector,omitempty"`
	ManualSelector *bool           `json:"manualSelector,omitempty"`
	Template       PodTemplateSpec `json:"template"`
	// TTLSecondsAfterFinished deletes the Job that long after it ends
	// (default: never).
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`
	// CompletionMode is NonIndexed (the default) or Indexed: each pod gets
	// an index from 0 to completions-1.
	CompletionMode *CompletionMode `json:"completionMode,omitempty"`
	// Suspend true stops the Job's pods until it is set back to false.
	Suspend *bool `json:"suspend,omitempty"`
}

// CompletionMode is NonIndexed or Indexed.
type CompletionMode string

const (
	NonIndexedCompletion CompletionMode = "NonIndexed"
	IndexedCompletion    CompletionMode = "Indexed"
)

// Labels a Job puts on its pods, and selects them by.
const (
	JobControllerUIDLabel = "batch.kubernetes.io/controller-uid"
	JobNameLabel          = "batch.kubernetes.io/job-name"
)

// DefaultBackoffLimit is the backoffLimit of a Job that sets none.
const DefaultBackoffLimit = 6

// JobStatus counts the Job's pods, as the controller last saw them.
type JobStatus struct {
	Conditions []JobCondition `json:"conditions,omitempty"`
	// StartTime is when the controller started the Job (zero while
	// suspended); CompletionTime when it completed.
	StartTime      time.Time `json:"startTime,omitzero"`
	CompletionTime time.Time `json:"completionTime,omitzero"`
	Active         int32     `json:"active,omitempty"`
	Succeeded      int32     `json:"succeeded,omitempty"`
	Failed         int32     `json:"failed,omitempty"`
	Ready          *int32    `json:"ready,omitempty"`
	Terminating    *int32    `json:"terminating,omitempty"`
	// CompletedIndexes lists the succeeded indexes of an Indexed Job, like "0-2,5".
	CompletedIndexes string `json:"completedIndexes,omitempty"`
}

// JobCondition is Complete, Failed, Suspended, ...
type JobCondition struct {
	Type               JobConditionType `json:"type"`
	Status             ConditionStatus  `json:"status"`
	LastProbeTime      time.Time        `json:"lastProbeTime,omitzero"`
	LastTransitionTime time.Time        `json:"lastTransitionTime,omitzero"`
	Reason             string           `json:"reason,omitempty"` // like BackoffLimitExceeded
	Message            string           `json:"message,omitempty"`
}

// JobConditionType names a Job condition.
type JobConditionType string

const (
	JobComplete           JobConditionType = "Complete"
	JobFailed             JobConditionType = "Failed"
	JobSuspended          JobConditionType = "Suspended"
	JobFailureTarget      JobConditionType = "FailureTarget"
	JobSuccessCriteriaMet JobConditionType = "SuccessCriteriaMet"
)

// CronJob creates a Job from its template at the times of its schedule
// (SEMANTICS.md §9.2).
type CronJob struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       CronJobSpec   `json:"spec"`
	Status     CronJobStatus `json:"status,omitzero"`
}

// CronJobSpec is what the user asks for.
type CronJobSpec struct {
	// Schedule is in cron form, "minute hour day-of-month month
	// day-of-week", like "*/5 * * * *", or a macro like "@hourly".
	Schedule string `json:"schedule"`
	// StartingDeadlineSeconds skips a run that is this late (default:
	// however late).
	StartingDeadlineSeconds *int64 `json:"startingDeadlineSeconds,omitempty"`
	// ConcurrencyPolicy says what to do when a run is due and the last
	// Job is still active: Allow (the default), Forbid or Replace.
	ConcurrencyPolicy ConcurrencyPolicy `json:"concurrencyPolicy,omitempty"`
	// Suspend true stops future runs; running Jobs go on.
	Suspend     *bool           `json:"suspend,omitempty"`
	JobTemplate JobTemplateSpec `json:"jobTemplate"`
	// How many finished Jobs are kept (defaults 3 and 1).
	SuccessfulJobsHistoryLimit *int32 `json:"successfulJobsHistoryLimit,omitempty"`
	FailedJobsHistoryLimit     *int32 `json:"failedJobsHistoryLimit,omitempty"`
}

// JobTemplateSpec is the Job a CronJob makes copies of.
type JobTemplateSpec struct {
	ObjectMeta `json:"metadata,omitzero"`
	Spec       JobSpec `json:"spec"`
}

// ConcurrencyPolicy is Allow, Forbid or Replace.
type ConcurrencyPolicy string

const (
	AllowConcurrent   ConcurrencyPolicy = "Allow"   // start the new Job too
	ForbidConcurrent  ConcurrencyPolicy = "Forbid"  // skip this run
	ReplaceConcurrent ConcurrencyPolicy = "Replace" // delete the active Job, then start the new one
)

// CronJobStatus is what the controller last saw.
type CronJobStatus struct {
	Active             []ObjectReference `json:"active,omitempty"`
	LastScheduleTime   time.Time         `json:"lastScheduleTime,omitzero"`
	LastSuccessfulTime time.Time         `json:"lastSuccessfulTime,omitzero"`
}
