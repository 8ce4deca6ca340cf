package api

import (
	"crypto/rand"
	"fmt"
)

// SetDefaults fills in what a manifest may leave out, as the Kubernetes API
// server does before it validates a pod. It is safe to call twice.
//
// It leaves alone what is decided elsewhere: the image tag (the image
// store resolves "busybox" to busybox:latest) and the hostname (the
// runtime uses the pod name).
func SetDefaults(p *Pod) {
	if p.APIVersion == "" && p.Kind == "" {
		p.TypeMeta = TypeMeta{APIVersion: "v1", Kind: "Pod"}
	}
	if p.Namespace == "" {
		p.Namespace = NamespaceDefault
	}
	if p.UID == "" {
		p.UID = newUID()
	}
	s := &p.Spec
	if s.RestartPolicy == "" {
		s.RestartPolicy = RestartPolicyAlways
	}
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = new(int64(DefaultTerminationGracePeriodSeconds))
	}
	if s.ShareProcessNamespace == nil {
		s.ShareProcessNamespace = new(false)
	}
	for i := range s.InitContainers {
		setContainerDefaults(&s.InitContainers[i])
	}
	for i := range s.Containers {
		setContainerDefaults(&s.Containers[i])
	}
}

func setContainerDefaults(c *Container) {
	for i := range c.Ports {
		if c.Ports[i].Protocol == "" {
			c.Ports[i].Protocol = ProtocolTCP
		}
	}
	// A limit without a request also requests that much, as in Kubernetes:
	// the scheduler then reserves what the container may use.
	for name, limit := range c.Resources.LimitList {
		if _, ok := c.Resources.RequestList[name]; !ok {
			if c.Resources.RequestList == nil {
				c.Resources.RequestList = ResourceList{}
			}
			c.Resources.RequestList[name] = limit
		}
	}
}

// newUID returns a random (version 4) UUID, like
// "9b2f3c1e-5a7d-4e2b-8c61-0f4d2a9e7b13".
func newUID() string {
	var b [16]byte
	rand.Read(b[:])         // never fails: on error the program crashes
	b[6] = b[6]&0x0f | 0x40 // version 4: random
	b[8] = b[8]&0x3f | 0x80 // variant 10: RFC 9562
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
