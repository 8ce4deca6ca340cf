package api

// Probes and lifecycle hooks (SEMANTICS.md §4): how the node checks on a
// running container, and what it runs in it right after it starts and
// right before it stops it. core/hooks runs them.

// Probe is a check the node makes of a container, every periodSeconds, to
// decide whether it has started (startupProbe), whether it should be
// restarted (livenessProbe) and whether it may take traffic
// (readinessProbe). Exactly one handler must be set. A field left at 0
// takes the default of Default: period 10 s, timeout 1 s, success
// threshold 1, failure threshold 3, as in Kubernetes.
type Probe struct {
	ProbeHandler `json:",inline"`
	// InitialDelaySeconds is how long after the container started the
	// first probe waits.
	InitialDelaySeconds int32 `json:"initialDelaySeconds,omitempty"`
	// TimeoutSeconds bounds one attempt; an attempt that takes longer fails.
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`
	// PeriodSeconds is the time between two attempts.
	PeriodSeconds int32 `json:"periodSeconds,omitempty"`
	// SuccessThreshold is how many successes in a row turn a failed probe
	// into a successful one; it must be 1 for liveness and startup probes.
	SuccessThreshold int32 `json:"successThreshold,omitempty"`
	// FailureThreshold is how many failures in a row turn a successful
	// probe into a failed one.
	FailureThreshold int32 `json:"failureThreshold,omitempty"`
	// TerminationGracePeriodSeconds, on a liveness or startup probe,
	// replaces the pod's grace period when the probe's failure kills the
	// container. nil: the pod's.
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`
}

// Probe defaults, as in Kubernetes (SEMANTICS.md §4.3).
const (
	DefaultProbePeriodSeconds    = 10
	DefaultProbeTimeoutSeconds   = 1
	DefaultProbeSuccessThreshold = 1
	DefaultProbeFailureThreshold = 3
)

// ProbeHandler says how a probe checks the container: by running a
// command in it, by an HTTP GET, or by opening a TCP connection.
type ProbeHandler struct {
	Exec      *ExecAction      `json:"exec,omitempty"`
	HTTPGet   *HTTPGetAction   `json:"httpGet,omitempty"`
	TCPSocket *TCPSocketAction `json:"tcpSocket,omitempty"`
}

// ExecAction runs a command inside the container; exit code 0 is success.
// The command is run directly, not by a shell: write
// ["sh", "-c", "..."] for pipes and variables.
type ExecAction struct {
	Command []string `json:"command,omitempty"`
}

// HTTPGetAction sends GET http://<host>:<port><path>; a status from 200
// to 399 is success.
type HTTPGetAction struct {
	// Path defaults to "/".
	Path string `json:"path,omitempty"`
	// Port is a number or the name of one of the container's ports.
	Port IntOrString `json:"port"`
	// Host defaults to the pod's IP. To set the Host header instead, use
	// httpHeaders.
	Host string `json:"host,omitempty"`
	// Scheme defaults to HTTP, the only one podlab supports.
	Scheme      URIScheme    `json:"scheme,omitempty"`
	HTTPHeaders []HTTPHeader `json:"httpHeaders,omitempty"`
}

// URIScheme is the scheme of an HTTPGetAction.
type URIScheme string

const (
	URISchemeHTTP  URIScheme = "HTTP"
	URISchemeHTTPS URIScheme = "HTTPS" // Kubernetes has it; podlab refuses it
)

// HTTPHeader is a header of an HTTPGetAction's request.
type HTTPHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// TCPSocketAction opens a TCP connection to <host>:<port>; a connection
// that is accepted is success.
type TCPSocketAction struct {
	// Port is a number or the name of one of the container's ports.
	Port IntOrString `json:"port"`
	// Host defaults to the pod's IP.
	Host string `json:"host,omitempty"`
}

// Lifecycle holds the hooks of a container.
type Lifecycle struct {
	// PostStart runs right after the container started, beside its
	// entrypoint (in no order with it); the container does not count as
	// running until it returns, and it is killed if the hook fails.
	PostStart *LifecycleHandler `json:"postStart,omitempty"`
	// PreStop runs before the node stops the container (deletion, a
	// failed liveness probe...), not when it exits by itself; its time
	// counts in the grace period.
	PreStop *LifecycleHandler `json:"preStop,omitempty"`
}

// LifecycleHandler is what a hook does. Exactly one field must be set.
type LifecycleHandler struct {
	Exec    *ExecAction    `json:"exec,omitempty"`
	HTTPGet *HTTPGetAction `json:"httpGet,omitempty"`
	// TCPSocket is only kept so that old manifests decode: Kubernetes
	// never ran it as a hook, and podlab refuses it.
	TCPSocket *TCPSocketAction `json:"tcpSocket,omitempty"`
	Sleep     *SleepAction     `json:"sleep,omitempty"`
}

// SleepAction waits, like a preStop "sleep 5" that gives load balancers
// time to stop sending traffic, without needing a sleep binary in the
// image.
type SleepAction struct {
	Seconds int64 `json:"seconds"`
}

// PortByName returns the number of c's port called name, as a probe or a
// hook names it.
func (c *Container) PortByName(name string) (int32, bool) {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort, true
		}
	}
	return 0, false
}

// setProbeDefaults fills in the probes and hooks of a container.
func setProbeDefaults(c *Container) {
	for _, p := range []*Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p == nil {
			continue
		}
		defaultInt32Value(&p.PeriodSeconds, DefaultProbePeriodSeconds)
		defaultInt32Value(&p.TimeoutSeconds, DefaultProbeTimeoutSeconds)
		defaultInt32Value(&p.SuccessThreshold, DefaultProbeSuccessThreshold)
		defaultInt32Value(&p.FailureThreshold, DefaultProbeFailureThreshold)
		defaultHTTPGet(p.HTTPGet)
	}
	if l := c.Lifecycle; l != nil {
		for _, h := range []*LifecycleHandler{l.PostStart, l.PreStop} {
			if h != nil {
				defaultHTTPGet(h.HTTPGet)
			}
		}
	}
}

// defaultInt32Value sets *p to v if it is 0: probe fields are plain
// numbers, as in Kubernetes, where 0 means "the default".
func defaultInt32Value(p *int32, v int32) {
	if *p == 0 {
		*p = v
	}
}

func defaultHTTPGet(h *HTTPGetAction) {
	if h == nil {
		return
	}
	if h.Path == "" {
		h.Path = "/"
	}
	if h.Scheme == "" {
		h.Scheme = URISchemeHTTP
	}
}
