package api

import (
	"github.com/podlab/podlab/core/api/field"
)

// maxCronJobNameLength leaves room for the "-<minutes>" suffix of the
// names of a CronJob's Jobs, which must fit in 63 characters.
const maxCronJobNameLength = 52

func validateJob(j *Job) field.ErrorList {
	errs := validateObjectMeta(&j.ObjectMeta, true, isDNS1123Subdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	// Unless the user chose the selector, it must be the one made from the
	// uid: it is what keeps two Jobs from sharing pods.
	manual := j.Spec.ManualSelector != nil && *j.Spec.ManualSelector
	if sel := j.Spec.Selector; !manual && sel != nil && sel.MatchLabels[JobControllerUIDLabel] != j.UID {
		selector := "{}"
		if s, err := sel.AsSelector(); err == nil {
			selector = s.String()
		}
		errs = append(errs, field.Invalid(spec.Child("selector"), selector,
			"`selector` not auto-generated: leave it out, or set manualSelector: true"))
	}
	return append(errs, validateJobSpec(&j.Spec, true, spec)...)
}

// validateJobSpec checks a Job's spec, or a CronJob's job template, whose
// selector is only made when a Job is created from it (needSelector false).
func validateJobSpec(s *JobSpec, needSelector bool, spec field.Path) field.ErrorList {
	errs := nonNegative32(s.Parallelism, spec.Child("parallelism"))
	errs = append(errs, nonNegative32(s.Completions, spec.Child("completions"))...)
	if d := s.ActiveDeadlineSeconds; d != nil {
		errs = append(errs, nonNegative(*d, spec.Child("activeDeadlineSeconds"))...)
	}
	errs = append(errs, nonNegative32(s.BackoffLimit, spec.Child("backoffLimit"))...)
	errs = append(errs, nonNegative32(s.TTLSecondsAfterFinished, spec.Child("ttlSecondsAfterFinished"))...)
	if m := s.CompletionMode; m != nil {
		switch *m {
		case NonIndexedCompletion:
		case IndexedCompletion:
			// Each index from 0 to completions-1 must succeed once.
			if s.Completions == nil {
				errs = append(errs, field.Required(spec.Child("completions"), "when completion mode is Indexed"))
			}
		default:
			errs = append(errs, field.NotSupported(spec.Child("completionMode"), *m,
				[]string{string(NonIndexedCompletion), string(IndexedCompletion)}))
		}
	}
	if s.Selector != nil || needSelector {
		errs = append(errs, validateSelector(s.Selector, s.Template.Labels, spec)...)
	}
	return append(errs, validatePodTemplate(&s.Template, onFailureOrNever, nil, spec.Child("template"))...)
}

func validateCronJob(cj *CronJob) field.ErrorList {
	meta := field.NewPath("metadata")
	errs := validateObjectMeta(&cj.ObjectMeta, true, isDNS1123Subdomain, meta)
	if len(cj.Name) > maxCronJobNameLength {
		errs = append(errs, field.Invalid(meta.Child("name"), cj.Name, maxLenError(maxCronJobNameLength)))
	}
	spec := field.NewPath("spec")
	s := &cj.Spec
	if s.Schedule == "" {
		errs = append(errs, field.Required(spec.Child("schedule"), ""))
	} else if _, err := ParseSchedule(s.Schedule); err != nil {
		errs = append(errs, field.Invalid(spec.Child("schedule"), s.Schedule, err.Error()))
	}
	switch s.ConcurrencyPolicy {
	case AllowConcurrent, ForbidConcurrent, ReplaceConcurrent:
	case "":
		errs = append(errs, field.Required(spec.Child("concurrencyPolicy"), ""))
	default:
		errs = append(errs, field.NotSupported(spec.Child("concurrencyPolicy"), s.ConcurrencyPolicy,
			[]string{string(AllowConcurrent), string(ForbidConcurrent), string(ReplaceConcurrent)}))
	}
	if d := s.StartingDeadlineSeconds; d != nil {
		errs = append(errs, nonNegative(*d, spec.Child("startingDeadlineSeconds"))...)
	}
	errs = append(errs, nonNegative32(s.SuccessfulJobsHistoryLimit, spec.Child("successfulJobsHistoryLimit"))...)
	errs = append(errs, nonNegative32(s.FailedJobsHistoryLimit, spec.Child("failedJobsHistoryLimit"))...)
	tmpl := spec.Child("jobTemplate")
	errs = append(errs, validateLabels(s.JobTemplate.Labels, tmpl.Child("metadata").Child("labels"))...)
	errs = append(errs, validateAnnotations(s.JobTemplate.Annotations, tmpl.Child("metadata").Child("annotations"))...)
	return append(errs, validateJobSpec(&s.JobTemplate.Spec, false, tmpl.Child("spec"))...)
}
