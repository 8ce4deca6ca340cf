package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/podlab/podlab/core/api/field"
	"go.yaml.in/yaml/v3"
)

// The kinds podlab understands, by apiVersion and kind. A controller
// passes its own to NewControllerRef, as in
// api.NewControllerRef(rs, api.KindReplicaSet).
var (
	KindPod                     = TypeMeta{APIVersion: "v1", Kind: "Pod"}
	KindNode                    = TypeMeta{APIVersion: "v1", Kind: "Node"}
	KindNamespace               = TypeMeta{APIVersion: "v1", Kind: "Namespace"}
	KindEvent                   = TypeMeta{APIVersion: "v1", Kind: "Event"}
	KindService                 = TypeMeta{APIVersion: "v1", Kind: "Service"}
	KindEndpoints               = TypeMeta{APIVersion: "v1", Kind: "Endpoints"}
	KindReplicationController   = TypeMeta{APIVersion: "v1", Kind: "ReplicationController"}
	KindPersistentVolumeClaim   = TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"}
	KindReplicaSet              = TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"}
	KindDeployment              = TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}
	KindStatefulSet             = TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"}
	KindDaemonSet               = TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"}
	KindJob                     = TypeMeta{APIVersion: "batch/v1", Kind: "Job"}
	KindCronJob                 = TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"}
	KindHorizontalPodAutoscaler = TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"}

	// KindList holds other objects in its items; Decode returns the items.
	KindList = TypeMeta{APIVersion: "v1", Kind: "List"}
)

// kindInfo is what podlab knows about one kind.
type kindInfo struct {
	new func() Object // a new empty object of the kind
	// resource is the lower-case plural that names the kind in "kubectl
	// get" and in store keys, like "pods".
	resource string
	// namespaced is false for the kinds that belong to no namespace.
	namespaced bool
}

// kinds lists every kind podlab understands. A new kind is one more line
// here, and one more case in Default and Validate.
var kinds = map[TypeMeta]kindInfo{
	KindPod:                     {func() Object { return new(Pod) }, "pods", true},
	KindNode:                    {func() Object { return new(Node) }, "nodes", false},
	KindNamespace:               {func() Object { return new(Namespace) }, "namespaces", false},
	KindEvent:                   {func() Object { return new(Event) }, "events", true},
	KindService:                 {func() Object { return new(Service) }, "services", true},
	KindEndpoints:               {func() Object { return new(Endpoints) }, "endpoints", true},
	KindReplicationController:   {func() Object { return new(ReplicationController) }, "replicationcontrollers", true},
	KindPersistentVolumeClaim:   {func() Object { return new(PersistentVolumeClaim) }, "persistentvolumeclaims", true},
	KindReplicaSet:              {func() Object { return new(ReplicaSet) }, "replicasets", true},
	KindDeployment:              {func() Object { return new(Deployment) }, "deployments", true},
	KindStatefulSet:             {func() Object { return new(StatefulSet) }, "statefulsets", true},
	KindDaemonSet:               {func() Object { return new(DaemonSet) }, "daemonsets", true},
	KindJob:                     {func() Object { return new(Job) }, "jobs", true},
	KindCronJob:                 {func() Object { return new(CronJob) }, "cronjobs", true},
	KindHorizontalPodAutoscaler: {func() Object { return new(HorizontalPodAutoscaler) }, "horizontalpodautoscalers", true},
}

// kindsByType finds a kind from the Go type of an object, whose TypeMeta
// may still be empty.
var kindsByType = sync.OnceValue(func() map[reflect.Type]TypeMeta {
	m := map[reflect.Type]TypeMeta{}
	for tm, k := range kinds {
		m[reflect.TypeOf(k.new())] = tm
	}
	return m
})

// KindOf returns the apiVersion and kind of obj's Go type, like KindPod
// for a *Pod, even when obj's TypeMeta is empty; the zero TypeMeta if it
// is not a kind of the kinds table.
func KindOf(obj Object) TypeMeta { return kindsByType()[reflect.TypeOf(obj)] }

// Namespaced reports whether objects of obj's kind live in a namespace:
// all but Nodes and Namespaces.
func Namespaced(obj Object) bool { return kinds[KindOf(obj)].namespaced }

// Resource returns the lower-case plural that names obj's kind in
// "kubectl get" and in store keys, like "deployments".
func Resource(obj Object) string { return kinds[KindOf(obj)].resource }

// KindForResource returns the kind that resource names in apiVersion, as
// the API server reads it from a path: ("apps/v1", "deployments") gives
// KindDeployment. ok is false if apiVersion has no such resource, like
// ("v1", "deployments").
func KindForResource(apiVersion, resource string) (tm TypeMeta, ok bool) {
	for tm, k := range kinds {
		if tm.APIVersion == apiVersion && k.resource == resource {
			return tm, true
		}
	}
	return TypeMeta{}, false
}

// ResourceOf returns the resource of kind tm, like "pods" for KindPod, and
// whether its objects live in a namespace; "" if tm is not in the kinds
// table.
func ResourceOf(tm TypeMeta) (resource string, namespaced bool) {
	k := kinds[tm]
	return k.resource, k.namespaced
}

// Kinds returns every kind of the kinds table (List aside), sorted by
// apiVersion and kind.
func Kinds() []TypeMeta {
	list := slices.Collect(maps.Keys(kinds))
	slices.SortFunc(list, func(a, b TypeMeta) int {
		return strings.Compare(a.APIVersion+" "+a.Kind, b.APIVersion+" "+b.Kind)
	})
	return list
}

// New returns a new empty object of kind tm, like a *Deployment for
// KindDeployment. A store that reads back the JSON it wrote decodes into
// it with encoding/json: Decode is for what people write.
func New(tm TypeMeta) (Object, error) {
	k, ok := kinds[tm]
	if !ok {
		return nil, errors.New(unsupportedKind(tm))
	}
	return k.new(), nil
}

// Decode reads manifests: YAML, in block or flow style, or JSON. JSON is
// YAML written in flow style, so one parser reads both and errors in JSON
// have line numbers too. Only two things of JSON are unknown to YAML: the
// escape \/, and raw control characters like DEL (U+007F), which JSON
// allows in strings and YAML does not.
//
// Documents are separated by "---"; empty ones are skipped, so an empty
// input gives no objects. A document of kind List, as "kubectl get -o
// yaml" writes, gives its items. Each object becomes the kind its
// apiVersion and kind name, like *Pod. A field the kind does not have is
// an error, as with "kubectl apply --validate=strict".
//
// Decode neither defaults nor validates: see Default and Validate.
func Decode(data []byte) ([]Object, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var objs []Object
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, yamlError(err)
		}
		if len(doc.Content) == 0 || doc.Content[0].ShortTag() == "!!null" {
			continue // only comments, or nothing between two "---"
		}
		// Decoding into a generic value first lets yaml.v3 catch duplicate
		// keys and alias bombs before we walk the tree.
		var generic any
		if err := doc.Decode(&generic); err != nil {
			return nil, yamlError(err)
		}
		decoded, err := decodeObject(doc.Content[0], "")
		if err != nil {
			return nil, err
		}
		objs = append(objs, decoded...)
	}
}

// DecodePod decodes a manifest that holds exactly one Pod.
func DecodePod(data []byte) (*Pod, error) {
	objs, err := Decode(data)
	if err != nil {
		return nil, err
	}
	if len(objs) != 1 {
		return nil, fmt.Errorf("expected one Pod, found %d objects", len(objs))
	}
	pod, ok := objs[0].(*Pod)
	if !ok {
		return nil, fmt.Errorf("expected a Pod, found kind %q", objs[0].GetTypeMeta().Kind)
	}
	return pod, nil
}

// decodeObject decodes the object at node n, found at path: the empty
// path for a document, like "items[2]" for an item of a List. A List
// gives its items.
func decodeObject(n *yaml.Node, path field.Path) ([]Object, error) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil, lineError(n, path, fmt.Sprintf("a manifest must be a mapping with apiVersion and kind, not %s", describe(n)))
	}
	tm := typeMetaOf(n)
	if tm == KindList {
		return decodeList(n, path)
	}
	k, ok := kinds[tm]
	if !ok {
		return nil, lineError(n, path, unsupportedKind(tm))
	}
	obj := k.new()

	// encoding/json would only say `json: unknown field "imagee"`; the
	// checker names the line and the field path.
	var c checker
	c.check(n, reflect.TypeOf(obj).Elem(), path)
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	// Then YAML → JSON → Go, as kubectl does: the json tags are the one
	// place where field names are spelled.
	var generic any
	if err := n.Decode(&generic); err != nil {
		return nil, yamlError(err)
	}
	js, err := json.Marshal(generic)
	if err != nil {
		return nil, lineError(n, path, err.Error())
	}
	jd := json.NewDecoder(bytes.NewReader(js))
	jd.DisallowUnknownFields()
	if err := jd.Decode(obj); err != nil {
		return nil, lineError(n, path, err.Error())
	}
	return []Object{obj}, nil
}

// listType is the shape of a List, but for its items, which are objects
// of any kind.
type listType struct {
	TypeMeta `json:",inline"`
	Metadata struct {
		ResourceVersion string `json:"resourceVersion,omitempty"`
		Continue        string `json:"continue,omitempty"`
	} `json:"metadata"`
}

// decodeList decodes the items of a List at node n, found at path.
func decodeList(n *yaml.Node, path field.Path) ([]Object, error) {
	var c checker
	var items *yaml.Node
	fields := jsonFields(reflect.TypeFor[listType]())
	fields["items"] = reflect.TypeFor[[]any]()
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		switch ft, ok := fields[key.Value]; {
		case !ok:
			c.unknownField(key, path, fields)
		case key.Value == "items":
			items = value
		default:
			c.check(value, ft, path.Child(key.Value))
		}
	}
	if items != nil && items.Kind == yaml.AliasNode {
		items = items.Alias
	}
	if items != nil && items.ShortTag() != "!!null" && items.Kind != yaml.SequenceNode {
		c.fail(items, path.Child("items"), "must be a list, not %s", describe(items))
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	var objs []Object
	if items == nil || items.Kind != yaml.SequenceNode {
		return objs, nil // no items, or "items: null": an empty List
	}
	for i, item := range items.Content {
		decoded, err := decodeObject(item, path.Child("items").Index(i))
		if err != nil {
			return nil, err
		}
		objs = append(objs, decoded...)
	}
	return objs, nil
}

// lineError is an error about node n at path, like
// "line 3: items[0]: apiVersion and kind are required".
func lineError(n *yaml.Node, path field.Path, msg string) error {
	if path != "" {
		msg = path.String() + ": " + msg
	}
	return fmt.Errorf("line %d: %s", n.Line, msg)
}

// typeMetaOf reads apiVersion and kind from the top of a document.
func typeMetaOf(root *yaml.Node) TypeMeta {
	var tm TypeMeta
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "apiVersion":
			tm.APIVersion = root.Content[i+1].Value
		case "kind":
			tm.Kind = root.Content[i+1].Value
		}
	}
	return tm
}

// unsupportedKind explains that tm is not in kinds: it names the right
// apiVersion for a known kind, or lists the kinds there are.
func unsupportedKind(tm TypeMeta) string {
	var supported []string
	for k := range kinds {
		if tm.Kind == k.Kind && tm.APIVersion != "" {
			return fmt.Sprintf("unsupported apiVersion %q for kind %q: use apiVersion %q", tm.APIVersion, tm.Kind, k.APIVersion)
		}
		supported = append(supported, k.Kind)
	}
	supported = append(supported, KindList.Kind)
	slices.Sort(supported)
	list := strings.Join(supported, ", ")
	if tm.APIVersion == "" || tm.Kind == "" {
		return fmt.Sprintf("apiVersion and kind are required (podlab supports kinds %s)", list)
	}
	return fmt.Sprintf("unsupported kind %q (podlab supports kinds %s)", tm.Kind, list)
}

// yamlError drops the "yaml: " prefix, so that an error reads
// "line 4: mapping values are not allowed in this context".
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	return errors.New(strings.ReplaceAll(msg, "\n  ", "\n"))
}

var (
	timeType         = reflect.TypeFor[time.Time]()
	resourceListType = reflect.TypeFor[ResourceList]()
	intOrStringType  = reflect.TypeFor[IntOrString]()
)

// checker compares a YAML tree with the Go type it will decode into, and
// collects every mistake with its line and field path.
type checker struct {
	errs []error
}

func (c *checker) fail(n *yaml.Node, path field.Path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path.String() + ": " + msg
	}
	c.errs = append(c.errs, fmt.Errorf("line %d: %s", n.Line, msg))
}

// check checks node n against type t, found at path.
func (c *checker) check(n *yaml.Node, t reflect.Type, path field.Path) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.ShortTag() == "!!null" {
		return // "field:" with no value leaves the field empty, as null does in JSON
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		if n.Kind != yaml.ScalarNode || !isTime(n) {
			c.fail(n, path, "must be a time like 2024-05-01T12:00:00Z, not %s", describe(n))
		}
	case t == intOrStringType:
		c.checkIntOrString(n, path)
	case t.Kind() == reflect.Struct:
		c.checkStruct(n, t, path)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.fail(n, path, "must be a list, not %s", describe(n))
			return
		}
		for i, item := range n.Content {
			c.check(item, t.Elem(), path.Index(i))
		}
	case t.Kind() == reflect.Map:
		c.checkMap(n, t, path)
	default:
		c.checkScalar(n, t, path)
	}
}

// checkStruct checks a mapping against the JSON fields of struct type t.
func (c *checker) checkStruct(n *yaml.Node, t reflect.Type, path field.Path) {
	if n.Kind != yaml.MappingNode {
		c.fail(n, path, "must be a mapping (key: value), not %s", describe(n))
		return
	}
	fields := jsonFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		ft, ok := fields[key.Value]
		if !ok {
			c.unknownField(key, path, fields)
			continue
		}
		c.check(value, ft, path.Child(key.Value))
	}
}

// unknownField reports a key the struct does not have, with a hint when a
// field has a similar name.
func (c *checker) unknownField(key *yaml.Node, path field.Path, fields map[string]reflect.Type) {
	msg := fmt.Sprintf("unknown field %q", key.Value)
	if path != "" {
		msg += " in " + path.String()
	}
	if hint := similar(key.Value, slices.Sorted(maps.Keys(fields))); hint != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", hint)
	}
	c.errs = append(c.errs, fmt.Errorf("line %d: %s", key.Line, msg))
}

// checkMap checks a mapping with string keys, like labels.
func (c *checker) checkMap(n *yaml.Node, t reflect.Type, path field.Path) {
	if n.Kind != yaml.MappingNode {
		c.fail(n, path, "must be a mapping (key: value), not %s", describe(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		if key.ShortTag() != "!!str" {
			c.fail(key, path, "key %s must be a string: quote it", describe(key))
			continue
		}
		if t == resourceListType && (value.ShortTag() == "!!int" || value.ShortTag() == "!!float") {
			continue // "cpu: 1" is a quantity too, see ResourceList.UnmarshalJSON
		}
		c.check(value, t.Elem(), path.Key(key.Value))
	}
}

// checkScalar checks a string, boolean or integer.
func (c *checker) checkScalar(n *yaml.Node, t reflect.Type, path field.Path) {
	tag := n.ShortTag()
	switch t.Kind() {
	case reflect.String:
		if tag != "!!str" {
			// In YAML, 8080 and true are not strings; Kubernetes refuses them too.
			c.fail(n, path, "must be a string, not %s: quote it", describe(n))
		}
	case reflect.Bool:
		if tag != "!!bool" {
			c.fail(n, path, "must be true or false, not %s", describe(n))
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		// Decode catches an integer too big for the field, like 1e10 for an int32.
		if tag != "!!int" || n.Decode(reflect.New(t).Interface()) != nil {
			c.fail(n, path, "must be an integer (%s), not %s", t.Kind(), describe(n))
		}
	default:
		// No other kinds of fields yet; encoding/json would check them.
	}
}

// checkIntOrString checks a field that holds a number or a string, like
// targetPort: 8080 or targetPort: http.
func (c *checker) checkIntOrString(n *yaml.Node, path field.Path) {
	var i int32
	switch n.ShortTag() {
	case "!!str":
	case "!!int":
		if n.Decode(&i) != nil {
			c.fail(n, path, "must be an integer (int32) or a string, not %s", describe(n))
		}
	default:
		c.fail(n, path, "must be an integer or a string like \"25%%\", not %s", describe(n))
	}
}

// jsonFields maps the JSON names of the fields of struct type t to their
// types, as encoding/json sees them: an embedded struct without a name in
// its tag, like TypeMeta, adds its own fields.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case !f.IsExported() || name == "-":
		case f.Anonymous && name == "":
			maps.Copy(fields, jsonFields(f.Type))
		case name == "":
			fields[f.Name] = f.Type
		default:
			fields[name] = f.Type
		}
	}
	return fields
}

// isTime reports whether a scalar is an RFC 3339 time, the form JSON uses.
func isTime(n *yaml.Node) bool {
	_, err := time.Parse(time.RFC3339, n.Value)
	return err == nil
}

// describe shows a node in an error: a mapping, a list, or its value.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

// similar returns the name closest to s, if it is only a typo away: the same
// letters in another case, or one or two letters added, dropped or changed.
func similar(s string, names []string) string {
	best, bestDist := "", 3
	for _, name := range names {
		if strings.EqualFold(s, name) {
			return name
		}
		// A short name is a few letters away from many others: no hint then.
		if d := editDistance(s, name); d < bestDist && 2*d < len(s) {
			best, bestDist = name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance: how many single-letter
// insertions, deletions or changes turn a into b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			change := prev[j-1]
			if a[i-1] != b[j-1] {
				change++
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, change)
		}
		prev = cur
	}
	return prev[len(b)]
}
