package cluster

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/podlab/podlab/core/overlay"
)

// The systemd units of a cluster on machines of its own, the Vagrant
// cluster: podlab-server on the control plane, a podlet on every node.
// "podlab systemd-unit" prints them and the provisioning scripts install
// them. Their ExecStart is the program and ServerFlags.Args or
// PodletFlags.Args, the very command line "podlab up" starts: one code
// path for both shapes of the cluster.
const (
	UnitDir        = "/etc/systemd/system"
	ServerUnitName = "podlab-server.service"
	PodletUnitName = "podlet.service"

	// On a machine of its own the cluster is not a throw-away thing
	// under /run, as the local one is: etcd's data and the tokens stay
	// across a reboot.
	UnitServerDataDir = "/var/lib/podlab/server"
	UnitTokenFile     = "/etc/podlab/tokens.csv" // podlab-server --token-file: every user
	UnitNodeTokenFile = "/etc/podlab/node.token" // podlet --token-file: the node's own token
)

// UnitServerFlags are the flags of a podlab-server unit listening on
// listen (like 192.168.56.10:6443), every other one the cluster's default.
func UnitServerFlags(listen string) ServerFlags {
	return ServerFlags{
		DataDir:       UnitServerDataDir,
		Listen:        listen,
		TokenFile:     UnitTokenFile,
		PodCIDR:       DefaultPodCIDR,
		EtcdClientURL: DefaultEtcdClientURL,
		EtcdPeerURL:   DefaultEtcdPeerURL,
	}
}

// UnitPodletFlags are the flags of the podlet unit of node name at ip,
// whose API server is server, every other one the cluster's default.
func UnitPodletFlags(name, ip, server string) PodletFlags {
	return PodletFlags{
		NodeName:    name,
		NodeIP:      ip,
		Server:      server,
		TokenFile:   UnitNodeTokenFile,
		StateDir:    nodeStateDir(name),
		Backend:     DefaultBackend,
		ClusterCIDR: DefaultPodCIDR,
	}
}

// ServerUnit returns the unit file that runs exe, podlab-server, with f.
func ServerUnit(exe string, f ServerFlags) (string, error) {
	if err := f.check(); err != nil {
		return "", err
	}
	return unit(unitSpec{
		name:        ServerUnitName,
		command:     "server",
		flags:       "ServerFlags",
		description: "podlab control plane: API server over embedded etcd, scheduler, controllers",
		exe:         exe,
		args:        f.Args(),
		service: []string{
			"Restart=always",
			"RestartSec=2s",
			"# SIGTERM: it stops serving the API, then stops etcd.",
			"TimeoutStopSec=30s",
		},
	})
}

// PodletUnit returns the unit file that runs exe, a podlet, with f.
func PodletUnit(exe string, f PodletFlags) (string, error) {
	if err := f.check(); err != nil {
		return "", err
	}
	return unit(unitSpec{
		name:        PodletUnitName,
		command:     "podlet",
		flags:       "PodletFlags",
		description: "podlab node agent (podlet) of node " + f.NodeName + ": its pods, its Node's status, the overlay",
		exe:         exe,
		args:        f.Args(),
		service: []string{
			"Restart=always",
			"RestartSec=2s",
			"# Stop or restart the podlet alone: the shims and containers of its pods",
			"# are in this unit's cgroup too, and a podlet that starts adopts them, as",
			"# the kubelet finds its pods again (containerd's unit does the same).",
			"KillMode=process",
			"LimitNOFILE=1048576",
		},
	})
}

// unitSpec is what differs between the two units.
type unitSpec struct {
	name, description string
	command, flags    string // the subcommand of "podlab systemd-unit", the type of its flags
	exe               string
	args              []string
	service           []string // lines of [Service] after ExecStart
}

func unit(s unitSpec) (string, error) {
	if !filepath.IsAbs(s.exe) {
		return "", fmt.Errorf("the program of %s must be an absolute path, not %q", s.name, s.exe)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s, written by \"podlab systemd-unit %s\". ExecStart is the command\n", s.name, s.command)
	fmt.Fprintf(&b, "# line \"podlab up\" starts it with, from cluster.%s.\n", s.flags)
	b.WriteString("[Unit]\n")
	fmt.Fprintf(&b, "Description=%s\n", s.description)
	// The node's IP must be on its interface before the daemon binds to it.
	b.WriteString("Wants=network-online.target\nAfter=network-online.target\n\n")
	b.WriteString("[Service]\n")
	words := []string{execQuote(s.exe)}
	for _, a := range s.args {
		words = append(words, execQuote(a))
	}
	fmt.Fprintf(&b, "ExecStart=%s\n", strings.Join(words, " "))
	for _, line := range s.service {
		b.WriteString(line + "\n")
	}
	b.WriteString("\n[Install]\nWantedBy=multi-user.target\n")
	return b.String(), nil
}

// execQuote writes one word of an ExecStart line so that systemd reads it
// back unchanged: in double quotes when it has a blank, a quote or a
// backslash, with % and $ doubled everywhere (systemd would expand them
// as specifiers and variables). See systemd.service(5), "Command lines".
func execQuote(s string) string {
	s = strings.NewReplacer("%", "%%", "$", "$$").Replace(s)
	if s != "" && !strings.ContainsAny(s, " \t\n\"'\\;") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`).Replace(s) + `"`
}

// nodeNamePattern is a DNS subdomain, what a Node's name must be.
var nodeNamePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

// check says which flag of a podlab-server unit is wrong.
func (f ServerFlags) check() error {
	if _, err := netip.ParseAddrPort(f.Listen); err != nil {
		return fmt.Errorf("--listen %q: want the API's IP and port, like 192.168.56.10:6443", f.Listen)
	}
	if _, err := ParsePrefix("pod-cidr", f.PodCIDR); err != nil || f.PodCIDR == "" {
		return fmt.Errorf("--pod-cidr %q: want an IPv4 CIDR like %s", f.PodCIDR, DefaultPodCIDR)
	}
	for _, p := range []struct{ flag, value string }{{"--data-dir", f.DataDir}, {"--token-file", f.TokenFile}} {
		if !filepath.IsAbs(p.value) {
			return fmt.Errorf("%s %q: want an absolute path: a unit has no working directory of yours", p.flag, p.value)
		}
	}
	for _, u := range []struct{ flag, value string }{{"--etcd-client-url", f.EtcdClientURL}, {"--etcd-peer-url", f.EtcdPeerURL}} {
		if err := checkURL(u.flag, u.value); err != nil {
			return err
		}
	}
	return nil
}

// check says which flag of a podlet unit is wrong.
func (f PodletFlags) check() error {
	if !nodeNamePattern.MatchString(f.NodeName) {
		return fmt.Errorf("--node-name %q: want a node name like node1 (lower-case letters, digits, '-' and '.')", f.NodeName)
	}
	if ip, err := netip.ParseAddr(f.NodeIP); err != nil || !ip.Is4() {
		return fmt.Errorf("--node-ip %q: want the node's IPv4 address on the network the nodes share, like 192.168.56.11", f.NodeIP)
	}
	if err := checkURL("--server", f.Server); err != nil {
		return err
	}
	for _, p := range []struct{ flag, value string }{{"--token-file", f.TokenFile}, {"--state-dir", f.StateDir}} {
		if !filepath.IsAbs(p.value) {
			return fmt.Errorf("%s %q: want an absolute path: a unit has no working directory of yours", p.flag, p.value)
		}
	}
	if err := overlay.CheckBackend(f.Backend); err != nil {
		return fmt.Errorf("--backend: %w", err)
	}
	if _, err := ParsePrefix("cluster-cidr", f.ClusterCIDR); err != nil || f.ClusterCIDR == "" {
		return fmt.Errorf("--cluster-cidr %q: want an IPv4 CIDR like %s", f.ClusterCIDR, DefaultPodCIDR)
	}
	return nil
}

// checkURL wants an http URL with a host, like http://192.168.56.10:6443.
func checkURL(flag, s string) error {
	u, err := url.Parse(s)
	if err == nil && u.Scheme != "http" {
		err = errors.New("not http")
	}
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s %q: want a URL like http://192.168.56.10:6443", flag, s)
	}
	return nil
}
