package api

// Service gives a set of pods, chosen by labels, one stable virtual IP
// (the clusterIP) and a DNS name. The proxy on every node turns the
// clusterIP into the pod IPs listed in the Endpoints object of the same
// name (SEMANTICS.md §14).
type Service struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       ServiceSpec   `json:"spec,omitzero"`
	Status     ServiceStatus `json:"status,omitzero"`
}

// ServiceSpec is what the user asks for.
type ServiceSpec struct {
	// Type is ClusterIP (the default: reachable inside the cluster) or
	// NodePort (also on a port of every node).
	Type ServiceType `json:"type,omitempty"`
	// Selector chooses the pods by their labels. Without one, the
	// Endpoints are left to the user.
	Selector map[string]string `json:"selector,omitempty"`
	Ports    []ServicePort     `json:"ports,omitempty"`
	// ClusterIP is the virtual IP; empty asks for one to be allocated.
	// "None" makes a headless Service: no virtual IP, the DNS name
	// answers with the pod IPs, as a StatefulSet needs.
	ClusterIP string `json:"clusterIP,omitempty"`
	// SessionAffinity ClientIP sends each client to one pod; None (the
	// default) balances every connection anew.
	SessionAffinity ServiceAffinity `json:"sessionAffinity,omitempty"`
	// PublishNotReadyAddresses lists pods in the Endpoints before they are
	// Ready, so that StatefulSet peers can find each other while starting.
	PublishNotReadyAddresses bool `json:"publishNotReadyAddresses,omitempty"`
}

// ServiceType says how a Service is reached.
type ServiceType string

const (
	ServiceTypeClusterIP ServiceType = "ClusterIP"
	ServiceTypeNodePort  ServiceType = "NodePort"
)

// ClusterIPNone is the clusterIP of a headless Service.
const ClusterIPNone = "None"

// The NodePort range, as kube-apiserver's --service-node-port-range.
const (
	NodePortMin = 30000
	NodePortMax = 32767
)

// ServiceAffinity is None or ClientIP.
type ServiceAffinity string

const (
	ServiceAffinityNone     ServiceAffinity = "None"
	ServiceAffinityClientIP ServiceAffinity = "ClientIP"
)

// ServicePort is one port of the Service and where it leads on the pods.
type ServicePort struct {
	// Name is required when there are several ports; Endpoints ports
	// carry the same name.
	Name     string   `json:"name,omitempty"`
	Protocol Protocol `json:"protocol,omitempty"`
	// Port is the port of the clusterIP.
	Port int32 `json:"port"`
	// TargetPort is the port on the pods: a number, or the name of a
	// container port. It defaults to Port.
	TargetPort IntOrString `json:"targetPort,omitzero"`
	// NodePort is the port on every node, for type NodePort; 0 asks for
	// one to be allocated from 30000-32767.
	NodePort int32 `json:"nodePort,omitempty"`
}

// ServiceStatus is empty for the Service types podlab has; it is here so
// that a manifest with "status: {}" decodes.
type ServiceStatus struct{}

// Endpoints lists the addresses behind a Service, under the Service's
// name. The endpoints controller keeps it in step with the ready pods.
type Endpoints struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Subsets    []EndpointSubset `json:"subsets,omitempty"`
}

// EndpointSubset is a set of addresses that all have the same ports.
type EndpointSubset struct {
	// Addresses are ready to take traffic; NotReadyAddresses are not yet
	// (or no longer), and the proxy leaves them out.
	Addresses         []EndpointAddress `json:"addresses,omitempty"`
	NotReadyAddresses []EndpointAddress `json:"notReadyAddresses,omitempty"`
	Ports             []EndpointPort    `json:"ports,omitempty"`
}

// EndpointAddress is one pod behind the Service.
type EndpointAddress struct {
	IP string `json:"ip"`
	// Hostname is the pod's hostname, for the DNS names of a headless
	// Service, like web-0.web.default.svc.cluster.local.
	Hostname  string           `json:"hostname,omitempty"`
	NodeName  *string          `json:"nodeName,omitempty"`
	TargetRef *ObjectReference `json:"targetRef,omitempty"`
}

// EndpointPort is one port on the addresses, named like the Service port
// it serves.
type EndpointPort struct {
	Name     string   `json:"name,omitempty"`
	Port     int32    `json:"port"`
	Protocol Protocol `json:"protocol,omitempty"`
}
