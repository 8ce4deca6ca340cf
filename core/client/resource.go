package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strconv"

	"github.com/podlab/podlab/core/api"
)

// Resource reads and writes the objects of one kind, in one namespace or
// in all of them. T is the kind's Go type, like *api.Pod, or api.Object
// for a kind known at run time (see Client.Resource).
type Resource[T api.Object] struct {
	c          *Client
	kind       api.TypeMeta
	resource   string // plural, like "deployments"
	namespaced bool
	namespace  string // "" for all namespaces, or a cluster-scoped kind
}

func typed[T api.Object](c *Client, kind api.TypeMeta, ns string) *Resource[T] {
	obj, err := api.New(kind)
	if err != nil {
		panic(err) // the kinds of the typed accessors are all in the table
	}
	r := &Resource[T]{c: c, kind: kind, resource: api.Resource(obj), namespaced: api.Namespaced(obj)}
	if r.namespaced {
		r.namespace = ns
	}
	return r
}

// Kind returns the apiVersion and kind of the resource's objects.
func (r *Resource[T]) Kind() api.TypeMeta { return r.kind }

// Name returns the resource's lower-case plural, like "pods".
func (r *Resource[T]) Name() string { return r.resource }

// Namespaced reports whether the kind's objects live in namespaces.
func (r *Resource[T]) Namespaced() bool { return r.namespaced }

// ListOptions narrow a List or a Watch.
type ListOptions struct {
	// LabelSelector is the string form, like "app=web,tier in (fe,be)".
	LabelSelector string
	// FieldSelector is like "spec.nodeName=node1" or "metadata.name=web".
	FieldSelector string
	// ResourceVersion: for a Watch, the changes after this revision; ""
	// (or "0") first delivers every current object as ADDED.
	ResourceVersion string
	// TimeoutSeconds ends a Watch after that long; 0 means never.
	TimeoutSeconds int
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.LabelSelector != "" {
		q.Set("labelSelector", o.LabelSelector)
	}
	if o.FieldSelector != "" {
		q.Set("fieldSelector", o.FieldSelector)
	}
	if o.ResourceVersion != "" {
		q.Set("resourceVersion", o.ResourceVersion)
	}
	if o.TimeoutSeconds > 0 {
		q.Set("timeoutSeconds", strconv.Itoa(o.TimeoutSeconds))
	}
	return q
}

// Propagation policies of a delete (SEMANTICS.md §5.4): what happens to
// the objects the deleted one owns.
const (
	// PropagationBackground deletes the owner now and its dependents after.
	PropagationBackground = "Background"
	// PropagationForeground deletes the dependents first, then the owner.
	PropagationForeground = "Foreground"
	// PropagationOrphan keeps the dependents, without their owner reference.
	PropagationOrphan = "Orphan"
)

// DeleteOptions tune a Delete. The zero value is the server's default:
// a pod's own grace period and background propagation.
type DeleteOptions struct {
	// GracePeriodSeconds overrides a pod's terminationGracePeriodSeconds;
	// a pointer to 0 removes the pod at once ("--force").
	GracePeriodSeconds *int64
	// PropagationPolicy is one of the Propagation constants, or "".
	PropagationPolicy string
}

func (o DeleteOptions) query() url.Values {
	q := url.Values{}
	if o.GracePeriodSeconds != nil {
		q.Set("gracePeriodSeconds", strconv.FormatInt(*o.GracePeriodSeconds, 10))
	}
	if o.PropagationPolicy != "" {
		q.Set("propagationPolicy", o.PropagationPolicy)
	}
	return q
}

// path returns the URL path of the collection in namespace ns ("" for all
// namespaces), or of one object if name is set, with subresource after it:
//
//	/api/v1/namespaces/default/pods/web/status
//	/apis/apps/v1/deployments
func (r *Resource[T]) path(ns, name, subresource string) string {
	p := "/apis/" + r.kind.APIVersion
	if r.kind.APIVersion == "v1" {
		p = "/api/v1" // the core group has no name
	}
	if r.namespaced && ns != "" {
		p += "/namespaces/" + url.PathEscape(ns)
	}
	p += "/" + r.resource
	if name != "" {
		p += "/" + url.PathEscape(name)
		if subresource != "" {
			p += "/" + subresource
		}
	}
	return p
}

// objectNamespace is the namespace a single-object call works in.
func (r *Resource[T]) objectNamespace(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%s: a name is required", r.resource)
	}
	if r.namespaced && r.namespace == "" {
		return "", fmt.Errorf("%s %q: a namespace is required", r.resource, name)
	}
	return r.namespace, nil
}

// namespaceOf picks the namespace of obj for Create and Update: its own,
// or the resource's; both set and different is a mistake.
func (r *Resource[T]) namespaceOf(obj T) (string, error) {
	m := obj.GetObjectMeta()
	if !r.namespaced {
		return "", nil
	}
	switch {
	case m.Namespace == "" && r.namespace == "":
		return api.NamespaceDefault, nil
	case m.Namespace == "":
		return r.namespace, nil
	case r.namespace != "" && m.Namespace != r.namespace:
		return "", fmt.Errorf("%s %q is in namespace %q, not in %q", r.resource, m.Name, m.Namespace, r.namespace)
	}
	return m.Namespace, nil
}

// newObject returns a new empty T to decode into.
func (r *Resource[T]) newObject() T {
	obj, err := api.New(r.kind)
	if err != nil {
		panic(err) // checked in typed
	}
	return obj.(T)
}

// Get returns the object called name.
func (r *Resource[T]) Get(ctx context.Context, name string) (T, error) {
	var zero T
	ns, err := r.objectNamespace(name)
	if err != nil {
		return zero, err
	}
	out := r.newObject()
	if err := r.c.do(ctx, "GET", r.path(ns, name, ""), nil, "", nil, out); err != nil {
		return zero, err
	}
	return out, nil
}

// List returns the objects that match opts, sorted by namespace and name,
// and the resourceVersion of the list: Watch from it to see every later
// change.
func (r *Resource[T]) List(ctx context.Context, opts ListOptions) ([]T, string, error) {
	var list struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
		Items []json.RawMessage `json:"items"`
	}
	opts.ResourceVersion, opts.TimeoutSeconds = "", 0 // list the latest state
	if err := r.c.do(ctx, "GET", r.path(r.namespace, "", ""), opts.query(), "", nil, &list); err != nil {
		return nil, "", err
	}
	items := make([]T, 0, len(list.Items))
	for _, raw := range list.Items {
		obj := r.newObject()
		if err := json.Unmarshal(raw, obj); err != nil {
			return nil, "", fmt.Errorf("list %s: decode an item: %w", r.resource, err)
		}
		items = append(items, obj)
	}
	return items, list.Metadata.ResourceVersion, nil
}

// Create stores a new object and returns it as stored: with its uid,
// resourceVersion, creationTimestamp, defaults, and a name made from
// generateName if it had none.
func (r *Resource[T]) Create(ctx context.Context, obj T) (T, error) {
	var zero T
	ns, err := r.namespaceOf(obj)
	if err != nil {
		return zero, err
	}
	return r.send(ctx, "POST", r.path(ns, "", ""), "application/json", obj)
}

// Update replaces the object with obj, which must carry the
// resourceVersion it was read at: if someone wrote in between, the error
// is a Conflict (IsConflict) and the caller reads again and retries. The
// status is not changed; see UpdateStatus.
func (r *Resource[T]) Update(ctx context.Context, obj T) (T, error) {
	return r.update(ctx, obj, "")
}

// UpdateStatus replaces only the status of the object, as a controller
// or the podlet reports what it sees; the rest of obj is ignored.
func (r *Resource[T]) UpdateStatus(ctx context.Context, obj T) (T, error) {
	return r.update(ctx, obj, "status")
}

func (r *Resource[T]) update(ctx context.Context, obj T, subresource string) (T, error) {
	var zero T
	ns, err := r.namespaceOf(obj)
	if err != nil {
		return zero, err
	}
	name := obj.GetObjectMeta().Name
	if name == "" {
		return zero, fmt.Errorf("update %s: the object has no name", r.resource)
	}
	return r.send(ctx, "PUT", r.path(ns, name, subresource), "application/json", obj)
}

// Patch applies a JSON merge patch (RFC 7386) to the object called name
// and returns the result: {"spec":{"replicas":3}} scales, a null removes
// a key, as in {"metadata":{"labels":{"tier":null}}}. A patch does not
// conflict, unless it names a metadata.resourceVersion.
func (r *Resource[T]) Patch(ctx context.Context, name string, patch []byte) (T, error) {
	return r.patch(ctx, name, "", patch)
}

// PatchStatus is Patch on the status subresource.
func (r *Resource[T]) PatchStatus(ctx context.Context, name string, patch []byte) (T, error) {
	return r.patch(ctx, name, "status", patch)
}

func (r *Resource[T]) patch(ctx context.Context, name, subresource string, patch []byte) (T, error) {
	var zero T
	ns, err := r.objectNamespace(name)
	if err != nil {
		return zero, err
	}
	if !json.Valid(patch) {
		return zero, fmt.Errorf("patch %s %q: the patch is not valid JSON", r.resource, name)
	}
	out := r.newObject()
	if err := r.c.do(ctx, "PATCH", r.path(ns, name, subresource), nil, "application/merge-patch+json", patch, out); err != nil {
		return zero, err
	}
	return out, nil
}

// Delete deletes the object called name and returns what the server
// answered: the object as it was, or, for a pod still running on a node,
// the pod with its deletionTimestamp set (it goes away once the node has
// stopped its containers).
func (r *Resource[T]) Delete(ctx context.Context, name string, opts DeleteOptions) (T, error) {
	var zero T
	ns, err := r.objectNamespace(name)
	if err != nil {
		return zero, err
	}
	var raw json.RawMessage
	if err := r.c.do(ctx, "DELETE", r.path(ns, name, ""), opts.query(), "", nil, &raw); err != nil {
		return zero, err
	}
	out := r.newObject()
	if isStatus(raw) { // some deletes answer with a Status, not the object
		out.GetObjectMeta().Name = name
		out.GetObjectMeta().Namespace = ns
		return out, nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return zero, fmt.Errorf("delete %s %q: decode the answer: %w", r.resource, name, err)
	}
	return out, nil
}

// send writes obj with method to path and decodes the stored object.
func (r *Resource[T]) send(ctx context.Context, method, path, contentType string, obj T) (T, error) {
	var zero T
	if isNil(obj) {
		return zero, fmt.Errorf("%s %s: no object", method, r.resource)
	}
	// Always send apiVersion and kind: the server checks them against the
	// path, and objects built in Go code often leave them empty.
	tm := *obj.GetTypeMeta()
	*obj.GetTypeMeta() = r.kind
	body, err := json.Marshal(obj)
	*obj.GetTypeMeta() = tm // the caller's object is not ours to change
	if err != nil {
		return zero, fmt.Errorf("%s %s: encode: %w", method, r.resource, err)
	}
	out := r.newObject()
	if err := r.c.do(ctx, method, path, nil, contentType, body, out); err != nil {
		return zero, err
	}
	return out, nil
}

// Bind assigns the pod ns/name to node: the scheduler's one write, the
// pods/binding subresource. It fails with a Conflict if the pod is bound
// already.
func (c *Client) Bind(ctx context.Context, ns, pod, node string) error {
	binding := map[string]any{
		"apiVersion": "v1",
		"kind":       "Binding",
		"metadata":   map[string]string{"name": pod, "namespace": ns},
		"target":     map[string]string{"apiVersion": "v1", "kind": "Node", "name": node},
	}
	body, err := json.Marshal(binding)
	if err != nil {
		return err
	}
	path := "/api/v1/namespaces/" + url.PathEscape(ns) + "/pods/" + url.PathEscape(pod) + "/binding"
	return c.do(ctx, "POST", path, nil, "application/json", body, nil)
}

func isStatus(raw json.RawMessage) bool {
	var tm api.TypeMeta
	return json.Unmarshal(raw, &tm) == nil && tm.Kind == "Status"
}

func isNil(obj api.Object) bool {
	if obj == nil {
		return true
	}
	v := reflect.ValueOf(obj)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
