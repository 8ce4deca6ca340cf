package api

import (
	"fmt"
	"regexp"

	"github.com/podlab/podlab/core/api/field"
)

// validateProbesAndHooks checks the probes and lifecycle hooks of
// container c. A regular init container may have none, as in Kubernetes:
// it runs once to completion, so there is nothing to probe and no stop
// to hook. A sidecar (restartPolicy: Always) and an app container may
// have them all. grace is the pod's terminationGracePeriodSeconds, which
// bounds a sleep hook.
func validateProbesAndHooks(c *Container, init bool, grace *int64, fldPath field.Path) field.ErrorList {
	if init && !c.IsSidecar() {
		return forbidProbesAndHooks(c, fldPath)
	}
	var errs field.ErrorList
	if p := c.LivenessProbe; p != nil {
		errs = append(errs, validateProbe(p, c, fldPath.Child("livenessProbe"))...)
		errs = append(errs, successThresholdOne(p, fldPath.Child("livenessProbe"))...)
	}
	if p := c.ReadinessProbe; p != nil {
		errs = append(errs, validateProbe(p, c, fldPath.Child("readinessProbe"))...)
		// A failed readiness probe kills nothing: no grace period to give.
		if p.TerminationGracePeriodSeconds != nil {
			errs = append(errs, field.Invalid(fldPath.Child("readinessProbe").Child("terminationGracePeriodSeconds"),
				*p.TerminationGracePeriodSeconds, "must not be set for readinessProbes"))
		}
	}
	if p := c.StartupProbe; p != nil {
		errs = append(errs, validateProbe(p, c, fldPath.Child("startupProbe"))...)
		errs = append(errs, successThresholdOne(p, fldPath.Child("startupProbe"))...)
	}
	if l := c.Lifecycle; l != nil {
		if l.PostStart != nil {
			errs = append(errs, validateLifecycleHandler(l.PostStart, c, grace, fldPath.Child("lifecycle").Child("postStart"))...)
		}
		if l.PreStop != nil {
			errs = append(errs, validateLifecycleHandler(l.PreStop, c, grace, fldPath.Child("lifecycle").Child("preStop"))...)
		}
	}
	return errs
}

// forbidProbesAndHooks reports each probe and hook of a regular init
// container.
func forbidProbesAndHooks(c *Container, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"lifecycle", c.Lifecycle != nil},
		{"livenessProbe", c.LivenessProbe != nil},
		{"readinessProbe", c.ReadinessProbe != nil},
		{"startupProbe", c.StartupProbe != nil},
	} {
		if f.set {
			errs = append(errs, field.Forbidden(fldPath.Child(f.name), "may not be set for init containers without restartPolicy=Always"))
		}
	}
	return errs
}

// successThresholdOne checks the successThreshold of a liveness or
// startup probe: one success is enough to call the container alive, or
// started.
func successThresholdOne(p *Probe, fldPath field.Path) field.ErrorList {
	if p.SuccessThreshold != 1 {
		return field.ErrorList{field.Invalid(fldPath.Child("successThreshold"), p.SuccessThreshold, "must be 1")}
	}
	return nil
}

// validateProbe checks the handler and the numbers of probe p of
// container c. Call Default first: 0 means "the default" until then.
func validateProbe(p *Probe, c *Container, fldPath field.Path) field.ErrorList {
	errs := validateHandler([]handlerField{
		{"exec", p.Exec != nil, func(path field.Path) field.ErrorList { return validateExec(p.Exec, path) }},
		{"httpGet", p.HTTPGet != nil, func(path field.Path) field.ErrorList { return validateHTTPGet(p.HTTPGet, c, path) }},
		{"tcpSocket", p.TCPSocket != nil, func(path field.Path) field.ErrorList { return validateTCPSocket(p.TCPSocket, c, path) }},
	}, fldPath)
	errs = append(errs, nonNegative(int64(p.InitialDelaySeconds), fldPath.Child("initialDelaySeconds"))...)
	for _, f := range []struct {
		name  string
		value int32
	}{
		{"timeoutSeconds", p.TimeoutSeconds},
		{"periodSeconds", p.PeriodSeconds},
		{"successThreshold", p.SuccessThreshold},
		{"failureThreshold", p.FailureThreshold},
	} {
		if f.value < 1 {
			errs = append(errs, field.Invalid(fldPath.Child(f.name), f.value, "must be greater than or equal to 1"))
		}
	}
	if g := p.TerminationGracePeriodSeconds; g != nil && *g <= 0 {
		errs = append(errs, field.Invalid(fldPath.Child("terminationGracePeriodSeconds"), *g, "must be greater than 0"))
	}
	return errs
}

// validateLifecycleHandler checks a postStart or preStop hook of
// container c.
func validateLifecycleHandler(h *LifecycleHandler, c *Container, grace *int64, fldPath field.Path) field.ErrorList {
	return validateHandler([]handlerField{
		{"exec", h.Exec != nil, func(path field.Path) field.ErrorList { return validateExec(h.Exec, path) }},
		{"httpGet", h.HTTPGet != nil, func(path field.Path) field.ErrorList { return validateHTTPGet(h.HTTPGet, c, path) }},
		{"tcpSocket", h.TCPSocket != nil, func(path field.Path) field.ErrorList {
			// Kubernetes accepts it and fails the hook when it runs; podlab
			// says so at once.
			return field.ErrorList{field.Forbidden(path, "is not supported as a lifecycle hook: use exec, httpGet or sleep")}
		}},
		{"sleep", h.Sleep != nil, func(path field.Path) field.ErrorList { return validateSleep(h.Sleep, grace, path) }},
	}, fldPath)
}

// handlerField is one of the handlers a probe or a hook may set.
type handlerField struct {
	name  string                           // its JSON name, like "httpGet"
	set   bool                             // whether the manifest sets it
	check func(field.Path) field.ErrorList // validates it, given its path
}

// validateHandler checks that exactly one of fields is set, and that one.
func validateHandler(fields []handlerField, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	for _, f := range fields {
		if !f.set {
			continue
		}
		if n++; n > 1 {
			errs = append(errs, field.Forbidden(fldPath.Child(f.name), "may not specify more than 1 handler type"))
			continue
		}
		errs = append(errs, f.check(fldPath.Child(f.name))...)
	}
	if n == 0 {
		errs = append(errs, field.Required(fldPath, "must specify a handler type"))
	}
	return errs
}

func validateExec(e *ExecAction, fldPath field.Path) field.ErrorList {
	if len(e.Command) == 0 {
		return field.ErrorList{field.Required(fldPath.Child("command"), "")}
	}
	return nil
}

// httpHeaderNameRE is what an HTTP header name may hold, as Kubernetes
// checks it.
var httpHeaderNameRE = regexp.MustCompile(`^[-A-Za-z0-9]+$`)

func validateHTTPGet(h *HTTPGetAction, c *Container, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	if h.Path == "" {
		errs = append(errs, field.Required(fldPath.Child("path"), ""))
	}
	errs = append(errs, validateHandlerPort(h.Port, c, fldPath.Child("port"))...)
	if h.Scheme != URISchemeHTTP {
		errs = append(errs, field.NotSupported(fldPath.Child("scheme"), h.Scheme, []string{string(URISchemeHTTP)}))
	}
	for i, header := range h.HTTPHeaders {
		if !httpHeaderNameRE.MatchString(header.Name) {
			errs = append(errs, field.Invalid(fldPath.Child("httpHeaders").Index(i).Child("name"), header.Name,
				"a valid HTTP header must consist of alphanumeric characters or '-', like 'X-Header-Name'"))
		}
	}
	return errs
}

func validateTCPSocket(t *TCPSocketAction, c *Container, fldPath field.Path) field.ErrorList {
	return validateHandlerPort(t.Port, c, fldPath.Child("port"))
}

// validateHandlerPort checks the port of an httpGet or tcpSocket handler
// of container c: a number from 1 to 65535, or the name of one of c's
// ports. Kubernetes only finds a missing name when the probe runs, and
// fails the probe; podlab says so when the pod is made.
func validateHandlerPort(port IntOrString, c *Container, fldPath field.Path) field.ErrorList {
	switch {
	case port.IsZero():
		return field.ErrorList{field.Required(fldPath, "a port number or the name of one of the container's ports")}
	case port.Type == Int:
		return validatePortNumber(port.IntVal, fldPath)
	}
	if msgs := isPortName(port.StrVal); len(msgs) > 0 {
		return invalid(fldPath, port.StrVal, msgs)
	}
	if _, ok := c.PortByName(port.StrVal); !ok {
		return field.ErrorList{field.Invalid(fldPath, port.StrVal, "must be the name of one of the container's ports")}
	}
	return nil
}

// validateSleep checks a sleep hook: it may not outlast the grace period
// it would run in (grace is nil if the pod was not defaulted).
func validateSleep(s *SleepAction, grace *int64, fldPath field.Path) field.ErrorList {
	if s.Seconds < 0 || (grace != nil && s.Seconds > *grace) {
		limit := "terminationGracePeriodSeconds"
		if grace != nil {
			limit = fmt.Sprintf("terminationGracePeriodSeconds (%d)", *grace)
		}
		return field.ErrorList{field.Invalid(fldPath.Child("seconds"), s.Seconds, "must be non-negative and not more than "+limit)}
	}
	return nil
}
