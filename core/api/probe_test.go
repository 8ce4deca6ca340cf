package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// probesManifest sets every field of the probes and hooks, as a
// Kubernetes manifest would.
const probesManifest = `
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  initContainers:
  - name: proxy
    image: busybox
    restartPolicy: Always
    readinessProbe:
      tcpSocket: {port: 15000, host: 127.0.0.1}
  containers:
  - name: app
    image: hello
    ports: [{name: http, containerPort: 8080}]
    startupProbe:
      httpGet:
        path: /started
        port: http
        host: 10.244.0.9
        scheme: HTTP
        httpHeaders: [{name: X-Probe, value: startup}]
      initialDelaySeconds: 2
      periodSeconds: 3
      timeoutSeconds: 4
      successThreshold: 1
      failureThreshold: 30
      terminationGracePeriodSeconds: 5
    livenessProbe:
      exec: {command: [cat, /tmp/healthy]}
    readinessProbe:
      httpGet: {port: 8080}
      successThreshold: 2
    lifecycle:
      postStart:
        exec: {command: [sh, -c, "echo started > /tmp/started"]}
      preStop:
        sleep: {seconds: 5}
  - name: side
    image: busybox
    lifecycle:
      preStop:
        httpGet: {path: /quit, port: 9090, httpHeaders: [{name: Authorization, value: "Bearer x"}]}
`

func TestDecodeProbesAndHooks(t *testing.T) {
	pod, err := DecodePod([]byte(probesManifest))
	if err != nil {
		t.Fatal(err)
	}
	app := pod.Spec.Containers[0]
	wantStartup := &Probe{
		ProbeHandler: ProbeHandler{HTTPGet: &HTTPGetAction{
			Path: "/started", Port: FromString("http"), Host: "10.244.0.9", Scheme: URISchemeHTTP,
			HTTPHeaders: []HTTPHeader{{Name: "X-Probe", Value: "startup"}},
		}},
		InitialDelaySeconds: 2, PeriodSeconds: 3, TimeoutSeconds: 4, SuccessThreshold: 1, FailureThreshold: 30,
		TerminationGracePeriodSeconds: new(int64(5)),
	}
	if !reflect.DeepEqual(app.StartupProbe, wantStartup) {
		t.Errorf("startupProbe\n%+v\nwant\n%+v", app.StartupProbe, wantStartup)
	}
	if p := app.LivenessProbe; p == nil || p.Exec == nil || !reflect.DeepEqual(p.Exec.Command, []string{"cat", "/tmp/healthy"}) {
		t.Errorf("livenessProbe %+v", p)
	}
	if p := app.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Port != FromInt32(8080) || p.SuccessThreshold != 2 {
		t.Errorf("readinessProbe %+v", p)
	}
	if l := app.Lifecycle; l == nil || l.PostStart == nil || l.PostStart.Exec == nil || l.PreStop == nil ||
		l.PreStop.Sleep == nil || l.PreStop.Sleep.Seconds != 5 {
		t.Errorf("lifecycle %+v", l)
	}
	if p := pod.Spec.InitContainers[0].ReadinessProbe; p == nil || p.TCPSocket == nil ||
		*p.TCPSocket != (TCPSocketAction{Port: FromInt32(15000), Host: "127.0.0.1"}) {
		t.Errorf("sidecar readinessProbe %+v", p)
	}

	SetDefaults(pod)
	if errs := ValidatePod(pod); len(errs) > 0 {
		t.Fatalf("valid pod: %v", errs)
	}
	// What was written stays; the JSON the API server stores gives it back.
	if !reflect.DeepEqual(app.StartupProbe, wantStartup) {
		t.Errorf("defaults changed startupProbe: %+v", app.StartupProbe)
	}
	data, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	var back Pod
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Spec, pod.Spec) {
		t.Errorf("JSON round trip\n%+v\nwant\n%+v", back.Spec, pod.Spec)
	}
}

// A misspelt field is refused with its path, like any other.
func TestDecodeProbeUnknownField(t *testing.T) {
	_, err := DecodePod([]byte(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: app
    image: hello
    livenessProbe:
      httpGet: {port: 80}
      periodSecond: 5
`))
	want := `line 11: unknown field "periodSecond" in spec.containers[0].livenessProbe (did you mean "periodSeconds"?)`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	_, err = DecodePod([]byte(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - {name: app, image: hello, readinessProbe: {tcpSocket: {port: [80]}}}
`))
	if err == nil || !strings.Contains(err.Error(), "spec.containers[0].readinessProbe.tcpSocket.port: must be an integer") {
		t.Errorf("error %v, want one about the port", err)
	}
}

func TestProbeDefaults(t *testing.T) {
	pod, err := DecodePod([]byte(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: app
    image: hello
    livenessProbe: {httpGet: {port: 80}}
    readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 2, failureThreshold: 1}
    startupProbe: {exec: {command: ["true"]}}
    lifecycle:
      postStart: {httpGet: {port: 80}}
      preStop: {httpGet: {port: 80, path: /stop}}
`))
	if err != nil {
		t.Fatal(err)
	}
	SetDefaults(pod)
	c := pod.Spec.Containers[0]
	defaulted := func(period, failure int32) Probe {
		return Probe{PeriodSeconds: period, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: failure}
	}
	for _, tt := range []struct {
		name string
		got  *Probe
		want Probe
	}{
		{"livenessProbe", c.LivenessProbe, defaulted(10, 3)},
		{"readinessProbe", c.ReadinessProbe, defaulted(2, 1)},
		{"startupProbe", c.StartupProbe, defaulted(10, 3)},
	} {
		got := *tt.got
		got.ProbeHandler = ProbeHandler{}
		if got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
	want := HTTPGetAction{Path: "/", Port: FromInt32(80), Scheme: URISchemeHTTP}
	if got := *c.LivenessProbe.HTTPGet; !reflect.DeepEqual(got, want) {
		t.Errorf("livenessProbe.httpGet %+v, want %+v", got, want)
	}
	if got := *c.Lifecycle.PostStart.HTTPGet; !reflect.DeepEqual(got, want) {
		t.Errorf("postStart.httpGet %+v, want %+v", got, want)
	}
	if got := c.Lifecycle.PreStop.HTTPGet; got.Path != "/stop" || got.Scheme != URISchemeHTTP {
		t.Errorf("preStop.httpGet %+v, want path /stop kept and scheme HTTP", got)
	}
	// Defaulting twice changes nothing.
	before := DeepCopy(pod)
	SetDefaults(pod)
	if !reflect.DeepEqual(before.Spec, pod.Spec) {
		t.Errorf("second Default changed the spec")
	}
}

func TestPortByName(t *testing.T) {
	c := Container{Ports: []ContainerPort{{Name: "http", ContainerPort: 8080}, {ContainerPort: 9090}}}
	if port, ok := c.PortByName("http"); !ok || port != 8080 {
		t.Errorf("PortByName(http) = %d, %v", port, ok)
	}
	if _, ok := c.PortByName("metrics"); ok {
		t.Error("PortByName(metrics) found a port")
	}
}
