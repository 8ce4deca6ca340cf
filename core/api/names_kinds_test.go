package api

import (
	"slices"
	"testing"
)

func TestKindFor(t *testing.T) {
	tests := []struct {
		name string
		want TypeMeta
	}{
		{"pods", KindPod}, {"pod", KindPod}, {"po", KindPod}, {"Pod", KindPod}, {"PODS", KindPod},
		{"nodes", KindNode}, {"no", KindNode},
		{"namespaces", KindNamespace}, {"ns", KindNamespace},
		{"events", KindEvent}, {"ev", KindEvent},
		{"services", KindService}, {"svc", KindService},
		{"endpoints", KindEndpoints}, {"ep", KindEndpoints},
		{"replicationcontrollers", KindReplicationController}, {"rc", KindReplicationController},
		{"persistentvolumeclaims", KindPersistentVolumeClaim}, {"pvc", KindPersistentVolumeClaim},
		{"replicasets", KindReplicaSet}, {"rs", KindReplicaSet},
		{"deployments", KindDeployment}, {"deployment", KindDeployment}, {"deploy", KindDeployment},
		{"Deployment", KindDeployment}, {"deployment.apps", KindDeployment}, {"deployments.apps", KindDeployment},
		{"statefulsets", KindStatefulSet}, {"sts", KindStatefulSet},
		{"daemonsets", KindDaemonSet}, {"ds", KindDaemonSet},
		{"jobs", KindJob}, {"job.batch", KindJob},
		{"cronjobs", KindCronJob}, {"cj", KindCronJob},
		{"horizontalpodautoscalers", KindHorizontalPodAutoscaler}, {"hpa", KindHorizontalPodAutoscaler},
		{"horizontalpodautoscaler.autoscaling", KindHorizontalPodAutoscaler},
	}
	for _, tt := range tests {
		got, ok := KindFor(tt.name)
		if !ok || got != tt.want {
			t.Errorf("KindFor(%q) = %v, %v; want %v", tt.name, got, ok, tt.want)
		}
	}
	for _, name := range []string{"", "pdos", "deploy.batch", "pod.core", "list", "apps", "deployment.apps/v1"} {
		if got, ok := KindFor(name); ok {
			t.Errorf("KindFor(%q) = %v; want no kind", name, got)
		}
	}
}

// KindName is what kubectl prints, and KindFor reads it back for every kind.
func TestKindName(t *testing.T) {
	if got := KindName(KindPod); got != "pod" {
		t.Errorf("KindName(Pod) = %q", got)
	}
	if got := KindName(KindDeployment); got != "deployment.apps" {
		t.Errorf("KindName(Deployment) = %q", got)
	}
	for tm := range kinds {
		if got, ok := KindFor(KindName(tm)); !ok || got != tm {
			t.Errorf("KindFor(KindName(%v)) = %v, %v", tm, got, ok)
		}
	}
}

func TestResourceNames(t *testing.T) {
	names := ResourceNames()
	if len(names) != len(kinds) || !slices.IsSorted(names) || !slices.Contains(names, "deployments") {
		t.Errorf("ResourceNames() = %v", names)
	}
}
