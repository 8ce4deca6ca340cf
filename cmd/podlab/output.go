package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/podlab/podlab/core/api"
)

// The values of -o, as kubectl's: a table (the default), a wider table,
// the whole objects in YAML or JSON, or just kind/name.
const (
	outputTable = ""
	outputWide  = "wide"
	outputYAML  = "yaml"
	outputJSON  = "json"
	outputName  = "name"
)

func checkOutput(format string) error {
	switch format {
	case outputTable, outputWide, outputYAML, outputJSON, outputName:
		return nil
	}
	return usagef("-o %q: give wide, yaml, json or name", format)
}

// list is how kubectl writes several objects as one: a List, which
// "podlab apply -f" reads back.
type list struct {
	api.TypeMeta `json:",inline"`
	Items        []api.Object `json:"items"`
}

// printObjects writes objs as -o yaml, json or name asks. single says
// that one object was asked for by name: yaml and json write it alone,
// else in a List, even of one item, as kubectl does.
func printObjects(w io.Writer, objs []api.Object, format string, single bool) error {
	for _, obj := range objs {
		withKind(obj)
	}
	var v any = list{TypeMeta: api.KindList, Items: append([]api.Object{}, objs...)} // "items": [], not null
	if single && len(objs) == 1 {
		v = objs[0]
	}
	var data []byte
	var err error
	switch format {
	case outputYAML:
		data, err = toYAML(v)
	case outputJSON:
		data, err = toJSON(v)
	case outputName:
		var b strings.Builder
		for _, obj := range objs {
			b.WriteString(objectName(obj) + "\n")
		}
		data = []byte(b.String())
	default:
		return fmt.Errorf("unknown output format %q", format)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// withKind fills in the apiVersion and kind of obj, which the items of a
// list may lack, so that what is printed can be applied again.
func withKind(obj api.Object) api.Object {
	*obj.GetTypeMeta() = api.KindOf(obj)
	return obj
}

// toJSON writes v as kubectl's -o json does: indented by four spaces.
func toJSON(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	return append(data, '\n'), nil
}

// toYAML writes v as YAML with the field names and omissions of its JSON
// form, in the order of the Go fields: apiVersion, kind, metadata, spec,
// status. (A map would come out sorted, with kind after items.)
func toYAML(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	node, err := yamlNode(data)
	if err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent() // "- name: app" under its key, as kubectl writes lists
	if err := enc.Encode(node); err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	return b.Bytes(), nil
}

// yamlNode turns a JSON document into a YAML tree, keeping the order of
// its keys.
func yamlNode(data []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // 0.5 stays 0.5, 8080 stays an integer
	return readNode(dec)
}

// yaml11Words are strings that YAML 1.1, which kubectl still speaks,
// reads as booleans: quoted, they stay strings for every reader. (The
// YAML 1.2 ones, like true and null, are quoted anyway.)
var yaml11Words = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "n": true, "N": true, "no": true, "No": true, "NO": true,
	"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true,
}

// readNode reads one JSON value from dec.
func readNode(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	scalar := func(tag, value string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
	}
	str := func(s string) *yaml.Node {
		n := scalar("!!str", s)
		if yaml11Words[s] {
			n.Style = yaml.DoubleQuotedStyle
		}
		return n
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if t == '{' {
			n = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		for dec.More() {
			if n.Kind == yaml.MappingNode {
				key, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, str(key.(string)))
			}
			value, err := readNode(dec)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, value)
		}
		_, err := dec.Token() // the closing } or ]
		return n, err
	case string:
		return str(t), nil
	case json.Number:
		if strings.ContainsAny(t.String(), ".eE") {
			return scalar("!!float", t.String()), nil
		}
		return scalar("!!int", t.String()), nil
	case bool:
		return scalar("!!bool", fmt.Sprint(t)), nil
	}
	return scalar("!!null", "null"), nil
}
