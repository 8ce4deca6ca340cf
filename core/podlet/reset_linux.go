package podlet

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/overlay"
	"github.com/podlab/podlab/core/proc"
	"github.com/podlab/podlab/core/runtime"
)

// Reset takes a node apart, as "kubeadm reset" does a Kubernetes node:
// the podlet leaves its pods running when it stops (a new podlet adopts
// them), so whoever removes the node must remove them. Reset removes
// every pod sandbox recorded in the node's state directory (containers
// get SIGTERM, then SIGKILL after the grace period; then the pause, the
// pod's IP, its cgroups), then whatever the records missed: cgroups
// left below the node's cgroup parent, and the pod network (bridge,
// MASQUERADE rule, ip_forward); last the podlet's state and the node's
// cgroup parent. Each step counts what is gone already as done, so Reset
// can run again after a failure, or on a node that never had a pod.
//
// Stop the podlet first: a running one would start its pods again.

// ResetConfig says which node Reset takes apart, and where.
type ResetConfig struct {
	NodeName string // the pods' cgroups are below NodeCgroupParent(NodeName)
	StateDir string // the podlet's --state-dir
	// Grace is the longest a container gets between SIGTERM and SIGKILL;
	// a pod whose terminationGracePeriodSeconds is shorter gets that.
	Grace time.Duration
	// NodeNetNS is the path of the node's network namespace, where the
	// pods' bridge, veths and MASQUERADE rule are; "" is the caller's, as
	// it is the podlet's.
	NodeNetNS string
	// ClusterCIDR is every pod's range: the overlay's routes into it go
	// too (with the vxlan device). The zero prefix leaves the overlay.
	ClusterCIDR netip.Prefix
	// NetworkGone says that the node's network namespace is gone, and
	// the pod network with it: Reset leaves the network alone.
	NetworkGone bool
	// Say is told what was removed, one line at a time; nil says nothing.
	Say func(format string, args ...any)
}

// The parts of a podlet's --state-dir, as cmd/podlet lays it out: the
// runtime's containers/ and pods/, the pod network's IPAM files in ipam/
// (and the saved ip_forward beside them), the podlet's records in podlet/.
const (
	stateContainers = "containers"
	statePods       = "pods"
	stateIPAM       = "ipam"
	stateRecords    = "podlet"
)

// Reset removes the node's pods and state (see above) and returns how
// many pods it removed. On error the state stays, for another try.
func Reset(ctx context.Context, cfg ResetConfig) (int, error) {
	if cfg.Say == nil {
		cfg.Say = func(string, ...any) {}
	}
	parent := NodeCgroupParent(cfg.NodeName)
	rt, err := runtime.NewAt(cfg.StateDir, parent)
	if err != nil {
		return 0, err
	}
	removed, err := cfg.removeSandboxes(ctx, rt)
	errs := []error{err}
	errs = append(errs, cfg.removeStrayCgroups(rt.Cgroups, parent)...)
	if !cfg.NetworkGone {
		errs = append(errs, cfg.resetNetwork())
		if cfg.ClusterCIDR.IsValid() {
			removed, err := overlay.Reset(cfg.NodeNetNS, cfg.ClusterCIDR)
			for _, r := range removed {
				cfg.Say("removed the overlay's %s", r)
			}
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("reset node %q: %w (the state in %s stays: reset again)", cfg.NodeName, err, cfg.StateDir)
	}
	if err := cfg.removeState(); err != nil {
		return removed, err
	}
	if err := removeCgroupIfEmpty(rt.Cgroups, parent); err != nil {
		return removed, err
	}
	return removed, nil
}

// removeSandboxes removes every recorded pod, all at once: each may wait
// out its grace period.
func (cfg ResetConfig) removeSandboxes(ctx context.Context, rt *runtime.Runtime) (int, error) {
	list, err := rt.Sandboxes()
	if err != nil {
		return 0, fmt.Errorf("list the pods in %s: %w", cfg.StateDir, err)
	}
	errs := make([]error, len(list))
	var wg sync.WaitGroup
	for i, ps := range list {
		// The record says where the pod's network is as the podlet saw
		// it; the caller knows where it is now.
		if ps.NetConfig != nil {
			net := *ps.NetConfig
			net.NodeNetNS = cfg.NodeNetNS
			ps.NetConfig = &net
			if cfg.NetworkGone {
				ps.NetConfig = nil
			}
		}
		grace := cfg.Grace
		if t := ps.Pod.Spec.TerminationGracePeriodSeconds; t != nil {
			grace = min(grace, time.Duration(*t)*time.Second)
		}
		wg.Go(func() { errs[i] = rt.RemoveSandbox(ctx, ps, grace) })
	}
	wg.Wait()
	removed := 0
	for i, ps := range list {
		if errs[i] != nil {
			continue
		}
		removed++
		ip := ps.IP()
		if ip == "" {
			ip = "no IP"
		}
		cfg.Say("removed pod %s/%s (uid %s, %s)", ps.Pod.Namespace, ps.Pod.Name, ps.Pod.UID, ip)
	}
	return removed, errors.Join(errs...)
}

// removeStrayCgroups kills the processes of every cgroup still below the
// node's parent and removes the cgroups: below it everything is the
// node's pods', so what is left there belongs to a pod whose record is
// gone (a start cut short, a state directory removed by hand).
func (cfg ResetConfig) removeStrayCgroups(drv cgroup.Driver, parent string) []error {
	children, err := drv.Children(parent)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, child := range children {
		killed, err := removeCgroupTree(drv, child)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cfg.Say("removed cgroup %s, of no recorded pod (killed %d process(es))", child, killed)
	}
	return errs
}

// removeCgroupTree SIGKILLs the processes of the cgroup name and of its
// descendants and removes them all, the deepest first; it returns how
// many processes it killed.
func removeCgroupTree(drv cgroup.Driver, name string) (int, error) {
	children, err := drv.Children(name)
	if err != nil {
		return 0, err
	}
	killed := 0
	for _, child := range children {
		n, err := removeCgroupTree(drv, child)
		killed += n
		if err != nil {
			return killed, err
		}
	}
	cg, err := drv.Open(name)
	if err != nil {
		return killed, nil // gone meanwhile
	}
	// A process killed leaves its cgroup a moment later (and the rest of
	// a PID namespace whose init died later still): retry a while. On v2
	// cgroup.kill takes a process that forks meanwhile too.
	seen := map[int]bool{}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		procs, _ := cg.Procs()
		for _, pid := range procs {
			if !seen[pid] {
				seen[pid] = true
				killed++
			}
		}
		if len(procs) > 0 {
			cg.Kill()
		}
		err := cg.Remove()
		if err == nil || time.Now().After(deadline) {
			return killed, err
		}
	}
}

// resetNetwork takes the pod network down in the node's network
// namespace (network.Config.Reset): what the removed pods' Del left, if
// anything. The bridge is the podlet's (network.DefaultBridge), its IPAM
// files in <state>/ipam. Without those files this podlet never gave a pod
// an address, and a podlab0 bridge in the namespace is someone else's.
func (cfg ResetConfig) resetNetwork() error {
	net := network.Config{Bridge: network.DefaultBridge, NodeNetNS: cfg.NodeNetNS, StateDir: filepath.Join(cfg.StateDir, stateIPAM)}
	if _, err := os.Stat(net.StateDir); err != nil {
		return nil
	}
	removed, err := net.Reset()
	if len(removed) > 0 {
		cfg.Say("removed the pod network: %s", strings.Join(removed, ", "))
	}
	return err
}

// removeState removes what the podlet keeps in its state directory, and
// the directory if nothing else is in it. Never a mount: a container's
// root filesystem is mounted in the container's own mount namespace,
// but one seen here would be emptied by a recursive remove.
func (cfg ResetConfig) removeState() error {
	dir := filepath.Clean(cfg.StateDir)
	if mounts := mountsUnder(dir); len(mounts) > 0 {
		return fmt.Errorf("remove the state in %s: %d mount(s) below it, like %s: unmount them first", dir, len(mounts), mounts[0])
	}
	parts := []string{stateContainers, statePods, stateIPAM, stateRecords}
	forward, _ := filepath.Glob(filepath.Join(dir, "ip_forward.*"))
	for _, p := range forward {
		parts = append(parts, filepath.Base(p))
	}
	found := false
	for _, p := range parts {
		p = filepath.Join(dir, p)
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("remove the state in %s: %w", dir, err)
		}
		found = true
	}
	if os.Remove(dir) == nil {
		cfg.Say("removed the state directory %s", dir)
	} else if found {
		cfg.Say("removed the podlet's state in %s", dir)
	}
	return nil
}

// mountsUnder lists the mount points at or below dir in this process's
// mount namespace.
func mountsUnder(dir string) []string {
	mounts, _ := proc.Mounts(os.Getpid())
	var found []string
	for _, m := range mounts {
		if m.Point == dir || strings.HasPrefix(m.Point, dir+"/") {
			found = append(found, m.Point)
		}
	}
	return found
}

// removeCgroupIfEmpty removes the node's cgroup parent if it is empty,
// and podlab's own above it as far as they are (another node's pods may
// be there): as the runtime does after its last container, so that a
// node without pods leaves the host's cgroups as they were.
func removeCgroupIfEmpty(drv cgroup.Driver, name string) error {
	for node := name; name != "." && name != "/" && name != ""; name = path.Dir(name) {
		children, err := drv.Children(name)
		if err != nil || len(children) > 0 {
			return err
		}
		cg, err := drv.Open(name)
		if err != nil {
			return nil // not there
		}
		if err := cg.Remove(); err != nil && name == node {
			return err
		} else if err != nil {
			return nil // a pod of another node came meanwhile
		}
	}
	return nil
}
