package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/network"
)

// A running cluster grows and shrinks one node at a time, as a real one
// does when a machine joins (kubeadm join) or is taken out (kubectl
// delete node, then kubeadm reset on it). The overlay follows on its
// own: every podlet watches the Nodes and programs or forgets the peer.

// AddNode adds a node to the running cluster, named after the highest
// node number so far plus one, and waits until it is Ready. It returns
// the new node's name.
func AddNode(ctx context.Context, opts Options) (string, error) {
	st, err := loadRunning("node add")
	if err != nil {
		return "", err
	}
	i := 1
	for _, n := range st.Nodes {
		if k, err := strconv.Atoi(strings.TrimPrefix(n.Name, "node")); err == nil && k >= i {
			i = k + 1
		}
	}
	cfg := st.Config
	if cfg.nodeAddr(i).Addr().Compare(lastHost(cfg.Underlay)) >= 0 {
		return "", fmt.Errorf("the underlay %s has no address left for node%d (%s)", cfg.Underlay, i, cfg.nodeAddr(i).Addr())
	}
	if veth := cfg.hostVeth(i); len(veth) > maxNameLen {
		return "", fmt.Errorf("node%d: its veth %q would be longer than %d characters", i, veth, maxNameLen)
	}
	n := st.newNode(i)
	st.Nodes = append(st.Nodes, n)
	st.Config.Nodes = len(st.Nodes)
	if err := st.save(); err != nil {
		return "", err
	}
	// Up finds the new node missing and makes it, as any missing part.
	return n.Name, Up(ctx, Config{}, opts)
}

// RemoveNode takes node name out of the running cluster: it stops the
// node's podlet, removes its pods, deletes its Node from the API (every
// other podlet then forgets it as a peer), and deletes its network
// namespace, link and state. Controllers make the pods they own again on
// the nodes that stay; a bare pod is gone with its node.
func RemoveNode(ctx context.Context, name string, opts Options) error {
	st, err := loadRunning("node remove")
	if err != nil {
		return err
	}
	i := slices.IndexFunc(st.Nodes, func(n Node) bool { return n.Name == name })
	if i < 0 {
		var names []string
		for _, n := range st.Nodes {
			names = append(names, n.Name)
		}
		return fmt.Errorf("no node %q in the cluster; it has %s", name, strings.Join(names, ", "))
	}
	if len(st.Nodes) == 1 {
		return fmt.Errorf("%s is the cluster's last node: \"podlab down\" removes the whole cluster", name)
	}
	p, n := opts.Progress, st.Nodes[i]
	p.Title("podlab node remove: taking %s out of the cluster", name)
	one := &State{Config: st.Config, Dir: st.Dir, Bridge: st.Bridge, HostAddr: st.HostAddr, Nodes: []Node{n}}
	errs := one.stopPodlets(p)
	errs = append(errs, one.resetNodes(p)...)
	if err := deleteNodeObject(ctx, st, name); err != nil {
		errs = append(errs, err)
	} else {
		p.Done("", "%s: deleted its Node from the API: the other nodes forget it", name)
	}
	u := st.underlay()
	removed, err := u.DeleteNode(st.nodeNet(n))
	errs = append(errs, err)
	for _, r := range removed {
		p.Done("", "%s: deleted %s", name, r)
	}
	if deleted, err := network.DeleteNetNS(n.NetNS); err != nil {
		errs = append(errs, err)
	} else if deleted {
		p.Done("", "%s: deleted network namespace %s", name, n.NetNS)
	}
	if _, err := removeAll(n.StateDir); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("node %s: %w\n\"podlab node remove %s\" tries again", name, err, name)
	}
	// The server keeps accepting the node's token until it restarts; the
	// file forgets it now.
	if err := st.dropToken(nodeUser(name)); err != nil {
		return err
	}
	for _, f := range []string{n.TokenFile, n.Log} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	st.Nodes = slices.Delete(st.Nodes, i, i+1)
	st.Config.Nodes = len(st.Nodes)
	if err := st.save(); err != nil {
		return err
	}
	p.Title("%s is gone; %d node(s) stay", name, len(st.Nodes))
	return nil
}

// loadRunning loads the state of the cluster for verb, which needs one.
func loadRunning(verb string) (*State, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("podlab %s needs root: it makes and deletes network namespaces, links and processes: run it with sudo", verb)
	}
	st, err := Load()
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, fmt.Errorf("podlab %s: %w", verb, ErrNoCluster)
	}
	return st, nil
}

// deleteNodeObject deletes the Node called name, if the API server
// answers; a Node that is gone already is fine.
func deleteNodeObject(ctx context.Context, st *State, name string) error {
	admin, err := st.adminToken()
	if err != nil {
		return err
	}
	c, err := client.New(client.Config{Server: st.Server.URL, Token: admin})
	if err != nil {
		return err
	}
	if _, err := c.Nodes().Delete(ctx, name, client.DeleteOptions{}); err != nil && !client.IsNotFound(err) {
		return fmt.Errorf("delete Node %q: %w", name, err)
	}
	return nil
}

// lastHost is the broadcast address of p, which no node may have.
func lastHost(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
