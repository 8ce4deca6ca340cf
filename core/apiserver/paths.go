package apiserver

import (
	"reflect"
	"slices"
	"strings"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/store"
)

// resource is one kind as the API serves it: its apiVersion and kind, and
// the plural that names it in paths and store keys.
type resource struct {
	kind       api.TypeMeta
	name       string // like "deployments"
	namespaced bool
}

// resourceOf returns the resource of kind tm, which must be in the kinds
// table.
func resourceOf(tm api.TypeMeta) resource {
	name, namespaced := api.ResourceOf(tm)
	return resource{kind: tm, name: name, namespaced: namespaced}
}

// group is the API group of the resource: "" for the core group (v1),
// "apps" for apps/v1.
func (r resource) group() string { return groupOf(r.kind.APIVersion) }

// qualified names the resource in messages as Kubernetes does, with its
// group: "pods", "deployments.apps".
func (r resource) qualified() string {
	if g := r.group(); g != "" {
		return r.name + "." + g
	}
	return r.name
}

// hasStatus reports whether the kind has a status, and so a status
// subresource. Events and Endpoints have none.
func (r resource) hasStatus() bool {
	obj, err := api.New(r.kind)
	return err == nil && reflect.ValueOf(obj).Elem().FieldByName("Status").IsValid()
}

// groupOf returns the group of an apiVersion: "apps" for "apps/v1", "" for "v1".
func groupOf(apiVersion string) string {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return ""
	}
	return group
}

// namespaces is the resource of Namespace objects.
var namespaces = resourceOf(api.KindNamespace)

// Subresources: parts of an object with a path, and rules, of their own.
const (
	subStatus  = "status"  // only the status; what controllers and the podlet write
	subBinding = "binding" // a pod's node; what the scheduler writes
)

// target is what a request path names: a collection, one object, or a
// part of one object.
type target struct {
	res resource
	// namespace is "" for a cluster-scoped kind, and for a list or watch
	// of a namespaced kind across every namespace.
	namespace   string
	name        string // "" for a collection
	subresource string // "", subStatus or subBinding
}

// key is the store key of the target object, or the prefix of the target
// collection (see store.Key).
func (t target) key() string { return store.Key(t.res.name, t.namespace, t.name) }

// parsePath reads a REST path, as Kubernetes lays them out:
//
//	/api/v1/namespaces/{ns}/pods               a collection in a namespace
//	/api/v1/namespaces/{ns}/pods/{name}        one object
//	/api/v1/namespaces/{ns}/pods/{name}/status a subresource
//	/api/v1/pods                               every namespace (list, watch)
//	/api/v1/nodes/{name}                       a cluster-scoped object
//	/apis/apps/v1/namespaces/{ns}/deployments  a named group
//
// The Namespace objects themselves are the cluster-scoped resource
// "namespaces": /api/v1/namespaces/{name} and .../{name}/status. ok is
// false if the path names nothing podlab serves.
func parsePath(path string) (t target, ok bool) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var apiVersion string
	switch {
	case len(segs) >= 3 && segs[0] == "api":
		apiVersion, segs = segs[1], segs[2:]
	case len(segs) >= 4 && segs[0] == "apis":
		apiVersion, segs = segs[1]+"/"+segs[2], segs[3:]
	default:
		return target{}, false
	}
	// No name is empty, "." or "..": such a segment names nothing, and
	// must not reach the store.
	if slices.ContainsFunc(segs, func(seg string) bool { return seg == "" || seg == "." || seg == ".." }) {
		return target{}, false
	}
	// namespaces/{ns}/{resource}... is inside a namespace, but
	// namespaces/{name}/status is the status of the Namespace itself.
	if len(segs) >= 3 && segs[0] == "namespaces" && !(len(segs) == 3 && segs[2] == subStatus) {
		t.namespace, segs = segs[1], segs[2:]
	}
	kind, ok := api.KindForResource(apiVersion, segs[0])
	if !ok {
		return target{}, false
	}
	t.res = resourceOf(kind)
	switch len(segs) {
	case 1: // a collection: of one namespace, of all of them, or cluster-scoped
	case 2:
		t.name = segs[1]
	case 3:
		t.name, t.subresource = segs[1], segs[2]
	default:
		return target{}, false
	}
	return t, t.valid()
}

// valid reports whether the target makes sense for its kind: a
// cluster-scoped kind in no namespace, a namespaced object in one, and a
// subresource the kind has.
func (t target) valid() bool {
	if !t.res.namespaced && t.namespace != "" {
		return false
	}
	if t.res.namespaced && t.namespace == "" && t.name != "" {
		return false // an object of a namespaced kind needs its namespace
	}
	switch t.subresource {
	case "":
		return true
	case subStatus:
		return t.res.hasStatus()
	case subBinding:
		return t.res.kind == api.KindPod
	}
	return false
}
