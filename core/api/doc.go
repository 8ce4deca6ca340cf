// Package api holds the Kubernetes-shaped objects podlab understands, with
// Kubernetes apiVersions, kinds and field names, so a manifest written for
// podlab is valid Kubernetes YAML for the subset it uses: Pod, Node,
// Namespace, Event, Service, Endpoints, PersistentVolumeClaim,
// ReplicationController (v1); ReplicaSet, Deployment, StatefulSet,
// DaemonSet (apps/v1); Job, CronJob (batch/v1); HorizontalPodAutoscaler
// (autoscaling/v2).
//
// A manifest goes through three steps, as in the Kubernetes API server:
//
//	objs, err := api.Decode(data) // YAML or JSON → *api.Pod, *api.Deployment, ...; unknown fields are errors
//	api.Default(obj)              // namespace "default", replicas 1, restartPolicy Always, ...
//	errs := api.Validate(obj)     // every mistake, like "spec.containers[0].image: Required value"
//
// Each kind is a Go struct embedding TypeMeta (apiVersion, kind) and
// ObjectMeta (metadata); the kinds table in decode.go lists them. Label
// selectors are in labels.go, ownerReferences in meta.go.
package api
