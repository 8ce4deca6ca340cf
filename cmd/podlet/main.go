// Command podlet is the node agent, podlab's kubelet: one runs on every
// node. It registers the node's Node with the API server and writes its
// status every --heartbeat, so that "podlab get nodes" shows the node
// Ready; once the Node has its podCIDR, it runs the pods bound to the
// node, restarts their containers as their restartPolicy says, and
// reports their status. Its node API, on port 10250 of the node's IP,
// serves the logs, exec and usage of those pods (nodeapi.go).
//
//	podlet --node-name node1 --node-ip 172.30.0.11 \
//	       --server http://172.30.0.1:6443 --token-file /run/podlab/cluster/node1.token
//
// "podlab up" starts one per node, inside the node's network namespace.
// On SIGTERM or SIGINT it stops and exits 0, leaving the Node and the
// pods running behind: the next podlet adopts them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/daemon"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/overlay"
	"github.com/podlab/podlab/core/podlet"
	"github.com/podlab/podlab/core/runtime"
)

// version is set at build time with -ldflags "-X main.version=v0.4.0";
// otherwise it is the module's version, or "dev".
var version string

// The podlet runs containers: it joins namespaces on throw-away threads,
// which must never be the main one (IMPLEMENTATION.md §1.4).
func init() { goruntime.LockOSThread() }

func main() {
	// This binary is also the shim and the init of the containers it runs.
	if runtime.Reexec() {
		return
	}
	daemon.Main(run)
}

// run runs the podlet until ctx is done and returns the exit status: 0
// after a clean stop, 1 on failure, 2 on a command-line mistake.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	return daemon.Command[options]{
		Name:     "podlet",
		Usage:    "the podlab node agent: registers this node with the API server and keeps its status fresh (the kubelet's role)",
		Flags:    flags,
		Commands: []*cli.Command{resetCommand}, // reset.go
		Options:  optionsFrom,
		Serve:    serve,
	}.Run(ctx, args, stderr)
}

// serve registers the node and keeps it fresh, and runs its pods, until
// ctx is done.
func serve(ctx context.Context, o options, log *slog.Logger) error {
	v := buildVersion()
	log.Info("starting podlet", "node-name", o.node.Name, "node-ip", o.node.IP, "iface", o.iface,
		"server", o.client.Server, "token-file", o.tokenFile, "config", o.configFile,
		"cpus", o.node.CPU, "memory", o.node.Memory, "max-pods", o.node.MaxPods, "labels", o.node.Labels,
		"heartbeat", o.heartbeat, "backend", o.backend, "cluster-cidr", o.clusterCIDR, "state-dir", o.stateDir, "backoff-base", o.backoffBase, "backoff-max", o.backoffMax,
		"version", v, "pid", os.Getpid())

	if err := os.MkdirAll(o.stateDir, 0o700); err != nil {
		return fmt.Errorf("create the state directory: %w", err)
	}
	c, err := client.New(o.client)
	if err != nil {
		return err
	}
	nodeAPI, err := startNodeAPI(ctx, o, log)
	if err != nil {
		return err
	}
	defer nodeAPI.stop()
	reporter := podlet.NewNodeReporter(c.Nodes(), o.node, podlet.ReadSystemInfo(v), log)
	// The pods run beside the heartbeat; if either cannot go on, both stop.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pods := make(chan error, 1)
	go func() {
		err := runPods(ctx, c, o, log)
		cancel()
		pods <- err
	}()
	err = reporter.Run(ctx, o.heartbeat)
	cancel()
	if err := errors.Join(err, <-pods); err != nil {
		return err
	}
	log.Info("stopping: the Node stays; the node lifecycle controller marks it NotReady when its heartbeats stop",
		"node", o.node.Name)
	return nil
}

// runPods runs the pods bound to the node until ctx is done, once the
// node IPAM controller has given the Node its podCIDR: the subnet of the
// node's bridge, inside the network namespace the podlet runs in.
func runPods(ctx context.Context, c *client.Client, o options, log *slog.Logger) error {
	// The node IPAM controller answers within milliseconds of the Node's
	// registration: look often, or the first pod waits for the next look.
	cidr, err := podlet.WaitForPodCIDR(ctx, c.Nodes(), o.node.Name, 100*time.Millisecond, log)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return err
	}
	nw, err := startOverlay(ctx, c, o, cidr, log)
	if err != nil {
		return err
	}
	rt, err := runtime.NewAt(o.stateDir, podlet.NodeCgroupParent(o.node.Name))
	if err != nil {
		return err
	}
	rec := client.NewRecorder(c, "podlet", o.node.Name)
	defer func() {
		fctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		rec.Flush(fctx)
	}()
	return podlet.RunPods(ctx, podlet.PodsConfig{
		Client:   c,
		NodeName: o.node.Name,
		NodeIP:   o.node.IP.String(),
		Runtime:  rt,
		Network: &network.Config{Bridge: network.DefaultBridge, Subnet: cidr, MTU: nw.MTU(),
			ClusterCIDR: prefixNet(o.clusterCIDR), StateDir: filepath.Join(o.stateDir, "ipam")},
		StateDir: filepath.Join(o.stateDir, "podlet"),
		Backoff:  podlet.NewBackoff(o.backoffBase, o.backoffMax),
		Recorder: rec,
		Hooks:    podlet.LifecycleHooks{Runtime: rt},
		Prober:   podlet.NewProbes(rt, rec),
		Log:      log,
	})
}

// startOverlay makes the node's side of the pod network (flannel's job)
// and keeps it in step with the other nodes' leases, in the background,
// until ctx is done. It picks up the VTEP MAC the Node announced before,
// so a restarted podlet keeps its device as the peers know it.
func startOverlay(ctx context.Context, c *client.Client, o options, cidr *net.IPNet, log *slog.Logger) (overlay.Network, error) {
	subnet, _ := netip.AddrFromSlice(cidr.IP)
	ones, _ := cidr.Mask.Size()
	cfg := overlay.Config{Backend: o.backend, Node: o.node.Name, Subnet: netip.PrefixFrom(subnet.Unmap(), ones),
		Network: o.clusterCIDR, PublicIP: o.node.IP}
	if node, err := c.Nodes().Get(ctx, o.node.Name); err == nil {
		if l, ok := overlay.LeaseOf(node); ok && l.BackendType == o.backend {
			cfg.VtepMAC = l.VtepMAC
		}
	}
	nw, err := overlay.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("overlay: %w", err)
	}
	// What the pod network of this node is made with, where flannel
	// leaves it for the CNI plugin (in /run/flannel/subnet.env).
	env := filepath.Join(o.stateDir, "subnet.env")
	if err := os.WriteFile(env, []byte(overlay.SubnetEnv(o.clusterCIDR, nw, true)), 0o644); err != nil {
		return nil, fmt.Errorf("overlay: %w", err)
	}
	log.Info("overlay: ready", "backend", cfg.Backend, "subnet", cfg.Subnet, "network", cfg.Network,
		"public-ip", cfg.PublicIP, "mtu", nw.MTU(), "subnet.env", env)
	go overlay.Run(ctx, c, nw, log)
	return nw, nil
}

func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), 32)}
}

// buildVersion is the podlet's version: main.version, or the module's
// version when built with "go install ...@v0.4.0", or "dev". A build from
// a git checkout has a pseudo-version like
// v0.0.0-20261122022401-c32006d5ea98+dirty, too long for a table column:
// it becomes "dev-c32006d" (plus "+dirty" for uncommitted changes).
func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return "dev"
	}
	v := info.Main.Version
	if parts := strings.Split(strings.TrimSuffix(v, "+dirty"), "-"); len(parts) >= 3 && len(parts[len(parts)-1]) >= 7 {
		short := "dev-" + parts[len(parts)-1][:7]
		if strings.HasSuffix(v, "+dirty") {
			short += "+dirty"
		}
		return short
	}
	return v
}
