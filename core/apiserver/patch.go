package apiserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/podlab/podlab/core/api"
)

// mergePatchType is the one patch format podlab takes: JSON merge patch,
// RFC 7386, what "kubectl patch --type=merge" sends.
const mergePatchType = "application/merge-patch+json"

// patch answers PATCH on an object or its status: the patch is merged into
// the stored object, and the result goes through the rules of a PUT (or of
// a status PUT). It is retried on a conflict, so a patch never conflicts,
// unless it names a metadata.resourceVersion: then it is a precondition.
func (s *Server) patch(w http.ResponseWriter, r *http.Request, t target) error {
	if ct := r.Header.Get("Content-Type"); ct == "" || checkContentType(r, mergePatchType) != nil {
		return unsupportedMediaType(ct, mergePatchType)
	}
	data, err := readBody(r)
	if err != nil {
		return err
	}
	var patch map[string]any
	if err := decodeJSON(data, &patch); err != nil || patch == nil {
		return badRequest("the patch must be a JSON object, like {\"spec\":{\"replicas\":3}}")
	}
	out, err := s.guaranteedUpdate(r.Context(), t, func(cur api.Object) (api.Object, error) {
		merged, err := applyMergePatch(cur, patch)
		if err != nil {
			return nil, err
		}
		if err := checkIdentity(merged, t); err != nil {
			return nil, err
		}
		if t.subresource == subStatus {
			return statusUpdated(t, cur, merged)
		}
		return updatedObject(t, cur, merged)
	})
	if err != nil {
		return err
	}
	return writeObject(w, http.StatusOK, out)
}

// applyMergePatch merges patch into the JSON of cur, resourceVersion
// included, and decodes the result strictly: a field the kind does not
// have is a 400 that names it.
func applyMergePatch(cur api.Object, patch map[string]any) (api.Object, error) {
	data, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := decodeJSON(data, &doc); err != nil {
		return nil, err
	}
	merged, err := json.Marshal(api.MergePatch(doc, patch))
	if err != nil {
		return nil, err
	}
	objs, err := api.Decode(merged)
	if err != nil {
		// The merged JSON is one line, and not what the client wrote: the
		// field path says where the mistake is, a line number would not.
		return nil, badRequest("the patched object: %s", strings.ReplaceAll(err.Error(), "line 1: ", ""))
	}
	if len(objs) != 1 || *objs[0].GetTypeMeta() != *cur.GetTypeMeta() {
		return nil, badRequest("a patch cannot change the apiVersion or kind of an object")
	}
	return objs[0], nil
}

// decodeJSON decodes data into v keeping numbers as written (json.Number):
// a float64 would round large integers.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("more than one JSON value")
	}
	return nil
}
