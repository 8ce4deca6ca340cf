package scheduler

import (
	"strings"
	"testing"

	"github.com/podlab/podlab/core/api"
)

// cpu is a request of CPU only, to keep the vectors short.
func cpu(millis int64) Request { return Request{CPU: millis} }

func regular(r Request) initRequest { return initRequest{Request: r} }
func sidecar(r Request) initRequest { return initRequest{Request: r, sidecar: true} }

// The formula of SEMANTICS.md §15, fed parsed requests.
func TestEffectiveRequest(t *testing.T) {
	tests := []struct {
		name  string
		app   []Request
		inits []initRequest
		want  Request
	}{
		// The worked examples of SEMANTICS.md §15.
		{"§15: init larger than the app containers", []Request{cpu(100), cpu(200)},
			[]initRequest{regular(cpu(500))}, cpu(500)},
		{"§15: sidecar then init", []Request{cpu(300)},
			[]initRequest{sidecar(cpu(50)), regular(cpu(400))}, cpu(450)},
		{"§15: init then sidecar, order matters", []Request{cpu(300)},
			[]initRequest{regular(cpu(400)), sidecar(cpu(50))}, cpu(400)},

		{"nothing requested", nil, nil, Request{}},
		{"app containers add up", []Request{{100, 64 << 20}, {200, 32 << 20}}, nil, Request{300, 96 << 20}},
		{"init containers do not add up", []Request{cpu(100)},
			[]initRequest{regular(cpu(400)), regular(cpu(300))}, cpu(400)},
		{"init smaller than the app", []Request{cpu(600)}, []initRequest{regular(cpu(500))}, cpu(600)},
		{"each resource takes its own maximum", []Request{{100, 512 << 20}},
			[]initRequest{regular(Request{800, 64 << 20})}, Request{800, 512 << 20}},
		{"sidecars run with the app", []Request{cpu(300)},
			[]initRequest{sidecar(cpu(50)), sidecar(cpu(25))}, cpu(375)},
		{"init beside two sidecars", []Request{cpu(100)},
			[]initRequest{sidecar(cpu(50)), sidecar(cpu(25)), regular(cpu(400))}, cpu(475)},
		{"sidecars alone outgrow the app", nil, []initRequest{sidecar(cpu(200)), sidecar(cpu(300))}, cpu(500)},
	}
	for _, tt := range tests {
		if got := effectiveRequest(tt.app, tt.inits); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// container returns a container with the given requests; "" requests nothing.
func container(name, cpu, memory string) api.Container {
	c := api.Container{Name: name, Image: "busybox"}
	if cpu != "" || memory != "" {
		c.Resources.RequestList = api.ResourceList{}
	}
	if cpu != "" {
		c.Resources.RequestList[api.ResourceCPU] = cpu
	}
	if memory != "" {
		c.Resources.RequestList[api.ResourceMemory] = memory
	}
	return c
}

// pod returns a pod in namespace default with the given app containers.
func pod(name string, containers ...api.Container) *api.Pod {
	p := &api.Pod{Spec: api.PodSpec{Containers: containers}}
	p.Name, p.Namespace = name, api.NamespaceDefault
	return p
}

// sidecarContainer makes c a native sidecar (restartPolicy: Always).
func sidecarContainer(c api.Container) api.Container {
	c.RestartPolicy = new(api.ContainerRestartPolicyAlways)
	return c
}

func withInit(p *api.Pod, inits ...api.Container) *api.Pod {
	p.Spec.InitContainers = inits
	return p
}

func TestPodRequest(t *testing.T) {
	tests := []struct {
		name string
		pod  *api.Pod
		want Request
	}{
		{"no requests count 0", pod("p", container("a", "", "")), Request{}},
		{"app containers add up", pod("p", container("a", "100m", "64Mi"), container("b", "0.2", "32Mi")),
			Request{300, 96 << 20}},
		// SEMANTICS.md §15, first vector, written as a pod.
		{"init larger than the app containers", withInit(pod("p", container("a", "100m", ""), container("b", "200m", "")),
			container("c", "500m", "")), Request{CPU: 500}},
		{"init memory larger, app cpu larger", withInit(pod("p", container("a", "1", "64Mi")),
			container("setup", "250m", "1Gi")), Request{1000, 1 << 30}},
		{"init containers are regular by default", withInit(pod("p", container("a", "300m", "")),
			container("s", "50m", ""), container("c", "400m", "")), Request{CPU: 400}},
		// SEMANTICS.md §15, second vector, written as a pod.
		{"sidecar then init", withInit(pod("p", container("a", "300m", "")),
			sidecarContainer(container("s", "50m", "")), container("c", "400m", "")), Request{CPU: 450}},
	}
	for _, tt := range tests {
		got, err := PodRequest(tt.pod)
		if err != nil || got != tt.want {
			t.Errorf("%s: PodRequest = %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}

func TestPodRequestError(t *testing.T) {
	p := withInit(pod("p", container("app", "100m", "")), container("setup", "lots", ""))
	_, err := PodRequest(p)
	if want := `container "setup": invalid CPU quantity "lots"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("PodRequest: error %v, want it to contain %q", err, want)
	}
}
