package api

import (
	"fmt"
	"slices"

	"github.com/podlab/podlab/core/api/field"
)

// Validation of the workload controllers (ReplicationController,
// ReplicaSet, Deployment, StatefulSet, DaemonSet) and the
// HorizontalPodAutoscaler. Jobs and CronJobs are in validation_batch.go.

func validateReplicationController(rc *ReplicationController) field.ErrorList {
	errs := validateObjectMeta(&rc.ObjectMeta, true, isDNS1123Subdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &rc.Spec
	errs = append(errs, nonNegative32(s.Replicas, spec.Child("replicas"))...)
	errs = append(errs, nonNegative(int64(s.MinReadySeconds), spec.Child("minReadySeconds"))...)
	// Equality only: a map of labels. Default copies the template's
	// labels into an empty selector.
	if len(s.Selector) == 0 {
		errs = append(errs, field.Required(spec.Child("selector"), ""))
	} else {
		errs = append(errs, validateLabels(s.Selector, spec.Child("selector"))...)
		if !SelectorFromSet(s.Selector).Matches(s.Template.Labels) {
			errs = append(errs, templateMismatch(s.Template.Labels, spec))
		}
	}
	return append(errs, validatePodTemplate(&s.Template, alwaysOnly, nil, spec.Child("template"))...)
}

func validateReplicaSet(rs *ReplicaSet) field.ErrorList {
	errs := validateObjectMeta(&rs.ObjectMeta, true, isDNS1123Subdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &rs.Spec
	errs = append(errs, nonNegative32(s.Replicas, spec.Child("replicas"))...)
	errs = append(errs, nonNegative(int64(s.MinReadySeconds), spec.Child("minReadySeconds"))...)
	errs = append(errs, validateSelector(s.Selector, s.Template.Labels, spec)...)
	return append(errs, validatePodTemplate(&s.Template, alwaysOnly, nil, spec.Child("template"))...)
}

func validateDeployment(d *Deployment) field.ErrorList {
	errs := validateObjectMeta(&d.ObjectMeta, true, isDNS1123Subdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &d.Spec
	errs = append(errs, nonNegative32(s.Replicas, spec.Child("replicas"))...)
	errs = append(errs, validateSelector(s.Selector, s.Template.Labels, spec)...)
	errs = append(errs, validatePodTemplate(&s.Template, alwaysOnly, nil, spec.Child("template"))...)
	errs = append(errs, validateDeploymentStrategy(&s.Strategy, spec.Child("strategy"))...)
	errs = append(errs, nonNegative(int64(s.MinReadySeconds), spec.Child("minReadySeconds"))...)
	errs = append(errs, nonNegative32(s.RevisionHistoryLimit, spec.Child("revisionHistoryLimit"))...)
	if p := s.ProgressDeadlineSeconds; p != nil {
		errs = append(errs, nonNegative32(p, spec.Child("progressDeadlineSeconds"))...)
		// A pod must have time to become available before the deadline.
		if *p >= 0 && *p <= s.MinReadySeconds {
			errs = append(errs, field.Invalid(spec.Child("progressDeadlineSeconds"), *p, "must be greater than minReadySeconds"))
		}
	}
	return errs
}

func validateDeploymentStrategy(st *DeploymentStrategy, fldPath field.Path) field.ErrorList {
	switch st.Type {
	case RecreateDeploymentStrategyType:
		if st.RollingUpdate != nil {
			return field.ErrorList{field.Forbidden(fldPath.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'")}
		}
	case RollingUpdateDeploymentStrategyType:
		if st.RollingUpdate == nil {
			return field.ErrorList{field.Required(fldPath.Child("rollingUpdate"), "")}
		}
		ru := st.RollingUpdate
		return validateMaxSurgeUnavailable(ru.MaxSurge, ru.MaxUnavailable, fldPath.Child("rollingUpdate"))
	case "":
		return field.ErrorList{field.Required(fldPath.Child("type"), "")}
	default:
		return field.ErrorList{field.NotSupported(fldPath.Child("type"), st.Type,
			[]string{string(RecreateDeploymentStrategyType), string(RollingUpdateDeploymentStrategyType)})}
	}
	return nil
}

// validateMaxSurgeUnavailable checks the bounds of a rolling update of a
// Deployment or DaemonSet: each a count or a percent, maxUnavailable at
// most 100%, and not both 0, or the update could never make progress.
func validateMaxSurgeUnavailable(surge, unavailable *IntOrString, fldPath field.Path) field.ErrorList {
	errs := validateIntOrPercent(unavailable, fldPath.Child("maxUnavailable"))
	errs = append(errs, validateIntOrPercent(surge, fldPath.Child("maxSurge"))...)
	if len(errs) > 0 {
		return errs
	}
	if unavailable != nil && unavailable.Type == String {
		if p, _ := parsePercent(unavailable.StrVal); p > 100 {
			errs = append(errs, field.Invalid(fldPath.Child("maxUnavailable"), *unavailable, "must not be greater than 100%"))
		}
	}
	if isZeroIntOrPercent(unavailable) && isZeroIntOrPercent(surge) {
		errs = append(errs, field.Invalid(fldPath.Child("maxUnavailable"), *unavailable, "may not be 0 when `maxSurge` is 0"))
	}
	return errs
}

// validateIntOrPercent checks a count (0 or more) or a percent like "25%".
func validateIntOrPercent(v *IntOrString, fldPath field.Path) field.ErrorList {
	switch {
	case v == nil:
	case v.Type == String:
		if _, err := parsePercent(v.StrVal); err != nil {
			return field.ErrorList{field.Invalid(fldPath, v.StrVal, `must be an integer or a percentage, like "25%"`)}
		}
	case v.IntVal < 0:
		return field.ErrorList{field.Invalid(fldPath, v.IntVal, "must be greater than or equal to 0")}
	}
	return nil
}

// isZeroIntOrPercent reports whether v is set to 0 or "0%".
func isZeroIntOrPercent(v *IntOrString) bool {
	if v == nil {
		return false
	}
	n, err := v.ScaledValue(100, false)
	return err == nil && n == 0
}

func validateStatefulSet(ss *StatefulSet) field.ErrorList {
	// Its name starts the pods' names, which are also their hostnames:
	// a DNS label, not a subdomain.
	errs := validateObjectMeta(&ss.ObjectMeta, true, isDNS1123Label, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &ss.Spec
	errs = append(errs, nonNegative32(s.Replicas, spec.Child("replicas"))...)
	errs = append(errs, validateSelector(s.Selector, s.Template.Labels, spec)...)

	// The containers may mount the claims by their template's name.
	var claims []string
	volumes := map[string]bool{}
	for _, v := range s.Template.Spec.Volumes {
		volumes[v.Name] = true
	}
	for i := range s.VolumeClaimTemplates {
		c := &s.VolumeClaimTemplates[i]
		idxPath := spec.Child("volumeClaimTemplates").Index(i)
		switch name := idxPath.Child("metadata").Child("name"); {
		case c.Name == "":
			errs = append(errs, field.Required(name, ""))
		case volumes[c.Name]:
			errs = append(errs, field.Duplicate(name, c.Name))
		default:
			errs = append(errs, invalid(name, c.Name, isDNS1123Label(c.Name))...)
		}
		volumes[c.Name] = true
		claims = append(claims, c.Name)
		errs = append(errs, validateLabels(c.Labels, idxPath.Child("metadata").Child("labels"))...)
		errs = append(errs, validatePVCSpec(&c.Spec, idxPath.Child("spec"))...)
	}
	errs = append(errs, validatePodTemplate(&s.Template, alwaysOnly, claims, spec.Child("template"))...)

	if s.ServiceName != "" {
		errs = append(errs, invalid(spec.Child("serviceName"), s.ServiceName, isDNS1123Label(s.ServiceName))...)
	}
	switch s.PodManagementPolicy {
	case OrderedReadyPodManagement, ParallelPodManagement:
	case "":
		errs = append(errs, field.Required(spec.Child("podManagementPolicy"), ""))
	default:
		errs = append(errs, field.NotSupported(spec.Child("podManagementPolicy"), s.PodManagementPolicy,
			[]string{string(OrderedReadyPodManagement), string(ParallelPodManagement)}))
	}
	errs = append(errs, validateStatefulSetUpdateStrategy(&s.UpdateStrategy, spec.Child("updateStrategy"))...)
	errs = append(errs, nonNegative32(s.RevisionHistoryLimit, spec.Child("revisionHistoryLimit"))...)
	errs = append(errs, nonNegative(int64(s.MinReadySeconds), spec.Child("minReadySeconds"))...)
	if p := s.PersistentVolumeClaimRetentionPolicy; p != nil {
		policyPath := spec.Child("persistentVolumeClaimRetentionPolicy")
		errs = append(errs, validateRetention(p.WhenDeleted, policyPath.Child("whenDeleted"))...)
		errs = append(errs, validateRetention(p.WhenScaled, policyPath.Child("whenScaled"))...)
	}
	return errs
}

func validateStatefulSetUpdateStrategy(st *StatefulSetUpdateStrategy, fldPath field.Path) field.ErrorList {
	switch st.Type {
	case OnDeleteStatefulSetStrategyType:
		if st.RollingUpdate != nil {
			return field.ErrorList{field.Forbidden(fldPath.Child("rollingUpdate"), "only allowed for updateStrategy 'RollingUpdate'")}
		}
	case RollingUpdateStatefulSetStrategyType:
		ru := st.RollingUpdate
		if ru == nil {
			return nil
		}
		errs := nonNegative32(ru.Partition, fldPath.Child("rollingUpdate").Child("partition"))
		maxPath := fldPath.Child("rollingUpdate").Child("maxUnavailable")
		errs = append(errs, validateIntOrPercent(ru.MaxUnavailable, maxPath)...)
		if len(errs) == 0 && isZeroIntOrPercent(ru.MaxUnavailable) {
			errs = append(errs, field.Invalid(maxPath, *ru.MaxUnavailable, "must be greater than 0"))
		}
		return errs
	case "":
		return field.ErrorList{field.Required(fldPath.Child("type"), "")}
	default:
		return field.ErrorList{field.NotSupported(fldPath.Child("type"), st.Type,
			[]string{string(RollingUpdateStatefulSetStrategyType), string(OnDeleteStatefulSetStrategyType)})}
	}
	return nil
}

func validateRetention(p PersistentVolumeClaimRetentionPolicyType, fldPath field.Path) field.ErrorList {
	switch p {
	case RetainPersistentVolumeClaimRetentionPolicyType, DeletePersistentVolumeClaimRetentionPolicyType:
		return nil
	case "":
		return field.ErrorList{field.Required(fldPath, "")}
	}
	return field.ErrorList{field.NotSupported(fldPath, p, []string{
		string(RetainPersistentVolumeClaimRetentionPolicyType), string(DeletePersistentVolumeClaimRetentionPolicyType)})}
}

func validateDaemonSet(ds *DaemonSet) field.ErrorList {
	errs := validateObjectMeta(&ds.ObjectMeta, true, isDNS1123Subdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &ds.Spec
	errs = append(errs, validateSelector(s.Selector, s.Template.Labels, spec)...)
	errs = append(errs, validatePodTemplate(&s.Template, alwaysOnly, nil, spec.Child("template"))...)
	strategy := spec.Child("updateStrategy")
	switch s.UpdateStrategy.Type {
	case OnDeleteDaemonSetStrategyType:
	case RollingUpdateDaemonSetStrategyType:
		if ru := s.UpdateStrategy.RollingUpdate; ru != nil {
			errs = append(errs, validateMaxSurgeUnavailable(ru.MaxSurge, ru.MaxUnavailable, strategy.Child("rollingUpdate"))...)
		}
	case "":
		errs = append(errs, field.Required(strategy.Child("type"), ""))
	default:
		errs = append(errs, field.NotSupported(strategy.Child("type"), s.UpdateStrategy.Type,
			[]string{string(RollingUpdateDaemonSetStrategyType), string(OnDeleteDaemonSetStrategyType)}))
	}
	errs = append(errs, nonNegative(int64(s.MinReadySeconds), spec.Child("minReadySeconds"))...)
	return append(errs, nonNegative32(s.RevisionHistoryLimit, spec.Child("revisionHistoryLimit"))...)
}

// The restart policies a pod template may have: pods of a ReplicaSet,
// Deployment, StatefulSet or DaemonSet must run forever, those of a Job
// must end.
var (
	alwaysOnly       = []RestartPolicy{RestartPolicyAlways}
	onFailureOrNever = []RestartPolicy{RestartPolicyOnFailure, RestartPolicyNever}
)

// validatePodTemplate checks a controller's pod template: its labels and
// annotations, its spec, and that its restartPolicy is one of allowed.
// extraVolumes are passed to validatePodSpec.
func validatePodTemplate(t *PodTemplateSpec, allowed []RestartPolicy, extraVolumes []string, fldPath field.Path) field.ErrorList {
	meta := fldPath.Child("metadata")
	errs := validateLabels(t.Labels, meta.Child("labels"))
	errs = append(errs, validateAnnotations(t.Annotations, meta.Child("annotations"))...)
	errs = append(errs, validatePodSpec(&t.Spec, extraVolumes, fldPath.Child("spec"))...)
	// validatePodSpec reports a restartPolicy that no pod may have.
	rp := t.Spec.RestartPolicy
	known := []RestartPolicy{RestartPolicyAlways, RestartPolicyOnFailure, RestartPolicyNever}
	if slices.Contains(known, rp) && !slices.Contains(allowed, rp) {
		supported := make([]string, len(allowed))
		for i, p := range allowed {
			supported[i] = string(p)
		}
		errs = append(errs, field.NotSupported(fldPath.Child("spec").Child("restartPolicy"), rp, supported))
	}
	return errs
}

// validateSelector checks the selector of a workload (spec.selector),
// which is required, may not be empty, and must select the pods of its
// own template: else the controller would create pods forever, never
// seeing them.
func validateSelector(sel *LabelSelector, templateLabels map[string]string, spec field.Path) field.ErrorList {
	if sel == nil {
		return field.ErrorList{field.Required(spec.Child("selector"), "")}
	}
	errs := validateLabelSelector(sel, spec.Child("selector"))
	if len(errs) > 0 {
		return errs
	}
	if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
		return field.ErrorList{field.Invalid(spec.Child("selector"), "{}", "empty selector is invalid: it would select every pod in the namespace")}
	}
	if s, err := sel.AsSelector(); err == nil && !s.Matches(templateLabels) {
		errs = append(errs, templateMismatch(templateLabels, spec))
	}
	return errs
}

// templateMismatch reports a template whose labels the selector misses.
func templateMismatch(labels map[string]string, spec field.Path) *field.Error {
	return field.Invalid(spec.Child("template").Child("metadata").Child("labels"), labels, "selector does not match template labels")
}

// hpaTargetKinds are the kinds an HPA can scale in podlab.
var hpaTargetKinds = []string{KindDeployment.Kind, KindReplicaSet.Kind, KindStatefulSet.Kind, KindReplicationController.Kind}

func validateHPA(h *HorizontalPodAutoscaler) field.ErrorList {
	errs := validateObjectMeta(&h.ObjectMeta, true, isDNS1123Subdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &h.Spec
	ref := spec.Child("scaleTargetRef")
	switch {
	case s.ScaleTargetRef.Kind == "":
		errs = append(errs, field.Required(ref.Child("kind"), ""))
	case !slices.Contains(hpaTargetKinds, s.ScaleTargetRef.Kind):
		errs = append(errs, field.NotSupported(ref.Child("kind"), s.ScaleTargetRef.Kind, hpaTargetKinds))
	}
	if s.ScaleTargetRef.Name == "" {
		errs = append(errs, field.Required(ref.Child("name"), ""))
	} else {
		errs = append(errs, invalid(ref.Child("name"), s.ScaleTargetRef.Name, isDNS1123Subdomain(s.ScaleTargetRef.Name))...)
	}
	if s.MinReplicas != nil && *s.MinReplicas < 1 {
		errs = append(errs, field.Invalid(spec.Child("minReplicas"), *s.MinReplicas, "must be greater than or equal to 1"))
	}
	switch {
	case s.MaxReplicas < 1:
		errs = append(errs, field.Invalid(spec.Child("maxReplicas"), s.MaxReplicas, "must be greater than 0"))
	case s.MinReplicas != nil && s.MaxReplicas < *s.MinReplicas:
		errs = append(errs, field.Invalid(spec.Child("maxReplicas"), s.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	for i := range s.Metrics {
		errs = append(errs, validateMetric(&s.Metrics[i], spec.Child("metrics").Index(i))...)
	}
	if b := s.Behavior; b != nil {
		errs = append(errs, validateScalingRules(b.ScaleUp, spec.Child("behavior").Child("scaleUp"))...)
		errs = append(errs, validateScalingRules(b.ScaleDown, spec.Child("behavior").Child("scaleDown"))...)
	}
	return errs
}

// validateMetric checks one metric: podlab has CPU and memory of the pods.
func validateMetric(m *MetricSpec, fldPath field.Path) field.ErrorList {
	if m.Type != ResourceMetricSourceType {
		return field.ErrorList{field.NotSupported(fldPath.Child("type"), m.Type, []string{string(ResourceMetricSourceType)})}
	}
	if m.Resource == nil {
		return field.ErrorList{field.Required(fldPath.Child("resource"), "must populate information for the given metric source")}
	}
	var errs field.ErrorList
	res := fldPath.Child("resource")
	if m.Resource.Name != ResourceCPU && m.Resource.Name != ResourceMemory {
		errs = append(errs, field.NotSupported(res.Child("name"), m.Resource.Name, []string{ResourceCPU, ResourceMemory}))
	}
	t, target := &m.Resource.Target, res.Child("target")
	switch t.Type {
	case UtilizationMetricType:
		switch {
		case t.AverageUtilization == nil:
			errs = append(errs, field.Required(target.Child("averageUtilization"), "must be set when `type` is 'Utilization'"))
		case *t.AverageUtilization < 1:
			errs = append(errs, field.Invalid(target.Child("averageUtilization"), *t.AverageUtilization, "must be greater than 0"))
		}
		if t.AverageValue != "" {
			errs = append(errs, field.Forbidden(target.Child("averageValue"), "may not be set when `type` is 'Utilization'"))
		}
	case AverageValueMetricType:
		errs = append(errs, validateAverageValue(m.Resource.Name, t.AverageValue, target.Child("averageValue"))...)
		if t.AverageUtilization != nil {
			errs = append(errs, field.Forbidden(target.Child("averageUtilization"), "may not be set when `type` is 'AverageValue'"))
		}
	case "":
		errs = append(errs, field.Required(target.Child("type"), ""))
	default:
		errs = append(errs, field.NotSupported(target.Child("type"), t.Type,
			[]string{string(UtilizationMetricType), string(AverageValueMetricType)}))
	}
	return errs
}

// validateAverageValue checks a target like "500m" of CPU or "64Mi" of memory.
func validateAverageValue(resource, value string, fldPath field.Path) field.ErrorList {
	if value == "" {
		return field.ErrorList{field.Required(fldPath, "must be set when `type` is 'AverageValue'")}
	}
	var err error
	hint := cpuHint
	if resource == ResourceMemory {
		_, err = ParseMemory(value)
		hint = memoryHint
	} else {
		_, err = ParseCPU(value)
	}
	if err != nil {
		return field.ErrorList{field.Invalid(fldPath, value, hint)}
	}
	return nil
}

func validateScalingRules(r *HPAScalingRules, fldPath field.Path) field.ErrorList {
	if r == nil || r.StabilizationWindowSeconds == nil {
		return nil
	}
	w, wPath := *r.StabilizationWindowSeconds, fldPath.Child("stabilizationWindowSeconds")
	switch {
	case w < 0:
		return field.ErrorList{field.Invalid(wPath, w, "must be greater than or equal to zero")}
	case w > MaxStabilizationWindowSeconds:
		return field.ErrorList{field.Invalid(wPath, w, fmt.Sprintf("must be less than or equal to %d", MaxStabilizationWindowSeconds))}
	}
	return nil
}
