package cluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/podlet"
	"github.com/podlab/podlab/core/runtime"
)

// A stopped podlet leaves its pods running, as the kubelet does, so down
// resets every node before it deletes the node's network namespace:
// "podlet reset", the node's "kubeadm reset", run where the podlet ran,
// in the node's network namespace, so that it takes the pods' bridge and
// MASQUERADE rule down there too. If it cannot run (its binary or the
// namespace is gone) or fails, down resets the node from the host
// itself: processes, cgroups and state are the host's anyway, and a pod
// network whose namespace is gone went with it.
const (
	// resetGrace is the longest a container gets between SIGTERM and
	// SIGKILL: "podlab down" is no time for a long goodbye.
	resetGrace = 5 * time.Second
	// resetTimeout bounds one "podlet reset": the grace period and some.
	resetTimeout = resetGrace + 25*time.Second
)

// resetNodes resets every node, one after the other, and says how many
// pods each had.
func (st *State) resetNodes(p *Progress) []error {
	var errs []error
	for _, n := range st.Nodes {
		removed, how, err := resetNode(n, st.Config.PodCIDR)
		if err != nil {
			p.Failed("%s: remove its pods", n.Name)
			errs = append(errs, fmt.Errorf("node %s: %w", n.Name, err))
			continue
		}
		p.Done("", "%s: removed %d pod(s) %s", n.Name, removed, how)
	}
	return errs
}

// resetNode removes the pods of node n, with "podlet reset" in its
// network namespace, then from the host whatever that left, and returns
// how many pods there were and how they went.
func resetNode(n Node, clusterCIDR netip.Prefix) (removed int, how string, err error) {
	before, err := nodePods(n)
	if err != nil {
		return 0, "", err
	}
	how = "with podlet reset in " + n.NetNS
	why := podletResetMissing(n)
	if why == "" {
		if err := runPodletReset(n, clusterCIDR); err != nil {
			why = err.Error()
		}
	}
	// Always, and cheap when podlet reset did it all: what the records
	// missed, and what a failed or missing podlet reset left.
	cfg := podlet.ResetConfig{NodeName: n.Name, StateDir: n.StateDir, Grace: resetGrace, ClusterCIDR: clusterCIDR,
		NodeNetNS: netnsPath(n.NetNS), NetworkGone: !network.IsNetNS(netnsPath(n.NetNS)), Say: logTo(n.Log)}
	if _, err := podlet.Reset(context.Background(), cfg); err != nil {
		if why != "" {
			err = fmt.Errorf("%w (and %s)", err, why)
		}
		return 0, "", err
	}
	if why != "" {
		how = "from the host (" + why + ")"
	}
	return before, how, nil
}

// podletResetMissing says why "podlet reset" cannot run on n, "" if it
// can.
func podletResetMissing(n Node) string {
	switch {
	case n.Podlet == nil:
		return "no podlet was started"
	case !network.IsNetNS(netnsPath(n.NetNS)):
		return "the network namespace " + n.NetNS + " is gone"
	}
	if _, err := os.Stat(n.Podlet.Exe); err != nil {
		return "no podlet at " + n.Podlet.Exe
	}
	return ""
}

// runPodletReset runs "podlet reset" for n in its network namespace, as
// up starts the podlet there (see start: the network namespace only),
// and waits for it; its output goes to the podlet's log.
func runPodletReset(n Node, clusterCIDR netip.Prefix) error {
	logf, err := os.OpenFile(n.Log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open the log of the podlet: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(n.Podlet.Exe, "reset", "--node-name", n.Name, "--state-dir", n.StateDir, "--grace", resetGrace.String(),
		"--cluster-cidr", clusterCIDR.String())
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := ns.StartIn(cmd, map[ns.Type]string{ns.Net: netnsPath(n.NetNS)}); err != nil {
		return fmt.Errorf("podlet reset: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err = <-exited:
	case <-time.After(resetTimeout):
		cmd.Process.Kill()
		<-exited
		err = fmt.Errorf("still running after %v, killed", resetTimeout)
	}
	if err != nil {
		return fmt.Errorf("podlet reset failed: %v: %s", err, strings.TrimSpace(logTail(n.Log, 1)))
	}
	return nil
}

// nodePods counts the pod sandboxes recorded in the node's state
// directory.
func nodePods(n Node) (int, error) {
	if _, err := os.Stat(n.StateDir); errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	rt, err := runtime.NewAt(n.StateDir, podlet.NodeCgroupParent(n.Name))
	if err != nil {
		return 0, err
	}
	list, err := rt.Sandboxes()
	return len(list), err
}

// logTo returns a podlet.ResetConfig.Say that appends to the log at path:
// what down removed from the host is told where "podlet reset" tells it.
func logTo(path string) func(string, ...any) {
	return func(format string, args ...any) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return
		}
		defer f.Close()
		fmt.Fprintf(f, "podlab down: "+strings.TrimSuffix(format, "\n")+"\n", args...)
	}
}
