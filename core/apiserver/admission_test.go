package apiserver

import (
	"testing"

	"github.com/podlab/podlab/core/api"
)

func TestAdmitPodAddsDefaultTolerations(t *testing.T) {
	p := &api.Pod{}
	admitPod(p)
	if len(p.Spec.Tolerations) != 2 {
		t.Fatalf("tolerations = %+v, want not-ready and unreachable", p.Spec.Tolerations)
	}
	for i, key := range []string{api.TaintNodeNotReady, api.TaintNodeUnreachable} {
		tol := p.Spec.Tolerations[i]
		if tol.Key != key || tol.Effect != api.TaintEffectNoExecute || tol.Operator != api.TolerationOpExists ||
			tol.TolerationSeconds == nil || *tol.TolerationSeconds != 300 {
			t.Errorf("toleration %d = %+v, want %s:NoExecute for 300s", i, tol, key)
		}
	}
	admitPod(p) // a second admission adds nothing
	if len(p.Spec.Tolerations) != 2 {
		t.Errorf("after a second admission: %d tolerations, want 2", len(p.Spec.Tolerations))
	}
}

func TestAdmitPodKeepsOwnTolerations(t *testing.T) {
	// A DaemonSet pod tolerates both taints forever (SEMANTICS.md §8); an
	// "Exists" with no key tolerates everything.
	forever := &api.Pod{Spec: api.PodSpec{Tolerations: []api.Toleration{
		{Key: api.TaintNodeNotReady, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute},
		{Key: api.TaintNodeUnreachable, Operator: api.TolerationOpExists},
	}}}
	admitPod(forever)
	if len(forever.Spec.Tolerations) != 2 {
		t.Errorf("own tolerations: %+v, want them unchanged", forever.Spec.Tolerations)
	}
	everything := &api.Pod{Spec: api.PodSpec{Tolerations: []api.Toleration{{Operator: api.TolerationOpExists}}}}
	admitPod(everything)
	if len(everything.Spec.Tolerations) != 1 {
		t.Errorf("tolerate-all pod: %+v, want nothing added", everything.Spec.Tolerations)
	}
}
