package api

import (
	"reflect"
	"regexp"
	"testing"
)

func TestSetDefaults(t *testing.T) {
	pod, err := DecodePod([]byte(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  initContainers:
  - {name: setup, image: busybox, ports: [{containerPort: 53, protocol: UDP}, {containerPort: 80}]}
  containers:
  - name: app
    image: busybox
    ports: [{containerPort: 8080}]
    resources:
      limits: {cpu: 500m, memory: 64Mi}
      requests: {cpu: 100m}
`))
	if err != nil {
		t.Fatal(err)
	}
	SetDefaults(pod)

	if pod.Namespace != "default" {
		t.Errorf("namespace %q, want default", pod.Namespace)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(pod.UID) {
		t.Errorf("uid %q is not a version 4 UUID", pod.UID)
	}
	s := pod.Spec
	if s.RestartPolicy != RestartPolicyAlways {
		t.Errorf("restartPolicy %q, want Always", s.RestartPolicy)
	}
	if s.TerminationGracePeriodSeconds == nil || *s.TerminationGracePeriodSeconds != 30 {
		t.Errorf("terminationGracePeriodSeconds %v, want 30", s.TerminationGracePeriodSeconds)
	}
	if s.ShareProcessNamespace == nil || *s.ShareProcessNamespace || pod.SharesPID() {
		t.Errorf("shareProcessNamespace %v, want false", s.ShareProcessNamespace)
	}
	var protocols []Protocol
	for _, c := range pod.AllContainers() {
		for _, p := range c.Ports {
			protocols = append(protocols, p.Protocol)
		}
	}
	if want := []Protocol{"UDP", "TCP", "TCP"}; !reflect.DeepEqual(protocols, want) {
		t.Errorf("protocols %q, want %q", protocols, want)
	}
	// A limit without a request is also the request; a request stays.
	if got, want := s.Containers[0].Resources.RequestList, (ResourceList{"cpu": "100m", "memory": "64Mi"}); !reflect.DeepEqual(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}
	// Left to others: the image tag and the hostname.
	if s.Containers[0].Image != "busybox" || s.Hostname != "" {
		t.Errorf("image %q, hostname %q: want them untouched", s.Containers[0].Image, s.Hostname)
	}
	if errs := ValidatePod(pod); len(errs) > 0 {
		t.Errorf("defaulted pod is invalid:\n%v", errs)
	}

	// Twice is the same as once.
	before := *pod
	SetDefaults(pod)
	if !reflect.DeepEqual(*pod, before) {
		t.Errorf("second SetDefaults changed the pod:\n%+v\n%+v", *pod, before)
	}
}

func TestSetDefaultsKeepsValues(t *testing.T) {
	p := &Pod{
		ObjectMeta: ObjectMeta{Name: "a", Namespace: "lab", UID: "given"},
		Spec: PodSpec{
			RestartPolicy:                 RestartPolicyNever,
			TerminationGracePeriodSeconds: new(int64(0)),
			ShareProcessNamespace:         new(true),
			Containers:                    []Container{{Name: "a", Image: "busybox"}},
		},
	}
	SetDefaults(p)
	if p.Kind != "Pod" || p.APIVersion != "v1" || p.Namespace != "lab" || p.UID != "given" ||
		p.Spec.RestartPolicy != RestartPolicyNever || *p.Spec.TerminationGracePeriodSeconds != 0 || !p.SharesPID() {
		t.Errorf("SetDefaults changed given values: %+v", p)
	}
	if p.Spec.Containers[0].Resources.RequestList != nil {
		t.Errorf("requests %v, want none", p.Spec.Containers[0].Resources.RequestList)
	}
}

func TestNewUIDIsRandom(t *testing.T) {
	if a, b := newUID(), newUID(); a == b {
		t.Errorf("two UIDs are both %q", a)
	}
}
