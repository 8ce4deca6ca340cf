package scheduler

import (
	"fmt"

	"github.com/podlab/podlab/core/api"
)

// Request is what a pod asks a node to reserve for it.
type Request struct {
	CPU    int64 // millicores
	Memory int64 // bytes
}

func (r Request) add(o Request) Request {
	return Request{CPU: r.CPU + o.CPU, Memory: r.Memory + o.Memory}
}

// atLeast returns the larger of r and o for each resource on its own: the
// CPU may come from one phase of the pod and the memory from another.
func (r Request) atLeast(o Request) Request {
	return Request{CPU: max(r.CPU, o.CPU), Memory: max(r.Memory, o.Memory)}
}

// PodRequest returns the effective request of p (SEMANTICS.md §15), the
// most the pod needs at any moment of its life:
//
//   - while it runs, its app containers and native sidecars all at once;
//   - while it starts, one init container at a time, beside the sidecars
//     started before it.
//
// The result is the larger of the two, for each resource. Init containers
// never add up with each other or with the app containers: they are done
// before the next one starts. Kubernetes adds spec.overhead (the sandbox's
// own cost) on top; podlab has no overhead, so it adds nothing.
//
// A container without requests counts 0.
func PodRequest(p *api.Pod) (Request, error) {
	app := make([]Request, len(p.Spec.Containers))
	for i, c := range p.Spec.Containers {
		r, err := containerRequest(c)
		if err != nil {
			return Request{}, err
		}
		app[i] = r
	}
	inits := make([]initRequest, len(p.Spec.InitContainers))
	for i, c := range p.Spec.InitContainers {
		r, err := containerRequest(c)
		if err != nil {
			return Request{}, err
		}
		inits[i] = initRequest{Request: r, sidecar: c.IsSidecar()}
	}
	return effectiveRequest(app, inits), nil
}

// initRequest is the request of one init container and whether it is a
// native sidecar.
type initRequest struct {
	Request
	sidecar bool
}

// effectiveRequest is the formula of SEMANTICS.md §15, kept apart from the
// parsing so that the tests can feed it the worked examples directly.
func effectiveRequest(app []Request, inits []initRequest) Request {
	var running Request // app containers and sidecars, once the pod runs
	for _, r := range app {
		running = running.add(r)
	}
	var sidecars, initPeak Request // sidecars started so far; the busiest init step
	for _, c := range inits {
		if c.sidecar {
			// A sidecar keeps running: it is part of the running pod and
			// sits beside every init container that comes after it.
			running = running.add(c.Request)
			sidecars = sidecars.add(c.Request)
			initPeak = initPeak.atLeast(sidecars)
		} else {
			initPeak = initPeak.atLeast(sidecars.add(c.Request))
		}
	}
	return running.atLeast(initPeak)
}

func containerRequest(c api.Container) (Request, error) {
	cpu, memory, err := c.Resources.Requests()
	if err != nil {
		return Request{}, fmt.Errorf("container %q: %w", c.Name, err)
	}
	return Request{CPU: cpu, Memory: memory}, nil
}

// requested sums the effective requests of the pods bound to a node: what
// the node has already promised.
func requested(pods []*api.Pod) (Request, error) {
	var sum Request
	for _, p := range pods {
		r, err := PodRequest(p)
		if err != nil {
			return Request{}, fmt.Errorf("pod %q: %w", p.Namespace+"/"+p.Name, err)
		}
		sum = sum.add(r)
	}
	return sum, nil
}
