package apiserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/api/field"
)

// binding assigns a pod to a node: the body of a POST to the pod's
// binding subresource, the scheduler's one write.
//
//	{"apiVersion":"v1","kind":"Binding","metadata":{"name":"web"},
//	 "target":{"apiVersion":"v1","kind":"Node","name":"node1"}}
//
// It is not stored: it sets the pod's spec.nodeName.
type binding struct {
	api.TypeMeta   `json:",inline"`
	api.ObjectMeta `json:"metadata"`
	Target         api.ObjectReference `json:"target"`
}

var kindBinding = api.TypeMeta{APIVersion: "v1", Kind: "Binding"}

// bind answers POST on a pod's binding: it sets the pod's node, once. A
// pod bound already is a Conflict, so two schedulers cannot both place
// it. The answer is 201 with a Success Status.
func (s *Server) bind(w http.ResponseWriter, r *http.Request, t target) error {
	b, err := decodeBinding(r, t)
	if err != nil {
		return err
	}
	bindings := resource{kind: kindBinding, name: "pods/binding", namespaced: true}
	_, err = s.guaranteedUpdate(r.Context(), t, func(cur api.Object) (api.Object, error) {
		p := api.DeepCopy(cur.(*api.Pod))
		switch {
		case p.DeletionTimestamp != nil:
			return nil, conflict(bindings, t.name, fmt.Sprintf("pod %s is being deleted, cannot be assigned to a host", t.name))
		case p.Spec.NodeName != "":
			return nil, conflict(bindings, t.name, fmt.Sprintf("pod %s is already assigned to node %q", t.name, p.Spec.NodeName))
		}
		p.Spec.NodeName = b.Target.Name
		setScheduled(p)
		if errs := api.Validate(p); len(errs) > 0 { // a node name that is no name
			return nil, invalid(kindBinding, t.name, errs)
		}
		return p, nil
	})
	if err != nil {
		return err
	}
	writeSuccess(w, http.StatusCreated)
	return nil
}

// decodeBinding reads the Binding of a POST to the binding of pod t, and
// checks it names that pod and a node.
func decodeBinding(r *http.Request, t target) (*binding, error) {
	if err := checkContentType(r, "application/json"); err != nil {
		return nil, err
	}
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var b binding
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, badRequest("decode the Binding: %v", err)
	}
	if b.TypeMeta != kindBinding {
		return nil, badRequest("the body must be a Binding of apiVersion \"v1\", not a %q of apiVersion %q", b.Kind, b.APIVersion)
	}
	if b.Name != "" && b.Name != t.name {
		return nil, badRequest("the name of the Binding (%s) does not match the name of the pod on the URL (%s)", b.Name, t.name)
	}
	if b.Namespace != "" && b.Namespace != t.namespace {
		return nil, badRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	target := field.NewPath("target")
	switch {
	case b.Target.Kind != "" && b.Target.Kind != api.KindNode.Kind:
		return nil, invalid(kindBinding, t.name, field.ErrorList{field.NotSupported(target.Child("kind"), b.Target.Kind, []string{"Node"})})
	case b.Target.Name == "":
		return nil, invalid(kindBinding, t.name, field.ErrorList{field.Required(target.Child("name"), "the node to bind the pod to")})
	}
	return &b, nil
}

// setScheduled sets the pod's PodScheduled condition to True, as the
// binding does in Kubernetes.
func setScheduled(p *api.Pod) {
	c := api.PodCondition{Type: api.PodScheduled, Status: api.ConditionTrue, LastTransitionTime: now()}
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == api.PodScheduled {
			p.Status.Conditions[i] = c
			return
		}
	}
	p.Status.Conditions = append(p.Status.Conditions, c)
}
