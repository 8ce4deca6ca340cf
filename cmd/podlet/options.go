package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/overlay"
	"github.com/podlab/podlab/core/paths"
	"github.com/podlab/podlab/core/podlet"
)

// options is the effective configuration of one podlet.
type options struct {
	node      podlet.NodeConfig
	client    client.Config // the API server and the node's token
	heartbeat time.Duration // how often the Node's status is written
	stateDir  string        // the node's own state, default <run>/nodes/<node-name>
	// The CrashLoopBackOff: the first wait before restarting a crashing
	// container, and the longest.
	backoffBase, backoffMax time.Duration
	nodeAPIPort             int          // of the node API on the node's IP; 0: none
	backend                 string       // the overlay: vxlan or host-gw
	clusterCIDR             netip.Prefix // every pod's range; the node's podCIDR is a part

	// Where the settings came from, for the start-up log line (never the
	// token itself).
	iface, configFile, tokenFile string
}

var flags = []cli.Flag{
	&cli.StringFlag{Name: "node-name", Usage: "`NAME` of this node's Node object, like node1 (required)"},
	&cli.StringFlag{Name: "node-ip", Usage: "the node's InternalIP, the `IP` other nodes reach it at, like 172.30.0.11"},
	&cli.StringFlag{Name: "iface", Usage: "take the node's IP from the first IPv4 address of interface `NAME`, like eth0 (instead of --node-ip)"},
	&cli.StringFlag{Name: "server", Usage: "API server `URL`, like http://172.30.0.1:6443 (with --token-file)"},
	&cli.StringFlag{Name: "token-file", Usage: "`FILE` holding the node's bearer token, and nothing else"},
	&cli.StringFlag{Name: "config", Usage: "cluster config `FILE` with the server and a token, as ~/.podlab/config (instead of --server and --token-file)"},
	&cli.StringFlag{Name: "cpus", Usage: "CPU capacity to report, a `QUANTITY` like 2 or 1500m (default: the CPUs of this machine)"},
	&cli.StringFlag{Name: "memory", Usage: "memory capacity to report, a `QUANTITY` like 2Gi (default: MemTotal of /proc/meminfo)"},
	&cli.IntFlag{Name: "max-pods", Value: podlet.DefaultMaxPods, Usage: "how many pods, `N`, fit on the node"},
	&cli.StringFlag{Name: "labels", Usage: "more labels for the Node, `KEY=VALUE[,...]`, like disktype=ssd,zone=a"},
	&cli.DurationFlag{Name: "heartbeat", Value: 10 * time.Second, Usage: "how often, a `DURATION` like 10s or 500ms, to write the Node's status (the kubelet's nodeStatusUpdateFrequency); shorter makes a lab livelier"},
	&cli.StringFlag{Name: "state-dir", Usage: "`DIR` of the node's own state: its pods, containers and pod IP addresses (default: " + filepath.Join(paths.Run(), "nodes", "<node-name>") + ")"},
	&cli.DurationFlag{Name: "backoff-base", Value: podlet.DefaultBackOffPeriod, Usage: "how long, a `DURATION`, the node waits before restarting a container that crashed again (CrashLoopBackOff); the wait doubles with each crash up to --backoff-max. The kubelet's is 10s; a lab may make it 1s to show the whole curve in a minute"},
	&cli.DurationFlag{Name: "backoff-max", Value: podlet.DefaultMaxBackOff, Usage: "the longest wait, a `DURATION`, between two restarts of a crashing container (the kubelet's 300s)"},
	&cli.StringFlag{Name: "backend", Value: overlay.VXLAN, Usage: "the overlay that carries pod traffic between nodes, `TYPE` " + strings.Join(overlay.Backends(), " or ") + " (flannel's Backend.Type); every node of a cluster must have the same"},
	&cli.StringFlag{Name: "cluster-cidr", Value: "10.244.0.0/16", Usage: "every pod's range, a `CIDR` (flannel's Network): the node's podCIDR is a part; packets from pods to it are not masqueraded"},
	&cli.IntFlag{Name: "node-api-port", Value: podlet.DefaultNodeAPIPort, Usage: "serve the node API (logs, exec, stats, inspect: what \"podlab logs\", \"exec\" and \"top\" call) on `PORT` of the node's IP, like the kubelet's 10250; 0 serves none"},
}

// The facts of this machine the defaults come from; tests replace them.
var (
	hostCPUs   = goruntime.NumCPU
	hostMemory = memTotal
)

// optionsFrom reads and checks the flags. Its errors are usage errors.
func optionsFrom(c *cli.Context) (options, error) {
	o := options{heartbeat: c.Duration("heartbeat"), stateDir: c.String("state-dir"), iface: c.String("iface"),
		configFile: c.String("config"), tokenFile: c.String("token-file"),
		backoffBase: c.Duration("backoff-base"), backoffMax: c.Duration("backoff-max"), nodeAPIPort: c.Int("node-api-port"),
		backend: c.String("backend")}
	if c.Args().Present() {
		return o, fmt.Errorf("unexpected argument %q: podlet takes only flags", c.Args().First())
	}
	o.node.Name = c.String("node-name")
	if o.node.Name == "" {
		return o, errors.New("--node-name is required: the name of this node's Node, like node1")
	}
	var err error
	if o.node.IP, err = nodeIP(c.String("node-ip"), o.iface); err != nil {
		return o, err
	}
	if o.client, err = clientConfig(c.String("server"), o.tokenFile, o.configFile); err != nil {
		return o, err
	}
	if err := o.capacity(c.String("cpus"), c.String("memory"), c.Int("max-pods")); err != nil {
		return o, err
	}
	if o.node.Labels, err = parseLabels(c.String("labels")); err != nil {
		return o, err
	}
	if o.heartbeat <= 0 {
		return o, fmt.Errorf("--heartbeat %v: must be longer than 0, like 10s", o.heartbeat)
	}
	if o.backoffBase <= 0 || o.backoffMax < o.backoffBase {
		return o, fmt.Errorf("--backoff-base %v, --backoff-max %v: want 0 < base <= max, like 10s and 300s", o.backoffBase, o.backoffMax)
	}
	if o.nodeAPIPort < 0 || o.nodeAPIPort > 65535 {
		return o, fmt.Errorf("--node-api-port %d: want a port, 1 to 65535, or 0 for no node API", o.nodeAPIPort)
	}
	if err := overlay.CheckBackend(o.backend); err != nil {
		return o, fmt.Errorf("--backend: %w", err)
	}
	if o.clusterCIDR, err = netip.ParsePrefix(c.String("cluster-cidr")); err != nil || !o.clusterCIDR.Addr().Is4() || o.clusterCIDR != o.clusterCIDR.Masked() {
		return o, fmt.Errorf("--cluster-cidr %q: want an IPv4 CIDR like 10.244.0.0/16", c.String("cluster-cidr"))
	}
	if o.stateDir == "" {
		o.stateDir = filepath.Join(paths.Run(), "nodes", o.node.Name)
	}
	// The API server would refuse a bad name or label at registration;
	// refuse it here, where the flag can be named.
	if errs := api.Validate(o.node.Node(api.NodeSystemInfo{}, time.Now())); len(errs) > 0 {
		return o, fmt.Errorf("the Node would be invalid (check --node-name and --labels): %v", errs.ToAggregate())
	}
	return o, nil
}

// nodeIP returns the node's IP from --node-ip or --iface, exactly one of
// them: the podlet never guesses it from the first interface it finds,
// which on a machine with several networks is often the wrong one.
func nodeIP(ip, iface string) (netip.Addr, error) {
	switch {
	case ip != "" && iface != "":
		return netip.Addr{}, errors.New("give --node-ip or --iface, not both")
	case ip != "":
		a, err := netip.ParseAddr(ip)
		if err != nil || !a.Is4() {
			return netip.Addr{}, fmt.Errorf("--node-ip %q: not an IPv4 address like 172.30.0.11", ip)
		}
		return a, nil
	case iface != "":
		return ifaceIPv4(iface)
	}
	return netip.Addr{}, errors.New("give the node's IP with --node-ip, or the interface that has it with --iface")
}

// ifaceIPv4 returns the first IPv4 address of the interface called name.
func ifaceIPv4(name string) (netip.Addr, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("--iface %q: %w", name, err)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("--iface %q: list its addresses: %w", name, err)
	}
	for _, a := range addrs {
		if ipnet, ok := a.(*net.IPNet); ok && ipnet.IP.To4() != nil {
			ip, _ := netip.AddrFromSlice(ipnet.IP.To4())
			return ip, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("--iface %q has no IPv4 address: give --node-ip instead", name)
}

// clientConfig returns where the API server is and the node's token:
// from --config, with --server and --token-file winning if given too, or
// from --server and --token-file alone.
func clientConfig(server, tokenFile, configFile string) (client.Config, error) {
	var cfg client.Config
	switch {
	case configFile != "":
		var err error
		if cfg, err = client.LoadConfig(configFile); err != nil {
			return cfg, err
		}
	case server == "":
		return cfg, errors.New("give the API server with --server and --token-file, or a cluster config file with --config")
	case tokenFile == "":
		return cfg, errors.New("--server needs --token-file: the file with the node's token")
	}
	if server != "" {
		cfg.Server = server
	}
	if tokenFile != "" {
		token, err := readToken(tokenFile)
		if err != nil {
			return cfg, err
		}
		cfg.Token = token
	}
	_, err := client.New(cfg) // checks the URL
	return cfg, err
}

// readToken reads a file that holds a bearer token and nothing else.
func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" || strings.ContainsAny(token, " \t\n,") {
		return "", fmt.Errorf("--token-file %q: want the token alone on one line", path)
	}
	return token, nil
}

// capacity sets what the node reports it has: the flags, or else this
// machine's CPUs and memory.
func (o *options) capacity(cpus, memory string, maxPods int) error {
	if cpus == "" {
		cpus = strconv.Itoa(hostCPUs())
	}
	if m, err := api.ParseCPU(cpus); err != nil || m <= 0 {
		return fmt.Errorf("--cpus %q: want a number of CPUs like 2 or 1500m", cpus)
	}
	if memory == "" {
		kib, err := hostMemory()
		if err != nil {
			return fmt.Errorf("find this machine's memory (or give --memory): %w", err)
		}
		memory = strconv.FormatInt(kib, 10) + "Ki"
	}
	if b, err := api.ParseMemory(memory); err != nil || b <= 0 {
		return fmt.Errorf("--memory %q: want an amount of memory like 2Gi or 512Mi", memory)
	}
	if maxPods <= 0 {
		return fmt.Errorf("--max-pods %d: must be at least 1", maxPods)
	}
	o.node.CPU, o.node.Memory, o.node.MaxPods = cpus, memory, maxPods
	return nil
}

// memTotal returns MemTotal of /proc/meminfo, in KiB (the file's "kB").
func memTotal() (int64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "MemTotal:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no MemTotal in /proc/meminfo")
}

// parseLabels reads "k=v,k2=v2". The podlet's own labels cannot be set:
// they say what the node is.
func parseLabels(s string) (map[string]string, error) {
	labels := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return labels, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--labels: %q is not KEY=VALUE", kv)
		}
		if k == podlet.LabelHostname || k == podlet.LabelOS {
			return nil, fmt.Errorf("--labels: %s is the podlet's to set", k)
		}
		labels[k] = v
	}
	return labels, nil
}
