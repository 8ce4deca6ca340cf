package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

var applyCommand = &cli.Command{
	Name:  "apply",
	Usage: "create objects from manifests, or update them to match, like kubectl apply",
	ArgsUsage: "-f FILE|DIR|- [-f ...]\n\n" +
		"   examples: podlab apply -f web.yaml\n" +
		"             podlab apply -f labs/09/ -n lab9\n" +
		"             podlab get deploy web -o yaml | podlab apply -f -",
	Category: clusterCategory,
	Flags:    manifestFlags("the manifests to apply"),
	Action: sendManifests("apply", "podlab apply -f web.yaml", func(ctx context.Context, cl *client.Client, obj api.Object, flagNS string) (string, error) {
		result, err := applyObject(ctx, cl, obj, flagNS)
		return objectName(obj) + " " + result, err // like "deployment.apps/web configured"
	}),
}

// maxApplyAttempts bounds the retries when someone else writes the
// object between our read and our write.
const maxApplyAttempts = 5

// applyObject creates obj, or updates the object of its name to match,
// and says which: "created", "configured" or "unchanged".
//
// This is a simplified kubectl apply (which keeps the last applied
// manifest in an annotation, for a three-way merge). Here the manifest
// replaces the live object, except for what the cluster filled in and
// the manifest leaves out (see fromManifest). "unchanged" means that
// the result, defaulted as the API server defaults it, is the live
// object: then nothing is written. The update carries the
// resourceVersion just read, so it is a compare-and-swap: if someone
// wrote in between, the server answers Conflict, and we read again.
func applyObject(ctx context.Context, cl *client.Client, obj api.Object, flagNS string) (string, error) {
	ns, err := manifestNamespace(obj, flagNS)
	if err != nil {
		return "", err
	}
	name := obj.GetObjectMeta().Name
	if name == "" {
		return "", fmt.Errorf("the manifest has no metadata.name: apply finds objects by name")
	}
	r, err := cl.Resource(api.KindOf(obj), ns)
	if err != nil {
		return "", err
	}
	for attempt := 1; ; attempt++ {
		live, err := r.Get(ctx, name)
		if client.IsNotFound(err) {
			_, err = r.Create(ctx, forCreate(obj, ns))
			if client.IsAlreadyExists(err) && attempt < maxApplyAttempts {
				continue // created meanwhile: update it
			}
			if err != nil {
				return "", err
			}
			return "created", nil
		}
		if err != nil {
			return "", err
		}
		desired := fromManifest(obj, live)
		if sameObject(desired, live) {
			return "unchanged", nil
		}
		_, err = r.Update(ctx, desired)
		if client.IsConflict(err) && attempt < maxApplyAttempts {
			continue
		}
		if err != nil {
			return "", err
		}
		return "configured", nil
	}
}

// forCreate returns a copy of obj to create in namespace ns, without the
// metadata the server sets: a manifest saved with "get -o yaml" has a
// uid and a resourceVersion, which a create must not carry.
func forCreate(obj api.Object, ns string) api.Object {
	obj = api.DeepCopy(obj)
	m := obj.GetObjectMeta()
	if api.Namespaced(obj) {
		m.Namespace = ns
	}
	m.UID, m.ResourceVersion, m.Generation, m.CreationTimestamp = "", "", 0, time.Time{}
	m.DeletionTimestamp, m.DeletionGracePeriodSeconds = nil, nil
	return obj
}

// fromManifest returns what an update of live to the manifest obj writes:
// the manifest, with
//   - the metadata the server owns (uid, resourceVersion, generation,
//     creationTimestamp) of live: the resourceVersion makes the update a
//     compare-and-swap;
//   - the labels and annotations of live that the manifest does not name,
//     as kubectl keeps those it did not apply (remove one with "podlab
//     label KIND NAME KEY-"), and live's ownerReferences and finalizers
//     if the manifest has none;
//   - the fields the cluster fills in when the manifest leaves them
//     empty: a pod's node and the tolerations admission gave it, a
//     Service's clusterIP and nodePorts, a
//     claim's volume and storage class, a node's podCIDR, a namespace's
//     finalizers;
//   - the defaults of the API server.
//
// The status is the manifest's, which the server ignores on an update.
func fromManifest(obj, live api.Object) api.Object {
	desired := api.DeepCopy(obj)
	m, lm := desired.GetObjectMeta(), live.GetObjectMeta()
	m.Namespace = lm.Namespace
	m.UID, m.ResourceVersion, m.Generation, m.CreationTimestamp = lm.UID, lm.ResourceVersion, lm.Generation, lm.CreationTimestamp
	m.DeletionTimestamp, m.DeletionGracePeriodSeconds = lm.DeletionTimestamp, lm.DeletionGracePeriodSeconds
	m.Labels = keepMissing(m.Labels, lm.Labels)
	m.Annotations = keepMissing(m.Annotations, lm.Annotations)
	if len(m.OwnerReferences) == 0 {
		m.OwnerReferences = lm.OwnerReferences
	}
	if len(m.Finalizers) == 0 {
		m.Finalizers = lm.Finalizers
	}
	keepFilledIn(desired, live)
	api.Default(desired) // with live's uid, a Job's generated selector comes out the same
	return desired
}

// keepMissing returns want plus the keys of have it does not name.
func keepMissing(want, have map[string]string) map[string]string {
	if len(have) == 0 {
		return want
	}
	out := maps.Clone(have)
	maps.Copy(out, want)
	return out
}

// keepFilledIn copies from live the fields that the cluster filled in
// and the manifest leaves empty.
func keepFilledIn(desired, live api.Object) {
	switch d := desired.(type) {
	case *api.Pod:
		l := live.(*api.Pod)
		if d.Spec.NodeName == "" {
			d.Spec.NodeName = l.Spec.NodeName
		}
		// Admission gave the pod tolerations when it was created (the
		// not-ready and unreachable ones, for 300 s); a pod's tolerations
		// may only grow.
		for _, t := range l.Spec.Tolerations {
			if !slices.ContainsFunc(d.Spec.Tolerations, func(dt api.Toleration) bool { return reflect.DeepEqual(dt, t) }) {
				d.Spec.Tolerations = append(d.Spec.Tolerations, t)
			}
		}
	case *api.Service:
		l := live.(*api.Service)
		if d.Spec.ClusterIP == "" {
			d.Spec.ClusterIP = l.Spec.ClusterIP
		}
		for i := range d.Spec.Ports {
			p := &d.Spec.Ports[i]
			for _, lp := range l.Spec.Ports {
				if p.NodePort == 0 && d.Spec.Type == api.ServiceTypeNodePort && lp.Port == p.Port && lp.Name == p.Name {
					p.NodePort = lp.NodePort
				}
			}
		}
	case *api.PersistentVolumeClaim:
		l := live.(*api.PersistentVolumeClaim)
		if d.Spec.VolumeName == "" {
			d.Spec.VolumeName = l.Spec.VolumeName
		}
		if d.Spec.StorageClassName == nil {
			d.Spec.StorageClassName = l.Spec.StorageClassName
		}
	case *api.Node:
		if d.Spec.PodCIDR == "" {
			d.Spec.PodCIDR = live.(*api.Node).Spec.PodCIDR
		}
	case *api.Namespace:
		if len(d.Spec.Finalizers) == 0 {
			d.Spec.Finalizers = live.(*api.Namespace).Spec.Finalizers
		}
	}
}

// sameObject reports whether a and b are the same but for their status.
func sameObject(a, b api.Object) bool {
	return reflect.DeepEqual(withoutStatus(a), withoutStatus(b))
}

// withoutStatus returns the JSON form of obj, as a map, without its status.
func withoutStatus(obj api.Object) map[string]any {
	data, err := json.Marshal(withKind(api.DeepCopy(obj)))
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", obj, err)) // every kind encodes: a bug
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		panic(fmt.Sprintf("decode %T: %v", obj, err))
	}
	delete(m, "status")
	return m
}
