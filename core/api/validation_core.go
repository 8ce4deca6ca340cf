package api

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"

	"github.com/podlab/podlab/core/api/field"
)

// Validation of the core kinds other than Pod: Node, Namespace, Event,
// Service, Endpoints and PersistentVolumeClaim.

func validateNode(n *Node) field.ErrorList {
	errs := validateObjectMeta(&n.ObjectMeta, false, isDNS1123Subdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	if n.Spec.PodCIDR != "" {
		if _, _, err := net.ParseCIDR(n.Spec.PodCIDR); err != nil {
			errs = append(errs, field.Invalid(spec.Child("podCIDR"), n.Spec.PodCIDR, "must be a valid CIDR value, (e.g. 10.244.1.0/24)"))
		}
	}
	seen := map[string]bool{}
	for i, t := range n.Spec.Taints {
		idxPath := spec.Child("taints").Index(i)
		if t.Key == "" {
			errs = append(errs, field.Required(idxPath.Child("key"), ""))
		} else {
			errs = append(errs, invalid(idxPath.Child("key"), t.Key, isQualifiedName(t.Key))...)
		}
		errs = append(errs, invalid(idxPath.Child("value"), t.Value, isLabelValue(t.Value))...)
		switch {
		case t.Effect == "":
			errs = append(errs, field.Required(idxPath.Child("effect"), ""))
		case !slices.Contains(taintEffects, string(t.Effect)):
			errs = append(errs, field.NotSupported(idxPath.Child("effect"), t.Effect, taintEffects))
		}
		// One key may carry one taint per effect.
		if id := t.Key + ":" + string(t.Effect); seen[id] {
			errs = append(errs, field.Duplicate(idxPath, id))
		} else {
			seen[id] = true
		}
	}
	status := field.NewPath("status")
	errs = append(errs, validateNodeResources(n.Status.Capacity, status.Child("capacity"))...)
	errs = append(errs, validateNodeResources(n.Status.Allocatable, status.Child("allocatable"))...)
	for i, c := range n.Status.Conditions {
		idxPath := status.Child("conditions").Index(i)
		if c.Type == "" {
			errs = append(errs, field.Required(idxPath.Child("type"), ""))
		}
		errs = append(errs, validateConditionStatus(c.Status, idxPath.Child("status"))...)
	}
	for i, a := range n.Status.Addresses {
		idxPath := status.Child("addresses").Index(i)
		switch a.Type {
		case NodeInternalIP, NodeExternalIP:
			if net.ParseIP(a.Address) == nil {
				errs = append(errs, field.Invalid(idxPath.Child("address"), a.Address, "must be a valid IP address"))
			}
		case NodeHostName:
			errs = append(errs, invalid(idxPath.Child("address"), a.Address, isDNS1123Subdomain(a.Address))...)
		default:
			errs = append(errs, field.NotSupported(idxPath.Child("type"), a.Type,
				[]string{string(NodeInternalIP), string(NodeExternalIP), string(NodeHostName)}))
		}
	}
	return errs
}

// validateNodeResources checks a node's capacity or allocatable.
func validateNodeResources(l ResourceList, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, name := range slices.Sorted(maps.Keys(l)) {
		q, idxPath := l[name], fldPath.Key(name)
		var err error
		hint := memoryHint
		switch name {
		case ResourceCPU:
			_, err = ParseCPU(q)
			hint = cpuHint
		case ResourceMemory, ResourceEphemeralStorage:
			_, err = ParseMemory(q)
		case ResourcePods:
			var n int
			if n, err = strconv.Atoi(q); err == nil && n < 0 {
				err = fmt.Errorf("negative")
			}
			hint = "must be a whole number of pods, like 110"
		default:
			errs = append(errs, field.NotSupported(idxPath, name,
				[]string{ResourceCPU, ResourceMemory, ResourcePods, ResourceEphemeralStorage}))
			continue
		}
		if err != nil {
			errs = append(errs, field.Invalid(idxPath, q, hint))
		}
	}
	return errs
}

func validateConditionStatus(s ConditionStatus, fldPath field.Path) field.ErrorList {
	switch s {
	case ConditionTrue, ConditionFalse, ConditionUnknown:
		return nil
	}
	return field.ErrorList{field.NotSupported(fldPath, s,
		[]string{string(ConditionTrue), string(ConditionFalse), string(ConditionUnknown)})}
}

func validateNamespace(ns *Namespace) field.ErrorList {
	// A namespace name is part of DNS names, like web.default.svc.
	errs := validateObjectMeta(&ns.ObjectMeta, false, isDNS1123Label, field.NewPath("metadata"))
	for i, f := range ns.Spec.Finalizers {
		errs = append(errs, invalid(field.NewPath("spec").Child("finalizers").Index(i), f, isQualifiedName(f))...)
	}
	switch ns.Status.Phase {
	case "", NamespaceActive, NamespaceTerminating:
	default:
		errs = append(errs, field.NotSupported(field.NewPath("status").Child("phase"), ns.Status.Phase,
			[]string{string(NamespaceActive), string(NamespaceTerminating)}))
	}
	return errs
}

func validateEvent(e *Event) field.ErrorList {
	errs := validateObjectMeta(&e.ObjectMeta, true, isDNS1123Subdomain, field.NewPath("metadata"))
	obj := field.NewPath("involvedObject")
	if e.InvolvedObject.Kind == "" {
		errs = append(errs, field.Required(obj.Child("kind"), ""))
	}
	if e.InvolvedObject.Name == "" {
		errs = append(errs, field.Required(obj.Child("name"), ""))
	}
	// An event about a namespaced object lives in that object's namespace.
	if ns := e.InvolvedObject.Namespace; ns != "" && ns != e.Namespace {
		errs = append(errs, field.Invalid(obj.Child("namespace"), ns, "does not match event.namespace"))
	}
	switch e.Type {
	case EventTypeNormal, EventTypeWarning:
	case "":
		errs = append(errs, field.Required(field.NewPath("type"), ""))
	default:
		errs = append(errs, field.NotSupported(field.NewPath("type"), e.Type, []string{EventTypeNormal, EventTypeWarning}))
	}
	return append(errs, nonNegative(int64(e.Count), field.NewPath("count"))...)
}

func validateService(svc *Service) field.ErrorList {
	// A Service name is part of DNS names, like web.default.svc.
	errs := validateObjectMeta(&svc.ObjectMeta, true, isDNS1123Label, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &svc.Spec
	switch s.Type {
	case ServiceTypeClusterIP, ServiceTypeNodePort:
	case "":
		errs = append(errs, field.Required(spec.Child("type"), ""))
	default:
		errs = append(errs, field.NotSupported(spec.Child("type"), s.Type,
			[]string{string(ServiceTypeClusterIP), string(ServiceTypeNodePort)}))
	}
	switch {
	case s.ClusterIP == ClusterIPNone && s.Type == ServiceTypeNodePort:
		// A NodePort leads to the clusterIP: a headless Service has none.
		errs = append(errs, field.Invalid(spec.Child("clusterIP"), s.ClusterIP, "may not be set to 'None' for NodePort services"))
	case s.ClusterIP != "" && s.ClusterIP != ClusterIPNone && net.ParseIP(s.ClusterIP) == nil:
		errs = append(errs, field.Invalid(spec.Child("clusterIP"), s.ClusterIP, `must be a valid IP address (like 10.96.0.10), "None" or empty`))
	}
	// A headless Service may have no ports: its DNS name gives pod IPs.
	if len(s.Ports) == 0 && s.ClusterIP != ClusterIPNone {
		errs = append(errs, field.Required(spec.Child("ports"), ""))
	}
	errs = append(errs, validateServicePorts(s, spec.Child("ports"))...)
	errs = append(errs, validateLabels(s.Selector, spec.Child("selector"))...)
	switch s.SessionAffinity {
	case ServiceAffinityNone, ServiceAffinityClientIP:
	case "":
		errs = append(errs, field.Required(spec.Child("sessionAffinity"), ""))
	default:
		errs = append(errs, field.NotSupported(spec.Child("sessionAffinity"), s.SessionAffinity,
			[]string{string(ServiceAffinityNone), string(ServiceAffinityClientIP)}))
	}
	return errs
}

// validateServicePorts checks each port, and that no two ports of the
// Service share a name, a port or a nodePort.
func validateServicePorts(s *ServiceSpec, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	names, ports, nodePorts := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, p := range s.Ports {
		idxPath := fldPath.Index(i)
		switch {
		case p.Name == "" && len(s.Ports) > 1:
			// Endpoints ports are matched to Service ports by name.
			errs = append(errs, field.Required(idxPath.Child("name"), "when there is more than one port"))
		case p.Name == "":
		case names[p.Name]:
			errs = append(errs, field.Duplicate(idxPath.Child("name"), p.Name))
		default:
			errs = append(errs, invalid(idxPath.Child("name"), p.Name, isDNS1123Label(p.Name))...)
		}
		names[p.Name] = true
		errs = append(errs, validatePortNumber(p.Port, idxPath.Child("port"))...)
		errs = append(errs, validateProtocol(p.Protocol, idxPath.Child("protocol"))...)
		if key := fmt.Sprintf("%d/%s", p.Port, p.Protocol); ports[key] {
			errs = append(errs, field.Duplicate(idxPath, key))
		} else {
			ports[key] = true
		}
		target := idxPath.Child("targetPort")
		switch tp := p.TargetPort; {
		case tp.Type == String:
			errs = append(errs, invalid(target, tp.StrVal, isPortName(tp.StrVal))...)
		case tp.IntVal != 0:
			errs = append(errs, validatePortNumber(tp.IntVal, target)...)
		}
		if p.NodePort == 0 {
			continue
		}
		nodePort := idxPath.Child("nodePort")
		switch key := fmt.Sprintf("%d/%s", p.NodePort, p.Protocol); {
		case s.Type == ServiceTypeClusterIP:
			errs = append(errs, field.Forbidden(nodePort, "may not be used when `type` is 'ClusterIP'"))
		case p.NodePort < NodePortMin || p.NodePort > NodePortMax:
			errs = append(errs, field.Invalid(nodePort, p.NodePort,
				fmt.Sprintf("must be between %d and %d, inclusive", NodePortMin, NodePortMax)))
		case nodePorts[key]:
			errs = append(errs, field.Duplicate(nodePort, p.NodePort))
		default:
			nodePorts[key] = true
		}
	}
	return errs
}

func validatePortNumber(port int32, fldPath field.Path) field.ErrorList {
	if port < 1 || port > 65535 {
		return field.ErrorList{field.Invalid(fldPath, port, "must be between 1 and 65535, inclusive")}
	}
	return nil
}

func validateProtocol(p Protocol, fldPath field.Path) field.ErrorList {
	switch p {
	case ProtocolTCP, ProtocolUDP, ProtocolSCTP:
		return nil
	case "":
		return field.ErrorList{field.Required(fldPath, "")}
	}
	return field.ErrorList{field.NotSupported(fldPath, p, []string{string(ProtocolTCP), string(ProtocolUDP), string(ProtocolSCTP)})}
}

func validateEndpoints(ep *Endpoints) field.ErrorList {
	errs := validateObjectMeta(&ep.ObjectMeta, true, isDNS1123Subdomain, field.NewPath("metadata"))
	for i := range ep.Subsets {
		ss, idxPath := &ep.Subsets[i], field.NewPath("subsets").Index(i)
		if len(ss.Addresses) == 0 && len(ss.NotReadyAddresses) == 0 {
			errs = append(errs, field.Required(idxPath, "must specify `addresses` or `notReadyAddresses`"))
		}
		for j := range ss.Addresses {
			errs = append(errs, validateEndpointAddress(&ss.Addresses[j], idxPath.Child("addresses").Index(j))...)
		}
		for j := range ss.NotReadyAddresses {
			errs = append(errs, validateEndpointAddress(&ss.NotReadyAddresses[j], idxPath.Child("notReadyAddresses").Index(j))...)
		}
		if len(ss.Ports) == 0 {
			errs = append(errs, field.Required(idxPath.Child("ports"), ""))
		}
		names := map[string]bool{}
		for j, p := range ss.Ports {
			portPath := idxPath.Child("ports").Index(j)
			switch {
			case p.Name == "" && len(ss.Ports) > 1:
				errs = append(errs, field.Required(portPath.Child("name"), "when there is more than one port"))
			case p.Name == "":
			case names[p.Name]:
				errs = append(errs, field.Duplicate(portPath.Child("name"), p.Name))
			default:
				errs = append(errs, invalid(portPath.Child("name"), p.Name, isDNS1123Label(p.Name))...)
			}
			names[p.Name] = true
			errs = append(errs, validatePortNumber(p.Port, portPath.Child("port"))...)
			errs = append(errs, validateProtocol(p.Protocol, portPath.Child("protocol"))...)
		}
	}
	return errs
}

func validateEndpointAddress(a *EndpointAddress, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	if net.ParseIP(a.IP) == nil {
		errs = append(errs, field.Invalid(fldPath.Child("ip"), a.IP, "must be a valid IP address"))
	}
	if a.Hostname != "" {
		errs = append(errs, invalid(fldPath.Child("hostname"), a.Hostname, isDNS1123Label(a.Hostname))...)
	}
	if a.NodeName != nil {
		errs = append(errs, invalid(fldPath.Child("nodeName"), *a.NodeName, isDNS1123Subdomain(*a.NodeName))...)
	}
	return errs
}

func validatePersistentVolumeClaim(pvc *PersistentVolumeClaim) field.ErrorList {
	errs := validateObjectMeta(&pvc.ObjectMeta, true, isDNS1123Subdomain, field.NewPath("metadata"))
	return append(errs, validatePVCSpec(&pvc.Spec, field.NewPath("spec"))...)
}

// accessModes are the ways a volume may be mounted.
var accessModes = []string{string(ReadWriteOnce), string(ReadOnlyMany), string(ReadWriteMany), string(ReadWriteOncePod)}

// validatePVCSpec checks a claim's spec, or a StatefulSet's claim template's.
func validatePVCSpec(s *PersistentVolumeClaimSpec, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(s.AccessModes) == 0 {
		errs = append(errs, field.Required(fldPath.Child("accessModes"), "at least 1 access mode is required"))
	}
	for i, m := range s.AccessModes {
		if !slices.Contains(accessModes, string(m)) {
			errs = append(errs, field.NotSupported(fldPath.Child("accessModes").Index(i), m, accessModes))
		}
	}
	res := fldPath.Child("resources")
	if _, ok := s.Resources.Requests[ResourceStorage]; !ok {
		errs = append(errs, field.Required(res.Child("requests").Key(ResourceStorage), ""))
	}
	errs = append(errs, validateStorage(s.Resources.Requests, res.Child("requests"))...)
	errs = append(errs, validateStorage(s.Resources.Limits, res.Child("limits"))...)
	if c := s.StorageClassName; c != nil && *c != "" {
		errs = append(errs, invalid(fldPath.Child("storageClassName"), *c, isDNS1123Subdomain(*c))...)
	}
	if s.VolumeName != "" {
		errs = append(errs, invalid(fldPath.Child("volumeName"), s.VolumeName, isDNS1123Subdomain(s.VolumeName))...)
	}
	return errs
}

// validateStorage checks the sizes of a claim: only "storage", in bytes.
func validateStorage(l ResourceList, fldPath field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, name := range slices.Sorted(maps.Keys(l)) {
		switch _, err := ParseMemory(l[name]); {
		case name != ResourceStorage:
			errs = append(errs, field.NotSupported(fldPath.Key(name), name, []string{ResourceStorage}))
		case err != nil:
			errs = append(errs, field.Invalid(fldPath.Key(name), l[name], `must be a storage quantity, like "1Gi"`))
		}
	}
	return errs
}
