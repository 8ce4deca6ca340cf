package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/podlab/podlab/core/api"
)

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-5 * time.Second, "<invalid>"},
		{-500 * time.Millisecond, "0s"},
		{0, "0s"},
		{45 * time.Second, "45s"},
		{119 * time.Second, "119s"},
		{2 * time.Minute, "2m"},
		{3*time.Minute + 20*time.Second, "3m20s"},
		{10*time.Minute + 5*time.Second, "10m"},
		{179 * time.Minute, "179m"},
		{3 * time.Hour, "3h"},
		{5*time.Hour + 30*time.Minute, "5h30m"},
		{30 * time.Hour, "30h"},
		{51 * time.Hour, "2d3h"},
		{72 * time.Hour, "3d"},
		{10 * 24 * time.Hour, "10d"},
		{(2*365 + 20) * 24 * time.Hour, "2y20d"},
		{9 * 365 * 24 * time.Hour, "9y"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	if got := age(time.Time{}, time.Now()); got != "<unknown>" {
		t.Errorf("age of the zero time = %q", got)
	}
}

func TestPodStatus(t *testing.T) {
	now := time.Now()
	running := api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: now}}
	waiting := func(reason string) api.ContainerState {
		return api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: reason}}
	}
	terminated := func(code int32, reason string) api.ContainerState {
		return api.ContainerState{Terminated: &api.ContainerStateTerminated{ExitCode: code, Reason: reason}}
	}
	pod := func(phase api.PodPhase, inits int, initStatuses []api.ContainerStatus, statuses ...api.ContainerStatus) *api.Pod {
		p := &api.Pod{Status: api.PodStatus{Phase: phase, InitContainerStatuses: initStatuses, ContainerStatuses: statuses}}
		p.Spec.InitContainers = make([]api.Container, inits)
		p.Spec.Containers = make([]api.Container, len(statuses))
		return p
	}
	deleting := pod(api.PodRunning, 0, nil, api.ContainerStatus{State: running, Ready: true})
	deleting.DeletionTimestamp = &now
	sidecarPod := pod(api.PodRunning, 1, []api.ContainerStatus{{Name: "collector", State: running, Ready: true, Started: new(true)}},
		api.ContainerStatus{Name: "app", State: running, Ready: true})
	sidecarPod.Spec.InitContainers[0] = api.Container{Name: "collector", RestartPolicy: new(api.ContainerRestartPolicyAlways)}
	evicted := pod(api.PodFailed, 0, nil)
	evicted.Status.Reason = "Evicted"

	tests := []struct {
		name string
		pod  *api.Pod
		want string
	}{
		{"no status yet", pod("", 0, nil), "Pending"},
		{"running", pod(api.PodRunning, 0, nil, api.ContainerStatus{State: running, Ready: true}), "Running"},
		{"creating", pod(api.PodPending, 0, nil, api.ContainerStatus{State: waiting("ContainerCreating")}), "ContainerCreating"},
		{"crash loop", pod(api.PodRunning, 0, nil, api.ContainerStatus{State: waiting("CrashLoopBackOff")}), "CrashLoopBackOff"},
		{"completed", pod(api.PodSucceeded, 0, nil, api.ContainerStatus{State: terminated(0, "Completed")}), "Completed"},
		{"exit code", pod(api.PodFailed, 0, nil, api.ContainerStatus{State: terminated(3, "")}), "ExitCode:3"},
		{"one done, one running", pod(api.PodRunning, 0, nil,
			api.ContainerStatus{State: terminated(0, "Completed")}, api.ContainerStatus{State: running, Ready: true}), "NotReady"},
		{"init running", pod(api.PodPending, 2, []api.ContainerStatus{{State: terminated(0, "Completed")}, {State: running}},
			api.ContainerStatus{State: waiting("PodInitializing")}), "Init:1/2"},
		{"sidecar started", sidecarPod, "Running"},
		{"init failed", pod(api.PodPending, 1, []api.ContainerStatus{{State: terminated(1, "Error")}}), "Init:Error"},
		{"init crash loop", pod(api.PodPending, 1, []api.ContainerStatus{{State: waiting("CrashLoopBackOff")}}), "Init:CrashLoopBackOff"},
		{"evicted", evicted, "Evicted"},
		{"terminating", deleting, "Terminating"},
	}
	for _, tt := range tests {
		if got := podStatus(tt.pod); got != tt.want {
			t.Errorf("%s: podStatus = %q, want %q", tt.name, got, tt.want)
		}
	}
	if cells, _ := podCells(sidecarPod, now); cells[0] != "2/2" {
		t.Errorf("READY of a pod with a running sidecar and app = %q, want 2/2", cells[0])
	}
}

// Each kind has kubectl's columns, and each row as many cells.
func TestRows(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	created := api.ObjectMeta{Name: "web", Namespace: "lab", CreationTimestamp: now.Add(-90 * time.Second), Labels: map[string]string{"app": "web"}}
	replicas := new(int32(3))
	sel := &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	tmpl := api.PodTemplateSpec{Spec: api.PodSpec{Containers: []api.Container{{Name: "app", Image: "hello:v1"}}}}
	lastExit := now.Add(-2 * time.Minute)

	tests := []struct {
		obj  api.Object
		wide bool
		want [][]string // the header, then the row
	}{
		{&api.Pod{ObjectMeta: created, Spec: api.PodSpec{NodeName: "node1", Containers: make([]api.Container, 2)},
			Status: api.PodStatus{Phase: api.PodRunning, PodIP: "10.244.1.5", ContainerStatuses: []api.ContainerStatus{
				{Ready: true, State: api.ContainerState{Running: &api.ContainerStateRunning{}}, RestartCount: 2,
					LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: lastExit}}},
				{State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
			}}}, true,
			[][]string{{"NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"},
				{"web", "1/2", "Running", "2 (2m ago)", "90s", "10.244.1.5", "node1"}}},
		{&api.Node{ObjectMeta: api.ObjectMeta{Name: "node1", CreationTimestamp: now.Add(-51 * time.Hour),
			Labels: map[string]string{"node-role.kubernetes.io/control-plane": ""}},
			Spec: api.NodeSpec{Unschedulable: true},
			Status: api.NodeStatus{Conditions: []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue}},
				Addresses: []api.NodeAddress{{Type: api.NodeInternalIP, Address: "192.168.56.11"}},
				NodeInfo:  api.NodeSystemInfo{KubeletVersion: "v0.1.0", OSImage: "Debian 12"}}}, true,
			[][]string{{"NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"},
				{"node1", "Ready,SchedulingDisabled", "control-plane", "2d3h", "v0.1.0", "192.168.56.11", "<none>", "Debian 12", "<none>", "<none>"}}},
		{&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "lab", CreationTimestamp: now.Add(-time.Hour)}, Status: api.NamespaceStatus{Phase: api.NamespaceActive}}, false,
			[][]string{{"NAME", "STATUS", "AGE"}, {"lab", "Active", "60m"}}},
		{&api.Deployment{ObjectMeta: created, Spec: api.DeploymentSpec{Replicas: replicas, Selector: sel, Template: tmpl},
			Status: api.DeploymentStatus{ReadyReplicas: 2, UpdatedReplicas: 3, AvailableReplicas: 2}}, true,
			[][]string{{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"},
				{"web", "2/3", "3", "2", "90s", "app", "hello:v1", "app=web"}}},
		{&api.ReplicaSet{ObjectMeta: created, Spec: api.ReplicaSetSpec{Replicas: replicas},
			Status: api.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 1}}, false,
			[][]string{{"NAME", "DESIRED", "CURRENT", "READY", "AGE"}, {"web", "3", "3", "1", "90s"}}},
		{&api.ReplicationController{ObjectMeta: created, Spec: api.ReplicationControllerSpec{Replicas: replicas},
			Status: api.ReplicaSetStatus{Replicas: 2}}, false,
			[][]string{{"NAME", "DESIRED", "CURRENT", "READY", "AGE"}, {"web", "3", "2", "0", "90s"}}},
		{&api.StatefulSet{ObjectMeta: created, Spec: api.StatefulSetSpec{Replicas: replicas}, Status: api.StatefulSetStatus{ReadyReplicas: 3}}, false,
			[][]string{{"NAME", "READY", "AGE"}, {"web", "3/3", "90s"}}},
		{&api.DaemonSet{ObjectMeta: created, Spec: api.DaemonSetSpec{Template: api.PodTemplateSpec{Spec: api.PodSpec{NodeSelector: map[string]string{"disk": "ssd"}}}},
			Status: api.DaemonSetStatus{DesiredNumberScheduled: 2, CurrentNumberScheduled: 2, NumberReady: 1, UpdatedNumberScheduled: 2, NumberAvailable: 1}}, false,
			[][]string{{"NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"},
				{"web", "2", "2", "1", "2", "1", "disk=ssd", "90s"}}},
		{&api.Job{ObjectMeta: created, Spec: api.JobSpec{Completions: replicas},
			Status: api.JobStatus{Succeeded: 3, StartTime: now.Add(-time.Minute), CompletionTime: now.Add(-30 * time.Second),
				Conditions: []api.JobCondition{{Type: api.JobComplete, Status: api.ConditionTrue}}}}, false,
			[][]string{{"NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"}, {"web", "Complete", "3/3", "30s", "90s"}}},
		{&api.Job{ObjectMeta: created, Spec: api.JobSpec{Parallelism: replicas}, Status: api.JobStatus{Active: 3, StartTime: now.Add(-10 * time.Second)}}, false,
			[][]string{{"NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"}, {"web", "Running", "0/1 of 3", "10s", "90s"}}},
		{&api.CronJob{ObjectMeta: created, Spec: api.CronJobSpec{Schedule: "*/5 * * * *", Suspend: new(false)},
			Status: api.CronJobStatus{Active: []api.ObjectReference{{Name: "web-1"}}, LastScheduleTime: now.Add(-time.Minute)}}, false,
			[][]string{{"NAME", "SCHEDULE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"}, {"web", "*/5 * * * *", "False", "1", "60s", "90s"}}},
		{&api.Service{ObjectMeta: created, Spec: api.ServiceSpec{Type: api.ServiceTypeNodePort, ClusterIP: "10.96.0.10", Selector: map[string]string{"app": "web"},
			Ports: []api.ServicePort{{Port: 80, NodePort: 30080, Protocol: api.ProtocolTCP}, {Port: 53, Protocol: api.ProtocolUDP}}}}, true,
			[][]string{{"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"},
				{"web", "NodePort", "10.96.0.10", "<none>", "80:30080/TCP,53/UDP", "90s", "app=web"}}},
		{&api.Endpoints{ObjectMeta: created, Subsets: []api.EndpointSubset{{
			Addresses: []api.EndpointAddress{{IP: "10.244.1.5"}, {IP: "10.244.2.7"}}, Ports: []api.EndpointPort{{Port: 8080}, {Port: 9090}}}}}, false,
			[][]string{{"NAME", "ENDPOINTS", "AGE"}, {"web", "10.244.1.5:8080,10.244.1.5:9090,10.244.2.7:8080 + 1 more...", "90s"}}},
		{&api.Endpoints{ObjectMeta: created}, false, [][]string{{"NAME", "ENDPOINTS", "AGE"}, {"web", "<none>", "90s"}}},
		{&api.Event{ObjectMeta: created, Type: api.EventTypeWarning, Reason: "BackOff", Message: "Back-off restarting\n",
			InvolvedObject: api.ObjectReference{Kind: "Pod", Name: "web-1"}, Count: 4,
			FirstTimestamp: now.Add(-10 * time.Minute), LastTimestamp: now.Add(-5 * time.Second)}, false,
			[][]string{{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"},
				{"5s (x4 over 10m)", "Warning", "BackOff", "pod/web-1", "Back-off restarting"}}},
		{&api.HorizontalPodAutoscaler{ObjectMeta: created, Spec: api.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: api.CrossVersionObjectReference{Kind: "Deployment", Name: "web"}, MaxReplicas: 10,
			Metrics: []api.MetricSpec{{Type: api.ResourceMetricSourceType, Resource: &api.ResourceMetricSource{Name: "cpu",
				Target: api.MetricTarget{Type: api.UtilizationMetricType, AverageUtilization: new(int32(50))}}}}},
			Status: api.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, CurrentMetrics: []api.MetricStatus{{Type: api.ResourceMetricSourceType,
				Resource: &api.ResourceMetricStatus{Name: "cpu", Current: api.MetricValueStatus{AverageUtilization: new(int32(30))}}}}}}, false,
			[][]string{{"NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"},
				{"web", "Deployment/web", "cpu: 30%/50%", "1", "10", "2", "90s"}}},
		{&api.PersistentVolumeClaim{ObjectMeta: created, Spec: api.PersistentVolumeClaimSpec{VolumeName: "pv-1"},
			Status: api.PersistentVolumeClaimStatus{Phase: api.ClaimBound, AccessModes: []api.PersistentVolumeAccessMode{api.ReadWriteOnce},
				Capacity: api.ResourceList{"storage": "1Gi"}}}, false,
			[][]string{{"NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "AGE"}, {"web", "Bound", "pv-1", "1Gi", "RWO", "90s"}}},
	}
	for _, tt := range tests {
		o := printOptions{wide: tt.wide, now: now}
		got := [][]string{header(api.KindOf(tt.obj), o), row(tt.obj, o)}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%T:\n got %q\nwant %q", tt.obj, got, tt.want)
		}
	}
}

// -A adds a NAMESPACE column for the kinds in namespaces, --show-labels
// a LABELS column.
func TestRowOptions(t *testing.T) {
	now := time.Now()
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "lab", CreationTimestamp: now,
		Labels: map[string]string{"tier": "fe", "app": "web"}}}
	o := printOptions{allNamespaces: true, showLabels: true, now: now}
	if got := header(api.KindPod, o); !reflect.DeepEqual(got, []string{"NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"}) {
		t.Errorf("header %q", got)
	}
	if got := row(pod, o); !reflect.DeepEqual(got, []string{"lab", "web", "0/0", "Pending", "0", "0s", "app=web,tier=fe"}) {
		t.Errorf("row %q", got)
	}
	node := &api.Node{ObjectMeta: api.ObjectMeta{Name: "node1", CreationTimestamp: now}}
	if got := header(api.KindNode, o); got[0] != "NAME" {
		t.Errorf("nodes have no namespace, yet the header is %q", got)
	}
	if got := row(node, o); got[0] != "node1" {
		t.Errorf("node row %q", got)
	}
}

// Columns are three spaces apart, and the rows "get -w" adds later line
// up with the first ones.
func TestTable(t *testing.T) {
	var b bytes.Buffer
	tbl := &table{w: &b}
	tbl.print([]string{"NAME", "READY", "STATUS"}, []string{"web-1", "1/1", "Running"})
	tbl.print([]string{"w", "0/1", "Pending"})
	want := "NAME    READY   STATUS\n" +
		"web-1   1/1     Running\n" +
		"w       0/1     Pending\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// YAML output keeps the field order of the Go types and quotes strings
// that would read as something else, also to kubectl's YAML 1.1, so that
// Decode reads it back.
func TestPrintObjectsYAML(t *testing.T) {
	svc := &api.Service{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "12",
		Labels: map[string]string{"version": "1.0", "on": "true"}},
		Spec: api.ServiceSpec{Ports: []api.ServicePort{{Name: "http", Port: 80, TargetPort: api.FromString("8080")}}}}
	var b bytes.Buffer
	if err := printObjects(&b, []api.Object{svc}, outputYAML, true); err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
  resourceVersion: "12"
  labels:
    "on": "true"
    version: "1.0"
spec:
  ports:
  - name: http
    port: 80
    targetPort: "8080"
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	objs, err := api.Decode(b.Bytes())
	if err != nil || len(objs) != 1 || !reflect.DeepEqual(objs[0], svc) {
		t.Errorf("Decode gives %#v, %v", objs, err)
	}

	// Several objects are a List, which Decode reads back too.
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "db"}}
	b.Reset()
	if err := printObjects(&b, []api.Object{svc, pod}, outputYAML, false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n") {
		t.Errorf("list:\n%s", b.String())
	}
	if objs, err := api.Decode(b.Bytes()); err != nil || len(objs) != 2 {
		t.Errorf("Decode of the list: %d objects, %v", len(objs), err)
	}

	b.Reset()
	printObjects(&b, []api.Object{svc, pod}, outputName, false)
	if b.String() != "service/web\npod/db\n" {
		t.Errorf("-o name: %q", b.String())
	}
	b.Reset()
	printObjects(&b, []api.Object{pod}, outputJSON, true)
	if !strings.HasPrefix(b.String(), "{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"Pod\",\n") {
		t.Errorf("-o json: %q", b.String())
	}
}
