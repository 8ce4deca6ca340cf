package api

import "time"

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
	Namespace    string `json:"namespace,omitempty"`
	// UID tells apart two objects that had the same name at different times.
	UID string `json:"uid,omitempty"`
	// ResourceVersion changes with every write; the store sets it.
	ResourceVersion   string            `json:"resourceVersion,omitempty"`
	CreationTimestamp time.Time         `json:"creationTimestamp,omitzero"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
}

// Object is any API object: a Pod now, Nodes, Services and Deployments
// later. Every kind embeds TypeMeta and ObjectMeta, which provide both
// methods.
type Object interface {
	GetTypeMeta() *TypeMeta
	GetObjectMeta() *ObjectMeta
}

// GetTypeMeta returns t itself, so that a kind embedding TypeMeta has it.
func (t *TypeMeta) GetTypeMeta() *TypeMeta { return t }

// GetObjectMeta returns m itself, so that a kind embedding ObjectMeta has it.
func (m *ObjectMeta) GetObjectMeta() *ObjectMeta { return m }
