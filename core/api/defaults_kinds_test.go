package api

import (
	"reflect"
	"testing"
)

// decodeOne decodes a manifest of one object.
func decodeOne(t *testing.T, in string) Object {
	t.Helper()
	objs, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 {
		t.Fatalf("%d objects, want 1", len(objs))
	}
	return objs[0]
}

// The pod spec defaults, as a template gets them.
var defaultedTemplateSpec = PodSpec{
	Containers:                    []Container{{Name: "app", Image: "hello"}},
	RestartPolicy:                 RestartPolicyAlways,
	TerminationGracePeriodSeconds: new(int64(30)),
	ShareProcessNamespace:         new(false),
}

const template = `
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: hello}]}
`

func TestDefaultEachKind(t *testing.T) {
	tests := []struct {
		name string
		in   string
		got  func(o Object) any // the part of the object to compare
		want any
	}{
		{"ReplicationController selector and labels from the template",
			"apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec:" + template,
			func(o Object) any {
				rc := o.(*ReplicationController)
				return []any{*rc.Spec.Replicas, rc.Spec.Selector, rc.Labels, rc.Spec.Template.Spec}
			},
			[]any{int32(1), map[string]string{"app": "web"}, map[string]string{"app": "web"}, defaultedTemplateSpec}},
		{"ReplicaSet",
			"apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs}\nspec:\n  selector: {matchLabels: {app: web}}" + template,
			func(o Object) any { rs := o.(*ReplicaSet); return []any{*rs.Spec.Replicas, rs.Spec.Template.Spec} },
			[]any{int32(1), defaultedTemplateSpec}},
		{"replicas 0 stays 0",
			"apiVersion: apps/v1\nkind: ReplicaSet\nspec:\n  replicas: 0\n",
			func(o Object) any { return *o.(*ReplicaSet).Spec.Replicas }, int32(0)},
		{"Deployment",
			"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}" + template,
			func(o Object) any {
				s := o.(*Deployment).Spec
				return []any{*s.Replicas, s.Strategy, *s.RevisionHistoryLimit, *s.ProgressDeadlineSeconds, s.MinReadySeconds, s.Paused, s.Template.Spec}
			},
			[]any{int32(1), DeploymentStrategy{Type: RollingUpdateDeploymentStrategyType, RollingUpdate: &RollingUpdateDeployment{
				MaxUnavailable: new(FromString("25%")), MaxSurge: new(FromString("25%"))}},
				int32(10), int32(600), int32(0), false, defaultedTemplateSpec}},
		{"Deployment keeps a given maxSurge",
			"apiVersion: apps/v1\nkind: Deployment\nspec:\n  strategy: {rollingUpdate: {maxSurge: 0}}\n",
			func(o Object) any { return *o.(*Deployment).Spec.Strategy.RollingUpdate },
			RollingUpdateDeployment{MaxUnavailable: new(FromString("25%")), MaxSurge: new(FromInt32(0))}},
		{"Recreate has no rollingUpdate",
			"apiVersion: apps/v1\nkind: Deployment\nspec:\n  strategy: {type: Recreate}\n",
			func(o Object) any { return o.(*Deployment).Spec.Strategy },
			DeploymentStrategy{Type: RecreateDeploymentStrategyType}},
		{"StatefulSet",
			"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}" + template,
			func(o Object) any {
				s := o.(*StatefulSet).Spec
				return []any{*s.Replicas, s.PodManagementPolicy, s.UpdateStrategy, *s.RevisionHistoryLimit,
					*s.PersistentVolumeClaimRetentionPolicy, s.Template.Spec}
			},
			[]any{int32(1), OrderedReadyPodManagement, StatefulSetUpdateStrategy{Type: RollingUpdateStatefulSetStrategyType,
				RollingUpdate: &RollingUpdateStatefulSetStrategy{Partition: new(int32(0)), MaxUnavailable: new(FromInt32(1))}},
				int32(10), StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: "Retain", WhenScaled: "Retain"},
				defaultedTemplateSpec}},
		{"DaemonSet",
			"apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds}\nspec:\n  selector: {matchLabels: {app: web}}" + template,
			func(o Object) any {
				s := o.(*DaemonSet).Spec
				return []any{s.UpdateStrategy, *s.RevisionHistoryLimit, s.Template.Spec}
			},
			[]any{DaemonSetUpdateStrategy{Type: RollingUpdateDaemonSetStrategyType, RollingUpdate: &RollingUpdateDaemonSet{
				MaxUnavailable: new(FromInt32(1)), MaxSurge: new(FromInt32(0))}}, int32(10), defaultedTemplateSpec}},
		{"Job: one pod, once",
			"apiVersion: batch/v1\nkind: Job\nmetadata: {name: pi, uid: 0d1f2e3c-4b5a-4697-8877-665544332211}\nspec:\n  template:\n    spec: {restartPolicy: Never, containers: [{name: app, image: hello}]}\n",
			func(o Object) any {
				s := o.(*Job).Spec
				return []any{*s.Completions, *s.Parallelism, *s.BackoffLimit, *s.CompletionMode, *s.Suspend,
					s.ActiveDeadlineSeconds, s.TTLSecondsAfterFinished, *s.Selector, s.Template.Labels}
			},
			[]any{int32(1), int32(1), int32(6), NonIndexedCompletion, false, (*int64)(nil), (*int32)(nil),
				LabelSelector{MatchLabels: map[string]string{JobControllerUIDLabel: "0d1f2e3c-4b5a-4697-8877-665544332211"}},
				map[string]string{JobControllerUIDLabel: "0d1f2e3c-4b5a-4697-8877-665544332211", JobNameLabel: "pi"}}},
		{"Job: a work queue keeps completions unset",
			"apiVersion: batch/v1\nkind: Job\nspec: {parallelism: 3}\n",
			func(o Object) any { s := o.(*Job).Spec; return []any{s.Completions, *s.Parallelism} },
			[]any{(*int32)(nil), int32(3)}},
		{"Job: completions alone get parallelism 1",
			"apiVersion: batch/v1\nkind: Job\nspec: {completions: 5}\n",
			func(o Object) any { s := o.(*Job).Spec; return []any{*s.Completions, *s.Parallelism} },
			[]any{int32(5), int32(1)}},
		{"Job with manualSelector keeps its selector",
			"apiVersion: batch/v1\nkind: Job\nspec:\n  manualSelector: true\n  selector: {matchLabels: {app: web}}" + template,
			func(o Object) any { s := o.(*Job).Spec; return []any{s.Selector.MatchLabels, s.Template.Labels} },
			[]any{map[string]string{"app": "web"}, map[string]string{"app": "web"}}},
		{"CronJob",
			"apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '@hourly'\n  jobTemplate:\n    spec:\n      template:\n        spec: {containers: [{name: app, image: hello}]}\n",
			func(o Object) any {
				s := o.(*CronJob).Spec
				j := s.JobTemplate.Spec
				return []any{s.ConcurrencyPolicy, *s.Suspend, *s.SuccessfulJobsHistoryLimit, *s.FailedJobsHistoryLimit,
					s.StartingDeadlineSeconds, *j.Completions, *j.Parallelism, *j.BackoffLimit, j.Selector}
			},
			[]any{AllowConcurrent, false, int32(3), int32(1), (*int64)(nil), int32(1), int32(1), int32(6), (*LabelSelector)(nil)}},
		{"HorizontalPodAutoscaler without metrics or behavior",
			"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec: {maxReplicas: 5, scaleTargetRef: {kind: Deployment, name: web}}\n",
			func(o Object) any {
				s := o.(*HorizontalPodAutoscaler).Spec
				return []any{*s.MinReplicas, s.Metrics, s.Behavior}
			},
			[]any{int32(1), []MetricSpec{{Type: ResourceMetricSourceType, Resource: &ResourceMetricSource{Name: "cpu",
				Target: MetricTarget{Type: UtilizationMetricType, AverageUtilization: new(int32(80))}}}},
				(*HorizontalPodAutoscalerBehavior)(nil)}},
		{"HorizontalPodAutoscaler behavior windows",
			"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  behavior: {scaleUp: {}}\n",
			func(o Object) any {
				b := o.(*HorizontalPodAutoscaler).Spec.Behavior
				return []any{*b.ScaleUp.StabilizationWindowSeconds, *b.ScaleDown.StabilizationWindowSeconds}
			},
			[]any{int32(0), int32(300)}},
		{"Service: ClusterIP, TCP, targetPort = port",
			"apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}, {port: 53, protocol: UDP, targetPort: dns}]\n",
			func(o Object) any { s := o.(*Service).Spec; return []any{s.Type, s.SessionAffinity, s.Ports} },
			[]any{ServiceTypeClusterIP, ServiceAffinityNone, []ServicePort{
				{Port: 80, Protocol: ProtocolTCP, TargetPort: FromInt32(80)},
				{Port: 53, Protocol: ProtocolUDP, TargetPort: FromString("dns")}}}},
		{"Endpoints ports are TCP",
			"apiVersion: v1\nkind: Endpoints\nsubsets: [{ports: [{port: 8080}]}]\n",
			func(o Object) any { return o.(*Endpoints).Subsets[0].Ports[0].Protocol }, ProtocolTCP},
		{"Namespace is Active and in no namespace",
			"apiVersion: v1\nkind: Namespace\nmetadata: {name: lab}\n",
			func(o Object) any { ns := o.(*Namespace); return []any{ns.Status.Phase, ns.Namespace} },
			[]any{NamespaceActive, ""}},
		{"Node is in no namespace",
			"apiVersion: v1\nkind: Node\nmetadata: {name: node1}\n",
			func(o Object) any { return o.(*Node).Namespace }, ""},
		{"PersistentVolumeClaim is Pending",
			"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: lab}\n",
			func(o Object) any { pvc := o.(*PersistentVolumeClaim); return []any{pvc.Status.Phase, pvc.Namespace} },
			[]any{ClaimPending, "lab"}},
		{"Event in its object's namespace",
			"apiVersion: v1\nkind: Event\ninvolvedObject: {kind: Pod, name: web, namespace: lab}\n",
			func(o Object) any { return o.(*Event).Namespace }, "lab"},
		{"Event about a node in default",
			"apiVersion: v1\nkind: Event\ninvolvedObject: {kind: Node, name: node1}\n",
			func(o Object) any { return o.(*Event).Namespace }, "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := decodeOne(t, tt.in)
			Default(obj)
			if got := tt.got(obj); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%#v\nwant\n%#v", got, tt.want)
			}
			// Twice is the same as once.
			again := DeepCopy(obj)
			Default(again)
			if !reflect.DeepEqual(tt.got(again), tt.got(obj)) {
				t.Errorf("a second Default changed the object")
			}
		})
	}
}

// Every object gets apiVersion and kind, a uid and, if its kind lives in
// namespaces, the namespace "default".
func TestDefaultMeta(t *testing.T) {
	for _, obj := range []Object{&Deployment{}, &Service{}, &Node{}, &Namespace{}, &Job{}} {
		Default(obj)
		tm, m := *obj.GetTypeMeta(), obj.GetObjectMeta()
		if tm != KindOf(obj) || tm.Kind == "" || !uuidRE.MatchString(m.UID) {
			t.Errorf("%T: TypeMeta %v, uid %q", obj, tm, m.UID)
		}
		if want := map[bool]string{true: "default", false: ""}[Namespaced(obj)]; m.Namespace != want {
			t.Errorf("%T: namespace %q, want %q", obj, m.Namespace, want)
		}
	}
}
