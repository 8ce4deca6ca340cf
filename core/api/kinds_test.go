package api

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// examplesDir has one manifest of each kind.
const examplesDir = manifestsDir + "/examples"

// readExample decodes one example manifest.
func readExample(t *testing.T, name string) []Object {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(examplesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// Each example decodes into its Go type with the values it spells, with
// Kubernetes field names.
func TestDecodeEachKind(t *testing.T) {
	tests := []struct {
		file  string
		kind  TypeMeta
		check func(obj Object) bool
	}{
		{"pod.yaml", KindPod, func(o Object) bool {
			p := o.(*Pod)
			tol := p.Spec.Tolerations
			return p.Spec.NodeSelector["disk"] == "ssd" && len(tol) == 1 && tol[0].Operator == TolerationOpExists &&
				*tol[0].TolerationSeconds == 300 && p.Spec.Containers[0].Ports[0].Name == "http"
		}},
		{"node.yaml", KindNode, func(o Object) bool {
			n := o.(*Node)
			return n.Spec.PodCIDR == "10.244.1.0/24" &&
				reflect.DeepEqual(n.Spec.Taints, []Taint{{Key: "dedicated", Value: "lab", Effect: TaintEffectNoSchedule}}) &&
				reflect.DeepEqual(n.Status.Capacity, ResourceList{"cpu": "2", "memory": "2Gi", "pods": "110"}) &&
				n.Status.Allocatable["cpu"] == "1900m" &&
				n.Status.Conditions[0].Type == NodeReady && n.Status.Conditions[0].Status == ConditionTrue &&
				n.Status.Conditions[0].LastHeartbeatTime.Equal(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)) &&
				n.Status.Addresses[0] == NodeAddress{Type: NodeInternalIP, Address: "192.168.56.11"} &&
				n.Status.NodeInfo.Architecture == "amd64"
		}},
		{"namespace.yaml", KindNamespace, func(o Object) bool { return o.(*Namespace).Name == "lab" }},
		{"event.yaml", KindEvent, func(o Object) bool {
			e := o.(*Event)
			return e.InvolvedObject.Kind == "Pod" && e.InvolvedObject.Name == "web" && e.Reason == "Scheduled" &&
				e.Type == EventTypeNormal && e.Count == 1 && e.Source.Component == "default-scheduler" &&
				e.ReportingComponent == "default-scheduler" && !e.FirstTimestamp.IsZero()
		}},
		{"service.yaml", KindService, func(o Object) bool {
			s := o.(*Service)
			return s.Spec.Type == ServiceTypeNodePort && s.Spec.Selector["app"] == "web" &&
				reflect.DeepEqual(s.Spec.Ports, []ServicePort{{Name: "http", Protocol: ProtocolTCP, Port: 80,
					TargetPort: FromString("http"), NodePort: 30080}})
		}},
		{"endpoints.yaml", KindEndpoints, func(o Object) bool {
			ss := o.(*Endpoints).Subsets[0]
			return ss.Addresses[0].IP == "10.244.1.5" && *ss.Addresses[0].NodeName == "node1" &&
				ss.Addresses[0].TargetRef.Kind == "Pod" && ss.NotReadyAddresses[0].IP == "10.244.2.7" &&
				ss.Ports[0] == EndpointPort{Name: "http", Port: 8080, Protocol: ProtocolTCP}
		}},
		{"replicationcontroller.yaml", KindReplicationController, func(o Object) bool {
			rc := o.(*ReplicationController)
			return *rc.Spec.Replicas == 3 && rc.Spec.Selector == nil && rc.Spec.Template.Labels["app"] == "hello-rc"
		}},
		{"replicaset.yaml", KindReplicaSet, func(o Object) bool {
			sel := o.(*ReplicaSet).Spec.Selector
			return sel.MatchLabels["app"] == "hello" && reflect.DeepEqual(sel.MatchExpressions, []LabelSelectorRequirement{
				{Key: "tier", Operator: LabelSelectorOpIn, Values: []string{"frontend", "web"}},
				{Key: "canary", Operator: LabelSelectorOpDoesNotExist}})
		}},
		{"deployment.yaml", KindDeployment, func(o Object) bool {
			s := o.(*Deployment).Spec
			ru := s.Strategy.RollingUpdate
			return *s.Replicas == 4 && s.Strategy.Type == RollingUpdateDeploymentStrategyType &&
				*ru.MaxSurge == FromInt32(1) && *ru.MaxUnavailable == FromInt32(0) &&
				s.MinReadySeconds == 5 && *s.RevisionHistoryLimit == 5 && s.ProgressDeadlineSeconds == nil
		}},
		{"statefulset.yaml", KindStatefulSet, func(o Object) bool {
			s := o.(*StatefulSet).Spec
			c := s.VolumeClaimTemplates
			return s.ServiceName == "web" && s.PodManagementPolicy == OrderedReadyPodManagement &&
				*s.UpdateStrategy.RollingUpdate.Partition == 0 && len(c) == 1 && c[0].Name == "data" &&
				c[0].Spec.AccessModes[0] == ReadWriteOnce && c[0].Spec.Resources.Requests[ResourceStorage] == "64Mi"
		}},
		{"daemonset.yaml", KindDaemonSet, func(o Object) bool {
			ds := o.(*DaemonSet)
			return ds.Namespace == "kube-system" && *ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable == FromInt32(1) &&
				ds.Spec.UpdateStrategy.RollingUpdate.MaxSurge == nil
		}},
		{"job.yaml", KindJob, func(o Object) bool {
			s := o.(*Job).Spec
			return *s.Completions == 5 && *s.Parallelism == 2 && *s.BackoffLimit == 4 && *s.ActiveDeadlineSeconds == 600 &&
				*s.TTLSecondsAfterFinished == 3600 && s.Template.Spec.RestartPolicy == RestartPolicyNever
		}},
		{"cronjob.yaml", KindCronJob, func(o Object) bool {
			s := o.(*CronJob).Spec
			return s.Schedule == "*/1 * * * *" && s.ConcurrencyPolicy == ForbidConcurrent && *s.StartingDeadlineSeconds == 30 &&
				*s.SuccessfulJobsHistoryLimit == 3 && *s.FailedJobsHistoryLimit == 1 && *s.JobTemplate.Spec.BackoffLimit == 2 &&
				s.JobTemplate.Spec.Template.Spec.RestartPolicy == RestartPolicyOnFailure
		}},
		{"horizontalpodautoscaler.yaml", KindHorizontalPodAutoscaler, func(o Object) bool {
			s := o.(*HorizontalPodAutoscaler).Spec
			m := s.Metrics[0]
			return s.ScaleTargetRef == CrossVersionObjectReference{Kind: "Deployment", Name: "web", APIVersion: "apps/v1"} &&
				*s.MinReplicas == 1 && s.MaxReplicas == 10 && m.Type == ResourceMetricSourceType && m.Resource.Name == "cpu" &&
				m.Resource.Target.Type == UtilizationMetricType && *m.Resource.Target.AverageUtilization == 50 &&
				s.Behavior.ScaleUp == nil && *s.Behavior.ScaleDown.StabilizationWindowSeconds == 60
		}},
		{"persistentvolumeclaim.yaml", KindPersistentVolumeClaim, func(o Object) bool {
			s := o.(*PersistentVolumeClaim).Spec
			return s.AccessModes[0] == ReadWriteOnce && s.Resources.Requests["storage"] == "1Gi" && *s.StorageClassName == "local-path"
		}},
	}
	seen := map[TypeMeta]bool{}
	for _, tt := range tests {
		t.Run(tt.kind.Kind, func(t *testing.T) {
			objs := readExample(t, tt.file)
			if len(objs) != 1 {
				t.Fatalf("%d objects, want 1", len(objs))
			}
			obj := objs[0]
			if *obj.GetTypeMeta() != tt.kind || KindOf(obj) != tt.kind {
				t.Errorf("TypeMeta %v, KindOf %v, want %v", *obj.GetTypeMeta(), KindOf(obj), tt.kind)
			}
			if !tt.check(obj) {
				t.Errorf("decoded %+v", obj)
			}
		})
		seen[tt.kind] = true
	}
	for tm := range kinds {
		if !seen[tm] {
			t.Errorf("kind %v has no example in this test", tm)
		}
	}
}

// Every kind has a Go type of its own, a resource name, and a case in
// Default and Validate.
func TestKindsTable(t *testing.T) {
	resources := map[string]bool{}
	for tm, k := range kinds {
		obj := k.new()
		if KindOf(obj) != tm {
			t.Errorf("KindOf(%T) = %v, want %v", obj, KindOf(obj), tm)
		}
		if resources[k.resource] || k.resource != strings.ToLower(k.resource) {
			t.Errorf("%v: resource %q is taken or not lower case", tm, k.resource)
		}
		resources[k.resource] = true
		Default(obj)
		if *obj.GetTypeMeta() != tm {
			t.Errorf("Default(%T) set TypeMeta %v", obj, *obj.GetTypeMeta())
		}
		for _, e := range Validate(obj) {
			if e.Field == "kind" {
				t.Errorf("Validate has no case for %v: %v", tm, e)
			}
		}
	}
	if !Namespaced(&Pod{}) || Namespaced(&Node{}) || Namespaced(&Namespace{}) || !Namespaced(&Deployment{}) {
		t.Error("Namespaced is wrong for Pod, Node, Namespace or Deployment")
	}
	if Resource(&HorizontalPodAutoscaler{}) != "horizontalpodautoscalers" || Resource(&Endpoints{}) != "endpoints" {
		t.Error("Resource is wrong")
	}
	if len(Kinds()) != len(kinds) {
		t.Errorf("Kinds() has %d kinds, the table %d", len(Kinds()), len(kinds))
	}
	for _, tm := range Kinds() {
		resource, namespaced := ResourceOf(tm)
		if got, ok := KindForResource(tm.APIVersion, resource); !ok || got != tm || namespaced != kinds[tm].namespaced {
			t.Errorf("%v: ResourceOf = %q, %v; KindForResource = %v, %v", tm, resource, namespaced, got, ok)
		}
	}
	if _, ok := KindForResource("v1", "deployments"); ok {
		t.Error(`KindForResource("v1", "deployments") found a kind: deployments are in apps/v1`)
	}
	if r, _ := ResourceOf(KindList); r != "" {
		t.Errorf("ResourceOf(KindList) = %q, want \"\"", r)
	}
}

// A List gives its items, flattened into the objects of the file.
func TestDecodeList(t *testing.T) {
	objs := readExample(t, "list.yaml")
	if len(objs) != 2 {
		t.Fatalf("%d objects, want 2", len(objs))
	}
	if svc, ok := objs[0].(*Service); !ok || svc.Spec.ClusterIP != ClusterIPNone {
		t.Errorf("item 0: %+v", objs[0])
	}
	if d, ok := objs[1].(*Deployment); !ok || d.Name != "hello-list" {
		t.Errorf("item 1: %+v", objs[1])
	}

	in := `apiVersion: v1
kind: Pod
metadata: {name: first}
---
{apiVersion: v1, kind: List, items: []}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: lab}}
- apiVersion: v1
  kind: List
  items:
  - {apiVersion: v1, kind: Node, metadata: {name: node1}}
`
	objs, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.GetTypeMeta().Kind+"/"+o.GetObjectMeta().Name)
	}
	if want := []string{"Pod/first", "Namespace/lab", "Node/node1"}; !reflect.DeepEqual(names, want) {
		t.Errorf("decoded %q, want %q", names, want)
	}
}

// Mistakes in the new kinds get a line and a field path too, also inside
// a List.
func TestDecodeKindErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"unknown field in a deployment's template", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: app
        imagee: hello
`, `line 9: unknown field "imagee" in spec.template.spec.containers[0] (did you mean "image"?)`},
		{"selector in a deployment's template spec", `apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      selector: {}
`, `line 6: unknown field "selector" in spec.template.spec`},
		{"matchLabel", "apiVersion: apps/v1\nkind: ReplicaSet\nspec:\n  selector:\n    matchLabel: {app: web}\n",
			`line 5: unknown field "matchLabel" in spec.selector (did you mean "matchLabels"?)`},
		{"maxSurge as a float", "apiVersion: apps/v1\nkind: Deployment\nspec:\n  strategy:\n    rollingUpdate: {maxSurge: 1.5}\n",
			`line 5: spec.strategy.rollingUpdate.maxSurge: must be an integer or a string like "25%", not "1.5"`},
		{"targetPort as a list", "apiVersion: v1\nkind: Service\nspec:\n  ports:\n  - port: 80\n    targetPort: [80]\n",
			`line 6: spec.ports[0].targetPort: must be an integer or a string like "25%", not a list`},
		{"targetPort too big", "apiVersion: v1\nkind: Service\nspec:\n  ports:\n  - port: 80\n    targetPort: 4294967296\n",
			`line 6: spec.ports[0].targetPort: must be an integer (int32) or a string, not "4294967296"`},
		{"event fields are top-level", "apiVersion: v1\nkind: Event\nspec: {reason: x}\n",
			`line 3: unknown field "spec"`},
		{"capacity as a list", "apiVersion: v1\nkind: Node\nstatus:\n  capacity: [cpu]\n",
			`line 4: status.capacity: must be a mapping (key: value), not a list`},
		{"deletionTimestamp", "apiVersion: v1\nkind: Pod\nmetadata:\n  deletionTimestamp: now\n",
			`line 4: metadata.deletionTimestamp: must be a time like 2024-05-01T12:00:00Z, not "now"`},
		{"controller as a string", "apiVersion: v1\nkind: Pod\nmetadata:\n  ownerReferences:\n  - {kind: ReplicaSet, controller: \"true\"}\n",
			`line 5: metadata.ownerReferences[0].controller: must be true or false, not "true"`},
		{"unknown field in a list item", `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a}
- apiVersion: batch/v1
  kind: Job
  spec:
    completion: 3
`, `line 10: unknown field "completion" in items[1].spec (did you mean "completions"?)`},
		{"unknown kind in a list", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret}\n",
			`line 4: items[0]: unsupported kind "Secret" (podlab supports kinds ` + allKinds + `)`},
		{"list item not a mapping", "apiVersion: v1\nkind: List\nitems:\n- pod\n",
			`line 4: items[0]: a manifest must be a mapping with apiVersion and kind, not "pod"`},
		{"items not a list", "apiVersion: v1\nkind: List\nitems: {a: b}\n",
			`line 3: items: must be a list, not a mapping`},
		{"unknown field in a list", "apiVersion: v1\nkind: List\nitem: []\n",
			`line 3: unknown field "item" (did you mean "items"?)`},
		{"duplicate key in a list item", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  kind: Node\n",
			`line 6: mapping key "kind" already defined at line 5`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("decoded %d objects, want error %q", len(objs), tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n%s\nwant\n%s", err, tt.want)
			}
		})
	}
}
