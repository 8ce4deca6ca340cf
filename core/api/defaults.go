package api

import (
	"crypto/rand"
	"fmt"
	"maps"
)

// Default fills in what a manifest may leave out, as the Kubernetes API
// server does before it validates an object. It is safe to call twice.
//
// Every object gets its apiVersion and kind, a uid, and the namespace
// "default" if its kind lives in namespaces (all but Node and
// Namespace). Then each kind gets its own defaults, with the numbers of
// SEMANTICS.md: replicas 1, a Deployment's 25% maxSurge and
// maxUnavailable, a Job's backoffLimit 6, a Service's type ClusterIP...
// Pod templates get the defaults of a pod's spec.
func Default(obj Object) {
	if tm := obj.GetTypeMeta(); *tm == (TypeMeta{}) {
		*tm = KindOf(obj)
	}
	m := obj.GetObjectMeta()
	if m.UID == "" {
		m.UID = newUID()
	}
	switch o := obj.(type) {
	case *Pod:
		setPodSpecDefaults(&o.Spec)
	case *Namespace:
		if o.Status.Phase == "" {
			o.Status.Phase = NamespaceActive
		}
	case *Event:
		// An event lives in the namespace of its object; events about a
		// Node, which has none, go to "default".
		if o.Namespace == "" {
			o.Namespace = o.InvolvedObject.Namespace
		}
	case *Service:
		defaultService(o)
	case *Endpoints:
		for i := range o.Subsets {
			for j := range o.Subsets[i].Ports {
				defaultProtocol(&o.Subsets[i].Ports[j].Protocol)
			}
		}
	case *PersistentVolumeClaim:
		if o.Status.Phase == "" {
			o.Status.Phase = ClaimPending
		}
	case *ReplicationController:
		defaultReplicationController(o)
	case *ReplicaSet:
		defaultReplicas(&o.Spec.Replicas)
		setPodSpecDefaults(&o.Spec.Template.Spec)
	case *Deployment:
		defaultDeployment(o)
	case *StatefulSet:
		defaultStatefulSet(o)
	case *DaemonSet:
		defaultDaemonSet(o)
	case *Job:
		defaultJobSpec(&o.Spec)
		generateJobSelector(o)
	case *CronJob:
		defaultCronJob(o)
	case *HorizontalPodAutoscaler:
		defaultHPA(o)
	}
	if Namespaced(obj) && m.Namespace == "" {
		m.Namespace = NamespaceDefault
	}
}

// SetDefaults is Default for a pod, which the node runtime calls.
//
// It leaves alone what is decided elsewhere: the image tag (the image
// store resolves "busybox" to busybox:latest) and the hostname (the
// runtime uses the pod name).
func SetDefaults(p *Pod) { Default(p) }

// setPodSpecDefaults fills in a pod's spec, or a template's.
func setPodSpecDefaults(s *PodSpec) {
	if s.RestartPolicy == "" {
		s.RestartPolicy = RestartPolicyAlways
	}
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = new(int64(DefaultTerminationGracePeriodSeconds))
	}
	if s.ShareProcessNamespace == nil {
		s.ShareProcessNamespace = new(false)
	}
	for i := range s.InitContainers {
		setContainerDefaults(&s.InitContainers[i])
	}
	for i := range s.Containers {
		setContainerDefaults(&s.Containers[i])
	}
}

func setContainerDefaults(c *Container) {
	for i := range c.Ports {
		defaultProtocol(&c.Ports[i].Protocol)
	}
	// A limit without a request also requests that much, as in Kubernetes:
	// the scheduler then reserves what the container may use.
	for name, limit := range c.Resources.LimitList {
		if _, ok := c.Resources.RequestList[name]; !ok {
			if c.Resources.RequestList == nil {
				c.Resources.RequestList = ResourceList{}
			}
			c.Resources.RequestList[name] = limit
		}
	}
	setProbeDefaults(c)
}

func defaultProtocol(p *Protocol) {
	if *p == "" {
		*p = ProtocolTCP
	}
}

// defaultInt32 sets *p to v if it is unset. The fields are pointers so
// that an explicit 0, like replicas: 0, is kept.
func defaultInt32(p **int32, v int32) {
	if *p == nil {
		*p = new(v)
	}
}

func defaultReplicas(p **int32) { defaultInt32(p, 1) }

// Defaults shared by the workload controllers.
const (
	defaultRevisionHistoryLimit    = 10
	defaultProgressDeadlineSeconds = 600
)

func defaultService(s *Service) {
	if s.Spec.Type == "" {
		s.Spec.Type = ServiceTypeClusterIP
	}
	if s.Spec.SessionAffinity == "" {
		s.Spec.SessionAffinity = ServiceAffinityNone
	}
	for i := range s.Spec.Ports {
		p := &s.Spec.Ports[i]
		defaultProtocol(&p.Protocol)
		// The port on the pods is the Service's own unless it says otherwise.
		if p.TargetPort.IsZero() {
			p.TargetPort = FromInt32(p.Port)
		}
	}
}

func defaultReplicationController(rc *ReplicationController) {
	defaultReplicas(&rc.Spec.Replicas)
	// An RC without a selector selects the labels of its template, and
	// one without labels takes them from the template too.
	labels := rc.Spec.Template.Labels
	if len(rc.Spec.Selector) == 0 && len(labels) > 0 {
		rc.Spec.Selector = maps.Clone(labels)
	}
	if len(rc.Labels) == 0 && len(labels) > 0 {
		rc.Labels = maps.Clone(labels)
	}
	setPodSpecDefaults(&rc.Spec.Template.Spec)
}

func defaultDeployment(d *Deployment) {
	s := &d.Spec
	defaultReplicas(&s.Replicas)
	if s.Strategy.Type == "" {
		s.Strategy.Type = RollingUpdateDeploymentStrategyType
	}
	if s.Strategy.Type == RollingUpdateDeploymentStrategyType {
		if s.Strategy.RollingUpdate == nil {
			s.Strategy.RollingUpdate = &RollingUpdateDeployment{}
		}
		ru := s.Strategy.RollingUpdate
		if ru.MaxUnavailable == nil {
			ru.MaxUnavailable = new(FromString("25%"))
		}
		if ru.MaxSurge == nil {
			ru.MaxSurge = new(FromString("25%"))
		}
	}
	defaultInt32(&s.RevisionHistoryLimit, defaultRevisionHistoryLimit)
	defaultInt32(&s.ProgressDeadlineSeconds, defaultProgressDeadlineSeconds)
	setPodSpecDefaults(&s.Template.Spec)
}

func defaultStatefulSet(ss *StatefulSet) {
	s := &ss.Spec
	defaultReplicas(&s.Replicas)
	if s.PodManagementPolicy == "" {
		s.PodManagementPolicy = OrderedReadyPodManagement
	}
	if s.UpdateStrategy.Type == "" {
		s.UpdateStrategy.Type = RollingUpdateStatefulSetStrategyType
	}
	if s.UpdateStrategy.Type == RollingUpdateStatefulSetStrategyType {
		if s.UpdateStrategy.RollingUpdate == nil {
			s.UpdateStrategy.RollingUpdate = &RollingUpdateStatefulSetStrategy{}
		}
		ru := s.UpdateStrategy.RollingUpdate
		defaultInt32(&ru.Partition, 0)
		if ru.MaxUnavailable == nil {
			ru.MaxUnavailable = new(FromInt32(1))
		}
	}
	defaultInt32(&s.RevisionHistoryLimit, defaultRevisionHistoryLimit)
	// Claims are kept by default: the data outlives the pods, and the
	// StatefulSet too.
	if s.PersistentVolumeClaimRetentionPolicy == nil {
		s.PersistentVolumeClaimRetentionPolicy = &StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	policy := s.PersistentVolumeClaimRetentionPolicy
	if policy.WhenDeleted == "" {
		policy.WhenDeleted = RetainPersistentVolumeClaimRetentionPolicyType
	}
	if policy.WhenScaled == "" {
		policy.WhenScaled = RetainPersistentVolumeClaimRetentionPolicyType
	}
	setPodSpecDefaults(&s.Template.Spec)
}

func defaultDaemonSet(ds *DaemonSet) {
	s := &ds.Spec
	if s.UpdateStrategy.Type == "" {
		s.UpdateStrategy.Type = RollingUpdateDaemonSetStrategyType
	}
	if s.UpdateStrategy.Type == RollingUpdateDaemonSetStrategyType {
		if s.UpdateStrategy.RollingUpdate == nil {
			s.UpdateStrategy.RollingUpdate = &RollingUpdateDaemonSet{}
		}
		ru := s.UpdateStrategy.RollingUpdate
		if ru.MaxUnavailable == nil {
			ru.MaxUnavailable = new(FromInt32(1))
		}
		if ru.MaxSurge == nil {
			ru.MaxSurge = new(FromInt32(0))
		}
	}
	defaultInt32(&s.RevisionHistoryLimit, defaultRevisionHistoryLimit)
	setPodSpecDefaults(&s.Template.Spec)
}

// defaultJobSpec fills in a Job's spec, or a CronJob's job template.
func defaultJobSpec(s *JobSpec) {
	// Both unset: one pod, once. Only completions unset: a work queue of
	// parallelism pods.
	if s.Completions == nil && s.Parallelism == nil {
		s.Completions = new(int32(1))
	}
	defaultInt32(&s.Parallelism, 1)
	defaultInt32(&s.BackoffLimit, DefaultBackoffLimit)
	if s.CompletionMode == nil {
		s.CompletionMode = new(NonIndexedCompletion)
	}
	if s.Suspend == nil {
		s.Suspend = new(false)
	}
	setPodSpecDefaults(&s.Template.Spec)
}

// generateJobSelector makes a Job select its pods by its uid, as the
// Kubernetes API server does when the Job is created, unless
// manualSelector is true: the uid is unique, so a Job never adopts the
// pods of another Job with the same labels. The pods also get the Job's
// name as a label.
func generateJobSelector(j *Job) {
	s := &j.Spec
	if s.ManualSelector != nil && *s.ManualSelector {
		return
	}
	if s.Selector == nil {
		s.Selector = &LabelSelector{}
	}
	if s.Selector.MatchLabels == nil {
		s.Selector.MatchLabels = map[string]string{}
	}
	if _, ok := s.Selector.MatchLabels[JobControllerUIDLabel]; !ok {
		s.Selector.MatchLabels[JobControllerUIDLabel] = j.UID
	}
	if s.Template.Labels == nil {
		s.Template.Labels = map[string]string{}
	}
	if _, ok := s.Template.Labels[JobControllerUIDLabel]; !ok {
		s.Template.Labels[JobControllerUIDLabel] = j.UID
	}
	if _, ok := s.Template.Labels[JobNameLabel]; !ok {
		s.Template.Labels[JobNameLabel] = j.Name
	}
}

func defaultCronJob(cj *CronJob) {
	s := &cj.Spec
	if s.ConcurrencyPolicy == "" {
		s.ConcurrencyPolicy = AllowConcurrent
	}
	if s.Suspend == nil {
		s.Suspend = new(false)
	}
	defaultInt32(&s.SuccessfulJobsHistoryLimit, 3)
	defaultInt32(&s.FailedJobsHistoryLimit, 1)
	// The selector is made when a Job is created from the template.
	defaultJobSpec(&s.JobTemplate.Spec)
}

func defaultHPA(h *HorizontalPodAutoscaler) {
	s := &h.Spec
	defaultInt32(&s.MinReplicas, 1)
	if len(s.Metrics) == 0 {
		s.Metrics = []MetricSpec{{
			Type: ResourceMetricSourceType,
			Resource: &ResourceMetricSource{
				Name:   ResourceCPU,
				Target: MetricTarget{Type: UtilizationMetricType, AverageUtilization: new(int32(DefaultCPUUtilization))},
			},
		}}
	}
	// The windows are only filled in when behavior is given: without it
	// the autoscaler uses its own settings (SEMANTICS.md §10.3).
	if b := s.Behavior; b != nil {
		if b.ScaleUp == nil {
			b.ScaleUp = &HPAScalingRules{}
		}
		if b.ScaleDown == nil {
			b.ScaleDown = &HPAScalingRules{}
		}
		defaultInt32(&b.ScaleUp.StabilizationWindowSeconds, DefaultScaleUpStabilizationSeconds)
		defaultInt32(&b.ScaleDown.StabilizationWindowSeconds, DefaultScaleDownStabilizationSeconds)
	}
}

// newUID returns a random (version 4) UUID, like
// "9b2f3c1e-5a7d-4e2b-8c61-0f4d2a9e7b13".
func newUID() string {
	var b [16]byte
	rand.Read(b[:])         // never fails: on error the program crashes
	b[6] = b[6]&0x0f | 0x40 // version 4: random
	b[8] = b[8]&0x3f | 0x80 // variant 10: RFC 9562
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
