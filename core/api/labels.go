package api

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/podlab/podlab/core/api/field"
)

// LabelSelector is how a ReplicaSet, Deployment, StatefulSet, DaemonSet
// or Job names its pods (SEMANTICS.md §5.2). All its requirements must
// hold. Mind the two empty forms, as in Kubernetes: an empty selector
// (&LabelSelector{}) matches every object, a nil one matches none.
type LabelSelector struct {
	// MatchLabels pairs each mean key In [value].
	MatchLabels      map[string]string          `json:"matchLabels,omitempty"`
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorRequirement is one set-based requirement, like
// {key: env, operator: In, values: [prod, qa]}.
type LabelSelectorRequirement struct {
	Key      string                `json:"key"`
	Operator LabelSelectorOperator `json:"operator"`
	// Values has one or more items for In and NotIn, none for Exists
	// and DoesNotExist.
	Values []string `json:"values,omitempty"`
}

// LabelSelectorOperator is In, NotIn, Exists or DoesNotExist.
type LabelSelectorOperator string

const (
	LabelSelectorOpIn           LabelSelectorOperator = "In"
	LabelSelectorOpNotIn        LabelSelectorOperator = "NotIn"
	LabelSelectorOpExists       LabelSelectorOperator = "Exists"
	LabelSelectorOpDoesNotExist LabelSelectorOperator = "DoesNotExist"
)

// Selector is a parsed label selector, ready to match objects.
type Selector interface {
	// Matches reports whether labels meet every requirement.
	Matches(labels map[string]string) bool
	// String returns the selector in the form of "kubectl get -l", like
	// "app=web,env in (prod,qa)": requirements sorted by key.
	String() string
	// Empty reports whether the selector has no requirements, and so
	// matches everything.
	Empty() bool
}

// operator is how a requirement of a Selector compares a label; the
// string is how it is written after the key.
type operator string

const (
	opEquals       operator = "="
	opNotEquals    operator = "!="
	opIn           operator = "in"
	opNotIn        operator = "notin"
	opExists       operator = "exists" // written as the bare key
	opDoesNotExist operator = "!"      // written before the key
)

// requirement is one condition on one label key.
type requirement struct {
	key    string
	op     operator
	values []string // one for = and !=, one or more for in and notin
}

// matches applies the requirement to labels. Note that != and notin also
// match an object that lacks the key, as in Kubernetes: "env!=prod"
// selects the pods with no env label too.
func (r requirement) matches(labels map[string]string) bool {
	value, has := labels[r.key]
	switch r.op {
	case opEquals, opIn:
		return has && slices.Contains(r.values, value)
	case opNotEquals, opNotIn:
		return !has || !slices.Contains(r.values, value)
	case opExists:
		return has
	case opDoesNotExist:
		return !has
	}
	return false
}

func (r requirement) String() string {
	switch r.op {
	case opEquals, opNotEquals:
		return r.key + string(r.op) + r.values[0]
	case opIn, opNotIn:
		return fmt.Sprintf("%s %s (%s)", r.key, r.op, strings.Join(r.values, ","))
	case opExists:
		return r.key
	default:
		return "!" + r.key
	}
}

// requirements is a Selector: all of them must hold.
type requirements []requirement

func (rs requirements) Matches(labels map[string]string) bool {
	for _, r := range rs {
		if !r.matches(labels) {
			return false
		}
	}
	return true
}

func (rs requirements) String() string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

func (rs requirements) Empty() bool { return len(rs) == 0 }

// sorted sorts by key, keeping the order of requirements on one key, so
// that String gives one text for one selector.
func (rs requirements) sorted() requirements {
	slices.SortStableFunc(rs, func(a, b requirement) int { return strings.Compare(a.key, b.key) })
	return rs
}

// nothing is the Selector of a nil LabelSelector: it matches no object.
// The string form has no way to say that: its String, "<nothing>", does
// not parse.
type nothing struct{}

func (nothing) Matches(map[string]string) bool { return false }
func (nothing) String() string                 { return "<nothing>" }
func (nothing) Empty() bool                    { return false }

// Everything returns a Selector that matches every object.
func Everything() Selector { return requirements{} }

// Nothing returns a Selector that matches no object, what a nil
// *LabelSelector means.
func Nothing() Selector { return nothing{} }

// SelectorFromSet returns the Selector that requires each label of set,
// like a ReplicationController's selector. An empty set selects everything.
func SelectorFromSet(set map[string]string) Selector {
	rs := requirements{}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		rs = append(rs, requirement{key: k, op: opEquals, values: []string{set[k]}})
	}
	return rs
}

// AsSelector turns the API form of a selector into one that matches. A
// nil selector matches nothing, an empty one everything. The error says
// which requirement is wrong; Validate reports the same with field paths.
func (ls *LabelSelector) AsSelector() (Selector, error) {
	if ls == nil {
		return Nothing(), nil
	}
	if errs := validateLabelSelector(ls, ""); len(errs) > 0 {
		return nil, fmt.Errorf("invalid label selector: %w", errs.ToAggregate())
	}
	rs := SelectorFromSet(ls.MatchLabels).(requirements)
	for _, e := range ls.MatchExpressions {
		r := requirement{key: e.Key, values: slices.Sorted(slices.Values(e.Values))}
		switch e.Operator {
		case LabelSelectorOpIn:
			r.op = opIn
		case LabelSelectorOpNotIn:
			r.op = opNotIn
		case LabelSelectorOpExists:
			r.op = opExists
		case LabelSelectorOpDoesNotExist:
			r.op = opDoesNotExist
		}
		rs = append(rs, r)
	}
	return rs.sorted(), nil
}

// ParseSelector parses a selector in the form of "kubectl get -l":
// requirements separated by commas, all of which must hold:
//
//	app=web          the label app is web ("==" means the same)
//	tier!=db         tier is not db, or there is no tier label
//	env in (prod,qa) env is prod or qa
//	env notin (dev)  env is not dev, or there is no env label
//	release          there is a release label, whatever its value
//	!canary          there is no canary label
//
// The empty string selects everything. An error names the character
// where the text stops making sense, counting from 1.
func ParseSelector(s string) (Selector, error) {
	p := &selectorParser{tokens: lexSelector(s)}
	rs := requirements{}
	if p.peek().kind == tokEnd {
		return rs, nil
	}
	for {
		r, err := p.requirement()
		if err != nil {
			return nil, fmt.Errorf("label selector %q: %w", s, err)
		}
		rs = append(rs, r)
		switch t := p.next(); t.kind {
		case tokEnd:
			return rs.sorted(), nil
		case tokComma:
		default:
			return nil, fmt.Errorf("label selector %q: %w", s, t.unexpected("',' or the end"))
		}
	}
}

// A selector is read in two steps: lexSelector cuts the text into tokens,
// then selectorParser reads requirements from them.

type tokenKind int

const (
	tokEnd       tokenKind = iota
	tokWord                // a key, a value, "in" or "notin"
	tokComma               // ,
	tokEquals              // = or ==
	tokNotEquals           // !=
	tokNot                 // ! before a key
	tokOpen                // (
	tokClose               // )
)

type token struct {
	kind tokenKind
	text string
	pos  int // of its first character, counting from 1
}

// unexpected reports a token that is not what the grammar wants here.
func (t token) unexpected(want string) error {
	if t.kind == tokEnd {
		return fmt.Errorf("character %d: expected %s, found the end", t.pos, want)
	}
	return fmt.Errorf("character %d: expected %s, found %q", t.pos, want, t.text)
}

// lexSelector cuts s into tokens, dropping spaces. A word runs until a
// space or one of ",=!()"; the list ends with a tokEnd.
func lexSelector(s string) []token {
	var tokens []token
	for i := 0; i < len(s); {
		start := i
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == ',':
			tokens, i = append(tokens, token{tokComma, ",", start + 1}), i+1
		case c == '(':
			tokens, i = append(tokens, token{tokOpen, "(", start + 1}), i+1
		case c == ')':
			tokens, i = append(tokens, token{tokClose, ")", start + 1}), i+1
		case strings.HasPrefix(s[i:], "=="):
			tokens, i = append(tokens, token{tokEquals, "==", start + 1}), i+2
		case c == '=':
			tokens, i = append(tokens, token{tokEquals, "=", start + 1}), i+1
		case strings.HasPrefix(s[i:], "!="):
			tokens, i = append(tokens, token{tokNotEquals, "!=", start + 1}), i+2
		case c == '!':
			tokens, i = append(tokens, token{tokNot, "!", start + 1}), i+1
		default:
			for i < len(s) && !strings.ContainsRune(" \t\n\r,=!()", rune(s[i])) {
				i++
			}
			tokens = append(tokens, token{tokWord, s[start:i], start + 1})
		}
	}
	return append(tokens, token{tokEnd, "", len(s) + 1})
}

// selectorParser reads tokens; i is the next one.
type selectorParser struct {
	tokens []token
	i      int
}

func (p *selectorParser) peek() token { return p.tokens[p.i] }

func (p *selectorParser) next() token {
	t := p.tokens[p.i]
	if t.kind != tokEnd {
		p.i++
	}
	return t
}

// requirement reads one requirement: "!key", or a key alone or followed
// by "=", "==", "!=", "in" or "notin" and its values.
func (p *selectorParser) requirement() (requirement, error) {
	if p.peek().kind == tokNot {
		p.next()
		key, err := p.key()
		return requirement{key: key, op: opDoesNotExist}, err
	}
	key, err := p.key()
	if err != nil {
		return requirement{}, err
	}
	t := p.peek()
	switch {
	case t.kind == tokEnd || t.kind == tokComma:
		return requirement{key: key, op: opExists}, nil
	case t.kind == tokEquals || t.kind == tokNotEquals:
		p.next()
		op := opEquals
		if t.kind == tokNotEquals {
			op = opNotEquals
		}
		value, err := p.value()
		return requirement{key: key, op: op, values: []string{value}}, err
	case t.kind == tokWord && (t.text == "in" || t.text == "notin"):
		p.next()
		values, err := p.valueSet()
		return requirement{key: key, op: operator(t.text), values: values}, err
	}
	return requirement{}, t.unexpected(`"=", "!=", "in", "notin", ',' or the end`)
}

// key reads a label key and checks it.
func (p *selectorParser) key() (string, error) {
	t := p.next()
	if t.kind != tokWord {
		return "", t.unexpected("a label key")
	}
	if msgs := isQualifiedName(t.text); len(msgs) > 0 {
		return "", fmt.Errorf("character %d: invalid label key %q: %s", t.pos, t.text, msgs[0])
	}
	return t.text, nil
}

// value reads a label value, which may be empty: "tier=" selects the
// objects whose tier label is "".
func (p *selectorParser) value() (string, error) {
	t := p.peek()
	if t.kind != tokWord {
		return "", nil
	}
	p.next()
	if msgs := isLabelValue(t.text); len(msgs) > 0 {
		return "", fmt.Errorf("character %d: invalid label value %q: %s", t.pos, t.text, msgs[0])
	}
	return t.text, nil
}

// valueSet reads "(a,b,...)" and returns the values, sorted.
func (p *selectorParser) valueSet() ([]string, error) {
	if t := p.next(); t.kind != tokOpen {
		return nil, t.unexpected(`"(" and values`)
	}
	var values []string
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		values = append(values, v)
		switch t := p.next(); t.kind {
		case tokClose:
			slices.Sort(values)
			return slices.Compact(values), nil
		case tokComma:
		default:
			return nil, t.unexpected(`',' or ")"`)
		}
	}
}

// validateLabels checks label keys and values (SEMANTICS.md §5.1): a key is
// an optional DNS subdomain prefix and "/", then a name of at most 63
// letters, digits, '-', '_' or '.', starting and ending with a letter or
// digit; a value follows the rule of the name, or is empty. A nodeSelector
// follows the same rules, since it names node labels.
func validateLabels(labels map[string]string, path field.Path) field.ErrorList {
	var errs field.ErrorList
	// Sorted, so that the errors come in the same order every time.
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		for _, msg := range isQualifiedName(k) {
			errs = append(errs, field.Invalid(path, k, msg))
		}
		for _, msg := range isLabelValue(labels[k]) {
			errs = append(errs, field.Invalid(path.Key(k), labels[k], msg))
		}
	}
	return errs
}

// validateAnnotations checks annotation keys, which follow the rule of label
// keys; values may be any text.
func validateAnnotations(annotations map[string]string, path field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range slices.Sorted(maps.Keys(annotations)) {
		// In lower case, as Kubernetes checks it: an annotation prefix may
		// be written "Example.com/".
		for _, msg := range isQualifiedName(strings.ToLower(k)) {
			errs = append(errs, field.Invalid(path, k, msg))
		}
	}
	return errs
}

// validateLabelSelector checks the API form of a selector, as Kubernetes
// does: the keys and values are label keys and values, and each
// operator has the number of values it needs.
func validateLabelSelector(ls *LabelSelector, fldPath field.Path) field.ErrorList {
	if ls == nil {
		return nil
	}
	errs := validateLabels(ls.MatchLabels, fldPath.Child("matchLabels"))
	for i, e := range ls.MatchExpressions {
		idxPath := fldPath.Child("matchExpressions").Index(i)
		switch e.Operator {
		case LabelSelectorOpIn, LabelSelectorOpNotIn:
			if len(e.Values) == 0 {
				errs = append(errs, field.Required(idxPath.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
			}
		case LabelSelectorOpExists, LabelSelectorOpDoesNotExist:
			if len(e.Values) > 0 {
				errs = append(errs, field.Forbidden(idxPath.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
			}
		default:
			errs = append(errs, field.NotSupported(idxPath.Child("operator"), e.Operator, []string{
				string(LabelSelectorOpIn), string(LabelSelectorOpNotIn), string(LabelSelectorOpExists), string(LabelSelectorOpDoesNotExist)}))
		}
		for _, msg := range isQualifiedName(e.Key) {
			errs = append(errs, field.Invalid(idxPath.Child("key"), e.Key, msg))
		}
		for j, v := range e.Values {
			for _, msg := range isLabelValue(v) {
				errs = append(errs, field.Invalid(idxPath.Child("values").Index(j), v, msg))
			}
		}
	}
	return errs
}
