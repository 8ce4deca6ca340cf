package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestAllContainers(t *testing.T) {
	p := &Pod{Spec: PodSpec{
		InitContainers: []Container{{Name: "i1"}, {Name: "i2"}},
		Containers:     []Container{{Name: "a1"}},
	}}
	var names []string
	for _, c := range p.AllContainers() {
		names = append(names, c.Name)
	}
	if want := []string{"i1", "i2", "a1"}; !reflect.DeepEqual(names, want) {
		t.Errorf("AllContainers: %q, want %q", names, want)
	}
	// The result is a new slice: appending to it leaves the pod alone.
	_ = append(p.AllContainers()[:1], Container{Name: "x"})
	if p.Spec.InitContainers[1].Name != "i2" {
		t.Error("AllContainers shares memory with the spec")
	}
}

func TestResourceLimits(t *testing.T) {
	tests := []struct {
		list          ResourceList
		cpu, mem      int64
		wantErrSubstr string
	}{
		{nil, 0, 0, ""},
		{ResourceList{"cpu": "500m"}, 500, 0, ""},
		{ResourceList{"memory": "64Mi"}, 0, 64 << 20, ""},
		{ResourceList{"cpu": "2", "memory": "1G"}, 2000, 1e9, ""},
		{ResourceList{"cpu": "fast"}, 0, 0, `invalid CPU quantity "fast"`},
		{ResourceList{"memory": "64MB"}, 0, 0, `invalid memory quantity "64MB"`},
	}
	for _, tt := range tests {
		cpu, mem, err := ResourceRequirements{LimitList: tt.list}.Limits()
		if tt.wantErrSubstr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErrSubstr) {
				t.Errorf("Limits() of %v: error %v, want %q", tt.list, err, tt.wantErrSubstr)
			}
			continue
		}
		if err != nil || cpu != tt.cpu || mem != tt.mem {
			t.Errorf("Limits() of %v = %d, %d, %v; want %d, %d", tt.list, cpu, mem, err, tt.cpu, tt.mem)
		}
	}
	r := ResourceRequirements{LimitList: ResourceList{"cpu": "1"}, RequestList: ResourceList{"cpu": "250m", "memory": "1Ki"}}
	if cpu, mem, err := r.Requests(); cpu != 250 || mem != 1024 || err != nil {
		t.Errorf("Requests() = %d, %d, %v; want 250, 1024", cpu, mem, err)
	}
}

// Quantities may be JSON numbers, as in Kubernetes; the pod writes them
// back as strings.
func TestResourceListJSON(t *testing.T) {
	var r ResourceRequirements
	if err := json.Unmarshal([]byte(`{"limits": {"cpu": 1, "memory": "64Mi"}, "requests": {"cpu": 0.25}}`), &r); err != nil {
		t.Fatal(err)
	}
	want := ResourceRequirements{LimitList: ResourceList{"cpu": "1", "memory": "64Mi"}, RequestList: ResourceList{"cpu": "0.25"}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("decoded %v, want %v", r, want)
	}
	out, _ := json.Marshal(r)
	if got := string(out); got != `{"limits":{"cpu":"1","memory":"64Mi"},"requests":{"cpu":"0.25"}}` {
		t.Errorf("encoded %s", got)
	}
	if err := json.Unmarshal([]byte(`{"limits": {"cpu": true}}`), &r); err == nil {
		t.Error("a boolean quantity was accepted")
	}
}

// A pod written as JSON keeps the Kubernetes field names and leaves out
// what is empty, and decodes back to the same pod.
func TestPodJSONRoundTrip(t *testing.T) {
	p := validPod()
	p.UID = "u1"
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default","uid":"u1","labels":{"app":"web"}},` +
		`"spec":{"volumes":[{"name":"data","emptyDir":{}}],"containers":[{"name":"app","image":"busybox",` +
		`"ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],"volumeMounts":[{"name":"data","mountPath":"/data"}]}],` +
		`"restartPolicy":"Always","terminationGracePeriodSeconds":30,"shareProcessNamespace":false}}`
	if string(out) != want {
		t.Errorf("JSON\n%s\nwant\n%s", out, want)
	}
	back, err := DecodePod(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, p) {
		t.Errorf("round trip\n%+v\nwant\n%+v", back, p)
	}
}
