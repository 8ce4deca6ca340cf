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
	"time"

	"github.com/podlab/podlab/core/api/field"
	"go.yaml.in/yaml/v3"
)

// kinds lists every kind podlab understands, by apiVersion and kind, with a
// function that returns a new empty object of that kind. A new kind is one
// more line here.
var kinds = map[TypeMeta]func() Object{
	{APIVersion: "v1", Kind: "Pod"}: func() Object { return new(Pod) },
}

// Decode reads manifests: YAML, in block or flow style, or JSON. JSON is
// YAML written in flow style, so one parser reads both and errors in JSON
// have line numbers too (only the JSON escape \/ is unknown to it).
// Documents are separated by "---"; empty ones are skipped, so an empty
// input gives no objects. Each document becomes the kind its apiVersion
// and kind name, like *Pod. A field the kind does not have is an error, as
// with "kubectl apply --validate=strict".
//
// Decode neither defaults nor validates: see SetDefaults and ValidatePod.
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
		obj, err := decodeDocument(&doc)
		if err != nil {
			return nil, err
		}
		if obj != nil {
			objs = append(objs, obj)
		}
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

// decodeDocument decodes one document, or returns nil if it is empty.
func decodeDocument(doc *yaml.Node) (Object, error) {
	if len(doc.Content) == 0 || doc.Content[0].ShortTag() == "!!null" {
		return nil, nil // only comments, or nothing between two "---"
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: a manifest must be a mapping with apiVersion and kind, not %s",
			root.Line, describe(root))
	}
	tm := typeMetaOf(root)
	newObject, ok := kinds[tm]
	if !ok {
		return nil, fmt.Errorf("line %d: %s", root.Line, unsupportedKind(tm))
	}
	obj := newObject()

	// Decoding into a generic value first lets yaml.v3 catch duplicate keys
	// and alias bombs before we walk the tree.
	var generic any
	if err := root.Decode(&generic); err != nil {
		return nil, yamlError(err)
	}
	// encoding/json would only say `json: unknown field "imagee"`; the
	// checker names the line and the field path.
	var c checker
	c.check(root, reflect.TypeOf(obj).Elem(), "")
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	// Then YAML → JSON → Go, as kubectl does: the json tags are the one
	// place where field names are spelled.
	js, err := json.Marshal(generic)
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", root.Line, err)
	}
	jd := json.NewDecoder(bytes.NewReader(js))
	jd.DisallowUnknownFields()
	if err := jd.Decode(obj); err != nil {
		return nil, fmt.Errorf("line %d: %w", root.Line, err)
	}
	return obj, nil
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

// unsupportedKind explains that tm is not in kinds, and lists what is.
func unsupportedKind(tm TypeMeta) string {
	var supported []string
	for k := range kinds {
		supported = append(supported, fmt.Sprintf("apiVersion %s kind %s", k.APIVersion, k.Kind))
	}
	slices.Sort(supported)
	list := strings.Join(supported, "; ")
	if tm.APIVersion == "" || tm.Kind == "" {
		return fmt.Sprintf("apiVersion and kind are required (podlab supports: %s)", list)
	}
	return fmt.Sprintf("unsupported apiVersion %q with kind %q (podlab supports: %s)", tm.APIVersion, tm.Kind, list)
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
