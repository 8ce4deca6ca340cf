package main

import (
	"reflect"
	"testing"
)

func TestParseLabelChanges(t *testing.T) {
	tests := []struct {
		args []string
		want labelChanges
		err  bool
	}{
		{[]string{"tier=fe", "app-"}, labelChanges{set: map[string]string{"tier": "fe"}, remove: []string{"app"}}, false},
		{[]string{"empty="}, labelChanges{set: map[string]string{"empty": ""}}, false},
		{[]string{"podlab.io/lab=09"}, labelChanges{set: map[string]string{"podlab.io/lab": "09"}}, false},
		{[]string{"tier=fe", "tier=fe"}, labelChanges{set: map[string]string{"tier": "fe"}}, false},
		{[]string{"tier"}, labelChanges{}, true},
		{[]string{"=fe"}, labelChanges{}, true},
		{[]string{"-"}, labelChanges{}, true},
		{[]string{"a=b=c"}, labelChanges{}, true},
		{[]string{"tier=fe", "tier=be"}, labelChanges{}, true},
		{[]string{"tier=fe", "tier-"}, labelChanges{}, true},
	}
	for _, tt := range tests {
		got, err := parseLabelChanges(tt.args)
		if tt.err {
			if err == nil {
				t.Errorf("parseLabelChanges(%q): no error", tt.args)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseLabelChanges(%q) = %+v, %v", tt.args, got, err)
		}
	}
}

func TestLabelPatch(t *testing.T) {
	labels := map[string]string{"app": "web", "tier": "fe"}
	tests := []struct {
		args      []string
		overwrite bool
		patch     string
		verb      string
		err       string
	}{
		{[]string{"env=prod"}, false, `{"metadata":{"labels":{"env":"prod"}}}`, "labeled", ""},
		{[]string{"app=web"}, false, "", "not labeled", ""},
		{[]string{"app=api"}, false, "", "", "'app' already has a value (web), and --overwrite is false"},
		{[]string{"app=api"}, true, `{"metadata":{"labels":{"app":"api"}}}`, "labeled", ""},
		{[]string{"tier-"}, false, `{"metadata":{"labels":{"tier":null}}}`, "unlabeled", ""},
		{[]string{"nope-"}, false, "", "not labeled", ""},
		{[]string{"env=prod", "tier-"}, false, `{"metadata":{"labels":{"env":"prod","tier":null}}}`, "labeled", ""},
	}
	for _, tt := range tests {
		ch, err := parseLabelChanges(tt.args)
		if err != nil {
			t.Fatal(err)
		}
		patch, verb, err := ch.patch(labels, tt.overwrite)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: error %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || string(patch) != tt.patch || verb != tt.verb {
			t.Errorf("%q: patch %s, %q, %v; want %s, %q", tt.args, patch, verb, err, tt.patch, tt.verb)
		}
	}
}
