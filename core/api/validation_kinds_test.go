package api

import (
	"reflect"
	"strings"
	"testing"
)

// validExample returns the defaulted example of a kind, which passes
// validation; each test case breaks one thing.
func validExample(t *testing.T, file string) Object {
	t.Helper()
	objs := readExample(t, file)
	Default(objs[0])
	if errs := Validate(objs[0]); len(errs) > 0 {
		t.Fatalf("example %s is invalid:\n%v", file, errs)
	}
	return objs[0]
}

func TestValidateEachKind(t *testing.T) {
	const mismatch = "selector does not match template labels"
	tests := []struct {
		name   string
		file   string // the example to start from
		change func(o Object)
		want   []string // every error, in order
	}{
		// metadata, for every kind
		{"two controllers", "pod.yaml", func(o Object) {
			o.GetObjectMeta().OwnerReferences = []OwnerReference{
				{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "a", UID: "1", Controller: new(true)},
				{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "b", UID: "2", Controller: new(true)},
				{Kind: "Deployment", Name: "c", Controller: new(false)}}
		}, []string{
			"metadata.ownerReferences[2].apiVersion: Required value",
			"metadata.ownerReferences[2].uid: Required value",
			`metadata.ownerReferences: Invalid value: "ReplicaSet/a, ReplicaSet/b": only one reference can have controller set to true`,
		}},
		{"bad finalizer, generation, grace period", "deployment.yaml", func(o Object) {
			m := o.GetObjectMeta()
			m.Finalizers = []string{"foregroundDeletion", "a b"}
			m.Generation = -1
			m.DeletionGracePeriodSeconds = new(int64(-1))
		}, []string{
			"metadata.generation: Invalid value: -1: must be greater than or equal to 0",
			"metadata.deletionGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0",
			`metadata.finalizers[1]: Invalid value: "a b": name part ` + qualifiedNameErrMsg,
		}},

		// ReplicationController
		{"rc: template must restart Always", "replicationcontroller.yaml", func(o Object) {
			o.(*ReplicationController).Spec.Template.Spec.RestartPolicy = RestartPolicyOnFailure
		}, []string{`spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"`}},
		{"rc: selector must match the template", "replicationcontroller.yaml", func(o Object) {
			o.(*ReplicationController).Spec.Selector = map[string]string{"app": "other"}
		}, []string{"spec.template.metadata.labels: Invalid value: map[app:hello-rc]: " + mismatch}},
		{"rc: no selector and no labels", "replicationcontroller.yaml", func(o Object) {
			rc := o.(*ReplicationController)
			rc.Spec.Selector, rc.Spec.Template.Labels = nil, nil
		}, []string{"spec.selector: Required value"}},
		{"rc: negative replicas", "replicationcontroller.yaml", func(o Object) {
			o.(*ReplicationController).Spec.Replicas = new(int32(-1))
		}, []string{"spec.replicas: Invalid value: -1: must be greater than or equal to 0"}},

		// ReplicaSet
		{"rs: template must restart Always", "replicaset.yaml", func(o Object) {
			o.(*ReplicaSet).Spec.Template.Spec.RestartPolicy = RestartPolicyNever
		}, []string{`spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`}},
		{"rs: an unknown restartPolicy is reported once", "replicaset.yaml", func(o Object) {
			o.(*ReplicaSet).Spec.Template.Spec.RestartPolicy = "Sometimes"
		}, []string{`spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`}},
		{"rs: selector required", "replicaset.yaml", func(o Object) { o.(*ReplicaSet).Spec.Selector = nil },
			[]string{"spec.selector: Required value"}},
		{"rs: empty selector", "replicaset.yaml", func(o Object) { o.(*ReplicaSet).Spec.Selector = &LabelSelector{} },
			[]string{`spec.selector: Invalid value: "{}": empty selector is invalid: it would select every pod in the namespace`}},
		{"rs: set-based selector misses the template", "replicaset.yaml", func(o Object) {
			o.(*ReplicaSet).Spec.Template.Labels["canary"] = "yes"
		}, []string{"spec.template.metadata.labels: Invalid value: map[app:hello canary:yes tier:frontend]: " + mismatch}},
		{"rs: bad match expressions", "replicaset.yaml", func(o Object) {
			o.(*ReplicaSet).Spec.Selector.MatchExpressions = []LabelSelectorRequirement{
				{Key: "tier", Operator: LabelSelectorOpIn},
				{Key: "canary", Operator: LabelSelectorOpExists, Values: []string{"yes"}},
				{Key: "env", Operator: "Equals", Values: []string{"prod"}},
				{Key: "-bad", Operator: LabelSelectorOpNotIn, Values: []string{"a b"}},
			}
		}, []string{
			"spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
			"spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
			`spec.selector.matchExpressions[2].operator: Unsupported value: "Equals": supported values: "In", "NotIn", "Exists", "DoesNotExist"`,
			`spec.selector.matchExpressions[3].key: Invalid value: "-bad": name part ` + qualifiedNameErrMsg,
			`spec.selector.matchExpressions[3].values[0]: Invalid value: "a b": ` + labelValueErrMsg,
		}},
		{"rs: bad template labels", "replicaset.yaml", func(o Object) {
			o.(*ReplicaSet).Spec.Template.Labels["x"] = "a b"
		}, []string{`spec.template.metadata.labels[x]: Invalid value: "a b": ` + labelValueErrMsg}},

		// Deployment
		{"deployment: maxSurge and maxUnavailable both 0", "deployment.yaml", func(o Object) {
			o.(*Deployment).Spec.Strategy.RollingUpdate.MaxSurge = new(FromString("0%"))
		}, []string{"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"}},
		{"deployment: bad maxSurge and maxUnavailable", "deployment.yaml", func(o Object) {
			ru := o.(*Deployment).Spec.Strategy.RollingUpdate
			ru.MaxSurge, ru.MaxUnavailable = new(FromString("1.5%")), new(FromInt32(-1))
		}, []string{
			"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: -1: must be greater than or equal to 0",
			`spec.strategy.rollingUpdate.maxSurge: Invalid value: "1.5%": must be an integer or a percentage, like "25%"`,
		}},
		{"deployment: maxUnavailable over 100%", "deployment.yaml", func(o Object) {
			o.(*Deployment).Spec.Strategy.RollingUpdate.MaxUnavailable = new(FromString("110%"))
		}, []string{"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 110%: must not be greater than 100%"}},
		{"deployment: Recreate with rollingUpdate", "deployment.yaml", func(o Object) {
			o.(*Deployment).Spec.Strategy.Type = RecreateDeploymentStrategyType
		}, []string{"spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"}},
		{"deployment: unknown strategy", "deployment.yaml", func(o Object) {
			o.(*Deployment).Spec.Strategy.Type = "BlueGreen"
		}, []string{`spec.strategy.type: Unsupported value: "BlueGreen": supported values: "Recreate", "RollingUpdate"`}},
		{"deployment: template must restart Always", "deployment.yaml", func(o Object) {
			o.(*Deployment).Spec.Template.Spec.RestartPolicy = RestartPolicyNever
		}, []string{`spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`}},
		{"deployment: selector must match the template", "deployment.yaml", func(o Object) {
			o.(*Deployment).Spec.Selector.MatchLabels["version"] = "v2"
		}, []string{"spec.template.metadata.labels: Invalid value: map[app:web]: " + mismatch}},
		{"deployment: counts", "deployment.yaml", func(o Object) {
			s := &o.(*Deployment).Spec
			s.Replicas, s.RevisionHistoryLimit, s.ProgressDeadlineSeconds = new(int32(-1)), new(int32(-2)), new(int32(5))
		}, []string{
			"spec.replicas: Invalid value: -1: must be greater than or equal to 0",
			"spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0",
			"spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds",
		}},
		{"deployment: a bad template spec", "deployment.yaml", func(o Object) {
			o.(*Deployment).Spec.Template.Spec.Containers[0].Image = ""
		}, []string{"spec.template.spec.containers[0].image: Required value"}},

		// StatefulSet
		{"statefulset: template must restart Always", "statefulset.yaml", func(o Object) {
			o.(*StatefulSet).Spec.Template.Spec.RestartPolicy = RestartPolicyOnFailure
		}, []string{`spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"`}},
		{"statefulset: name is a DNS label", "statefulset.yaml", func(o Object) { o.(*StatefulSet).Name = "web.v1" },
			[]string{`metadata.name: Invalid value: "web.v1": ` + labelMsg}},
		{"statefulset: mount of no volume and no claim", "statefulset.yaml", func(o Object) {
			o.(*StatefulSet).Spec.Template.Spec.Containers[0].VolumeMounts[0].Name = "logs"
		}, []string{`spec.template.spec.containers[0].volumeMounts[0].name: Not found: "logs"`}},
		{"statefulset: claim templates", "statefulset.yaml", func(o Object) {
			s := &o.(*StatefulSet).Spec
			s.Template.Spec.Volumes = []Volume{{Name: "data", EmptyDir: &EmptyDirVolumeSource{}}}
			s.VolumeClaimTemplates = append(s.VolumeClaimTemplates, PersistentVolumeClaim{})
		}, []string{
			`spec.volumeClaimTemplates[0].metadata.name: Duplicate value: "data"`,
			"spec.volumeClaimTemplates[1].metadata.name: Required value",
			"spec.volumeClaimTemplates[1].spec.accessModes: Required value: at least 1 access mode is required",
			"spec.volumeClaimTemplates[1].spec.resources.requests[storage]: Required value",
		}},
		{"statefulset: policies", "statefulset.yaml", func(o Object) {
			s := &o.(*StatefulSet).Spec
			s.PodManagementPolicy = "Random"
			s.UpdateStrategy.RollingUpdate.Partition = new(int32(-1))
			s.PersistentVolumeClaimRetentionPolicy.WhenScaled = "Keep"
			s.ServiceName = "Web"
		}, []string{
			`spec.serviceName: Invalid value: "Web": ` + labelMsg,
			`spec.podManagementPolicy: Unsupported value: "Random": supported values: "OrderedReady", "Parallel"`,
			"spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0",
			`spec.persistentVolumeClaimRetentionPolicy.whenScaled: Unsupported value: "Keep": supported values: "Retain", "Delete"`,
		}},
		{"statefulset: OnDelete with rollingUpdate", "statefulset.yaml", func(o Object) {
			o.(*StatefulSet).Spec.UpdateStrategy.Type = OnDeleteStatefulSetStrategyType
		}, []string{"spec.updateStrategy.rollingUpdate: Forbidden: only allowed for updateStrategy 'RollingUpdate'"}},

		// DaemonSet
		{"daemonset: template must restart Always", "daemonset.yaml", func(o Object) {
			o.(*DaemonSet).Spec.Template.Spec.RestartPolicy = RestartPolicyNever
		}, []string{`spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`}},
		{"daemonset: both 0", "daemonset.yaml", func(o Object) {
			o.(*DaemonSet).Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = new(FromInt32(0))
		}, []string{"spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"}},
		{"daemonset: selector", "daemonset.yaml", func(o Object) { o.(*DaemonSet).Spec.Selector = nil },
			[]string{"spec.selector: Required value"}},

		// Job
		{"job: template must not restart Always", "job.yaml", func(o Object) {
			o.(*Job).Spec.Template.Spec.RestartPolicy = RestartPolicyAlways
		}, []string{`spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"`}},
		{"job: counts", "job.yaml", func(o Object) {
			s := &o.(*Job).Spec
			s.Parallelism, s.Completions, s.BackoffLimit = new(int32(-1)), new(int32(-1)), new(int32(-1))
			s.ActiveDeadlineSeconds, s.TTLSecondsAfterFinished = new(int64(-1)), new(int32(-1))
		}, []string{
			"spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
			"spec.completions: Invalid value: -1: must be greater than or equal to 0",
			"spec.activeDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
			"spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0",
			"spec.ttlSecondsAfterFinished: Invalid value: -1: must be greater than or equal to 0",
		}},
		{"job: Indexed needs completions", "job.yaml", func(o Object) {
			s := &o.(*Job).Spec
			s.CompletionMode, s.Completions = new(IndexedCompletion), nil
		}, []string{"spec.completions: Required value: when completion mode is Indexed"}},
		{"job: a selector of the user's own", "job.yaml", func(o Object) {
			o.(*Job).Spec.Selector = &LabelSelector{MatchLabels: map[string]string{"app": "pi"}}
		}, []string{
			"spec.selector: Invalid value: \"app=pi\": `selector` not auto-generated: leave it out, or set manualSelector: true",
			"spec.template.metadata.labels: Invalid value: map[" + JobControllerUIDLabel + ":UID " + JobNameLabel + ":pi]: " + mismatch,
		}},
		{"job: manual selector must match", "job.yaml", func(o Object) {
			s := &o.(*Job).Spec
			s.ManualSelector = new(true)
			s.Selector = &LabelSelector{MatchLabels: map[string]string{"app": "pi"}}
		}, []string{"spec.template.metadata.labels: Invalid value: map[" + JobControllerUIDLabel + ":" +
			"UID " + JobNameLabel + ":pi]: " + mismatch}},
		{"job: manual selector required", "job.yaml", func(o Object) {
			s := &o.(*Job).Spec
			s.ManualSelector, s.Selector = new(true), nil
		}, []string{"spec.selector: Required value"}},

		// CronJob
		{"cronjob: bad schedule", "cronjob.yaml", func(o Object) { o.(*CronJob).Spec.Schedule = "61 * * * *" },
			[]string{`spec.schedule: Invalid value: "61 * * * *": minute: 61 is out of range 0-59`}},
		{"cronjob: six fields", "cronjob.yaml", func(o Object) { o.(*CronJob).Spec.Schedule = "0 0 * * * *" },
			[]string{`spec.schedule: Invalid value: "0 0 * * * *": expected 5 fields (minute hour day-of-month month day-of-week), found 6`}},
		{"cronjob: no schedule", "cronjob.yaml", func(o Object) { o.(*CronJob).Spec.Schedule = "" },
			[]string{"spec.schedule: Required value"}},
		{"cronjob: policy and limits", "cronjob.yaml", func(o Object) {
			s := &o.(*CronJob).Spec
			s.ConcurrencyPolicy = "Queue"
			s.StartingDeadlineSeconds, s.SuccessfulJobsHistoryLimit = new(int64(-1)), new(int32(-1))
		}, []string{
			`spec.concurrencyPolicy: Unsupported value: "Queue": supported values: "Allow", "Forbid", "Replace"`,
			"spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
			"spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0",
		}},
		{"cronjob: job template must not restart Always", "cronjob.yaml", func(o Object) {
			o.(*CronJob).Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = RestartPolicyAlways
		}, []string{`spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"`}},
		{"cronjob: name too long for its jobs", "cronjob.yaml", func(o Object) { o.(*CronJob).Name = strings.Repeat("c", 53) },
			[]string{`metadata.name: Invalid value: "` + strings.Repeat("c", 53) + `": must be no more than 52 characters`}},

		// HorizontalPodAutoscaler
		{"hpa: minReplicas 0", "horizontalpodautoscaler.yaml", func(o Object) {
			o.(*HorizontalPodAutoscaler).Spec.MinReplicas = new(int32(0))
		}, []string{"spec.minReplicas: Invalid value: 0: must be greater than or equal to 1"}},
		{"hpa: min above max", "horizontalpodautoscaler.yaml", func(o Object) {
			s := &o.(*HorizontalPodAutoscaler).Spec
			s.MinReplicas, s.MaxReplicas = new(int32(5)), 3
		}, []string{"spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`"}},
		{"hpa: maxReplicas 0", "horizontalpodautoscaler.yaml", func(o Object) {
			o.(*HorizontalPodAutoscaler).Spec.MaxReplicas = 0
		}, []string{"spec.maxReplicas: Invalid value: 0: must be greater than 0"}},
		{"hpa: target and metrics", "horizontalpodautoscaler.yaml", func(o Object) {
			s := &o.(*HorizontalPodAutoscaler).Spec
			s.ScaleTargetRef = CrossVersionObjectReference{Kind: "Pod"}
			s.Metrics = append(s.Metrics, MetricSpec{Type: "Pods"}, MetricSpec{Type: ResourceMetricSourceType},
				MetricSpec{Type: ResourceMetricSourceType, Resource: &ResourceMetricSource{Name: "gpu",
					Target: MetricTarget{Type: UtilizationMetricType, AverageUtilization: new(int32(0))}}},
				MetricSpec{Type: ResourceMetricSourceType, Resource: &ResourceMetricSource{Name: "memory",
					Target: MetricTarget{Type: AverageValueMetricType, AverageValue: "64MB"}}})
			s.Behavior.ScaleDown.StabilizationWindowSeconds = new(int32(3601))
		}, []string{
			`spec.scaleTargetRef.kind: Unsupported value: "Pod": supported values: "Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"`,
			"spec.scaleTargetRef.name: Required value",
			`spec.metrics[1].type: Unsupported value: "Pods": supported values: "Resource"`,
			"spec.metrics[2].resource: Required value: must populate information for the given metric source",
			`spec.metrics[3].resource.name: Unsupported value: "gpu": supported values: "cpu", "memory"`,
			"spec.metrics[3].resource.target.averageUtilization: Invalid value: 0: must be greater than 0",
			`spec.metrics[4].resource.target.averageValue: Invalid value: "64MB": must be a memory quantity, like "64Mi" or "1Gi"`,
			"spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600",
		}},

		// Service
		{"service: ports", "service.yaml", func(o Object) {
			s := &o.(*Service).Spec
			s.Ports = append(s.Ports,
				ServicePort{Name: "http", Port: 80, Protocol: ProtocolTCP, TargetPort: FromInt32(70000)},
				ServicePort{Port: 0, Protocol: ProtocolUDP, TargetPort: FromString("HTTP"), NodePort: 80},
				ServicePort{Name: "other", Port: 81, Protocol: ProtocolTCP, TargetPort: FromInt32(81), NodePort: 30080})
		}, []string{
			`spec.ports[1].name: Duplicate value: "http"`,
			`spec.ports[1]: Duplicate value: "80/TCP"`,
			"spec.ports[1].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
			"spec.ports[2].name: Required value: when there is more than one port",
			"spec.ports[2].port: Invalid value: 0: must be between 1 and 65535, inclusive",
			`spec.ports[2].targetPort: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
			`spec.ports[2].targetPort: Invalid value: "HTTP": must contain at least one letter (a-z)`,
			"spec.ports[2].nodePort: Invalid value: 80: must be between 30000 and 32767, inclusive",
			"spec.ports[3].nodePort: Duplicate value: 30080",
		}},
		{"service: nodePort on a ClusterIP service", "service.yaml", func(o Object) {
			o.(*Service).Spec.Type = ServiceTypeClusterIP
		}, []string{"spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"}},
		{"service: headless NodePort", "service.yaml", func(o Object) { o.(*Service).Spec.ClusterIP = ClusterIPNone },
			[]string{`spec.clusterIP: Invalid value: "None": may not be set to 'None' for NodePort services`}},
		{"headless service without ports", "service.yaml", func(o Object) {
			s := &o.(*Service).Spec
			s.Type, s.ClusterIP, s.Ports = ServiceTypeClusterIP, ClusterIPNone, nil
		}, nil},
		{"service: no ports, bad type, clusterIP, affinity, name", "service.yaml", func(o Object) {
			svc := o.(*Service)
			svc.Name = "web.v1"
			svc.Spec = ServiceSpec{Type: "LoadBalancer", ClusterIP: "10.96.0.300", SessionAffinity: "Sticky"}
		}, []string{
			`metadata.name: Invalid value: "web.v1": ` + labelMsg,
			`spec.type: Unsupported value: "LoadBalancer": supported values: "ClusterIP", "NodePort"`,
			`spec.clusterIP: Invalid value: "10.96.0.300": must be a valid IP address (like 10.96.0.10), "None" or empty`,
			"spec.ports: Required value",
			`spec.sessionAffinity: Unsupported value: "Sticky": supported values: "None", "ClientIP"`,
		}},

		// Endpoints
		{"endpoints", "endpoints.yaml", func(o Object) {
			ep := o.(*Endpoints)
			ep.Subsets[0].Addresses[0].IP = "10.244.1"
			ep.Subsets[0].Addresses[0].Hostname = "web.0"
			ep.Subsets = append(ep.Subsets, EndpointSubset{Ports: []EndpointPort{{Port: 8080, Protocol: "HTTP"}}})
		}, []string{
			`subsets[0].addresses[0].ip: Invalid value: "10.244.1": must be a valid IP address`,
			`subsets[0].addresses[0].hostname: Invalid value: "web.0": ` + labelMsg,
			"subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`",
			`subsets[1].ports[0].protocol: Unsupported value: "HTTP": supported values: "TCP", "UDP", "SCTP"`,
		}},

		// Node
		{"node", "node.yaml", func(o Object) {
			n := o.(*Node)
			n.Namespace = "default"
			n.Spec.PodCIDR = "10.244.1.0"
			n.Spec.Taints = append(n.Spec.Taints, Taint{Key: "dedicated", Value: "other", Effect: TaintEffectNoSchedule},
				Taint{Key: "x", Effect: "NoRun"})
			n.Status.Capacity["gpu"] = "1"
			n.Status.Allocatable["pods"] = "many"
			n.Status.Conditions[0].Status = "Yes"
			n.Status.Addresses = append(n.Status.Addresses, NodeAddress{Type: "MAC", Address: "x"})
		}, []string{
			"metadata.namespace: Forbidden: not allowed on this type",
			`spec.podCIDR: Invalid value: "10.244.1.0": must be a valid CIDR value, (e.g. 10.244.1.0/24)`,
			`spec.taints[1]: Duplicate value: "dedicated:NoSchedule"`,
			`spec.taints[2].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`,
			`status.capacity[gpu]: Unsupported value: "gpu": supported values: "cpu", "memory", "pods", "ephemeral-storage"`,
			`status.allocatable[pods]: Invalid value: "many": must be a whole number of pods, like 110`,
			`status.conditions[0].status: Unsupported value: "Yes": supported values: "True", "False", "Unknown"`,
			`status.addresses[2].type: Unsupported value: "MAC": supported values: "InternalIP", "ExternalIP", "Hostname"`,
		}},

		// Namespace
		{"namespace name is a DNS label", "namespace.yaml", func(o Object) { o.(*Namespace).Name = "lab.v1" },
			[]string{`metadata.name: Invalid value: "lab.v1": ` + labelMsg}},

		// Event
		{"event", "event.yaml", func(o Object) {
			e := o.(*Event)
			e.InvolvedObject.Kind, e.InvolvedObject.Namespace = "", "lab"
			e.Type, e.Count = "Error", -1
		}, []string{
			"involvedObject.kind: Required value",
			`involvedObject.namespace: Invalid value: "lab": does not match event.namespace`,
			`type: Unsupported value: "Error": supported values: "Normal", "Warning"`,
			"count: Invalid value: -1: must be greater than or equal to 0",
		}},

		// PersistentVolumeClaim
		{"pvc", "persistentvolumeclaim.yaml", func(o Object) {
			s := &o.(*PersistentVolumeClaim).Spec
			s.AccessModes = []PersistentVolumeAccessMode{"ReadWriteAlways"}
			s.Resources.Requests = ResourceList{"storage": "1GB", "cpu": "1"}
		}, []string{
			`spec.accessModes[0]: Unsupported value: "ReadWriteAlways": supported values: "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"`,
			`spec.resources.requests[cpu]: Unsupported value: "cpu": supported values: "storage"`,
			`spec.resources.requests[storage]: Invalid value: "1GB": must be a storage quantity, like "1Gi"`,
		}},

		// Pod additions
		{"pod tolerations and subdomain", "pod.yaml", func(o Object) {
			p := o.(*Pod)
			p.Spec.Subdomain = "a.b"
			p.Spec.Tolerations = []Toleration{{Operator: TolerationOpEqual, Value: "x"},
				{Key: "k", Operator: TolerationOpExists, Value: "v", Effect: "Never"},
				{Key: "k", TolerationSeconds: new(int64(5)), Effect: TaintEffectNoSchedule}}
		}, []string{
			`spec.subdomain: Invalid value: "a.b": ` + labelMsg,
			"spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
			"spec.tolerations[1].value: Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
			`spec.tolerations[1].effect: Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`,
			"spec.tolerations[2].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := validExample(t, tt.file)
			tt.change(obj)
			var got []string
			for _, e := range Validate(obj) {
				got = append(got, strings.ReplaceAll(e.Error(), obj.GetObjectMeta().UID, "UID"))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
