package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// NamespaceDefault is the namespace of an object that names none.
const NamespaceDefault = "default"

// TypeMeta says what an object is: its apiVersion and kind, the first two
// lines of every manifest. It is the key of the kinds table in decode.go.
type TypeMeta struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
}

// ObjectMeta is the metadata every object has, whatever its kind.
type ObjectMeta struct {
	// Name is unique among the objects of one kind in one namespace.
	Name string `json:"name,omitempty"`
	// GenerateName asks the API server to make a unique name from this
	// prefix when Name is empty, as ReplicaSets do for their pods.
	GenerateName string `json:"generateName,omitempty"`
	// Namespace is empty for the kinds that belong to no namespace, like
	// Node and Namespace (see Namespaced).
	Namespace string `json:"namespace,omitempty"`
	// UID tells apart two objects that had the same name at different times.
	UID string `json:"uid,omitempty"`
	// ResourceVersion changes with every write; the store sets it.
	ResourceVersion string `json:"resourceVersion,omitempty"`
	// Generation counts the changes to the spec; the store sets it, and a
	// controller copies it to status.observedGeneration once it has acted.
	Generation        int64     `json:"generation,omitempty"`
	CreationTimestamp time.Time `json:"creationTimestamp,omitzero"`
	// DeletionTimestamp is set when the object is being deleted: it stays
	// until its finalizers are gone (and, for a pod, its containers have
	// stopped). A pointer, so "not being deleted" is nil, as in Kubernetes.
	DeletionTimestamp *time.Time `json:"deletionTimestamp,omitempty"`
	// DeletionGracePeriodSeconds is the grace period the deletion started with.
	DeletionGracePeriodSeconds *int64            `json:"deletionGracePeriodSeconds,omitempty"`
	Labels                     map[string]string `json:"labels,omitempty"`
	Annotations                map[string]string `json:"annotations,omitempty"`
	// OwnerReferences name the objects this one belongs to; at most one of
	// them is its controller (SEMANTICS.md §5.4). The garbage collector
	// deletes an object whose owners are all gone.
	OwnerReferences []OwnerReference `json:"ownerReferences,omitempty"`
	// Finalizers must all be removed before a deleted object goes away,
	// like "foregroundDeletion" while the dependents are deleted first.
	Finalizers []string `json:"finalizers,omitempty"`
}

// OwnerReference points from a dependent to its owner, like from a pod to
// its ReplicaSet. The owner is in the same namespace, or in none.
type OwnerReference struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	UID        string `json:"uid"`
	// Controller marks the one owner that manages the object.
	Controller *bool `json:"controller,omitempty"`
	// BlockOwnerDeletion keeps a foreground deletion of the owner waiting
	// until this dependent is gone.
	BlockOwnerDeletion *bool `json:"blockOwnerDeletion,omitempty"`
}

// ObjectReference points to any object, as an Event does to the object it
// is about, or an Endpoints address to its pod.
type ObjectReference struct {
	Kind            string `json:"kind,omitempty"`
	Namespace       string `json:"namespace,omitempty"`
	Name            string `json:"name,omitempty"`
	UID             string `json:"uid,omitempty"`
	APIVersion      string `json:"apiVersion,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
	// FieldPath names a part of the object, like "spec.containers{app}".
	FieldPath string `json:"fieldPath,omitempty"`
}

// Object is any API object: a Pod, a Node, a Deployment... Every kind
// embeds TypeMeta and ObjectMeta, which provide both methods.
type Object interface {
	GetTypeMeta() *TypeMeta
	GetObjectMeta() *ObjectMeta
}

// GetTypeMeta returns t itself, so that a kind embedding TypeMeta has it.
func (t *TypeMeta) GetTypeMeta() *TypeMeta { return t }

// GetObjectMeta returns m itself, so that a kind embedding ObjectMeta has it.
func (m *ObjectMeta) GetObjectMeta() *ObjectMeta { return m }

// GetControllerOf returns a copy of the ownerReference of obj that has
// controller: true, or nil if no controller owns obj.
func GetControllerOf(obj Object) *OwnerReference {
	for _, ref := range obj.GetObjectMeta().OwnerReferences {
		if ref.Controller != nil && *ref.Controller {
			return &ref
		}
	}
	return nil
}

// NewControllerRef returns the ownerReference a controller puts on the
// objects it creates, like a ReplicaSet on its pods. gvk is the owner's
// kind, like KindReplicaSet: an object read back from a store may not
// carry its TypeMeta. blockOwnerDeletion is true so that a foreground
// deletion of the owner waits for its dependents.
func NewControllerRef(owner Object, gvk TypeMeta) OwnerReference {
	m := owner.GetObjectMeta()
	return OwnerReference{
		APIVersion:         gvk.APIVersion,
		Kind:               gvk.Kind,
		Name:               m.Name,
		UID:                m.UID,
		Controller:         new(true),
		BlockOwnerDeletion: new(true),
	}
}

// DeepCopy returns a copy of obj that shares no maps, slices or pointers
// with it, so that a controller can change the copy of an object it read
// from a cache (STYLE.md rule 6). It goes through JSON, which every kind
// round-trips: no copy function to keep in step with the fields. Empty
// lists and maps come back as nil, which means the same to podlab.
func DeepCopy[T Object](obj T) T {
	data, err := json.Marshal(obj)
	if err != nil {
		panic(fmt.Sprintf("deep copy of %T: %v", obj, err)) // every kind encodes: a bug
	}
	// T is a pointer, like *Pod: make a new Pod for it to point to.
	out := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(T)
	if err := json.Unmarshal(data, out); err != nil {
		panic(fmt.Sprintf("deep copy of %T: %v", obj, err))
	}
	return out
}
