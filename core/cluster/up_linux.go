package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/network"
)

// Up makes the cluster of cfg exist and waits until every node is Ready.
// It is idempotent: on a cluster that is up it checks every part, makes
// what is missing and starts what died (a podlab-server that crashed
// restarts on its etcd data), and says so. If it fails half way it leaves
// what it made, logs included, for a look: Up again carries on, Down
// removes it.
func Up(ctx context.Context, cfg Config, opts Options) error {
	if os.Geteuid() != 0 {
		return errors.New("podlab up needs root: it makes network namespaces, links and processes: run it with sudo")
	}
	serverExe, podletExe, err := binaries(opts.BinDir)
	if err != nil {
		return err
	}
	old, err := Load()
	if err != nil {
		return err
	}
	var running *Config
	if old != nil {
		running = &old.Config
	}
	if cfg, err = cfg.resolve(running); err != nil {
		return err
	}
	st := old
	if st == nil {
		st = newState(cfg)
		opts.Progress.Title("podlab up: %d node(s) on the underlay %s, pods in %s", cfg.Nodes, cfg.Underlay, cfg.PodCIDR)
	} else {
		opts.Progress.Title("podlab up: a cluster of %d node(s) on %s is here already: checking every part of it", cfg.Nodes, cfg.Underlay)
		if was := cmp.Or(st.Config.Backend, DefaultBackend); was != cfg.Backend {
			opts.Progress.Title("the overlay changes from %s to %s: every podlet restarts with --backend %s; the pods keep running", was, cfg.Backend, cfg.Backend)
		}
		st.Config = cfg // the same, but maybe for --backend
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	u := &upper{st: st, p: opts.Progress, underlay: st.underlay(), serverExe: serverExe, podletExe: podletExe, timeout: opts.Timeout}
	if err := u.run(ctx); err != nil {
		return fmt.Errorf("%w\nwhat was made stays, logs included: \"podlab up\" tries again, \"podlab status\" shows the parts, \"podlab down\" removes them", err)
	}
	if !u.changed {
		opts.Progress.Title("the cluster was up already: nothing to do; \"podlab status\" shows it, \"podlab down\" removes it")
	} else {
		opts.Progress.Title("the cluster is up: try \"podlab get nodes -o wide\"; \"podlab status\" shows its parts, \"podlab down\" removes it")
	}
	return nil
}

// binaries finds podlab-server and podlet in dir, or else next to the
// running program, where "make build" puts them all.
func binaries(dir string) (server, podlet string, err error) {
	where := "in --bin-dir " + dir
	if dir == "" {
		self, err := os.Executable()
		if err != nil {
			return "", "", fmt.Errorf("find this program: %w", err)
		}
		dir, where = filepath.Dir(self), "next to "+self
	}
	var paths []string
	for _, name := range []string{"podlab-server", "podlet"} {
		path := filepath.Join(dir, name)
		if st, err := os.Stat(path); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return "", "", fmt.Errorf("%s not found %s: run make build", name, where)
		}
		if path, err = filepath.Abs(path); err != nil {
			return "", "", err
		}
		paths = append(paths, path)
	}
	return paths[0], paths[1], nil
}

// upper is one run of Up.
type upper struct {
	st                   *State
	p                    *Progress
	underlay             Underlay
	serverExe, podletExe string
	timeout              time.Duration
	changed              bool // something was made or started
}

// note is what a step that found everything in place says.
func (u *upper) note(made bool, already string) string {
	if made {
		u.changed = true
		return ""
	}
	return already
}

func (u *upper) run(ctx context.Context) error {
	st := u.st
	if err := st.mkdirAll(st.Dir, 0o700); err != nil {
		return fmt.Errorf("create the cluster's directory: %w", err)
	}
	// The state first: from now on "podlab down" knows what to remove.
	if err := st.save(); err != nil {
		return err
	}
	made, err := u.underlay.Ensure()
	if err != nil {
		u.p.Failed("underlay: bridge %s", st.Bridge)
		return fmt.Errorf("underlay: %w", err)
	}
	u.p.Done(u.note(made, "there already"), "underlay: bridge %s, %s on the host", st.Bridge, st.HostAddr)
	for _, n := range st.Nodes {
		if err := u.ensureNodeNet(n); err != nil {
			u.p.Failed("%s: network", n.Name)
			return err
		}
	}
	admin, newTokens, err := st.ensureTokens()
	if err != nil {
		return err
	}
	u.p.Done(u.note(len(newTokens) > 0, "there already"), "tokens: %s, for %s and %s .. %s", st.TokenFile, adminUser,
		nodeUser(st.Nodes[0].Name), nodeUser(st.Nodes[len(st.Nodes)-1].Name))

	// One deadline for the control plane and every node to be ready.
	ctx, cancel := context.WithTimeout(ctx, u.timeout)
	defer cancel()
	if err := u.ensureServer(ctx, len(newTokens) > 0); err != nil {
		return err
	}
	if err := u.writeClientConfig(admin); err != nil {
		return err
	}
	c, err := client.New(client.Config{Server: st.Server.URL, Token: admin})
	if err != nil {
		return err
	}
	// One node after the other: the node IPAM controller hands out the
	// pod ranges in the order the nodes register, so node1 always gets
	// the first /24, node2 the second, and so on.
	for i := range st.Nodes {
		if err := u.ensurePodlet(ctx, c, &st.Nodes[i], newTokens[nodeUser(st.Nodes[i].Name)]); err != nil {
			return err
		}
	}
	return nil
}

// ensureNodeNet makes the node's network namespace and its link to the
// underlay. If it made the namespace and the link fails, it deletes both:
// a node is connected or not there at all.
func (u *upper) ensureNodeNet(n Node) (err error) {
	if _, err := os.Stat(netnsDir); errors.Is(err, fs.ErrNotExist) {
		if err := u.st.mkdirAll(netnsDir, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", netnsDir, err)
		}
		if err := u.st.save(); err != nil {
			return err
		}
	}
	nsMade, err := network.EnsureNetNS(n.NetNS)
	if err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	linkMade, err := u.underlay.EnsureNode(u.st.nodeNet(n))
	if err != nil {
		if nsMade {
			_, undoLink := u.underlay.DeleteNode(u.st.nodeNet(n))
			_, undoNS := network.DeleteNetNS(n.NetNS)
			if undo := errors.Join(undoLink, undoNS); undo != nil {
				err = fmt.Errorf("%w (and undoing it failed: %v)", err, undo)
			}
		}
		return err
	}
	u.p.Done(u.note(nsMade || linkMade, "there already"), "%s: network namespace %s, veth %s ⇄ %s %s",
		n.Name, n.NetNS, n.HostVeth, NodeInterface, n.Addr)
	return nil
}

// ensureServer makes podlab-server run and answer /healthz. restart says
// the tokens changed: a running server has the old ones.
func (u *upper) ensureServer(ctx context.Context, restart bool) error {
	s := &u.st.Server
	if restart && s.Process.Alive() {
		if _, err := s.Process.stop(10 * time.Second); err != nil {
			return fmt.Errorf("restart podlab-server with the new tokens: %w", err)
		}
	}
	var exited <-chan error
	started := !s.Process.Alive()
	if started {
		if err := u.st.mkdirAll(s.DataDir, 0o700); err != nil {
			return fmt.Errorf("create the data directory of podlab-server: %w", err)
		}
		cfg := u.st.Config
		p, ch, err := start(daemon{exe: u.serverExe, log: s.Log, args: ServerFlags{
			DataDir:       s.DataDir,
			Listen:        netip.AddrPortFrom(netip.MustParsePrefix(u.st.HostAddr).Addr(), APIPort).String(),
			TokenFile:     u.st.TokenFile,
			PodCIDR:       cfg.PodCIDR.String(),
			EtcdClientURL: cfg.EtcdClientURL,
			EtcdPeerURL:   cfg.EtcdPeerURL,
		}.Args()})
		if err != nil {
			return err
		}
		s.Process, exited = p, ch
		if err := u.st.save(); err != nil {
			return err
		}
	}
	if err := u.waitHealthy(ctx, s, exited); err != nil {
		u.p.Failed("podlab-server: pid %d, log %s", s.Process.PID, s.Log)
		return err
	}
	u.p.Done(u.note(started, "running already"), "podlab-server: pid %d, API %s healthy, log %s", s.Process.PID, s.URL, s.Log)
	return nil
}

// noProxy is an HTTP client that never goes through an http_proxy: the
// underlay is this machine's.
var noProxy = &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: time.Second}

// waitHealthy waits until the server's /healthz answers 200: the API
// serves and etcd answers.
func (u *upper) waitHealthy(ctx context.Context, s *Server, exited <-chan error) error {
	for {
		if resp, err := noProxy.Get(s.URL + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := checkRunning("podlab-server", s.Process, exited, s.Log); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			if err := u.interrupted(ctx, "podlab-server"); err != nil {
				return err
			}
			return fmt.Errorf("podlab-server (pid %d) is not healthy after %v (--timeout): its log %s says:%s",
				s.Process.PID, u.timeout, s.Log, logTail(s.Log, 5))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// checkRunning says how p died, if it did: exited has its exit status
// if this podlab started it, else p is checked in /proc.
func checkRunning(what string, p *Process, exited <-chan error, log string) error {
	select {
	case err := <-exited:
		return fmt.Errorf("%s exited (%v): its log %s says:%s", what, err, log, logTail(log, 5))
	default:
	}
	if exited == nil && !p.Alive() {
		return fmt.Errorf("%s (pid %d) is not running: its log %s says:%s", what, p.PID, log, logTail(log, 5))
	}
	return nil
}

// writeClientConfig writes the config file of "podlab get" and the other
// cluster commands: the server's URL and the admin token.
func (u *upper) writeClientConfig(admin string) error {
	path := client.DefaultConfigPath()
	want := client.Config{Server: u.st.Server.URL, Token: admin}
	have, err := client.LoadConfig(path)
	if err == nil && have == want {
		u.p.Done("there already", "client config: %s", path)
		return nil
	}
	note := ""
	if err == nil && have.Server != want.Server {
		note = "replaced the one for " + have.Server
	}
	if err := u.st.mkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write the client config: %w", err)
	}
	u.st.ClientConfig = path
	if err := u.st.save(); err != nil {
		return err
	}
	if err := client.WriteConfig(path, want); err != nil {
		return err
	}
	u.changed = true
	u.p.Done(note, "client config: %s, for \"podlab get\" and the other cluster commands", path)
	return nil
}

// ensurePodlet makes the node's podlet run, in the node's network
// namespace, and waits until its Node is Ready and has its pod range.
// restart says the tokens changed. A podlet started with other flags
// (another --backend) is restarted with the new ones: it adopts the pods
// it finds, so they keep running.
func (u *upper) ensurePodlet(ctx context.Context, c *client.Client, n *Node, restart bool) error {
	nsPath := netnsPath(n.NetNS)
	args := u.st.podletFlags(*n).Args()
	if n.Podlet.Alive() && (restart || !n.Podlet.inNetNS(nsPath) || !slices.Equal(n.PodletArgs, args)) {
		if _, err := n.Podlet.stop(5 * time.Second); err != nil {
			return fmt.Errorf("restart the podlet of %s: %w", n.Name, err)
		}
	}
	var exited <-chan error
	var since time.Time
	started := !n.Podlet.Alive()
	if started {
		if err := u.st.mkdirAll(n.StateDir, 0o700); err != nil {
			return fmt.Errorf("create the state directory of %s: %w", n.Name, err)
		}
		since = time.Now().UTC().Truncate(time.Second)
		p, ch, err := start(daemon{exe: u.podletExe, log: n.Log, netns: nsPath, args: args})
		if err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		n.Podlet, n.PodletArgs, exited = p, args, ch
		if err := u.st.save(); err != nil {
			return err
		}
	}
	node, err := u.waitReady(ctx, c, n, exited, since)
	if err != nil {
		u.p.Failed("%s: podlet pid %d, log %s", n.Name, n.Podlet.PID, n.Log)
		return err
	}
	u.p.Done(u.note(started, "running already"), "%s: podlet pid %d in %s, Ready, podCIDR %s", n.Name, n.Podlet.PID, n.NetNS, node.Spec.PodCIDR)
	return nil
}

// waitReady waits until the Node is Ready, heard from since since (a
// Ready from before the podlet started proves nothing), and has its
// podCIDR.
func (u *upper) waitReady(ctx context.Context, c *client.Client, n *Node, exited <-chan error, since time.Time) (*api.Node, error) {
	what := "the podlet of " + n.Name
	for {
		node, err := c.Nodes().Get(ctx, n.Name)
		if err == nil {
			if ready := readyCondition(node); ready != nil && ready.Status == api.ConditionTrue &&
				!ready.LastHeartbeatTime.Before(since) && node.Spec.PodCIDR != "" {
				return node, nil
			}
		}
		if err := checkRunning(what, n.Podlet, exited, n.Log); err != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			if err := u.interrupted(ctx, "node "+n.Name); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("node %s is not Ready with a podCIDR after %v (--timeout): see the log of its podlet (pid %d), %s:%s",
				n.Name, u.timeout, n.Podlet.PID, n.Log, logTail(n.Log, 5))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// interrupted returns an error if ctx ended for another reason than the
// timeout: Ctrl-C.
func (u *upper) interrupted(ctx context.Context, what string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil
	}
	return fmt.Errorf("interrupted while waiting for %s: %w", what, ctx.Err())
}

// readyCondition returns the node's Ready condition, nil if it has none.
func readyCondition(n *api.Node) *api.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == api.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}
