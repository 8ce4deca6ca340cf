// Package cluster runs a whole podlab cluster on one machine, as kind runs
// Kubernetes in containers: "podlab up" makes every node a network
// namespace on an underlay bridge, starts podlab-server on the host and
// one podlet inside each node; "podlab down" removes all of it.
//
//	host                                              node network namespaces
//	podlab-server, API on 172.30.0.1:6443             /run/netns/podlab-node1: podlet --node-name node1
//	podlab-underlay (bridge) 172.30.0.1/24
//	  ├── podlab-n1 ════════ veth pair ═══════════ eth0 172.30.0.11/24, default via 172.30.0.1
//	  └── podlab-n2 ════════ veth pair ═══════════ eth0 172.30.0.12/24 (/run/netns/podlab-node2)
//
// A node is only a network namespace: its podlet shares the host's
// filesystem, PIDs and mounts, so "ps", the checker and "podlab down" see
// everything it starts. Each node gets its own /24 of the pod range
// (spec.podCIDR) from the node IPAM controller of podlab-server; its pods'
// bridge lives inside the node's namespace, made by its podlet. A podlet
// that stops leaves its pods running, as the kubelet does, so "down"
// resets every node with "podlet reset" before it deletes it
// (reset_linux.go).
//
// What "up" made is recorded in <run>/cluster/cluster.json (State), so
// that "down" removes exactly that, and "up" again finds what is missing
// or dead and makes or starts it again:
//
//	/run/podlab/cluster/          the cluster's directory (<run> is paths.Run)
//	  cluster.json                what up made: names, addresses, PIDs
//	  tokens.csv                  podlab-server --token-file: admin and system:node:<node> users
//	  node1.token                 podlet --token-file of node1: its token alone
//	  server/                     podlab-server --data-dir: etcd's data, admin.conf
//	  podlab-server.log           the server's log
//	  podlet-node1.log            each podlet's log
//	/run/podlab/nodes/node1/      podlet --state-dir of node1
//	~/.podlab/config              the client config of "podlab get" (client.DefaultConfigPath)
//
// All of it is under /run, on purpose: the namespaces, links and
// processes of the cluster die with a reboot, so its state, etcd's data
// included, does too, and a rebooted machine has no stale cluster. etcd's
// data does survive a restart of podlab-server, which "up" does when the
// server died.
package cluster

import (
	"cmp"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/podlab/podlab/core/overlay"
	"github.com/podlab/podlab/core/paths"
)

// The defaults of Config, as DESIGN.md's "Cluster shapes" lays them out.
const (
	DefaultNodes         = 2
	DefaultUnderlay      = "172.30.0.0/24"
	DefaultPodCIDR       = "10.244.0.0/16"
	DefaultPrefix        = "podlab"
	DefaultBackend       = overlay.VXLAN
	DefaultEtcdClientURL = "http://127.0.0.1:2379"
	DefaultEtcdPeerURL   = "http://127.0.0.1:2380"
	DefaultTimeout       = 60 * time.Second

	// ServiceCIDR is podlab-server's default range of Service IPs; the
	// underlay must not overlap it.
	ServiceCIDR = "10.96.0.0/16"
	// APIPort is where podlab-server listens, on the host's underlay
	// address.
	APIPort = 6443
	// firstNodeHost: node i has host number firstNodeHost+i on the
	// underlay, so node1 is 172.30.0.11; the host is 172.30.0.1.
	firstNodeHost = 10
	// maxNameLen is IFNAMSIZ-1: the kernel refuses longer link names.
	maxNameLen = 15
)

// Config is the shape of a cluster. A zero field means "the default", or,
// when a cluster is up already, "what it has".
type Config struct {
	Nodes    int          `json:"nodes"`    // how many nodes, node1 .. nodeN
	Underlay netip.Prefix `json:"underlay"` // the network of the host and the nodes, like 172.30.0.0/24
	PodCIDR  netip.Prefix `json:"podCIDR"`  // the pods' range, a /24 of it per node
	// Prefix starts the name of everything made in the kernel: network
	// namespaces <prefix>-node<i>, host veths <prefix>-n<i>. It must start
	// with "podlab"; a second cluster next to the first (as the tests
	// run) takes another, like "podlabe2e".
	Prefix string `json:"prefix"`
	// Bridge is the underlay bridge on the host, <prefix>-underlay (or
	// <prefix>-ul when that is too long for a link name) by
	// default (at most 15 characters).
	Bridge string `json:"bridge"`
	// Backend is the overlay that joins the nodes' pod subnets: vxlan or
	// host-gw (flannel's Backend.Type). Unlike the rest, "podlab up" may
	// change it on a running cluster: it restarts the podlets, which keep
	// their pods.
	Backend string `json:"backend"`
	// The embedded etcd of podlab-server, on loopback.
	EtcdClientURL string `json:"etcdClientURL"`
	EtcdPeerURL   string `json:"etcdPeerURL"`
}

// resolve fills in the zero fields of c: from running, the config of the
// cluster that is up already (nil if none), or else the defaults. A field
// set to something else than the running cluster has is an error: the
// cluster must come down first.
func (c Config) resolve(running *Config) (Config, error) {
	d := Config{Nodes: DefaultNodes, Underlay: netip.MustParsePrefix(DefaultUnderlay),
		PodCIDR: netip.MustParsePrefix(DefaultPodCIDR), Prefix: DefaultPrefix, Backend: DefaultBackend,
		EtcdClientURL: DefaultEtcdClientURL, EtcdPeerURL: DefaultEtcdPeerURL}
	if running != nil {
		d = *running
	}
	var diffs []string
	// differs notes a flag that is set to another value than the running
	// cluster's.
	differs := func(flag string, set, same bool, value, have any) {
		if set && running != nil && !same {
			diffs = append(diffs, fmt.Sprintf("%s %v (the cluster has %v)", flag, value, have))
		}
	}
	differs("--nodes", c.Nodes != 0, c.Nodes == d.Nodes, c.Nodes, d.Nodes)
	differs("--underlay", c.Underlay.IsValid(), c.Underlay == d.Underlay, c.Underlay, d.Underlay)
	differs("--pod-cidr", c.PodCIDR.IsValid(), c.PodCIDR == d.PodCIDR, c.PodCIDR, d.PodCIDR)
	differs("--prefix", c.Prefix != "", c.Prefix == d.Prefix, c.Prefix, d.Prefix)
	differs("--bridge", c.Bridge != "", c.Bridge == d.Bridge, c.Bridge, d.Bridge)
	differs("--etcd-client-url", c.EtcdClientURL != "", c.EtcdClientURL == d.EtcdClientURL, c.EtcdClientURL, d.EtcdClientURL)
	differs("--etcd-peer-url", c.EtcdPeerURL != "", c.EtcdPeerURL == d.EtcdPeerURL, c.EtcdPeerURL, d.EtcdPeerURL)
	if len(diffs) > 0 {
		return c, fmt.Errorf("a cluster is up already, with another shape: %s: run \"podlab down\" first to change it", strings.Join(diffs, ", "))
	}
	if c.Nodes == 0 {
		c.Nodes = d.Nodes
	}
	if !c.Underlay.IsValid() {
		c.Underlay = d.Underlay
	}
	if !c.PodCIDR.IsValid() {
		c.PodCIDR = d.PodCIDR
	}
	if c.Prefix == "" {
		c.Prefix = d.Prefix
	}
	if c.Bridge == "" {
		c.Bridge = d.Bridge
		if running == nil {
			c.Bridge = c.Prefix + "-underlay"
			if len(c.Bridge) > 15 { // IFNAMSIZ: a longer prefix gets a shorter suffix
				c.Bridge = c.Prefix + "-ul"
			}
		}
	}
	c.Backend = cmp.Or(c.Backend, d.Backend, DefaultBackend) // cmp.Or: a state from before backends has none
	if c.EtcdClientURL == "" {
		c.EtcdClientURL = d.EtcdClientURL
	}
	if c.EtcdPeerURL == "" {
		c.EtcdPeerURL = d.EtcdPeerURL
	}
	return c, c.validate()
}

var (
	prefixPattern = regexp.MustCompile(`^podlab[a-z0-9]*$`)
	bridgePattern = regexp.MustCompile(`^podlab[a-z0-9-]*$`)
)

// validate checks a resolved config.
func (c Config) validate() error {
	if c.Nodes < 1 {
		return fmt.Errorf("--nodes %d: a cluster has at least 1 node", c.Nodes)
	}
	if err := overlay.CheckBackend(c.Backend); err != nil {
		return fmt.Errorf("--backend: %w", err)
	}
	if !prefixPattern.MatchString(c.Prefix) {
		return fmt.Errorf("--prefix %q: must be \"podlab\" and maybe lower-case letters or digits after it, like podlabe2e: everything podlab makes is named podlab...", c.Prefix)
	}
	if !bridgePattern.MatchString(c.Bridge) || len(c.Bridge) > maxNameLen {
		return fmt.Errorf("--bridge %q: must start with \"podlab\", have lower-case letters, digits or dashes, and at most %d characters", c.Bridge, maxNameLen)
	}
	if veth := c.hostVeth(c.Nodes); len(veth) > maxNameLen {
		return fmt.Errorf("--prefix %q is too long: the veth of node %d would be %q, more than %d characters", c.Prefix, c.Nodes, veth, maxNameLen)
	}
	if err := checkIPv4("underlay", c.Underlay); err != nil {
		return err
	}
	if err := checkIPv4("pod-cidr", c.PodCIDR); err != nil {
		return err
	}
	// The host, then room before node1, then a node each, then broadcast.
	if hosts := 1 << (32 - c.Underlay.Bits()); firstNodeHost+c.Nodes+1 >= hosts {
		return fmt.Errorf("--underlay %s is too small for %d nodes at .%d and up: take a /24", c.Underlay, c.Nodes, firstNodeHost+1)
	}
	if c.PodCIDR.Bits() > 24 || 1<<(24-c.PodCIDR.Bits()) < c.Nodes {
		return fmt.Errorf("--pod-cidr %s has fewer /24 ranges than the %d nodes need", c.PodCIDR, c.Nodes)
	}
	service := netip.MustParsePrefix(ServiceCIDR)
	for _, o := range []struct {
		name string
		p    netip.Prefix
	}{{"--pod-cidr", c.PodCIDR}, {"the service range", service}} {
		if c.Underlay.Overlaps(o.p) {
			return fmt.Errorf("--underlay %s overlaps %s %s: the nodes' network and the pods' or Services' must be apart", c.Underlay, o.name, o.p)
		}
	}
	if c.PodCIDR.Overlaps(service) {
		return fmt.Errorf("--pod-cidr %s overlaps the service range %s", c.PodCIDR, service)
	}
	return nil
}

func checkIPv4(flag string, p netip.Prefix) error {
	if !p.Addr().Is4() {
		return fmt.Errorf("--%s %s: only IPv4 ranges are supported", flag, p)
	}
	if p != p.Masked() {
		return fmt.Errorf("--%s %s: host bits are set; did you mean %s?", flag, p, p.Masked())
	}
	return nil
}

// ParsePrefix parses a flag's CIDR, like 172.30.0.0/24; "" is the zero
// prefix (the default).
func ParsePrefix(flag, s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, fmt.Errorf("--%s %q: not a CIDR like 172.30.0.0/24", flag, s)
	}
	return p, checkIPv4(flag, p)
}

// Names and addresses, all derived from the config.

func (c Config) nodeName(i int) string  { return fmt.Sprintf("node%d", i) }
func (c Config) netnsName(i int) string { return fmt.Sprintf("%s-node%d", c.Prefix, i) }
func (c Config) hostVeth(i int) string  { return fmt.Sprintf("%s-n%d", c.Prefix, i) }

// hostAddr is the host's address on the underlay, the first one:
// 172.30.0.1/24.
func (c Config) hostAddr() netip.Prefix {
	return netip.PrefixFrom(c.Underlay.Addr().Next(), c.Underlay.Bits())
}

// nodeAddr is node i's address on the underlay: 172.30.0.(10+i)/24.
func (c Config) nodeAddr(i int) netip.Prefix {
	a := c.Underlay.Addr()
	for range firstNodeHost + i {
		a = a.Next()
	}
	return netip.PrefixFrom(a, c.Underlay.Bits())
}

// serverURL is where the nodes and the user reach the API server.
func (c Config) serverURL() string {
	return "http://" + netip.AddrPortFrom(c.hostAddr().Addr(), APIPort).String()
}

// Dir is the cluster's directory, <run>/cluster: PODLAB_RUN moves it.
func Dir() string { return filepath.Join(paths.Run(), "cluster") }

// nodeStateDir is the podlet --state-dir of a node.
func nodeStateDir(node string) string { return filepath.Join(paths.Run(), "nodes", node) }

// Options say how up and down run, not what the cluster is.
type Options struct {
	// BinDir holds podlab-server and podlet; "" is the directory of the
	// running program, where "make build" puts them all.
	BinDir string
	// Timeout bounds the wait for the API server and every node to be
	// ready, DefaultTimeout if 0.
	Timeout time.Duration
	// Progress says what happens, one line per step; nil says nothing.
	Progress *Progress
}
