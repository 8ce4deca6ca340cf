package apiserver

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/podlab/podlab/core/api"
)

// objectList is the answer to a list, like
//
//	{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42"},"items":[...]}
//
// A watch from metadata.resourceVersion sees every change after the list.
type objectList struct {
	api.TypeMeta `json:",inline"`
	Metadata     struct {
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Items []api.Object `json:"items"` // never null: [] when empty
}

// list answers GET on a collection: every object of it that matches the
// query's labelSelector and fieldSelector, sorted by namespace and name.
// With ?watch=true it is a watch instead (watch.go).
func (s *Server) list(w http.ResponseWriter, r *http.Request, t target) error {
	q := r.URL.Query()
	f, err := parseFilter(q, t.res)
	if err != nil {
		return err
	}
	if watch := q.Get("watch"); watch != "" {
		on, err := strconv.ParseBool(watch)
		if err != nil {
			return badRequest("watch=%q: want true or false", watch)
		}
		if on {
			return s.watch(w, r, t, f)
		}
	}
	items, rev, err := s.listObjects(r.Context(), t, f)
	if err != nil {
		return err
	}
	list := objectList{TypeMeta: api.TypeMeta{APIVersion: t.res.kind.APIVersion, Kind: t.res.kind.Kind + "List"}, Items: items}
	list.Metadata.ResourceVersion = strconv.FormatInt(rev, 10)
	return writeObject(w, http.StatusOK, list)
}

// listObjects reads the objects of collection t that match f, sorted by
// namespace and name, and the revision of the read.
func (s *Server) listObjects(ctx context.Context, t target, f filter) ([]api.Object, int64, error) {
	stored, rev, err := s.store.List(ctx, t.key())
	if err != nil {
		return nil, 0, err
	}
	items := []api.Object{}
	for _, so := range stored {
		obj, err := decodeStored(so.Value, so.Revision)
		if err != nil {
			return nil, 0, err
		}
		if f.matches(obj) {
			items = append(items, obj)
		}
	}
	slices.SortFunc(items, func(a, b api.Object) int {
		ma, mb := a.GetObjectMeta(), b.GetObjectMeta()
		return cmp.Or(strings.Compare(ma.Namespace, mb.Namespace), strings.Compare(ma.Name, mb.Name))
	})
	return items, rev, nil
}

// filter is what a list or watch selects: objects whose labels match
// labels and whose fields match every field requirement.
type filter struct {
	labels api.Selector
	fields []fieldRequirement
}

// fieldRequirement is one term of a field selector: key=value, or
// key!=value if not.
type fieldRequirement struct {
	key, value string
	not        bool
}

// everything reports whether the filter selects every object.
func (f filter) everything() bool { return f.labels.Empty() && len(f.fields) == 0 }

func (f filter) matches(obj api.Object) bool {
	if !f.labels.Matches(obj.GetObjectMeta().Labels) {
		return false
	}
	fields := fieldsOf(obj)
	for _, req := range f.fields {
		if (fields[req.key] == req.value) == req.not {
			return false
		}
	}
	return true
}

// parseFilter reads the labelSelector and fieldSelector of a query; a
// mistake in either is a 400.
func parseFilter(q url.Values, res resource) (filter, error) {
	labels, err := api.ParseSelector(q.Get("labelSelector"))
	if err != nil {
		return filter{}, badRequest("unable to parse labelSelector: %v", err)
	}
	fields, err := parseFieldSelector(q.Get("fieldSelector"), res)
	if err != nil {
		return filter{}, err
	}
	return filter{labels: labels, fields: fields}, nil
}

// parseFieldSelector reads a field selector: terms separated by commas,
// each key=value, key==value or key!=value, whose keys must be fields the
// kind of res can be selected by (see fieldsOf).
func parseFieldSelector(s string, res resource) ([]fieldRequirement, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	empty, err := api.New(res.kind)
	if err != nil {
		return nil, err
	}
	supported := fieldsOf(empty)
	var reqs []fieldRequirement
	for term := range strings.SplitSeq(s, ",") {
		var req fieldRequirement
		var ok bool
		if req.key, req.value, ok = strings.Cut(term, "!="); ok {
			req.not = true
		} else if req.key, req.value, ok = strings.Cut(term, "=="); !ok {
			req.key, req.value, ok = strings.Cut(term, "=")
		}
		req.key, req.value = strings.TrimSpace(req.key), strings.TrimSpace(req.value)
		if !ok || req.key == "" {
			return nil, badRequest("invalid field selector %q: each term must be key=value, key==value or key!=value", s)
		}
		if _, ok := supported[req.key]; !ok {
			return nil, badRequest("field label not supported: %s", req.key)
		}
		reqs = append(reqs, req)
	}
	return reqs, nil
}

// fieldsOf returns the fields obj can be selected by, as Kubernetes'
// field selectors know them: its name and namespace, and a few of its
// kind, like the node of a pod (what a node agent watches) or the object
// an event is about ("kubectl describe").
func fieldsOf(obj api.Object) map[string]string {
	m := obj.GetObjectMeta()
	fields := map[string]string{"metadata.name": m.Name, "metadata.namespace": m.Namespace}
	switch o := obj.(type) {
	case *api.Pod:
		fields["spec.nodeName"] = o.Spec.NodeName
		fields["status.phase"] = string(o.Status.Phase)
	case *api.Event:
		ref := o.InvolvedObject
		fields["involvedObject.kind"] = ref.Kind
		fields["involvedObject.name"] = ref.Name
		fields["involvedObject.namespace"] = ref.Namespace
		fields["involvedObject.uid"] = ref.UID
	}
	return fields
}
