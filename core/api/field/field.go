// Package field describes what is wrong with an API object, field by field,
// in the words of the Kubernetes API server:
//
//	spec.containers[1].name: Duplicate value: "app"
//
// It is a small copy of k8s.io/apimachinery/pkg/util/validation/field, so
// a student sees the same messages from podlab as from kubectl.
package field

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Path names a field the way it is written in YAML, like
// "spec.containers[0].ports[1].containerPort". The empty Path is the object
// itself.
type Path string

// NewPath returns the path of a top-level field, like NewPath("spec").
func NewPath(name string) Path { return Path(name) }

// Child returns the path of a field inside p: "spec" → "spec.containers".
func (p Path) Child(name string) Path {
	if p == "" {
		return Path(name)
	}
	return p + "." + Path(name)
}

// Index returns the path of a list item: "spec.containers" → "spec.containers[0]".
func (p Path) Index(i int) Path { return p + "[" + Path(strconv.Itoa(i)) + "]" }

// Key returns the path of a map entry: "metadata.labels" → "metadata.labels[app]".
func (p Path) Key(key string) Path { return p + "[" + Path(key) + "]" }

func (p Path) String() string { return string(p) }

// ErrorType says what kind of mistake an Error is; its text starts the
// message, as in Kubernetes.
type ErrorType string

const (
	ErrorTypeRequired     ErrorType = "Required value"    // the field is missing or empty
	ErrorTypeInvalid      ErrorType = "Invalid value"     // the value breaks a rule, told in Detail
	ErrorTypeDuplicate    ErrorType = "Duplicate value"   // the value must be unique but is not
	ErrorTypeNotFound     ErrorType = "Not found"         // the value refers to something that does not exist
	ErrorTypeNotSupported ErrorType = "Unsupported value" // the value is not one of a fixed set
	ErrorTypeForbidden    ErrorType = "Forbidden"         // the field may not be set here
)

// Error is one mistake in one field.
type Error struct {
	Type     ErrorType
	Field    string // a Path, like "spec.containers[1].name"
	BadValue any    // shown for Invalid, Duplicate, NotFound and NotSupported
	Detail   string // why the value is wrong, or what to do
}

// Error formats the mistake as Kubernetes does:
//
//	spec.containers[1].name: Required value
//	metadata.name: Invalid value: "Web": a lowercase RFC 1123 subdomain must ...
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.Field, e.Type)
	switch e.Type {
	case ErrorTypeRequired, ErrorTypeForbidden:
		// The field is missing or must go: its value says nothing.
	default:
		// Strings are quoted, also named ones like RestartPolicy.
		if v := reflect.ValueOf(e.BadValue); v.Kind() == reflect.String {
			fmt.Fprintf(&b, ": %q", v.String())
		} else {
			fmt.Fprintf(&b, ": %v", e.BadValue)
		}
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	return b.String()
}

// Required reports a missing field.
func Required(p Path, detail string) *Error {
	return &Error{Type: ErrorTypeRequired, Field: string(p), Detail: detail}
}

// Invalid reports a value that breaks the rule told in detail.
func Invalid(p Path, value any, detail string) *Error {
	return &Error{Type: ErrorTypeInvalid, Field: string(p), BadValue: value, Detail: detail}
}

// Duplicate reports a value that must be unique, like a container name.
func Duplicate(p Path, value any) *Error {
	return &Error{Type: ErrorTypeDuplicate, Field: string(p), BadValue: value}
}

// NotFound reports a reference to something that does not exist, like a
// volume mount naming no volume of the pod.
func NotFound(p Path, value any) *Error {
	return &Error{Type: ErrorTypeNotFound, Field: string(p), BadValue: value}
}

// NotSupported reports a value outside a fixed set and lists the set.
func NotSupported(p Path, value any, supported []string) *Error {
	quoted := make([]string, len(supported))
	for i, s := range supported {
		quoted[i] = strconv.Quote(s)
	}
	return &Error{Type: ErrorTypeNotSupported, Field: string(p), BadValue: value,
		Detail: "supported values: " + strings.Join(quoted, ", ")}
}

// Forbidden reports a field that may not be set, for the reason in detail.
func Forbidden(p Path, detail string) *Error {
	return &Error{Type: ErrorTypeForbidden, Field: string(p), Detail: detail}
}

// ErrorList holds every mistake found in an object: validation goes on
// after the first one, so a student can fix them all in one go.
type ErrorList []*Error

// Error joins the messages with newlines. To return a list as an error, use
// ToAggregate: an empty ErrorList stored in an error is not a nil error.
func (l ErrorList) Error() string {
	if len(l) == 0 {
		return ""
	}
	return l.ToAggregate().Error()
}

// ToAggregate returns the list as one error (its messages joined with
// newlines), or nil if the list is empty. errors.As finds each *Error in it.
func (l ErrorList) ToAggregate() error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errors.Join(errs...)
}
