package api

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/podlab/podlab/core/api/field"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Validate checks an object as the Kubernetes API server does and
// returns every mistake, each naming its field, like
// "spec.template.metadata.labels: Invalid value: ...: selector does not
// match template labels". Call Default first, as the API server does:
// without it an empty namespace or restartPolicy is a mistake.
func Validate(obj Object) field.ErrorList {
	switch o := obj.(type) {
	case *Pod:
		return ValidatePod(o)
	case *Node:
		return validateNode(o)
	case *Namespace:
		return validateNamespace(o)
	case *Event:
		return validateEvent(o)
	case *Service:
		return validateService(o)
	case *Endpoints:
		return validateEndpoints(o)
	case *PersistentVolumeClaim:
		return validatePersistentVolumeClaim(o)
	case *ReplicationController:
		return validateReplicationController(o)
	case *ReplicaSet:
		return validateReplicaSet(o)
	case *Deployment:
		return validateDeployment(o)
	case *StatefulSet:
		return validateStatefulSet(o)
	case *DaemonSet:
		return validateDaemonSet(o)
	case *Job:
		return validateJob(o)
	case *CronJob:
		return validateCronJob(o)
	case *HorizontalPodAutoscaler:
		return validateHPA(o)
	}
	// Unreachable for the kinds Decode makes: each has a case above.
	return field.ErrorList{field.Invalid(field.NewPath("kind"), fmt.Sprintf("%T", obj), "podlab cannot validate this kind")}
}

// ValidatePod checks a pod; see Validate.
func ValidatePod(p *Pod) field.ErrorList {
	errs := validateObjectMeta(&p.ObjectMeta, true, isDNS1123Subdomain, field.NewPath("metadata"))
	return append(errs, validatePodSpec(&p.Spec, nil, field.NewPath("spec"))...)
}

// validateObjectMeta checks the metadata of an object. namespaced is
// false for Nodes and Namespaces, which must not name a namespace.
// nameRule depends on the kind: pods allow a DNS subdomain, Services only
// a label.
func validateObjectMeta(m *ObjectMeta, namespaced bool, nameRule func(string) []string, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	if m.GenerateName != "" {
		// The API server appends random letters, so "web-" is a fine prefix.
		prefix := m.GenerateName
		if p, ok := strings.CutSuffix(prefix, "-"); ok {
			prefix = p + "a"
		}
		errs = append(errs, invalid(fldPath.Child("generateName"), m.GenerateName, nameRule(prefix))...)
	}
	if m.Name == "" {
		// The API server has made a name from generateName by now.
		errs = append(errs, field.Required(fldPath.Child("name"), "name or generateName is required"))
	} else {
		errs = append(errs, invalid(fldPath.Child("name"), m.Name, nameRule(m.Name))...)
	}
	// The uid names directories and links: only the shape podlab makes
	// (a UUID) is accepted, never something like "../x".
	if m.UID != "" && !uuidRE.MatchString(m.UID) {
		errs = append(errs, field.Invalid(fldPath.Child("uid"), m.UID, "must be a lower-case UUID such as 9b2e7f0c-3c1d-4e5f-8a6b-1c2d3e4f5a6b (or left out: one is made)"))
	}
	switch {
	case !namespaced && m.Namespace != "":
		errs = append(errs, field.Forbidden(fldPath.Child("namespace"), "not allowed on this type"))
	case !namespaced:
	case m.Namespace == "":
		errs = append(errs, field.Required(fldPath.Child("namespace"), ""))
	default:
		errs = append(errs, invalid(fldPath.Child("namespace"), m.Namespace, isDNS1123Label(m.Namespace))...)
	}
	errs = append(errs, nonNegative(m.Generation, fldPath.Child("generation"))...)
	if g := m.DeletionGracePeriodSeconds; g != nil {
		errs = append(errs, nonNegative(*g, fldPath.Child("deletionGracePeriodSeconds"))...)
	}
	errs = append(errs, validateLabels(m.Labels, fldPath.Child("labels"))...)
	errs = append(errs, validateAnnotations(m.Annotations, fldPath.Child("annotations"))...)
	errs = append(errs, validateOwnerReferences(m.OwnerReferences, fldPath.Child("ownerReferences"))...)
	for i, f := range m.Finalizers {
		errs = append(errs, invalid(fldPath.Child("finalizers").Index(i), f, isQualifiedName(f))...)
	}
	return errs
}

// validateOwnerReferences checks that each reference names its owner
// fully, and that at most one is the controller (SEMANTICS.md §5.4).
func validateOwnerReferences(refs []OwnerReference, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	var controllers []string
	for i, ref := range refs {
		idxPath := fldPath.Index(i)
		for _, f := range []struct{ name, value string }{
			{"apiVersion", ref.APIVersion}, {"kind", ref.Kind}, {"name", ref.Name}, {"uid", ref.UID},
		} {
			if f.value == "" {
				errs = append(errs, field.Required(idxPath.Child(f.name), ""))
			}
		}
		if ref.Controller != nil && *ref.Controller {
			controllers = append(controllers, ref.Kind+"/"+ref.Name)
		}
	}
	if len(controllers) > 1 {
		errs = append(errs, field.Invalid(fldPath, strings.Join(controllers, ", "), "only one reference can have controller set to true"))
	}
	return errs
}

// nonNegative checks a count or a number of seconds.
func nonNegative(v int64, fldPath field.Path) field.ErrorList {
	if v < 0 {
		return field.ErrorList{field.Invalid(fldPath, v, "must be greater than or equal to 0")}
	}
	return nil
}

// nonNegative32 checks an optional int32 field, like replicas.
func nonNegative32(v *int32, fldPath field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	return nonNegative(int64(*v), fldPath)
}

// validatePodSpec checks a pod's spec, or a template's. extraVolumes
// are volumes a controller will add to the pods, like a StatefulSet's
// claims, which the containers may mount too.
func validatePodSpec(s *PodSpec, extraVolumes []string, fldPath field.Path) field.ErrorList {
	volumes, errs := validateVolumes(s.Volumes, fldPath.Child("volumes"))
	for _, name := range extraVolumes {
		volumes[name] = true
	}
	// Init and app containers share one set of names: the runtime, the
	// logs and the status all find a container by its name alone.
	names := map[string]bool{}
	for i := range s.InitContainers {
		idxPath := fldPath.Child("initContainers").Index(i)
		errs = append(errs, validateContainer(&s.InitContainers[i], volumes, names, idxPath)...)
		errs = append(errs, validateInitRestartPolicy(s.InitContainers[i].RestartPolicy, idxPath.Child("restartPolicy"))...)
		errs = append(errs, validateProbesAndHooks(&s.InitContainers[i], true, s.TerminationGracePeriodSeconds, idxPath)...)
	}
	if len(s.Containers) == 0 {
		errs = append(errs, field.Required(fldPath.Child("containers"), ""))
	}
	for i := range s.Containers {
		idxPath := fldPath.Child("containers").Index(i)
		errs = append(errs, validateContainer(&s.Containers[i], volumes, names, idxPath)...)
		if s.Containers[i].RestartPolicy != nil {
			errs = append(errs, field.Forbidden(idxPath.Child("restartPolicy"), "may not be set for non-init containers"))
		}
		errs = append(errs, validateProbesAndHooks(&s.Containers[i], false, s.TerminationGracePeriodSeconds, idxPath)...)
	}

	switch s.RestartPolicy {
	case RestartPolicyAlways, RestartPolicyOnFailure, RestartPolicyNever:
	case "":
		errs = append(errs, field.Required(fldPath.Child("restartPolicy"), ""))
	default:
		errs = append(errs, field.NotSupported(fldPath.Child("restartPolicy"), s.RestartPolicy,
			[]string{string(RestartPolicyAlways), string(RestartPolicyOnFailure), string(RestartPolicyNever)}))
	}
	if g := s.TerminationGracePeriodSeconds; g != nil && *g < 0 {
		errs = append(errs, field.Invalid(fldPath.Child("terminationGracePeriodSeconds"), *g, "must be greater than or equal to 0"))
	}
	errs = append(errs, validateLabels(s.NodeSelector, fldPath.Child("nodeSelector"))...)
	if s.NodeName != "" {
		errs = append(errs, invalid(fldPath.Child("nodeName"), s.NodeName, isDNS1123Subdomain(s.NodeName))...)
	}
	if s.Hostname != "" {
		errs = append(errs, invalid(fldPath.Child("hostname"), s.Hostname, isDNS1123Label(s.Hostname))...)
	}
	if s.Subdomain != "" {
		errs = append(errs, invalid(fldPath.Child("subdomain"), s.Subdomain, isDNS1123Label(s.Subdomain))...)
	}
	return append(errs, validateTolerations(s.Tolerations, fldPath.Child("tolerations"))...)
}

// validateInitRestartPolicy checks the restartPolicy of an init container:
// unset, or Always for a native sidecar (SEMANTICS.md §3.2).
func validateInitRestartPolicy(p *ContainerRestartPolicy, fldPath field.Path) field.ErrorList {
	if p == nil || *p == ContainerRestartPolicyAlways {
		return nil
	}
	return field.ErrorList{field.NotSupported(fldPath, *p, []string{string(ContainerRestartPolicyAlways)})}
}

// taintEffects are the effects of taints, and of the tolerations that
// name one.
var taintEffects = []string{string(TaintEffectNoSchedule), string(TaintEffectPreferNoSchedule), string(TaintEffectNoExecute)}

// validateTolerations checks tolerations as Kubernetes does.
func validateTolerations(tolerations []Toleration, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, t := range tolerations {
		idxPath := fldPath.Index(i)
		if t.Key != "" {
			errs = append(errs, invalid(idxPath.Child("key"), t.Key, isQualifiedName(t.Key))...)
		}
		switch t.Operator {
		case TolerationOpEqual, "":
			if t.Key == "" {
				errs = append(errs, field.Invalid(idxPath.Child("operator"), t.Operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
			}
			errs = append(errs, invalid(idxPath.Child("value"), t.Value, isLabelValue(t.Value))...)
		case TolerationOpExists:
			if t.Value != "" {
				errs = append(errs, field.Invalid(idxPath.Child("value"), t.Value, "value must be empty when `operator` is 'Exists'"))
			}
		default:
			errs = append(errs, field.NotSupported(idxPath.Child("operator"), t.Operator,
				[]string{string(TolerationOpEqual), string(TolerationOpExists)}))
		}
		if t.Effect != "" && !slices.Contains(taintEffects, string(t.Effect)) {
			errs = append(errs, field.NotSupported(idxPath.Child("effect"), t.Effect, taintEffects))
		}
		if t.TolerationSeconds != nil && t.Effect != TaintEffectNoExecute {
			errs = append(errs, field.Invalid(idxPath.Child("effect"), t.Effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
		}
	}
	return errs
}

// validateVolumes checks the volumes and returns the set of their names,
// for the volume mounts to refer to.
func validateVolumes(volumes []Volume, fldPath field.Path) (map[string]bool, field.ErrorList) {
	var errs field.ErrorList
	names := map[string]bool{}
	for i := range volumes {
		v, idxPath := &volumes[i], fldPath.Index(i)
		switch {
		case v.Name == "":
			errs = append(errs, field.Required(idxPath.Child("name"), ""))
		case names[v.Name]:
			errs = append(errs, field.Duplicate(idxPath.Child("name"), v.Name))
		default:
			errs = append(errs, invalid(idxPath.Child("name"), v.Name, isDNS1123Label(v.Name))...)
		}
		names[v.Name] = true

		switch {
		case v.EmptyDir == nil && v.HostPath == nil:
			errs = append(errs, field.Required(idxPath, "must specify a volume type: emptyDir or hostPath"))
		case v.EmptyDir != nil && v.HostPath != nil:
			errs = append(errs, field.Forbidden(idxPath.Child("hostPath"), "may not specify more than 1 volume type"))
		case v.EmptyDir != nil:
			errs = append(errs, validateEmptyDir(v.EmptyDir, idxPath.Child("emptyDir"))...)
		default:
			errs = append(errs, validateHostPath(v.HostPath, idxPath.Child("hostPath"))...)
		}
	}
	return names, errs
}

func validateEmptyDir(e *EmptyDirVolumeSource, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	if e.Medium != StorageMediumDefault && e.Medium != StorageMediumMemory {
		errs = append(errs, field.NotSupported(fldPath.Child("medium"), e.Medium,
			[]string{string(StorageMediumDefault), string(StorageMediumMemory)}))
	}
	if e.SizeLimit != "" {
		if _, err := ParseMemory(e.SizeLimit); err != nil {
			errs = append(errs, field.Invalid(fldPath.Child("sizeLimit"), e.SizeLimit, memoryHint))
		}
	}
	return errs
}

// hostPathTypes are the checks Kubernetes can make of a hostPath.
var hostPathTypes = []HostPathType{HostPathUnset, HostPathDirectoryOrCreate, HostPathDirectory,
	HostPathFileOrCreate, HostPathFile, HostPathSocket, HostPathCharDev, HostPathBlockDev}

func validateHostPath(h *HostPathVolumeSource, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	// A path of the node, bind-mounted into containers: it must say
	// plainly which directory it is.
	p := h.Path
	switch {
	case p == "":
		errs = append(errs, field.Required(fldPath.Child("path"), ""))
	case !path.IsAbs(p):
		errs = append(errs, field.Invalid(fldPath.Child("path"), p, "must be an absolute path"))
	case hasDotDot(p):
		errs = append(errs, field.Invalid(fldPath.Child("path"), p, "must not contain '..'"))
	case path.Clean(p) != p:
		errs = append(errs, field.Invalid(fldPath.Child("path"), p, fmt.Sprintf("must be a clean path, like %q", path.Clean(p))))
	}
	if !slices.Contains(hostPathTypes, h.Type) {
		supported := make([]string, len(hostPathTypes))
		for i, t := range hostPathTypes {
			supported[i] = string(t)
		}
		errs = append(errs, field.NotSupported(fldPath.Child("type"), h.Type, supported))
	}
	return errs
}

// validateContainer checks one container. volumes holds the pod's volume
// names; names the container names seen so far, to which it adds c's.
func validateContainer(c *Container, volumes, names map[string]bool, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case c.Name == "":
		errs = append(errs, field.Required(fldPath.Child("name"), ""))
	case names[c.Name]:
		errs = append(errs, field.Duplicate(fldPath.Child("name"), c.Name))
	default:
		errs = append(errs, invalid(fldPath.Child("name"), c.Name, isDNS1123Label(c.Name))...)
	}
	names[c.Name] = true
	if c.Image == "" {
		errs = append(errs, field.Required(fldPath.Child("image"), ""))
	}
	errs = append(errs, validatePorts(c.Ports, fldPath.Child("ports"))...)
	for i, e := range c.Env {
		switch {
		case e.Name == "":
			errs = append(errs, field.Required(fldPath.Child("env").Index(i).Child("name"), ""))
		case strings.Contains(e.Name, "="):
			// The environment is a list of "NAME=value" strings.
			errs = append(errs, field.Invalid(fldPath.Child("env").Index(i).Child("name"), e.Name, "must not contain '='"))
		}
	}
	errs = append(errs, validateResources(&c.Resources, fldPath.Child("resources"))...)
	return append(errs, validateVolumeMounts(c.VolumeMounts, volumes, fldPath.Child("volumeMounts"))...)
}

// validatePorts checks the ports of one container. Two containers of a pod
// may both list a port: Kubernetes does not check it, the second one just
// fails to bind.
func validatePorts(ports []ContainerPort, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	for i, port := range ports {
		idxPath := fldPath.Index(i)
		if port.Name != "" {
			if names[port.Name] {
				errs = append(errs, field.Duplicate(idxPath.Child("name"), port.Name))
			}
			names[port.Name] = true
			errs = append(errs, invalid(idxPath.Child("name"), port.Name, isPortName(port.Name))...)
		}
		switch {
		case port.ContainerPort == 0:
			errs = append(errs, field.Required(idxPath.Child("containerPort"), ""))
		case port.ContainerPort < 1 || port.ContainerPort > 65535:
			errs = append(errs, field.Invalid(idxPath.Child("containerPort"), port.ContainerPort, "must be between 1 and 65535, inclusive"))
		}
		switch port.Protocol {
		case ProtocolTCP, ProtocolUDP, ProtocolSCTP:
		case "":
			errs = append(errs, field.Required(idxPath.Child("protocol"), ""))
		default:
			errs = append(errs, field.NotSupported(idxPath.Child("protocol"), port.Protocol,
				[]string{string(ProtocolTCP), string(ProtocolUDP), string(ProtocolSCTP)}))
		}
	}
	return errs
}

const (
	cpuHint    = `must be a CPU quantity, like "500m" or "0.5"`
	memoryHint = `must be a memory quantity, like "64Mi" or "1Gi"`
)

// validateResources checks that every quantity parses and that no request
// is above its limit: the scheduler would reserve more than the cgroup
// lets the container use.
func validateResources(r *ResourceRequirements, fldPath field.Path) field.ErrorList {
	limits, errs := parseResources(r.LimitList, fldPath.Child("limits"))
	requests, reqErrs := parseResources(r.RequestList, fldPath.Child("requests"))
	errs = append(errs, reqErrs...)
	for _, name := range []string{ResourceCPU, ResourceMemory} {
		req, hasReq := requests[name]
		limit, hasLimit := limits[name]
		if hasReq && hasLimit && req > limit {
			errs = append(errs, field.Invalid(fldPath.Child("requests"), r.RequestList[name],
				fmt.Sprintf("must be less than or equal to %s limit of %s", name, r.LimitList[name])))
		}
	}
	return errs
}

// parseResources parses the quantities of l; those that do not parse are
// errors and left out of the result.
func parseResources(l ResourceList, fldPath field.Path) (map[string]int64, field.ErrorList) {
	var errs field.ErrorList
	parsed := map[string]int64{}
	for _, name := range slices.Sorted(maps.Keys(l)) {
		q := l[name]
		var v int64
		var err error
		hint := cpuHint
		switch name {
		case ResourceCPU:
			v, err = ParseCPU(q)
		case ResourceMemory:
			v, err = ParseMemory(q)
			hint = memoryHint
		default:
			errs = append(errs, field.NotSupported(fldPath.Key(name), name, []string{ResourceCPU, ResourceMemory}))
			continue
		}
		if err != nil {
			errs = append(errs, field.Invalid(fldPath.Key(name), q, hint))
			continue
		}
		parsed[name] = v
	}
	return parsed, errs
}

// validateVolumeMounts checks the mounts of one container against the
// pod's volume names.
func validateVolumeMounts(mounts []VolumeMount, volumes map[string]bool, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	paths := map[string]bool{} // cleaned, so "/data/" and "/data" are the same mount point
	for i, m := range mounts {
		idxPath := fldPath.Index(i)
		switch {
		case m.Name == "":
			errs = append(errs, field.Required(idxPath.Child("name"), ""))
		case !volumes[m.Name]:
			errs = append(errs, field.NotFound(idxPath.Child("name"), m.Name))
		}
		mountPath := idxPath.Child("mountPath")
		switch {
		case m.MountPath == "":
			errs = append(errs, field.Required(mountPath, ""))
		case !path.IsAbs(m.MountPath):
			errs = append(errs, field.Invalid(mountPath, m.MountPath, "must be an absolute path"))
		case hasDotDot(m.MountPath):
			errs = append(errs, field.Invalid(mountPath, m.MountPath, "must not contain '..'"))
		case paths[path.Clean(m.MountPath)]:
			errs = append(errs, field.Invalid(mountPath, m.MountPath, "must be unique"))
		}
		paths[path.Clean(m.MountPath)] = true
	}
	return errs
}

// hasDotDot reports whether p has a ".." element, which could climb out of
// the directory p seems to name.
func hasDotDot(p string) bool {
	return slices.Contains(strings.Split(p, "/"), "..")
}

// invalid turns the messages of a naming rule into field errors.
func invalid(fldPath field.Path, value string, msgs []string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range msgs {
		errs = append(errs, field.Invalid(fldPath, value, msg))
	}
	return errs
}
