package main

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
)

// options is the effective configuration of one podlab-server.
type options struct {
	dataDir   string
	listen    string // host:port of the API, plain HTTP
	tokenFile string // token,user,uid lines; see apiserver.LoadTokens

	// etcdServers are the client URLs of an external etcd cluster; when
	// empty, podlab-server runs its own etcd member in <dataDir>/etcd,
	// listening on etcdClientURL and etcdPeerURL.
	etcdServers   []string
	etcdClientURL string
	etcdPeerURL   string

	podCIDR     netip.Prefix // split into one /24 per node
	serviceCIDR netip.Prefix // ClusterIPs of Services
}

var flags = []cli.Flag{
	&cli.StringFlag{Name: "data-dir", Value: "/var/lib/podlab/server",
		Usage: "directory of the token file and of the embedded etcd's data"},
	&cli.StringFlag{Name: "listen", Value: "127.0.0.1:6443",
		Usage: "address of the API, `host:port`; plain HTTP for now (no TLS), so keep it on loopback or a private network"},
	&cli.StringFlag{Name: "token-file",
		Usage: "`file` of bearer tokens, one \"token,user,uid\" line each, as kube-apiserver's --token-auth-file (default: <data-dir>/tokens.csv; an admin token is generated there if the file is missing)"},
	&cli.StringFlag{Name: "etcd-servers",
		Usage: "comma-separated client URLs of an external etcd cluster, e.g. http://10.0.0.5:2379; when set, no embedded etcd is started"},
	&cli.StringFlag{Name: "etcd-client-url", Value: "http://127.0.0.1:2379",
		Usage: "client URL of the embedded etcd (ignored with --etcd-servers)"},
	&cli.StringFlag{Name: "etcd-peer-url", Value: "http://127.0.0.1:2380",
		Usage: "peer URL of the embedded etcd (ignored with --etcd-servers)"},
	&cli.StringFlag{Name: "pod-cidr", Value: "10.244.0.0/16",
		Usage: "IPv4 range of pod IPs, one /24 per node"},
	&cli.StringFlag{Name: "service-cidr", Value: "10.96.0.0/16",
		Usage: "IPv4 range of Service ClusterIPs; must not overlap --pod-cidr"},
}

// optionsFrom reads and checks the flags. Its errors are usage errors.
func optionsFrom(c *cli.Context) (options, error) {
	o := options{
		dataDir:       c.String("data-dir"),
		listen:        c.String("listen"),
		tokenFile:     c.String("token-file"),
		etcdClientURL: c.String("etcd-client-url"),
		etcdPeerURL:   c.String("etcd-peer-url"),
	}
	if c.Args().Present() {
		return o, fmt.Errorf("unexpected argument %q: podlab-server takes only flags", c.Args().First())
	}
	if o.dataDir == "" {
		return o, fmt.Errorf("--data-dir must not be empty")
	}
	if o.tokenFile == "" {
		o.tokenFile = filepath.Join(o.dataDir, "tokens.csv")
	}
	for _, s := range strings.Split(c.String("etcd-servers"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.etcdServers = append(o.etcdServers, s)
		}
	}
	var err error
	if o.podCIDR, err = parseCIDR("pod-cidr", c.String("pod-cidr")); err != nil {
		return o, err
	}
	if o.serviceCIDR, err = parseCIDR("service-cidr", c.String("service-cidr")); err != nil {
		return o, err
	}
	// A ClusterIP inside the pod range would be routed to a pod, not to the
	// Service's proxy rules.
	if o.podCIDR.Overlaps(o.serviceCIDR) {
		return o, fmt.Errorf("--pod-cidr %s overlaps --service-cidr %s: pod IPs and Service IPs must be apart", o.podCIDR, o.serviceCIDR)
	}
	return o, nil
}

// parseCIDR parses an IPv4 network such as 10.244.0.0/16.
func parseCIDR(flag, s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, fmt.Errorf("--%s %q: not a CIDR like 10.244.0.0/16", flag, s)
	}
	if !p.Addr().Is4() {
		return p, fmt.Errorf("--%s %q: only IPv4 ranges are supported", flag, s)
	}
	if p != p.Masked() {
		return p, fmt.Errorf("--%s %q: host bits are set; did you mean %s?", flag, s, p.Masked())
	}
	return p, nil
}
