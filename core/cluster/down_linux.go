package cluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/network"
)

// How long a process gets between SIGTERM and SIGKILL: a podlet stops at
// once, podlab-server stops etcd cleanly first.
const (
	podletGrace = 5 * time.Second
	serverGrace = 10 * time.Second
)

// Down removes what Up made, as its state records it: it stops the
// podlets, resets every node (its pods, which a stopped podlet leaves
// running: reset_linux.go), stops podlab-server, deletes the nodes' links
// and network namespaces and the bridge, the client config file (if it
// is still the one for this cluster), the podlets' state, and the
// cluster's directory.
// Each step counts what is gone already as done, so Down works on a
// cluster that is half up or half broken; if a step fails, the others
// still run and the state stays, for Down to try again.
func Down(opts Options) error {
	if os.Geteuid() != 0 {
		return errors.New("podlab down needs root: it deletes network namespaces, links and processes: run it with sudo")
	}
	p := opts.Progress
	st, err := Load()
	if err != nil {
		return err
	}
	if st == nil {
		p.Title("no cluster here: nothing to remove (no %s)", stateFile(Dir()))
		return nil
	}
	p.Title("podlab down: removing the cluster of %d node(s) on %s", st.Config.Nodes, st.Config.Underlay)
	// The podlets first, or they would start the pods again as the nodes
	// reset; the server then, the network last.
	errs := st.stopPodlets(p)
	errs = append(errs, st.resetNodes(p)...)
	errs = append(errs, st.stopServer(p)...)
	errs = append(errs, st.deleteNetwork(p)...)
	if path := st.ClientConfig; path != "" {
		// Only if it still points to this cluster: "podlab up" of another
		// cluster, or the student, may have written it since.
		if cfg, err := client.LoadConfig(path); err == nil && cfg.Server == st.Server.URL {
			if err := os.Remove(path); err != nil {
				errs = append(errs, fmt.Errorf("remove the client config: %w", err))
			} else {
				p.Done("", "removed the client config %s", path)
			}
		}
	}
	for _, n := range st.Nodes {
		if removed, err := removeAll(n.StateDir); err != nil {
			errs = append(errs, err)
		} else if removed {
			p.Done("", "%s: removed the podlet's state %s", n.Name, n.StateDir)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w\nthe state stays in %s: \"podlab down\" tries again", errors.Join(errs...), stateFile(st.Dir))
	}
	if _, err := removeAll(st.Dir); err != nil {
		return err
	}
	p.Done("", "removed %s: state, tokens, logs and etcd's data", st.Dir)
	for _, d := range st.removeMadeDirs() {
		p.Done("", "removed %s (made by podlab up)", d)
	}
	p.Title("the cluster is gone")
	return nil
}

// stopPodlets stops the podlets, before the server: stopped first, the
// server would see the podlets' last heartbeats fail for nothing.
func (st *State) stopPodlets(p *Progress) []error {
	var errs []error
	for _, n := range st.Nodes {
		if stopped, err := n.Podlet.stop(podletGrace); err != nil {
			errs = append(errs, fmt.Errorf("stop the podlet of %s: %w", n.Name, err))
		} else if stopped {
			p.Done("", "%s: stopped its podlet (pid %d)", n.Name, n.Podlet.PID)
		}
	}
	return errs
}

// stopServer stops podlab-server.
func (st *State) stopServer(p *Progress) []error {
	var errs []error
	if stopped, err := st.Server.Process.stop(serverGrace); err != nil {
		errs = append(errs, fmt.Errorf("stop podlab-server: %w", err))
	} else if stopped {
		p.Done("", "stopped podlab-server (pid %d)", st.Server.Process.PID)
	}
	return errs
}

// deleteNetwork deletes every node's link and network namespace, then
// the underlay's bridge. Each link goes before its namespace: deleting a
// namespace makes the kernel delete its links in the background, a
// moment later, and down must leave nothing behind when it returns.
func (st *State) deleteNetwork(p *Progress) []error {
	var errs []error
	u := st.underlay()
	for _, n := range st.Nodes {
		removed, err := u.DeleteNode(st.nodeNet(n))
		if err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", n.Name, err))
		}
		for _, r := range removed {
			p.Done("", "%s: deleted %s", n.Name, r)
		}
		if deleted, err := network.DeleteNetNS(n.NetNS); err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", n.Name, err))
		} else if deleted {
			p.Done("", "%s: deleted network namespace %s", n.Name, n.NetNS)
		}
	}
	removed, err := u.Delete()
	if err != nil {
		errs = append(errs, fmt.Errorf("underlay: %w", err))
	}
	for _, r := range removed {
		p.Done("", "underlay: deleted %s", r)
	}
	return errs
}

// removeAll removes dir and everything in it, and reports whether it was
// there.
func removeAll(dir string) (bool, error) {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return false, fmt.Errorf("remove %s: %w", dir, err)
	}
	return true, nil
}
