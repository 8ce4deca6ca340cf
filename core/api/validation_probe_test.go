package api

import (
	"reflect"
	"strings"
	"testing"
)

func TestValidateProbesAndHooks(t *testing.T) {
	// The pod of validPod is defaulted: these probes must be too.
	httpProbe := func() *Probe {
		return &Probe{ProbeHandler: ProbeHandler{HTTPGet: &HTTPGetAction{Path: "/", Port: FromString("http"), Scheme: URISchemeHTTP}},
			PeriodSeconds: 10, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 3}
	}
	execProbe := func() *Probe {
		p := httpProbe()
		p.ProbeHandler = ProbeHandler{Exec: &ExecAction{Command: []string{"true"}}}
		return p
	}
	app := func(p *Pod) *Container { return &p.Spec.Containers[0] }
	const liveness = "spec.containers[0].livenessProbe"
	tests := []struct {
		name   string
		change func(p *Pod)
		want   []string
	}{
		{"every probe and hook", func(p *Pod) {
			c := app(p)
			c.LivenessProbe, c.ReadinessProbe, c.StartupProbe = execProbe(), httpProbe(), httpProbe()
			c.ReadinessProbe.SuccessThreshold = 3
			c.LivenessProbe.TerminationGracePeriodSeconds = new(int64(5))
			c.ReadinessProbe.HTTPGet.HTTPHeaders = []HTTPHeader{{Name: "X-Probe-2", Value: "any value"}}
			c.Lifecycle = &Lifecycle{
				PostStart: &LifecycleHandler{HTTPGet: &HTTPGetAction{Path: "/", Port: FromInt32(8080), Scheme: URISchemeHTTP}},
				PreStop:   &LifecycleHandler{Sleep: &SleepAction{Seconds: 30}},
			}
		}, nil},
		{"tcpSocket probe on a named port", func(p *Pod) {
			app(p).LivenessProbe = httpProbe()
			app(p).LivenessProbe.ProbeHandler = ProbeHandler{TCPSocket: &TCPSocketAction{Port: FromString("http")}}
		}, nil},

		// handlers
		{"no handler", func(p *Pod) { app(p).LivenessProbe = httpProbe(); app(p).LivenessProbe.HTTPGet = nil },
			[]string{liveness + ": Required value: must specify a handler type"}},
		{"two handlers", func(p *Pod) {
			app(p).LivenessProbe = execProbe()
			app(p).LivenessProbe.TCPSocket = &TCPSocketAction{Port: FromInt32(80)}
		}, []string{liveness + ".tcpSocket: Forbidden: may not specify more than 1 handler type"}},
		{"empty command", func(p *Pod) { app(p).LivenessProbe = execProbe(); app(p).LivenessProbe.Exec.Command = nil },
			[]string{liveness + ".exec.command: Required value"}},
		{"httpGet without path, port or scheme", func(p *Pod) {
			app(p).LivenessProbe = httpProbe()
			app(p).LivenessProbe.HTTPGet = &HTTPGetAction{}
		}, []string{
			liveness + ".httpGet.path: Required value",
			liveness + ".httpGet.port: Required value: a port number or the name of one of the container's ports",
			liveness + `.httpGet.scheme: Unsupported value: "": supported values: "HTTP"`,
		}},
		{"https", func(p *Pod) { app(p).LivenessProbe = httpProbe(); app(p).LivenessProbe.HTTPGet.Scheme = URISchemeHTTPS },
			[]string{liveness + `.httpGet.scheme: Unsupported value: "HTTPS": supported values: "HTTP"`}},
		{"bad header name", func(p *Pod) {
			app(p).LivenessProbe = httpProbe()
			app(p).LivenessProbe.HTTPGet.HTTPHeaders = []HTTPHeader{{Name: "X-Ok"}, {Name: "X Bad"}}
		}, []string{liveness + `.httpGet.httpHeaders[1].name: Invalid value: "X Bad": a valid HTTP header must consist of alphanumeric characters or '-', like 'X-Header-Name'`}},
		{"port 70000", func(p *Pod) { app(p).LivenessProbe = httpProbe(); app(p).LivenessProbe.HTTPGet.Port = FromInt32(70000) },
			[]string{liveness + ".httpGet.port: Invalid value: 70000: must be between 1 and 65535, inclusive"}},
		{"bad port name", func(p *Pod) {
			app(p).LivenessProbe = httpProbe()
			app(p).LivenessProbe.HTTPGet.Port = FromString("8080")
		},
			[]string{liveness + `.httpGet.port: Invalid value: "8080": must contain at least one letter (a-z)`}},
		{"port name the container does not have", func(p *Pod) {
			app(p).ReadinessProbe = httpProbe()
			app(p).ReadinessProbe.ProbeHandler = ProbeHandler{TCPSocket: &TCPSocketAction{Port: FromString("metrics")}}
		}, []string{`spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: "metrics": must be the name of one of the container's ports`}},

		// numbers
		{"bad numbers", func(p *Pod) {
			pr := httpProbe()
			pr.InitialDelaySeconds, pr.TimeoutSeconds, pr.PeriodSeconds, pr.SuccessThreshold, pr.FailureThreshold = -1, 0, -2, 0, 0
			pr.TerminationGracePeriodSeconds = new(int64(0))
			app(p).ReadinessProbe = pr
		}, []string{
			"spec.containers[0].readinessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0",
			"spec.containers[0].readinessProbe.timeoutSeconds: Invalid value: 0: must be greater than or equal to 1",
			"spec.containers[0].readinessProbe.periodSeconds: Invalid value: -2: must be greater than or equal to 1",
			"spec.containers[0].readinessProbe.successThreshold: Invalid value: 0: must be greater than or equal to 1",
			"spec.containers[0].readinessProbe.failureThreshold: Invalid value: 0: must be greater than or equal to 1",
			"spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0",
			"spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 0: must not be set for readinessProbes",
		}},
		{"liveness and startup successThreshold", func(p *Pod) {
			app(p).LivenessProbe, app(p).StartupProbe = httpProbe(), httpProbe()
			app(p).LivenessProbe.SuccessThreshold, app(p).StartupProbe.SuccessThreshold = 2, 3
		}, []string{
			liveness + ".successThreshold: Invalid value: 2: must be 1",
			"spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1",
		}},
		{"readiness successThreshold", func(p *Pod) {
			app(p).ReadinessProbe = httpProbe()
			app(p).ReadinessProbe.SuccessThreshold = 3
		}, nil},

		// hooks
		{"hook without handler", func(p *Pod) { app(p).Lifecycle = &Lifecycle{PostStart: &LifecycleHandler{}} },
			[]string{"spec.containers[0].lifecycle.postStart: Required value: must specify a handler type"}},
		{"tcpSocket hook", func(p *Pod) {
			app(p).Lifecycle = &Lifecycle{PreStop: &LifecycleHandler{TCPSocket: &TCPSocketAction{Port: FromInt32(80)}}}
		}, []string{"spec.containers[0].lifecycle.preStop.tcpSocket: Forbidden: is not supported as a lifecycle hook: use exec, httpGet or sleep"}},
		{"two hook handlers", func(p *Pod) {
			app(p).Lifecycle = &Lifecycle{PreStop: &LifecycleHandler{Exec: &ExecAction{}, Sleep: &SleepAction{Seconds: 1}}}
		}, []string{
			"spec.containers[0].lifecycle.preStop.exec.command: Required value",
			"spec.containers[0].lifecycle.preStop.sleep: Forbidden: may not specify more than 1 handler type",
		}},
		{"hook on a named port that does not exist", func(p *Pod) {
			app(p).Lifecycle = &Lifecycle{PostStart: &LifecycleHandler{HTTPGet: &HTTPGetAction{Path: "/", Port: FromString("admin"), Scheme: URISchemeHTTP}}}
		}, []string{`spec.containers[0].lifecycle.postStart.httpGet.port: Invalid value: "admin": must be the name of one of the container's ports`}},
		{"sleep longer than the grace period", func(p *Pod) {
			app(p).Lifecycle = &Lifecycle{PreStop: &LifecycleHandler{Sleep: &SleepAction{Seconds: 31}}}
		}, []string{"spec.containers[0].lifecycle.preStop.sleep.seconds: Invalid value: 31: must be non-negative and not more than terminationGracePeriodSeconds (30)"}},
		{"negative sleep", func(p *Pod) {
			app(p).Lifecycle = &Lifecycle{PostStart: &LifecycleHandler{Sleep: &SleepAction{Seconds: -1}}}
		}, []string{"spec.containers[0].lifecycle.postStart.sleep.seconds: Invalid value: -1: must be non-negative and not more than terminationGracePeriodSeconds (30)"}},
		{"sleep 0", func(p *Pod) { app(p).Lifecycle = &Lifecycle{PreStop: &LifecycleHandler{Sleep: &SleepAction{}}} }, nil},

		// init containers
		{"probes and hooks on a regular init container", func(p *Pod) {
			p.Spec.InitContainers = []Container{{Name: "setup", Image: "busybox",
				LivenessProbe: execProbe(), ReadinessProbe: execProbe(), StartupProbe: execProbe(),
				Lifecycle: &Lifecycle{PreStop: &LifecycleHandler{Sleep: &SleepAction{Seconds: 1}}}}}
		}, []string{
			"spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always",
			"spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
			"spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
			"spec.initContainers[0].startupProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
		}},
		{"probes and hooks on a sidecar", func(p *Pod) {
			p.Spec.InitContainers = []Container{{Name: "proxy", Image: "busybox", RestartPolicy: new(ContainerRestartPolicyAlways),
				LivenessProbe: execProbe(), ReadinessProbe: execProbe(), StartupProbe: execProbe(),
				Lifecycle: &Lifecycle{PreStop: &LifecycleHandler{Sleep: &SleepAction{Seconds: 1}}}}}
		}, nil},
		{"a sidecar's probe checks its own ports", func(p *Pod) {
			p.Spec.InitContainers = []Container{{Name: "proxy", Image: "busybox", RestartPolicy: new(ContainerRestartPolicyAlways),
				ReadinessProbe: httpProbe()}}
		}, []string{`spec.initContainers[0].readinessProbe.httpGet.port: Invalid value: "http": must be the name of one of the container's ports`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPod()
			tt.change(p)
			var got []string
			for _, e := range ValidatePod(p) {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// A probe left at zeros is invalid until Default fills it in, as with
// the API server, which defaults before it validates.
func TestValidateProbeNeedsDefaults(t *testing.T) {
	p := validPod()
	p.Spec.Containers[0].LivenessProbe = &Probe{ProbeHandler: ProbeHandler{HTTPGet: &HTTPGetAction{Port: FromInt32(80)}}}
	if errs := ValidatePod(p); len(errs) == 0 {
		t.Error("an undefaulted probe passed validation")
	}
	SetDefaults(p)
	if errs := ValidatePod(p); len(errs) > 0 {
		t.Errorf("defaulted probe: %v", errs)
	}
}
