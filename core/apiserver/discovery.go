package apiserver

import (
	"net/http"
	"strings"

	"github.com/podlab/podlab/core/api"
)

// apiResource describes one resource of a group version, as
// "kubectl api-resources" shows it.
type apiResource struct {
	Name       string   `json:"name"` // like "pods" or "pods/status"
	Namespaced bool     `json:"namespaced"`
	Kind       string   `json:"kind"`
	Verbs      []string `json:"verbs"`
}

var (
	objectVerbs      = []string{"create", "delete", "get", "list", "patch", "update", "watch"}
	subresourceVerbs = []string{"get", "patch", "update"}
)

// discoveryPath reports whether path is the discovery document of a group
// version, /api/v1 or /apis/{group}/{version}, and which apiVersion.
func discoveryPath(path string) (apiVersion string, ok bool) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case len(segs) == 2 && segs[0] == "api":
		return segs[1], true
	case len(segs) == 3 && segs[0] == "apis":
		return segs[1] + "/" + segs[2], true
	}
	return "", false
}

// apiResources answers GET /api/v1 or /apis/{group}/{version} with the
// APIResourceList of that group version: its resources and subresources.
func apiResources(w http.ResponseWriter, r *http.Request, apiVersion string) error {
	if r.Method != http.MethodGet {
		return methodNotAllowed(r)
	}
	list := []apiResource{}
	for _, tm := range api.Kinds() {
		if tm.APIVersion != apiVersion {
			continue
		}
		res := resourceOf(tm)
		list = append(list, apiResource{res.name, res.namespaced, tm.Kind, objectVerbs})
		if res.hasStatus() {
			list = append(list, apiResource{res.name + "/" + subStatus, res.namespaced, tm.Kind, subresourceVerbs})
		}
		if tm == api.KindPod {
			list = append(list, apiResource{"pods/" + subBinding, true, "Binding", []string{"create"}})
		}
	}
	if len(list) == 0 {
		return pathNotFound(r)
	}
	return writeObject(w, http.StatusOK, struct {
		Kind         string        `json:"kind"`
		APIVersion   string        `json:"apiVersion"`
		GroupVersion string        `json:"groupVersion"`
		Resources    []apiResource `json:"resources"`
	}{"APIResourceList", "v1", apiVersion, list})
}
