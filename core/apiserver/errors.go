package apiserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/api/field"
)

// apiError is a failed request: the Status it is answered with. A function
// deep in an update returns one, like a conflict, and the handler writes
// it with writeError; any other error is an internal one.
type apiError struct {
	code    int
	reason  string
	message string
	details *statusDetails
}

func (e *apiError) Error() string { return e.message }

// writeError answers a failed request: with the Status of an *apiError, or
// with 500 InternalError for any other error, which is also logged: it is
// a bug or an etcd outage, not the client's mistake.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		slog.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = &apiError{code: http.StatusInternalServerError, reason: ReasonInternalError, message: err.Error()}
	}
	var details any
	if ae.details != nil {
		details = ae.details
	}
	WriteStatus(w, ae.code, ae.reason, ae.message, details)
}

// hasReason reports whether err is an *apiError of reason, like
// ReasonAlreadyExists.
func hasReason(err error, reason string) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.reason == reason
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{code: http.StatusBadRequest, reason: ReasonBadRequest, message: fmt.Sprintf(format, args...)}
}

func methodNotAllowed(r *http.Request) *apiError {
	return &apiError{code: http.StatusMethodNotAllowed, reason: ReasonMethodNotAllowed,
		message: fmt.Sprintf("method %s is not allowed on %q", r.Method, r.URL.Path)}
}

// pathNotFound is the answer to a path that names no resource.
func pathNotFound(r *http.Request) *apiError {
	return &apiError{code: http.StatusNotFound, reason: ReasonNotFound,
		message: fmt.Sprintf("the server could not find the requested resource %q", r.URL.Path)}
}

// notFound says object name of res does not exist: `pods "web" not found`.
func notFound(res resource, name string) *apiError {
	return &apiError{code: http.StatusNotFound, reason: ReasonNotFound,
		message: fmt.Sprintf("%s %q not found", res.qualified(), name),
		details: &statusDetails{Name: name, Group: res.group(), Kind: res.name}}
}

func alreadyExists(res resource, name string) *apiError {
	return &apiError{code: http.StatusConflict, reason: ReasonAlreadyExists,
		message: fmt.Sprintf("%s %q already exists", res.qualified(), name),
		details: &statusDetails{Name: name, Group: res.group(), Kind: res.name}}
}

// conflict is Kubernetes' answer to a write based on an old version:
//
//	Operation cannot be fulfilled on pods "web": the object has been modified; please apply ...
func conflict(res resource, name, why string) *apiError {
	return &apiError{code: http.StatusConflict, reason: ReasonConflict,
		message: fmt.Sprintf("Operation cannot be fulfilled on %s %q: %s", res.qualified(), name, why),
		details: &statusDetails{Name: name, Group: res.group(), Kind: res.name}}
}

// modifiedSince is the why of a conflict on a stale resourceVersion.
const modifiedSince = "the object has been modified; please apply your changes to the latest version and try again"

func forbidden(format string, args ...any) *apiError {
	return &apiError{code: http.StatusForbidden, reason: ReasonForbidden, message: fmt.Sprintf(format, args...)}
}

func unsupportedMediaType(contentType string, supported ...string) *apiError {
	return &apiError{code: http.StatusUnsupportedMediaType, reason: ReasonUnsupportedMediaType,
		message: fmt.Sprintf("the body of the request was in an unknown format %q: accepted media types are %s",
			contentType, strings.Join(supported, ", "))}
}

// invalid lists every field error of an object, as Kubernetes does:
//
//	Pod "web" is invalid: [spec.containers[0].image: Required value, ...]
//
// with one cause per error in the details, so a client can point at the
// fields.
func invalid(kind api.TypeMeta, name string, errs field.ErrorList) *apiError {
	d := &statusDetails{Name: name, Group: groupOf(kind.APIVersion), Kind: kind.Kind}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
		d.Causes = append(d.Causes, statusCause{
			Reason:  causeReasons[e.Type],
			Message: strings.TrimPrefix(e.Error(), e.Field+": "),
			Field:   e.Field,
		})
	}
	all := strings.Join(msgs, ", ")
	if len(msgs) > 1 {
		all = "[" + all + "]"
	}
	qualified := kind.Kind
	if g := groupOf(kind.APIVersion); g != "" {
		qualified += "." + g
	}
	return &apiError{code: http.StatusUnprocessableEntity, reason: ReasonInvalid,
		message: fmt.Sprintf("%s %q is invalid: %s", qualified, name, all), details: d}
}

// causeReasons are Kubernetes' names of the field error types
// (metav1.CauseType), which clients test.
var causeReasons = map[field.ErrorType]string{
	field.ErrorTypeRequired:     "FieldValueRequired",
	field.ErrorTypeInvalid:      "FieldValueInvalid",
	field.ErrorTypeDuplicate:    "FieldValueDuplicate",
	field.ErrorTypeNotFound:     "FieldValueNotFound",
	field.ErrorTypeNotSupported: "FieldValueNotSupported",
	field.ErrorTypeForbidden:    "FieldValueForbidden",
}
