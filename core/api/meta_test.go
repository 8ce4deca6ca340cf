package api

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestIntOrString(t *testing.T) {
	for _, tt := range []struct {
		json string
		v    IntOrString
	}{{`8080`, FromInt32(8080)}, {`"http"`, FromString("http")}, {`"25%"`, FromString("25%")}, {`0`, FromInt32(0)}} {
		var v IntOrString
		if err := json.Unmarshal([]byte(tt.json), &v); err != nil || v != tt.v {
			t.Errorf("Unmarshal(%s) = %+v, %v; want %+v", tt.json, v, err, tt.v)
		}
		if out, _ := json.Marshal(tt.v); string(out) != tt.json {
			t.Errorf("Marshal(%+v) = %s, want %s", tt.v, out, tt.json)
		}
	}
	var v IntOrString
	if err := json.Unmarshal([]byte(`1.5`), &v); err == nil {
		t.Error("1.5 was accepted")
	}
	if !FromInt32(0).IsZero() || !FromString("").IsZero() || FromString("0").IsZero() {
		t.Error("IsZero is wrong")
	}
}

// The rounding of SEMANTICS.md §6.2: maxSurge up, maxUnavailable down.
func TestScaledValue(t *testing.T) {
	quarter := FromString("25%")
	for _, tt := range []struct{ replicas, surge, unavailable int }{
		{0, 0, 0}, {1, 1, 0}, {3, 1, 0}, {4, 1, 1}, {10, 3, 2},
	} {
		surge, err1 := quarter.ScaledValue(tt.replicas, true)
		unavailable, err2 := quarter.ScaledValue(tt.replicas, false)
		if surge != tt.surge || unavailable != tt.unavailable || err1 != nil || err2 != nil {
			t.Errorf("25%% of %d: surge %d, unavailable %d; want %d, %d", tt.replicas, surge, unavailable, tt.surge, tt.unavailable)
		}
	}
	if n, err := FromInt32(3).ScaledValue(100, true); n != 3 || err != nil {
		t.Errorf("3 scaled = %d, %v", n, err)
	}
	for _, bad := range []string{"25", "x%", "-5%", "+5%", "1.5%"} {
		if _, err := FromString(bad).ScaledValue(10, true); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestControllerRef(t *testing.T) {
	rs := &ReplicaSet{ObjectMeta: ObjectMeta{Name: "web-5d8f", Namespace: "lab", UID: "u-rs"}}
	ref := NewControllerRef(rs, KindReplicaSet)
	want := OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d8f", UID: "u-rs",
		Controller: new(true), BlockOwnerDeletion: new(true)}
	if !reflect.DeepEqual(ref, want) {
		t.Errorf("NewControllerRef = %+v", ref)
	}

	pod := &Pod{ObjectMeta: ObjectMeta{OwnerReferences: []OwnerReference{
		{Kind: "Node", Name: "n1"}, {Kind: "Other", Name: "o", Controller: new(false)}, ref}}}
	got := GetControllerOf(pod)
	if got == nil || !reflect.DeepEqual(*got, ref) {
		t.Errorf("GetControllerOf = %+v", got)
	}
	got.Name = "changed" // a copy: the pod keeps its reference
	if pod.OwnerReferences[2].Name != "web-5d8f" {
		t.Error("GetControllerOf returned the pod's own reference")
	}
	if GetControllerOf(&Pod{}) != nil || GetControllerOf(&Pod{ObjectMeta: ObjectMeta{OwnerReferences: pod.OwnerReferences[:2]}}) != nil {
		t.Error("GetControllerOf found a controller where there is none")
	}
}

func TestNewPodFromTemplate(t *testing.T) {
	rs := validExample(t, "replicaset.yaml").(*ReplicaSet)
	rs.Spec.Template.Annotations = map[string]string{"note": "x"}
	pod := rs.Spec.Template.NewPod(rs, KindReplicaSet)
	if pod.TypeMeta != KindPod || pod.GenerateName != "hello-rs-" || pod.Name != "" || pod.Namespace != "default" ||
		pod.Labels["tier"] != "frontend" || pod.Annotations["note"] != "x" || pod.UID != "" {
		t.Errorf("pod %+v", pod.ObjectMeta)
	}
	if ref := GetControllerOf(pod); ref == nil || ref.UID != rs.UID || ref.Kind != "ReplicaSet" {
		t.Errorf("controller %+v", ref)
	}
	if !reflect.DeepEqual(pod.Spec, rs.Spec.Template.Spec) {
		t.Errorf("spec %+v", pod.Spec)
	}
	// The pod shares nothing with the template.
	pod.Labels["tier"] = "changed"
	pod.Spec.Containers[0].Image = "changed"
	pod.Spec.Containers[0].Ports[0].ContainerPort = 1
	if rs.Spec.Template.Labels["tier"] != "frontend" || rs.Spec.Template.Spec.Containers[0].Image != "hello" ||
		rs.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort != 8080 {
		t.Error("the pod shares memory with the template")
	}
	Default(pod)
	pod.Name = "hello-rs-x2x7q"
	if errs := Validate(pod); len(errs) > 0 {
		t.Errorf("pod from template is invalid: %v", errs)
	}
}

func TestDeepCopy(t *testing.T) {
	d := validExample(t, "deployment.yaml").(*Deployment)
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	d.DeletionTimestamp = &now
	d.Status.Conditions = []DeploymentCondition{{Type: DeploymentAvailable, Status: ConditionTrue, LastUpdateTime: now}}
	c := DeepCopy(d)
	if !reflect.DeepEqual(c, d) {
		t.Fatalf("copy\n%+v\nwant\n%+v", c, d)
	}
	*c.Spec.Replicas = 9
	*c.Spec.Strategy.RollingUpdate.MaxSurge = FromInt32(7)
	c.Spec.Selector.MatchLabels["app"] = "x"
	c.Status.Conditions[0].Reason = "x"
	if *d.Spec.Replicas != 4 || *d.Spec.Strategy.RollingUpdate.MaxSurge != FromInt32(1) ||
		d.Spec.Selector.MatchLabels["app"] != "web" || d.Status.Conditions[0].Reason != "" {
		t.Error("the copy shares memory with the original")
	}
}

func TestToleratesTaint(t *testing.T) {
	taint := Taint{Key: TaintNodeUnreachable, Effect: TaintEffectNoExecute}
	for _, tt := range []struct {
		tol  Toleration
		want bool
	}{
		{Toleration{Operator: TolerationOpExists}, true},
		{Toleration{Key: TaintNodeUnreachable, Operator: TolerationOpExists}, true},
		{Toleration{Key: TaintNodeUnreachable, Operator: TolerationOpExists, Effect: TaintEffectNoSchedule}, false},
		{Toleration{Key: TaintNodeNotReady, Operator: TolerationOpExists}, false},
		{Toleration{Key: TaintNodeUnreachable}, true}, // Equal, both values ""
		{Toleration{Key: TaintNodeUnreachable, Value: "x"}, false},
	} {
		if got := tt.tol.ToleratesTaint(&taint); got != tt.want {
			t.Errorf("%+v tolerates %+v = %v, want %v", tt.tol, taint, got, tt.want)
		}
	}
}
