// Lab 07: the pod network as the CNI bridge plugin builds it: veth pairs to
// the node's bridge, host-local IPAM, pod to pod, MASQUERADE beyond the node.
package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	goruntime "runtime"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/runtime"
	. "github.com/podlab/podlab/core/steps"
	"github.com/podlab/podlab/workloads/manifests"
)

// Namespaces are joined on throw-away threads: keep main on its own (IMPLEMENTATION.md §1.4).
func init() { goruntime.LockOSThread() }

func main() {
	if runtime.Reexec() {
		return
	}
	rt, err := runtime.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab07:", err)
		os.Exit(1)
	}
	cfg := runtime.DefaultNetwork()
	var a, b *runtime.PodState
	run := func(r *Run, manifest string) (*runtime.PodState, error) {
		pod, err := manifests.Pod(manifest)
		if err == nil {
			err = r.Created("pod", pod.Name) // before it exists: a crash leaves nothing unrecorded
		}
		if err != nil {
			return nil, err
		}
		return rt.RunPod(r.Ctx, pod, cfg)
	}
	Main(Lab{
		Number: "07",
		Name:   "pod-network",
		Title:  T("The pod network: veth pairs, a bridge, host-local IPAM, MASQUERADE", "Pod 网络：veth 设备对、网桥、host-local IPAM 与 MASQUERADE"),
		Undo:   map[string]Undo{"pod": rt.ForceRemovePod, "uplink": func(_ context.Context, name string) error { return network.DeleteUplink(name) }},
		After: T("Check it: sudo bin/checker run 07. Exercise: connect a third pod and reach both others (see labs/07-pod-network).",
			"检查：sudo bin/checker run 07。练习：接入第三个 Pod，并从它访问另外两个（见 labs/07-pod-network）。"),
		Steps: []Step{{
			Title:   T("The node's bridge comes with the first pod", "节点的网桥随第一个 Pod 出现"),
			Command: "ip link add podlab0 type bridge; ip addr add 10.244.0.1/24 dev podlab0; ip link set podlab0 up",
			Why: T("The bridge is the node's virtual switch: every Pod's veth plugs into it. Its address, the first of the node's pod subnet (podCIDR), is every Pod's default gateway.",
				"网桥是节点上的虚拟交换机：每个 Pod 的 veth 都插在它上面。它的地址是节点 Pod 子网（podCIDR）的第一个地址，也是每个 Pod 的默认网关。"),
			Run: func(r *Run) error {
				if a, err = run(r, "lab07/a.yaml"); err != nil {
					return err
				}
				br, err := netlink.LinkByName(cfg.Bridge)
				if err != nil {
					return fmt.Errorf("find bridge %q: %w", cfg.Bridge, err)
				}
				list, _ := netlink.AddrList(br, netlink.FAMILY_V4)
				r.Value("bridge", fmt.Sprintf("%s (%s, index %d, %s, MTU %d), address %v", cfg.Bridge, br.Type(), br.Attrs().Index, br.Attrs().OperState, br.Attrs().MTU, list))
				return nil
			},
		}, {
			Title:   T("A veth pair: eth0 in the pod, its peer on the bridge", "veth 设备对：eth0 在 Pod 里，另一端在网桥上"),
			Command: "ip link add vethX type veth peer name eth0 netns PID; ip link set vethX master podlab0 up; ip -n POD addr add 10.244.0.2/24 dev eth0; ip -n POD route add default via 10.244.0.1",
			Why: T("A veth pair is a virtual cable: what goes in one end comes out of the other. Each end's peer index names the other end, in the other network namespace.",
				"veth 设备对是一根虚拟网线：从一端进去的包从另一端出来。每一端的 peer 索引指向另一端，而另一端在另一个网络命名空间（Network Namespace）里。"),
			Run: func(r *Run) error { return showVeth(r, a) },
		}, {
			Title:   T("host-local IPAM: one file per address", "host-local IPAM：每个地址一个文件"),
			Command: "ls /run/podlab/ipam/podlab0",
			Why: T("Each reservation is a file named by the IP and holding the pod's uid, created with O_EXCL under a lock. In a fresh subnet the first pod gets .2 (.1 is the gateway) and the next .3; the search goes on after last_reserved_ip, so a freed address is not reused at once.",
				"每个预留是一个以 IP 命名、内容为 Pod uid 的文件，在锁保护下以 O_EXCL 创建。在全新的子网里第一个 Pod 得到 .2（.1 是网关），下一个得到 .3；分配从 last_reserved_ip 之后继续，所以刚释放的地址不会马上被重用。"),
			Run: func(r *Run) error {
				if b, err = run(r, "lab07/b.yaml"); err != nil {
					return err
				}
				held, err := cfg.Reservations() // IP -> pod uid, files in cfg.StateDir
				byAddress := func(x, y string) int { return strings.Compare(string(net.ParseIP(x)), string(net.ParseIP(y))) }
				for _, ip := range slices.SortedFunc(maps.Keys(held), byAddress) {
					r.Value(cfg.StateDir+"/"+ip, held[ip])
				}
				r.Value("pods", fmt.Sprintf("lab07-a %s uid %s, lab07-b %s uid %s", a.IP(), a.Pod.UID, b.IP(), b.Pod.UID))
				return err
			},
		}, {
			Title:   T("Pod to pod on the node: through the bridge", "同一节点上 Pod 到 Pod：经过网桥"),
			Command: "nsenter -t PAUSE_PID -n ping -c1 10.244.0.3; nsenter -t PAUSE_PID -n wget -qO- 10.244.0.3:8080",
			Why: T("Both pods are on the bridge's subnet: lab07-a finds lab07-b's MAC by ARP and the bridge switches the frame from one veth to the other. No routing, no NAT.",
				"两个 Pod 在网桥的同一个子网里：lab07-a 通过 ARP 找到 lab07-b 的 MAC，网桥把帧从一个 veth 交换到另一个。没有路由，也没有 NAT。"),
			Run: func(r *Run) error {
				from := ns.Path(a.Pause.Pid, ns.Net)
				if err := network.Ping(from, net.ParseIP(b.IP()), 2*time.Second); err != nil {
					return err
				}
				r.Value("ping "+b.IP()+" from lab07-a", "reply")
				answer, err := httpGet(from, b.IP()+":8080")
				r.Value("GET http://"+b.IP()+":8080 from lab07-a", answer)
				return err
			},
		}, {
			Title:   T("Pod to outside the node: MASQUERADE", "Pod 访问节点之外：MASQUERADE"),
			Command: "iptables -t nat -A POSTROUTING -s 10.244.0.0/24 ! -d 10.244.0.0/24 -j MASQUERADE",
			Why: T("The upstream, like any machine on the node's network, knows no route to the pod subnet (spreading those is the overlay network's job, lab 08). It can answer only because the node rewrote the pod's source address to its own on the way out; conntrack rewrites the reply back.",
				"上游和节点网络上的任何机器一样，没有通往 Pod 子网的路由（传播这些路由是覆盖网络（Overlay Network）的事，见第 08 课）。它之所以能回复，只是因为节点在包出去时把 Pod 的源地址改成了自己的地址；conntrack 再把回复改回来。"),
			Run: func(r *Run) error {
				if err := r.Created("uplink", network.UplinkNetNS); err != nil {
					return err
				}
				hostAddr, _ := netlink.ParseIPNet(network.UplinkHostCIDR)
				peerAddr, _ := netlink.ParseIPNet(network.UplinkPeerCIDR)
				upstream, err := network.EnsureUplink(network.UplinkNetNS, hostAddr, peerAddr)
				if err != nil {
					return err
				}
				rule, before, err := cfg.Masquerade()
				if err != nil || rule == "" {
					return fmt.Errorf("no MASQUERADE rule for %s in nat POSTROUTING (%v)", cfg.Subnet, err)
				}
				r.Value("rule", fmt.Sprintf("%s (%d packets)", rule, before))
				if err := network.Ping(ns.Path(a.Pause.Pid, ns.Net), peerAddr.IP, 2*time.Second); err != nil {
					return err
				}
				r.Value(fmt.Sprintf("ping %s (eth0 of %s) from lab07-a", peerAddr.IP, upstream), "reply")
				_, after, _ := cfg.Masquerade()
				r.Value("rule's packets after the ping", after)
				r.Value("ping "+a.IP()+" from the upstream", network.Ping(upstream, net.ParseIP(a.IP()), time.Second))
				r.Command("ip netns exec %s ip route; iptables -t nat -L POSTROUTING -v -n -x", network.UplinkNetNS)
				return nil
			},
		}},
	})
}

// showVeth shows both ends of a pod's veth pair, each read in its own netns (indexes are per netns).
func showVeth(r *Run, ps *runtime.PodState) error {
	host, err := netlink.LinkByName(ps.Network.HostVeth)
	if err != nil {
		return fmt.Errorf("find veth %q: %w", ps.Network.HostVeth, err)
	}
	master, err := netlink.LinkByIndex(host.Attrs().MasterIndex)
	if err != nil {
		return fmt.Errorf("find the master of %q: %w", ps.Network.HostVeth, err)
	}
	pod, err := network.HandleAt(ns.Path(ps.Pause.Pid, ns.Net))
	if err != nil {
		return err
	}
	defer pod.Close()
	eth0, err := pod.LinkByName(network.PodInterface)
	if err != nil {
		return fmt.Errorf("find eth0 of pod %q: %w", ps.Pod.Name, err)
	}
	h, e := host.Attrs(), eth0.Attrs()
	r.Value("node end", fmt.Sprintf("%s (%s, index %d), master %s (index %d), peer index %d", h.Name, host.Type(), h.Index, master.Attrs().Name, h.MasterIndex, h.ParentIndex))
	list, _ := pod.AddrList(eth0, netlink.FAMILY_V4)
	r.Value("pod end", fmt.Sprintf("%s (%s, index %d), peer index %d, address %v", e.Name, eth0.Type(), e.Index, e.ParentIndex, list))
	routes, err := pod.RouteList(eth0, netlink.FAMILY_V4)
	for _, route := range routes {
		if route.Gw != nil {
			r.Value("default route", fmt.Sprintf("via %s dev %s", route.Gw, e.Name))
		}
	}
	r.Command("ip -d link show %s; nsenter -t %d -n ip -d link show eth0; nsenter -t %d -n ip route", h.Name, ps.Pause.Pid, ps.Pause.Pid)
	return err
}

// httpGet asks addr for "/" over a socket opened in a network namespace
// (ns.Do) and bound to it, like wget -qO- run there.
func httpGet(netnsPath, addr string) (string, error) {
	var conn net.Conn
	err := ns.Do(map[ns.Type]string{ns.Net: netnsPath}, func() (err error) {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			if conn, err = net.DialTimeout("tcp", addr, time.Second); err == nil || time.Now().After(deadline) {
				return err // the server may still be starting: retry until the deadline
			}
		}
	})
	if err != nil {
		return "", fmt.Errorf("GET http://%s/: %w", addr, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", addr)
	reply, err := io.ReadAll(conn)
	_, body, _ := strings.Cut(string(reply), "\r\n\r\n")
	return strings.ReplaceAll(strings.TrimSpace(body), "\n", " | "), err
}
