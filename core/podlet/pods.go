package podlet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/paths"
)

// The pieces of the pod sync loop (pods_linux.go) that need no Linux:
// its defaults, the wait for the node's podCIDR, and what the podlet
// writes down about container instances so that it survives a restart.

// Defaults of PodsConfig.
const (
	// DefaultPodWorkers is how many pods are synced at once. A sync may
	// wait out a grace period, so a few slow deletions must not hold up
	// the other pods.
	DefaultPodWorkers = 10
	// DefaultRelistPeriod is how often the PLEG reads the runtime: the
	// kubelet's relist period, 1 s.
	DefaultRelistPeriod = time.Second
	// DefaultPodResync is how often every pod is synced even if nothing
	// was seen to change: the kubelet's syncFrequency, 1 min.
	DefaultPodResync = time.Minute
)

// NodeCgroupParent is the parent cgroup of the pods of node name, like
// "podlab/node1": below podlab's own ($PODLAB_CGROUP), one per node, so
// that nodes sharing a host keep their pods apart, and whoever removes a
// node finds them.
func NodeCgroupParent(name string) string { return path.Join(paths.CgroupParent(), name) }

// NodeGetter reads a Node; the client's c.Nodes() is one.
type NodeGetter interface {
	Get(ctx context.Context, name string) (*api.Node, error)
}

// WaitForPodCIDR returns the spec.podCIDR of node name once it has one,
// looking every period. The node IPAM controller of podlab-server gives
// each Node a subnet of the cluster's pod CIDR soon after it registers;
// until then the node cannot give its pods addresses, so it runs none.
// It returns an error when ctx ends first, or if the podCIDR is not a
// CIDR; a Node not registered yet is waited for, a failed read is logged
// and tried again.
func WaitForPodCIDR(ctx context.Context, nodes NodeGetter, name string, period time.Duration, log *slog.Logger) (*net.IPNet, error) {
	waiting := false
	for {
		node, err := nodes.Get(ctx, name)
		switch {
		case err == nil && node.Spec.PodCIDR != "":
			_, cidr, err := net.ParseCIDR(node.Spec.PodCIDR)
			if err != nil {
				return nil, fmt.Errorf("node %q: spec.podCIDR %q: %w", name, node.Spec.PodCIDR, err)
			}
			return cidr, nil
		case err != nil && !client.IsNotFound(err) && ctx.Err() == nil:
			log.Warn("cannot read the Node for its podCIDR; trying again", "node", name, "err", err)
		case !waiting && ctx.Err() == nil:
			log.Info("waiting for the node IPAM controller to give the node its podCIDR", "node", name)
			waiting = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("node %q has no podCIDR yet: %w", name, ctx.Err())
		case <-time.After(period):
		}
	}
}

// podRecord is what the podlet knows of the container instances of one
// pod beyond what the runtime records. The runtime keeps the latest
// instance of each container; the podlet adds, as the kubelet keeps on
// its dead containers, the restart count and the last termination each
// instance was started with (Start.RestartCount and LastTermination),
// and the starts that failed before the runtime made an instance.
type podRecord struct {
	// Sandbox is the CreatedAt of the sandbox the instances run in:
	// instances of another sandbox are none of these.
	Sandbox    time.Time                 `json:"sandbox"`
	Containers map[string]instanceRecord `json:"containers,omitempty"`
}

// instanceRecord is what the podlet knows of the latest instance of one
// container.
type instanceRecord struct {
	// CreatedAt names the runtime's instance: its State.CreatedAt.
	CreatedAt       time.Time                     `json:"createdAt,omitzero"`
	RestartCount    int32                         `json:"restartCount"`
	LastTermination *api.ContainerStateTerminated `json:"lastTermination,omitempty"`
	// StartError says why the start failed, at FailedAt, when the runtime
	// made no instance: the podlet stands in for one, exited, so that the
	// restart back-off counts from FailedAt.
	StartError string    `json:"startError,omitempty"`
	FailedAt   time.Time `json:"failedAt,omitzero"`
}

// recordStore keeps each pod's podRecord in <dir>/<uid>.json, so that a
// podlet that restarts knows the restart counts of the containers it
// adopts. Dir "" keeps nothing: the restart counts then come from the
// runtime's own count after a restart of the podlet.
type recordStore struct{ dir string }

// load returns the record of pod uid, empty if there is none.
func (s recordStore) load(uid string) podRecord {
	var rec podRecord
	if s.dir == "" {
		return rec
	}
	if data, err := os.ReadFile(s.file(uid)); err == nil {
		json.Unmarshal(data, &rec) // a damaged record is as good as none
	}
	return rec
}

// save writes the record of pod uid, or removes it if it is empty.
func (s recordStore) save(uid string, rec podRecord) error {
	if s.dir == "" {
		return nil
	}
	if rec.Sandbox.IsZero() && len(rec.Containers) == 0 {
		return s.remove(uid)
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("save the container records of pod uid %q: %w", uid, err)
	}
	// Write and rename: a podlet killed half-way leaves the old record.
	tmp := s.file(uid) + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("save the container records of pod uid %q: %w", uid, err)
	}
	return os.Rename(tmp, s.file(uid))
}

// remove deletes the record of pod uid; none is not an error.
func (s recordStore) remove(uid string) error {
	if s.dir == "" {
		return nil
	}
	if err := os.Remove(s.file(uid)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the container records of pod uid %q: %w", uid, err)
	}
	return nil
}

// uids lists the pods that have a record.
func (s recordStore) uids() []string {
	if s.dir == "" {
		return nil
	}
	entries, _ := os.ReadDir(s.dir)
	var uids []string
	for _, e := range entries {
		if uid, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			uids = append(uids, uid)
		}
	}
	return uids
}

// file is where the record of pod uid lives. A uid is the API server's,
// but it names a file: nothing like "../x" gets through.
func (s recordStore) file(uid string) string {
	return filepath.Join(s.dir, filepath.Base(filepath.Clean("/"+uid))+".json")
}
