package api

import (
	"slices"
	"strings"
)

// shortNames are kubectl's abbreviations of the kinds that have one, as in
// "kubectl get deploy" or "kubectl get po".
var shortNames = map[TypeMeta][]string{
	KindPod:                     {"po"},
	KindNode:                    {"no"},
	KindNamespace:               {"ns"},
	KindEvent:                   {"ev"},
	KindService:                 {"svc"},
	KindEndpoints:               {"ep"},
	KindReplicationController:   {"rc"},
	KindPersistentVolumeClaim:   {"pvc"},
	KindReplicaSet:              {"rs"},
	KindDeployment:              {"deploy"},
	KindStatefulSet:             {"sts"},
	KindDaemonSet:               {"ds"},
	KindCronJob:                 {"cj"},
	KindHorizontalPodAutoscaler: {"hpa"},
}

// KindFor returns the kind that name stands for on a kubectl command
// line: the plural ("deployments"), the singular ("deployment"), the short
// name ("deploy"), in any case, optionally followed by the API group, as
// kubectl prints it ("deployment.apps", "jobs.batch"). The core group has
// no name: "pods" and "pod" stand alone.
func KindFor(name string) (TypeMeta, bool) {
	name = strings.ToLower(name)
	for tm, k := range kinds {
		singular := strings.ToLower(tm.Kind)
		for _, n := range append([]string{k.resource, singular}, shortNames[tm]...) {
			if name == n || (group(tm) != "" && name == n+"."+group(tm)) {
				return tm, true
			}
		}
	}
	return TypeMeta{}, false
}

// KindName returns the name kubectl prints before an object's name: the
// lower-case kind, with its API group if it has one, like "pod" for
// pod/web and "deployment.apps" for deployment.apps/web. KindFor reads it
// back.
func KindName(tm TypeMeta) string {
	name := strings.ToLower(tm.Kind)
	if g := group(tm); g != "" {
		name += "." + g
	}
	return name
}

// ResourceNames returns the plural names of all the kinds, sorted, like
// "cronjobs", "daemonsets", ...: what "podlab get" accepts.
func ResourceNames() []string {
	names := make([]string, 0, len(kinds))
	for _, k := range kinds {
		names = append(names, k.resource)
	}
	slices.Sort(names)
	return names
}

// group returns the API group of a kind: "apps" for apps/v1, "" for the
// core group, whose apiVersion is plain "v1".
func group(tm TypeMeta) string {
	g, _, ok := strings.Cut(tm.APIVersion, "/")
	if !ok {
		return ""
	}
	return g
}
