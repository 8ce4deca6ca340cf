package api

// PersistentVolumeClaim asks for storage that outlives pods. A
// StatefulSet makes one per pod from its volumeClaimTemplates, named
// <template>-<statefulset>-<ordinal>, like data-web-0 (SEMANTICS.md §7).
type PersistentVolumeClaim struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       PersistentVolumeClaimSpec   `json:"spec"`
	Status     PersistentVolumeClaimStatus `json:"status,omitzero"`
}

// PersistentVolumeClaimSpec is the storage asked for.
type PersistentVolumeClaimSpec struct {
	// AccessModes say who may mount it: ReadWriteOnce (one node), ...
	AccessModes []PersistentVolumeAccessMode `json:"accessModes,omitempty"`
	// Resources.Requests["storage"] is the size, like "1Gi".
	Resources VolumeResourceRequirements `json:"resources,omitzero"`
	// StorageClassName chooses how the volume is made; nil means the
	// cluster's default class, "" means none.
	StorageClassName *string `json:"storageClassName,omitempty"`
	// VolumeName is the volume bound to the claim.
	VolumeName string `json:"volumeName,omitempty"`
}

// PersistentVolumeAccessMode says how many nodes may mount a volume, and how.
type PersistentVolumeAccessMode string

const (
	ReadWriteOnce    PersistentVolumeAccessMode = "ReadWriteOnce"    // read-write on one node
	ReadOnlyMany     PersistentVolumeAccessMode = "ReadOnlyMany"     // read-only on many nodes
	ReadWriteMany    PersistentVolumeAccessMode = "ReadWriteMany"    // read-write on many nodes
	ReadWriteOncePod PersistentVolumeAccessMode = "ReadWriteOncePod" // read-write by one pod
)

// ResourceStorage is the size of a volume, in bytes, like "1Gi".
const ResourceStorage = "storage"

// VolumeResourceRequirements is the size of a claim. Only "storage" is used.
type VolumeResourceRequirements struct {
	Limits   ResourceList `json:"limits,omitempty"`
	Requests ResourceList `json:"requests,omitempty"`
}

// PersistentVolumeClaimStatus says whether a volume is bound to the claim.
type PersistentVolumeClaimStatus struct {
	Phase       PersistentVolumeClaimPhase   `json:"phase,omitempty"`
	AccessModes []PersistentVolumeAccessMode `json:"accessModes,omitempty"`
	Capacity    ResourceList                 `json:"capacity,omitempty"`
}

// PersistentVolumeClaimPhase is Pending, Bound or Lost.
type PersistentVolumeClaimPhase string

const (
	ClaimPending PersistentVolumeClaimPhase = "Pending"
	ClaimBound   PersistentVolumeClaimPhase = "Bound"
	ClaimLost    PersistentVolumeClaimPhase = "Lost"
)
