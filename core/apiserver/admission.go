package apiserver

import "github.com/podlab/podlab/core/api"

// defaultTolerationSeconds is how long a pod stays on a node that went
// NotReady or unreachable before it is evicted: 300 s, the default of
// kube-apiserver's DefaultTolerationSeconds admission plugin.
const defaultTolerationSeconds int64 = 300

// admitPod runs the admission steps podlab has on a new pod, after
// defaulting and before validation, as kube-apiserver's admission plugins
// do. There is one, DefaultTolerationSeconds (SEMANTICS.md §11): a pod that
// does not tolerate the not-ready and unreachable NoExecute taints itself
// gets a toleration of each for 300 s, so that a node falling silent
// evicts its pods five minutes later and not at once.
func admitPod(p *api.Pod) {
	for _, key := range []string{api.TaintNodeNotReady, api.TaintNodeUnreachable} {
		taint := api.Taint{Key: key, Effect: api.TaintEffectNoExecute}
		if toleratesNoExecute(p.Spec.Tolerations, &taint) {
			continue
		}
		p.Spec.Tolerations = append(p.Spec.Tolerations, api.Toleration{
			Key:               key,
			Operator:          api.TolerationOpExists,
			Effect:            api.TaintEffectNoExecute,
			TolerationSeconds: new(defaultTolerationSeconds),
		})
	}
}

// toleratesNoExecute reports whether one of tolerations covers taint: as
// the admission plugin does, a toleration with an empty effect counts.
func toleratesNoExecute(tolerations []api.Toleration, taint *api.Taint) bool {
	for i := range tolerations {
		if tolerations[i].ToleratesTaint(taint) {
			return true
		}
	}
	return false
}
