// Lab 08: the overlay network, flannel's vxlan backend as every podlet
// runs it: a lease per node kept in the API (etcd), a VXLAN device per
// node, a route, a neighbour and an FDB entry per peer, and pods that
// reach pods on other nodes with their own addresses. Then host-gw, the
// backend without encapsulation, on two nodes of its own.
package main

import (
	goruntime "runtime"

	"github.com/podlab/podlab/core/api"
	. "github.com/podlab/podlab/core/steps"
)

// Namespaces are joined on throw-away threads: keep main on its own (IMPLEMENTATION.md §1.4).
func init() { goruntime.LockOSThread() }

func main() {
	var c *cluster
	var a, b *api.Pod
	var aNetNS string  // overlay-a's network namespace: the lab's probes start there
	var pair []*gwNode // the host-gw nodes
	Main(Lab{
		Number: "08",
		Name:   "overlay-network",
		Title:  T("The overlay network: a subnet lease per node, VXLAN between the nodes, host-gw as the contrast", "覆盖网络：每个节点一份子网租约，节点之间走 VXLAN，host-gw 作为对照"),
		Undo:   undo,
		After: T("Check it: sudo bin/checker run 08. Exercise: add a third node (sudo bin/podlab node add), run a pod overlay-c in namespace lab08 on it, and show that every node learned the new one (see labs/08-overlay-network).",
			"检查：sudo bin/checker run 08。练习：添加第三个节点（sudo bin/podlab node add），在它上面运行命名空间 lab08 里的 Pod overlay-c，并证明每个节点都学到了这个新节点（见 labs/08-overlay-network）。"),
		Steps: []Step{{
			Title:   T("Each node's lease: a /24 of 10.244.0.0/16 and a VTEP, kept on its Node in etcd", "每个节点的租约：10.244.0.0/16 中的一个 /24 和一个 VTEP，保存在 etcd 里它的 Node 上"),
			Command: "podlab get nodes -o wide; podlab get node node1 -o yaml; etcdctl get /registry/nodes/node1",
			Why: T("The node IPAM controller of podlab-server gave each Node a /24 of the pod network (spec.podCIDR). Each podlet made its VXLAN device and published the rest of its lease as annotations, with flannel's own names: the backend, the public IP (where other nodes reach it, its InternalIP) and the VTEP MAC. They are part of the Node's JSON in etcd, and every other podlet learns them by watching the Nodes: flannel's kube subnet manager.",
				"podlab-server 的节点 IPAM 控制器给每个 Node 分配了 Pod 网络中的一个 /24（spec.podCIDR）。每个 podlet 创建自己的 VXLAN 设备，再把租约的其余部分以注解（annotation）发布出来，用的是 flannel 自己的名字：后端类型、公网 IP（其他节点访问它的地址，即它的 InternalIP）和 VTEP 的 MAC。它们是 etcd 中 Node JSON 的一部分，其他 podlet 通过 watch Node 得知它们：这就是 flannel 的 kube subnet manager。"),
			Run: func(r *Run) (err error) {
				if c, err = connect(r.Ctx); err != nil {
					return err
				}
				return showLeases(r, c)
			},
		}, {
			Title:   T("Two pods on two nodes", "两个节点上的两个 Pod"),
			Command: "podlab apply -f namespace.yaml -f overlay-a.yaml -f overlay-b.yaml   # spec.nodeName: node1, node2",
			Why: T("spec.nodeName put each pod on the node the lab chose, without the scheduler. Each node's podlet gave its pod an address from its own podCIDR, on its own bridge (lab 07, once per node): two subnets on two machines, and no cable between the two bridges.",
				"spec.nodeName 把每个 Pod 直接放到实验选定的节点上，不经过调度器。每个节点的 podlet 从自己的 podCIDR 中给 Pod 分配地址，接在自己的网桥上（第 07 课的内容，每个节点一套）：两台机器上的两个子网，两个网桥之间没有任何连线。"),
			Run: func(r *Run) (err error) {
				if err = c.createNamespace(r); err != nil {
					return err
				}
				if a, err = c.run(r, "lab08/overlay-a.yaml", c.nodes[0].Name); err != nil {
					return err
				}
				if b, err = c.run(r, "lab08/overlay-b.yaml", c.nodes[1].Name); err != nil {
					return err
				}
				showPods(r, c, a, b)
				aNetNS, err = c.podNetNS(r.Ctx, a)
				return err
			},
		}, {
			Title:   T("The VXLAN device flannel.1: a tunnel end on the node's eth0", "VXLAN 设备 flannel.1：节点 eth0 上的隧道端点"),
			Command: "ip link add flannel.1 type vxlan id 1 local 172.30.0.11 dev eth0 dstport 8472 nolearning; ip link set flannel.1 mtu 1450 up; ip addr add 10.244.0.0/32 dev flannel.1",
			Why: T("flannel.1 is a VXLAN tunnel endpoint (VTEP): a frame sent to it leaves eth0 wrapped in UDP to port 8472, tagged VNI 1. The wrapping takes 50 bytes (outer IPv4 20, UDP 8, VXLAN 8, inner Ethernet 14), so the device, the bridge and every pod's eth0 get the underlay's MTU less 50: 1450. Learning is off: the device learns nothing from traffic, the podlet writes every entry from the leases. Its address, the subnet's .0 as a /32, is the node's source towards other nodes' pods.",
				"flannel.1 是一个 VXLAN 隧道端点（VTEP）：发给它的帧被封装进 UDP、打上 VNI 1，从 eth0 发往 8472 端口。封装占 50 字节（外层 IPv4 20、UDP 8、VXLAN 8、内层以太网头 14），所以这个设备、网桥和每个 Pod 的 eth0 都用底层网络（underlay）的 MTU 减 50：1450。learning 关闭：设备不从流量中学习，每一条表项都由 podlet 根据租约写入。它的地址是子网的 .0（/32），是本节点访问其他节点 Pod 时的源地址。"),
			Run: func(r *Run) error { return showDevice(r, c, a, aNetNS) },
		}, {
			Title:   T("Per peer: a route, a neighbour and an FDB entry", "每个对端：一条路由、一条邻居表项、一条 FDB 表项"),
			Command: "ip neigh replace 10.244.1.0 lladdr VTEP_MAC dev flannel.1 nud permanent; bridge fdb replace VTEP_MAC dev flannel.1 dst 172.30.0.12 self permanent; ip route replace 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink",
			Why: T("For every other node's lease the podlet wrote three entries, in this order. The neighbour entry gives the peer's .0 the peer's VTEP MAC, so the kernel never asks ARP for it. The FDB entry says which node IP has that MAC: the outer destination. The route, last, sends the peer's whole /24 to flannel.1 via that .0 (onlink: no subnet of the node holds that gateway). Three entries per peer, from the leases, before any traffic.",
				"对其他每个节点的租约，podlet 按顺序写了三条表项。邻居表项把对端的 .0 对应到对端的 VTEP MAC，所以内核从不为它发 ARP。FDB 表项说明这个 MAC 在哪个节点 IP 上：那就是外层包的目的地址。最后写路由：把对端整个 /24 经这个 .0 交给 flannel.1（onlink：本节点没有哪个子网包含这个网关）。每个对端三条表项，都来自租约，在任何流量之前就已写好。"),
			Run: func(r *Run) error { return showPeers(r, c, a.Spec.NodeName) },
		}, {
			Title:   T("Pod to pod across nodes, with its own address", "跨节点的 Pod 到 Pod，地址保持不变"),
			Command: "podlab exec -n lab08 overlay-a -- ping -c1 10.244.1.2; podlab exec -n lab08 overlay-a -- wget -qO- http://10.244.1.2:8080/cgi-bin/whoami",
			Why: T("overlay-b's web server names the client it saw: overlay-a's own pod IP. Nothing rewrites an address between pods: lab 07's MASQUERADE rule skips destinations inside the pod network (10.244.0.0/16), and the overlay carries the packet as it is. Every pod reaches every pod by its IP, on any node: the Kubernetes network model.",
				"overlay-b 的 Web 服务报出它看到的客户端：正是 overlay-a 自己的 Pod IP。Pod 之间没有任何地址改写：第 07 课的 MASQUERADE 规则跳过 Pod 网络（10.244.0.0/16）内的目的地址，覆盖网络原样运送这个包。任何 Pod 都能用 IP 访问任何节点上的任何 Pod：这就是 Kubernetes 的网络模型。"),
			Run: func(r *Run) error { return podToPod(r, aNetNS, a, b) },
		}, {
			Title:   T("The packet path: wrapped on one node, unwrapped on the other", "包的路径：在一个节点上封装，在另一个节点上解封装"),
			Command: "ip -n podlab-node1 -s link show flannel.1; ip netns exec podlab-node1 tcpdump -ni eth0 udp port 8472",
			Why: T("A ping of overlay-a leaves its eth0 for the bridge podlab0, its gateway; the node routes the peer's /24 to flannel.1 via the peer's .0; the neighbour entry gives the inner destination MAC, the FDB entry the outer destination IP; the kernel wraps the frame in UDP to the peer node's port 8472 and sends it out of eth0. There flannel.1 takes the datagram in, unwraps the frame and routes the inner packet to the bridge, to overlay-b. The outer packet is 50 bytes longer than the inner one.",
				"overlay-a 发出的 ping 从它的 eth0 到达网桥 podlab0（它的网关）；节点把对端的 /24 经对端的 .0 路由到 flannel.1；邻居表项给出内层目的 MAC，FDB 表项给出外层目的 IP；内核把帧封装进发往对端节点 8472 端口的 UDP，从 eth0 发出。对端的 flannel.1 收下这个数据报，解开封装，把内层包路由到网桥，交给 overlay-b。外层包比内层包长 50 字节。"),
			Run: func(r *Run) error { return packetPath(r, c, aNetNS, a, b) },
		}, {
			Title:   T("The contrast, host-gw: two more nodes on one cable, a route per peer", "对照 host-gw：一根网线连起的两个新节点，每个对端一条路由"),
			Command: "ip netns add podlab-gw1; ip netns add podlab-gw2; ip -n podlab-gw1 link add eth0 type veth peer name eth0 netns podlab-gw2; ip -n podlab-gw1 route add 10.244.202.0/24 via 172.30.8.12 dev eth0",
			Why: T("host-gw has no device and no encapsulation: the route to a peer's pods names the peer's node IP as the next hop, and packets leave eth0 as they are. That works only when every node is on one L2 segment (here one cable; on real machines one switch or VLAN): a next hop must be reachable without a router. Nothing is wrapped, so the MTU stays the underlay's, 1500. The lab builds these nodes beside the cluster with the podlet's own overlay code, and the cluster keeps vxlan; sudo podlab up --backend host-gw switches a whole cluster.",
				"host-gw 没有设备，也不封装：通往对端 Pod 的路由直接以对端节点 IP 为下一跳，包原样从 eth0 发出。这要求所有节点在同一个二层网段（L2）上（这里是一根网线；真实机器上是同一台交换机或同一个 VLAN）：下一跳必须不经过路由器就能到达。没有封装，MTU 保持底层网络的 1500。实验在集群旁边用 podlet 自己的 overlay 代码搭建这两个节点，集群仍然使用 vxlan；sudo podlab up --backend host-gw 可以切换整个集群。"),
			Run: func(r *Run) error {
				pair = gwPair(c.state.Config.Prefix)
				if err := buildGWPair(r, pair); err != nil {
					return err
				}
				return showGWPair(r, pair)
			},
		}, {
			Title:   T("A pod on each: pod to pod, unencapsulated", "每个节点一个 Pod：不封装的 Pod 到 Pod"),
			Command: "ip netns exec podlab-gw1-pod ping -c1 10.244.202.2",
			Why: T("The pods get their bridge and address as on the cluster's nodes, at host-gw's MTU, and reach each other: the packet crosses the cable with the pods' addresses outside, where vxlan put the nodes'. host-gw is cheaper (no wrapping, the full MTU) but bound to one L2 segment; vxlan crosses routers, for 50 bytes a packet. flannel's DirectRouting mixes them: host-gw routes to peers on the same segment, vxlan to the others.",
				"Pod 的网桥和地址与集群节点上的一样，只是用 host-gw 的 MTU；两个 Pod 互相可达：包穿过网线时外层就是 Pod 自己的地址，而 vxlan 在外层放的是节点的地址。host-gw 更省（不封装、完整 MTU），但只能在一个二层网段内；vxlan 可以跨越路由器，代价是每个包 50 字节。flannel 的 DirectRouting 把两者结合：同一网段的对端走 host-gw 路由，其余走 vxlan。"),
			Run: func(r *Run) error { return gwPods(r, pair) },
		}},
	})
}
