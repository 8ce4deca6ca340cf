// Package api holds the Kubernetes-shaped objects podlab understands, with
// Kubernetes field names, so a manifest written for podlab is valid
// Kubernetes YAML for the subset it uses.
//
// A manifest goes through three steps, as in the Kubernetes API server:
//
//	objs, err := api.Decode(data)  // YAML or JSON → *api.Pod, unknown fields are errors
//	api.SetDefaults(pod)           // namespace "default", restartPolicy Always, ...
//	errs := api.ValidatePod(pod)   // every mistake, like "spec.containers[0].image: Required value"
//
// Each kind is a Go struct embedding TypeMeta (apiVersion, kind) and
// ObjectMeta (metadata); the kinds table in decode.go lists them.
package api
