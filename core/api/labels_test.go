package api

import (
	"strings"
	"testing"
)

func TestParseSelector(t *testing.T) {
	tests := []struct {
		in     string
		string string // the canonical form: requirements sorted by key
	}{
		{"", ""},
		{"app=web", "app=web"},
		{"app==web", "app=web"},
		{"tier!=db", "tier!=db"},
		{"env in (prod,qa)", "env in (prod,qa)"},
		{"env in (qa, prod, qa)", "env in (prod,qa)"},
		{"env notin (dev)", "env notin (dev)"},
		{"release", "release"},
		{"!canary", "!canary"},
		{"tier=", "tier="},
		{"app=web,tier!=db,env in (prod,qa),env notin (dev),release,!canary",
			"app=web,!canary,env in (prod,qa),env notin (dev),release,tier!=db"},
		{"  app = web ,  tier  ", "app=web,tier"},
		{"podlab.io/lab=12,in=x", "in=x,podlab.io/lab=12"},
		{"env notin(dev)", "env notin (dev)"},
	}
	for _, tt := range tests {
		sel, err := ParseSelector(tt.in)
		if err != nil {
			t.Errorf("ParseSelector(%q): %v", tt.in, err)
			continue
		}
		if got := sel.String(); got != tt.string {
			t.Errorf("ParseSelector(%q).String() = %q, want %q", tt.in, got, tt.string)
		}
		// The canonical form parses to itself.
		if again, err := ParseSelector(sel.String()); err != nil || again.String() != sel.String() {
			t.Errorf("%q does not parse back: %v, %v", sel.String(), again, err)
		}
		if sel.Empty() != (tt.in == "") {
			t.Errorf("ParseSelector(%q).Empty() = %v", tt.in, sel.Empty())
		}
	}
}

func TestParseSelectorErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{",", `character 1: expected a label key, found ","`},
		{"app=web,", `character 9: expected a label key, found the end`},
		{"app=web,,tier", `character 9: expected a label key, found ","`},
		{"env in prod", `character 8: expected "(" and values, found "prod"`},
		{"env in (prod", `character 13: expected ',' or ")", found the end`},
		{"env in (prod qa)", `character 14: expected ',' or ")", found "qa"`},
		{"env notin", `character 10: expected "(" and values, found the end`},
		{"env is prod", `character 5: expected "=", "!=", "in", "notin", ',' or the end, found "is"`},
		{"app=web=x", `character 8: expected ',' or the end, found "="`},
		{"!canary=yes", `character 8: expected ',' or the end, found "="`},
		{"!", `character 2: expected a label key, found the end`},
		{"=web", `character 1: expected a label key, found "="`},
		{"-app=web", `character 1: invalid label key "-app": name part ` + qualifiedNameErrMsg},
		{"app=-web", `character 5: invalid label value "-web": ` + labelValueErrMsg},
		{"env in (prod,-qa)", `character 14: invalid label value "-qa": ` + labelValueErrMsg},
		{"a)", `character 2: expected "=", "!=", "in", "notin", ',' or the end, found ")"`},
	}
	for _, tt := range tests {
		_, err := ParseSelector(tt.in)
		want := "label selector " + quote(tt.in) + ": " + tt.want
		if err == nil || err.Error() != want {
			t.Errorf("ParseSelector(%q) error\n%v\nwant\n%s", tt.in, err, want)
		}
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func TestSelectorMatches(t *testing.T) {
	web := map[string]string{"app": "web", "env": "prod", "release": ""}
	none := map[string]string{}
	tests := []struct {
		selector string
		labels   map[string]string
		want     bool
	}{
		{"", none, true},
		{"app=web", web, true},
		{"app==web", web, true},
		{"app=db", web, false},
		{"app=web", none, false},
		{"app!=db", web, true},
		{"app!=web", web, false},
		{"app!=web", none, true}, // != matches a missing key
		{"env in (prod,qa)", web, true},
		{"env in (qa)", web, false},
		{"env in (prod)", none, false},
		{"env notin (dev)", web, true},
		{"env notin (prod)", web, false},
		{"env notin (prod)", none, true}, // notin matches a missing key
		{"release", web, true},           // exists, even with an empty value
		{"release", none, false},
		{"!canary", web, true},
		{"!release", web, false},
		{"release=", web, true},
		{"app=web,env in (prod),!canary", web, true},
		{"app=web,env in (qa)", web, false}, // all requirements must hold
	}
	for _, tt := range tests {
		sel, err := ParseSelector(tt.selector)
		if err != nil {
			t.Fatal(err)
		}
		if got := sel.Matches(tt.labels); got != tt.want {
			t.Errorf("%q matches %v = %v, want %v", tt.selector, tt.labels, got, tt.want)
		}
	}
}

func TestLabelSelectorAsSelector(t *testing.T) {
	web := map[string]string{"app": "web", "tier": "front"}
	tests := []struct {
		name   string
		ls     *LabelSelector
		string string
		match  bool // against web
	}{
		// The two empty forms: nil selects nothing, {} everything.
		{"nil", nil, "<nothing>", false},
		{"empty", &LabelSelector{}, "", true},
		{"matchLabels", &LabelSelector{MatchLabels: map[string]string{"tier": "front", "app": "web"}}, "app=web,tier=front", true},
		{"In", &LabelSelector{MatchExpressions: []LabelSelectorRequirement{
			{Key: "tier", Operator: LabelSelectorOpIn, Values: []string{"front", "back"}}}}, "tier in (back,front)", true},
		{"NotIn on a missing key", &LabelSelector{MatchExpressions: []LabelSelectorRequirement{
			{Key: "env", Operator: LabelSelectorOpNotIn, Values: []string{"dev"}}}}, "env notin (dev)", true},
		{"NotIn", &LabelSelector{MatchExpressions: []LabelSelectorRequirement{
			{Key: "tier", Operator: LabelSelectorOpNotIn, Values: []string{"front"}}}}, "tier notin (front)", false},
		{"Exists", &LabelSelector{MatchExpressions: []LabelSelectorRequirement{
			{Key: "app", Operator: LabelSelectorOpExists}}}, "app", true},
		{"DoesNotExist", &LabelSelector{MatchLabels: map[string]string{"app": "web"}, MatchExpressions: []LabelSelectorRequirement{
			{Key: "app", Operator: LabelSelectorOpDoesNotExist}}}, "app=web,!app", false},
	}
	for _, tt := range tests {
		sel, err := tt.ls.AsSelector()
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if sel.String() != tt.string || sel.Matches(web) != tt.match {
			t.Errorf("%s: %q matches %v, want %q %v", tt.name, sel.String(), sel.Matches(web), tt.string, tt.match)
		}
	}
	if Nothing().Matches(nil) || Nothing().Empty() || !Everything().Matches(nil) || !Everything().Empty() {
		t.Error("Nothing or Everything is wrong")
	}

	_, err := (&LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "a", Operator: LabelSelectorOpIn}}}).AsSelector()
	if want := "invalid label selector: matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

func TestSelectorFromSet(t *testing.T) {
	sel := SelectorFromSet(map[string]string{"tier": "front", "app": "web"})
	if sel.String() != "app=web,tier=front" || !sel.Matches(map[string]string{"app": "web", "tier": "front", "x": "y"}) ||
		sel.Matches(map[string]string{"app": "web"}) {
		t.Errorf("SelectorFromSet: %q", sel)
	}
	if s := SelectorFromSet(nil); !s.Empty() || !s.Matches(nil) {
		t.Error("an empty set selects everything")
	}
}
