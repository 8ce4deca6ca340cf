package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// StatusError is a request the API server refused, with the Kubernetes
// Status object it answered: the HTTP code, a reason like "NotFound" or
// "Invalid", and a message meant for people.
type StatusError struct {
	Code    int
	Reason  string
	Message string
	Details *StatusDetails
}

// StatusDetails name the object a Status is about, and for "Invalid"
// every field that is wrong.
type StatusDetails struct {
	Name   string        `json:"name,omitempty"`
	Kind   string        `json:"kind,omitempty"`
	Causes []StatusCause `json:"causes,omitempty"`
}

// StatusCause is one wrong field of an "Invalid" answer.
type StatusCause struct {
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	Field   string `json:"field,omitempty"`
}

func (e *StatusError) Error() string { return e.Message }

// statusError decodes the body of a failed request. A body that is not a
// Status (a proxy's error page, say) still gives an error with its code.
func statusError(code int, body []byte) *StatusError {
	var st struct {
		Kind    string         `json:"kind"`
		Message string         `json:"message"`
		Reason  string         `json:"reason"`
		Details *StatusDetails `json:"details"`
	}
	if json.Unmarshal(body, &st) == nil && st.Kind == "Status" && st.Message != "" {
		return &StatusError{Code: code, Reason: st.Reason, Message: st.Message, Details: st.Details}
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	if msg == "" {
		msg = http.StatusText(code)
	}
	return &StatusError{Code: code, Reason: http.StatusText(code), Message: fmt.Sprintf("the server answered %d: %s", code, msg)}
}

func hasCode(err error, code int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == code
}

// IsNotFound reports whether err says the object does not exist (404).
func IsNotFound(err error) bool { return hasCode(err, http.StatusNotFound) }

// IsAlreadyExists reports whether a create failed because the name is taken.
func IsAlreadyExists(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == http.StatusConflict && se.Reason == "AlreadyExists"
}

// IsConflict reports whether an update lost a race: the object changed
// since it was read. Read it again and retry.
func IsConflict(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == http.StatusConflict && se.Reason != "AlreadyExists"
}

// IsInvalid reports whether the object failed validation (422); the
// StatusError's Details list every wrong field.
func IsInvalid(err error) bool { return hasCode(err, http.StatusUnprocessableEntity) }

// IsGone reports whether a watch asked for history that etcd no longer
// keeps (410 Expired): list again and watch from the new list.
func IsGone(err error) bool { return hasCode(err, http.StatusGone) }

// IsUnauthorized reports whether the server refused the token (401).
func IsUnauthorized(err error) bool { return hasCode(err, http.StatusUnauthorized) }
