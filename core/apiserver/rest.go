package apiserver

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/podlab/podlab/core/api"
)

// maxBodyBytes bounds a request body, as kube-apiserver does (3 MiB): a
// larger one is answered 413 before it fills the server's memory.
const maxBodyBytes = 3 << 20

// handler answers one kind of request on a target. It writes a response
// and returns nil, or returns the error to answer with (see writeError).
type handler func(w http.ResponseWriter, r *http.Request, t target) error

// serveREST answers every request under /api/ and /apis/: the objects of
// every kind, their collections and subresources.
func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	if err := s.route(w, r); err != nil {
		writeError(w, r, err)
	}
}

// route finds the handler of the path and method and calls it.
func (s *Server) route(w http.ResponseWriter, r *http.Request) error {
	if apiVersion, ok := discoveryPath(r.URL.Path); ok {
		return apiResources(w, r, apiVersion)
	}
	t, ok := parsePath(r.URL.Path)
	if !ok {
		return pathNotFound(r)
	}
	h := s.handlerFor(t, r.Method)
	if h == nil {
		w.Header().Set("Allow", allowed(s, t))
		return methodNotAllowed(r)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	return h(w, r, t)
}

// handlerFor returns the handler of method on t, or nil if t does not
// allow method.
func (s *Server) handlerFor(t target, method string) handler {
	switch {
	case t.subresource == subBinding:
		return map[string]handler{http.MethodPost: s.bind}[method]
	case t.subresource == subStatus:
		return map[string]handler{
			http.MethodGet:   s.getObject,
			http.MethodPut:   s.updateStatus,
			http.MethodPatch: s.patch,
		}[method]
	case t.name != "":
		return map[string]handler{
			http.MethodGet:    s.getObject,
			http.MethodPut:    s.update,
			http.MethodPatch:  s.patch,
			http.MethodDelete: s.delete,
		}[method]
	case t.res.namespaced && t.namespace == "":
		// Every namespace: a list or a watch; a new object names its namespace.
		return map[string]handler{http.MethodGet: s.list}[method]
	default:
		return map[string]handler{
			http.MethodGet:  s.list,
			http.MethodPost: s.create,
		}[method]
	}
}

// allowed lists the methods t allows, for the Allow header of a 405.
func allowed(s *Server, t target) string {
	var methods []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if s.handlerFor(t, m) != nil {
			methods = append(methods, m)
		}
	}
	return strings.Join(methods, ", ")
}

// readBody reads the request body: 413 if it is larger than maxBodyBytes.
func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, &apiError{code: http.StatusRequestEntityTooLarge, reason: ReasonRequestEntityTooLarge,
			message: fmt.Sprintf("the request body is larger than %d bytes", tooLarge.Limit)}
	}
	if err != nil {
		return nil, badRequest("read the request body: %v", err)
	}
	return data, nil
}

// checkContentType accepts a request whose Content-Type is one of
// supported, or is missing; 415 UnsupportedMediaType otherwise.
func checkContentType(r *http.Request, supported ...string) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !slices.Contains(supported, mt) {
		return unsupportedMediaType(ct, supported...)
	}
	return nil
}

// decodeBody reads the one object in the body of a POST or PUT, which
// must be of the kind of res. It is decoded as a manifest is (api.Decode):
// an unknown field is a 400 that names it.
func decodeBody(r *http.Request, res resource) (api.Object, error) {
	// YAML too: api.Decode reads both, and kubectl can send either.
	if err := checkContentType(r, "application/json", "application/yaml"); err != nil {
		return nil, err
	}
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	objs, err := api.Decode(data)
	if err != nil {
		return nil, badRequest("decode the body: %v", err)
	}
	if len(objs) != 1 {
		return nil, badRequest("the body must hold exactly one object, it holds %d", len(objs))
	}
	if tm := *objs[0].GetTypeMeta(); tm != res.kind {
		return nil, badRequest("the body holds a %s of apiVersion %q, but %s are %s of apiVersion %q",
			tm.Kind, tm.APIVersion, res.qualified(), res.kind.Kind, res.kind.APIVersion)
	}
	return objs[0], nil
}

// checkIdentity checks that an object sent to an object's path, by PUT or
// as a patch result, is that object: same name, and same namespace if it
// names one. It sets the namespace from the path.
func checkIdentity(obj api.Object, t target) error {
	m := obj.GetObjectMeta()
	if m.Name != t.name {
		return badRequest("the name of the object (%s) does not match the name on the URL (%s)", m.Name, t.name)
	}
	return checkNamespace(obj, t)
}

// checkNamespace checks that obj names the namespace of the path, or none,
// and sets it. A cluster-scoped object keeps its namespace, which
// validation forbids.
func checkNamespace(obj api.Object, t target) error {
	m := obj.GetObjectMeta()
	if !t.res.namespaced {
		return nil
	}
	if m.Namespace != "" && m.Namespace != t.namespace {
		return badRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	m.Namespace = t.namespace
	return nil
}
