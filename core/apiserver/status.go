package apiserver

import (
	"encoding/json"
	"net/http"
)

// Reasons of a failed request, with the HTTP status code each goes with.
// They are Kubernetes' own (metav1.StatusReason), so `podlab` and kubectl
// read the same words.
const (
	ReasonBadRequest            = "BadRequest"            // 400
	ReasonUnauthorized          = "Unauthorized"          // 401
	ReasonForbidden             = "Forbidden"             // 403
	ReasonNotFound              = "NotFound"              // 404
	ReasonMethodNotAllowed      = "MethodNotAllowed"      // 405
	ReasonAlreadyExists         = "AlreadyExists"         // 409
	ReasonConflict              = "Conflict"              // 409
	ReasonExpired               = "Expired"               // 410: a watch's resourceVersion is compacted
	ReasonRequestEntityTooLarge = "RequestEntityTooLarge" // 413
	ReasonUnsupportedMediaType  = "UnsupportedMediaType"  // 415
	ReasonInvalid               = "Invalid"               // 422
	ReasonInternalError         = "InternalError"         // 500
)

// status is the Kubernetes Status object: the body of every failed request.
// Field order and names follow metav1.Status.
type status struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Status     string `json:"status"`
	Message    string `json:"message"`
	Reason     string `json:"reason"`
	Details    any    `json:"details,omitempty"`
	Code       int    `json:"code"`
}

// statusDetails is the "details" of a Status about one object, in the
// field order of metav1.StatusDetails: the object, and for Invalid every
// field that is wrong.
type statusDetails struct {
	Name   string        `json:"name,omitempty"`
	Group  string        `json:"group,omitempty"`
	Kind   string        `json:"kind,omitempty"`
	Causes []statusCause `json:"causes,omitempty"`
}

// statusCause is one invalid field, like
//
//	{"reason":"FieldValueRequired","message":"Required value","field":"spec.containers[0].image"}
type statusCause struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

// successStatus is the Status a request that returns no object answers
// with, like a binding.
type successStatus struct {
	Kind       string   `json:"kind"`
	APIVersion string   `json:"apiVersion"`
	Metadata   struct{} `json:"metadata"`
	Status     string   `json:"status"`
	Code       int      `json:"code"`
}

// writeSuccess answers with a Status of code and "status": "Success".
func writeSuccess(w http.ResponseWriter, code int) {
	body, _ := json.Marshal(successStatus{Kind: "Status", APIVersion: "v1", Status: "Success", Code: code})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(body)
}

// WriteStatus answers a failed request with a Kubernetes Status object, e.g.
//
//	{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"web\" not found","reason":"NotFound","code":404}
//
// code is the HTTP status (see the Reason constants for which goes with
// which); details, if not nil, is written as the "details" field (the
// object's name and kind, or the invalid fields).
func WriteStatus(w http.ResponseWriter, code int, reason, message string, details any) {
	body, err := json.Marshal(status{
		Kind:       "Status",
		APIVersion: "v1",
		Status:     "Failure",
		Message:    message,
		Reason:     reason,
		Details:    details,
		Code:       code,
	})
	if err != nil { // details that cannot be encoded are a bug in the caller
		code = http.StatusInternalServerError
		body, _ = json.Marshal(status{Kind: "Status", APIVersion: "v1", Status: "Failure",
			Message: "encode status: " + err.Error(), Reason: ReasonInternalError, Code: code})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(body)
}
