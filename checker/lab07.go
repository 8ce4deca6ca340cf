package checker

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/runtime"
)

// Lab 07: the pod network. A veth pair per Pod from eth0 to the node's
// bridge, host-local IPAM, pod to pod through the bridge, pod to beyond
// the node through MASQUERADE. Everything is read from netlink, the IPAM
// files and iptables, and tried with real packets from the pods' network
// namespaces.

const (
	lab07A = "lab07-a"
	lab07B = "lab07-b"
)

var lab07Pods = []string{lab07A, lab07B}

func lab07() []Check {
	return []Check{
		{ID: "07.bridge", Lab: "07", Points: 2,
			Title: "the node's bridge exists, is up and holds the gateway address of the pod subnet",
			Run:   checkBridge},
		{ID: "07.veth-pair", Lab: "07", Points: 3,
			Title: "each lab pod's eth0 holds the pod's IP and is one end of a veth pair whose other end is on the bridge",
			Run:   checkVethPairs},
		{ID: "07.ipam", Lab: "07", Points: 2,
			Title: "host-local IPAM: every reservation is held by a live pod's eth0, every pod on the bridge has one",
			Run:   checkIPAM},
		{ID: "07.pod-to-pod", Lab: "07", Points: 2,
			Title: "lab07-a reaches lab07-b through the bridge: ping and HTTP",
			Run:   checkPodToPod},
		{ID: "07.masquerade", Lab: "07", Points: 3,
			Title: "a pod reaches a network beyond the node, which has no route to the pods, through the MASQUERADE rule",
			Run:   checkMasquerade},
		{ID: "07.exercise-third-pod", Lab: "07", Points: 2, Exercise: true,
			Title: "a third pod of your own, started after the lab's two, reaches both through the bridge",
			Run:   checkThirdPod},
	}
}

// gatewayOf is the first address of the subnet, which the bridge holds:
// 10.244.0.1/24 for 10.244.0.0/24.
func gatewayOf(subnet *net.IPNet) string {
	ip := slices.Clone(subnet.IP.To4().Mask(subnet.Mask))
	ip[3]++ // the network address of a /30 or larger ends in zero bits
	return (&net.IPNet{IP: ip, Mask: subnet.Mask}).String()
}

// ipv4s lists addresses as "10.244.0.2/24", from AddrList(link, FAMILY_V4).
func ipv4s(list []netlink.Addr, _ error) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.IPNet.String())
	}
	return out
}

// holdsIP tells whether ip (without prefix) is among addrs.
func holdsIP(addrs []string, ip string) bool {
	return ip != "" && slices.ContainsFunc(addrs, func(a string) bool { return strings.HasPrefix(a, ip+"/") })
}

// podEth0 is a pod's eth0 as read inside its network namespace.
type podEth0 struct {
	link       netlink.Link
	addrs      []string
	peerInNode bool // the veth's other end is in the checker's (the node's) network namespace
}

func readEth0(p *pod) (*podEth0, error) {
	h, err := network.HandleAt(p.netns())
	if err != nil {
		return nil, err
	}
	defer h.Close()
	link, err := h.LinkByName(network.PodInterface)
	if err != nil {
		return nil, fmt.Errorf("pod %q: no %s in its network namespace: %w", p.state.Pod.Name, network.PodInterface, err)
	}
	e := &podEth0{link: link, addrs: ipv4s(h.AddrList(link, netlink.FAMILY_V4))}
	// The pod's namespace numbers the namespaces it sees (link-netnsid):
	// eth0's peer is in the node's if that is the number of the node's.
	if node, err := netns.GetFromPath(ns.Path(os.Getpid(), ns.Net)); err == nil {
		id, err := h.GetNetNsIdByFd(int(node))
		e.peerInNode = err == nil && link.Attrs().NetNsID >= 0 && id == link.Attrs().NetNsID
		node.Close()
	}
	return e, nil
}

// onBridge tells whether the runtime put the pod on the node's bridge.
func onBridge(p *pod, cfg *network.Config) bool {
	return p.state.Network != nil && p.state.NetConfig != nil && p.state.NetConfig.Bridge == cfg.Bridge
}

func checkBridge(ctx context.Context) Result {
	cfg := runtime.DefaultNetwork()
	var evidence []string
	for _, name := range lab07Pods {
		if p, err := findPod(name); err == nil && p.pause != 0 {
			evidence = append(evidence, fmt.Sprintf("pod %q runs (pause pid %d)", name, p.pause))
		}
	}
	if len(evidence) == 0 {
		return fail(runLab("07"), "no lab07 pod is running (the bridge goes with the last pod on it)")
	}
	link, err := netlink.LinkByName(cfg.Bridge)
	if err != nil {
		return fail(runLab("07"), append(evidence, fmt.Sprintf("link %q: %v", cfg.Bridge, err))...)
	}
	a := link.Attrs()
	addrs := ipv4s(netlink.AddrList(link, netlink.FAMILY_V4))
	gw := gatewayOf(cfg.Subnet)
	up := a.Flags&net.FlagUp != 0
	evidence = append(evidence, fmt.Sprintf("link %q: type %s, index %d, up %v (%s), addresses %v; the gateway of %s is %s",
		cfg.Bridge, link.Type(), a.Index, up, a.OperState, addrs, cfg.Subnet, gw))
	if link.Type() != "bridge" || !up || !slices.Contains(addrs, gw) {
		return fail("the bridge must be up and hold the gateway address; "+runLab("07"), evidence...)
	}
	return pass(evidence...)
}

func checkVethPairs(ctx context.Context) Result {
	cfg := runtime.DefaultNetwork()
	br, err := netlink.LinkByName(cfg.Bridge)
	if err != nil {
		return fail(runLab("07"), fmt.Sprintf("bridge %q: %v", cfg.Bridge, err))
	}
	var evidence []string
	ok := true
	for _, name := range lab07Pods {
		p, bad := runningPod(name, runLab("07"))
		if bad != nil {
			return *bad
		}
		ev, good := vethPair(p, br)
		evidence = append(evidence, ev)
		ok = ok && good
	}
	if !ok {
		return fail("each pod needs eth0 with its IP, whose veth peer is on the bridge; "+runLab("07"), evidence...)
	}
	return pass(evidence...)
}

// vethPair follows a pod's eth0 to the other end of its veth pair. A
// veth's peer index (IFLA_LINK, ParentIndex) is the index of the other end
// in the other end's namespace, here the node's.
func vethPair(p *pod, br netlink.Link) (string, bool) {
	name, ip := p.state.Pod.Name, p.state.IP()
	e, err := readEth0(p)
	if err != nil {
		return err.Error(), false
	}
	ea := e.link.Attrs()
	ev := fmt.Sprintf("pod %q (IP %s): eth0 (%s, index %d) holds %v, peer index %d in the node's namespace: %v",
		name, ip, e.link.Type(), ea.Index, e.addrs, ea.ParentIndex, e.peerInNode)
	peer, err := netlink.LinkByIndex(ea.ParentIndex)
	if err != nil {
		return ev + fmt.Sprintf("; node link %d: %v", ea.ParentIndex, err), false
	}
	pa := peer.Attrs()
	ev += fmt.Sprintf("; node link %d is %q (%s), master index %d (bridge %q is %d), its peer index %d",
		pa.Index, pa.Name, peer.Type(), pa.MasterIndex, br.Attrs().Name, br.Attrs().Index, pa.ParentIndex)
	ok := holdsIP(e.addrs, ip) && e.link.Type() == "veth" && e.peerInNode && peer.Type() == "veth" &&
		pa.MasterIndex == br.Attrs().Index && pa.ParentIndex == ea.Index
	return ev, ok
}

func checkIPAM(ctx context.Context) Result {
	cfg := runtime.DefaultNetwork()
	held, err := cfg.Reservations()
	if err != nil {
		return fail(runLab("07"), err.Error())
	}
	running, err := allPods()
	if err != nil {
		return fail(runLab("07"), err.Error())
	}
	live := map[string]*pod{} // by uid
	for _, p := range running {
		live[p.state.Pod.UID] = p
	}
	known := map[string]string{} // uid -> name, dead pods included
	if rt, err := runtime.New(); err == nil {
		all, _ := rt.Pods()
		for _, ps := range all {
			known[ps.Pod.UID] = ps.Pod.Name
		}
	}
	var evidence []string
	ok := true
	byAddress := func(x, y string) int { return netip.MustParseAddr(x).Compare(netip.MustParseAddr(y)) }
	for _, ip := range slices.SortedFunc(maps.Keys(held), byAddress) {
		ev, good := reservation(ip, held[ip], live[held[ip]], known[held[ip]])
		evidence = append(evidence, fmt.Sprintf("%s/%s: %s", cfg.StateDir, ip, ev))
		ok = ok && good
	}
	for _, p := range running {
		if onBridge(p, cfg) && held[p.state.IP()] != p.state.Pod.UID {
			evidence = append(evidence, fmt.Sprintf("pod %q on %s (IP %s) has no reservation", p.state.Pod.Name, cfg.Bridge, p.state.IP()))
			ok = false
		}
	}
	for _, name := range lab07Pods {
		p, bad := runningPod(name, runLab("07"))
		if bad != nil {
			return fail(runLab("07"), append(evidence, bad.Evidence...)...)
		}
		if held[p.state.IP()] != p.state.Pod.UID {
			ok = false
		}
	}
	if !ok {
		return fail("the reservations must match the addresses the pods hold; "+runLab("07"), evidence...)
	}
	return pass(evidence...)
}

// reservation judges one IPAM file: it must belong to a live pod whose
// eth0 holds the address. A pod whose sandbox died keeps its address
// until it is removed, as a Kubernetes sandbox does until the kubelet
// tears it down; an address of no pod at all has leaked.
func reservation(ip, uid string, p *pod, name string) (string, bool) {
	switch {
	case p != nil:
		e, err := readEth0(p)
		if err != nil {
			return fmt.Sprintf("pod %q (uid %s): %v", p.state.Pod.Name, uid, err), false
		}
		return fmt.Sprintf("pod %q (uid %s), whose eth0 holds %v", p.state.Pod.Name, uid, e.addrs), holdsIP(e.addrs, ip)
	case name != "":
		return fmt.Sprintf("pod %q (uid %s), whose sandbox is dead: released when the pod is removed", name, uid), true
	default:
		return fmt.Sprintf("uid %s: no such pod, a leaked reservation", uid), false
	}
}

// reaches fetches ip:8080 from inside a pod's network namespace and tells
// whether the pod named want answered.
func reaches(from *pod, want *pod) (string, bool) {
	addr := want.state.IP() + ":8080"
	reply, err := dial(from.netns(), addr)
	if err != nil {
		return fmt.Sprintf("from %q: GET http://%s/: %v", from.state.Pod.Name, addr, err), false
	}
	status, _, _ := strings.Cut(reply, "\r\n")
	_, body, _ := strings.Cut(reply, "\r\n\r\n")
	ok := strings.Contains(body, "hostname: "+want.state.Pod.Name+"\n")
	return fmt.Sprintf("from %q: GET http://%s/: %s: %s", from.state.Pod.Name, addr, status,
		strings.ReplaceAll(strings.TrimSpace(body), "\n", " | ")), ok
}

func checkPodToPod(ctx context.Context) Result {
	a, bad := runningPod(lab07A, runLab("07"))
	if bad != nil {
		return *bad
	}
	b, bad := runningPod(lab07B, runLab("07"))
	if bad != nil {
		return *bad
	}
	ev, ok := reaches(a, b)
	pingErr := network.Ping(a.netns(), net.ParseIP(b.state.IP()), 2*time.Second)
	evidence := []string{ev, fmt.Sprintf("ping %s from %q: %s", b.state.IP(), lab07A, replyOr(pingErr))}
	if !ok || pingErr != nil {
		return fail(runLab("07"), evidence...)
	}
	return pass(evidence...)
}

func replyOr(err error) string {
	if err != nil {
		return err.Error()
	}
	return "reply"
}

func checkMasquerade(ctx context.Context) Result {
	cfg := runtime.DefaultNetwork()
	a, bad := runningPod(lab07A, runLab("07"))
	if bad != nil {
		return *bad
	}
	rule, before, err := cfg.Masquerade()
	if err != nil || rule == "" {
		return fail(runLab("07"), fmt.Sprintf("nat POSTROUTING: no MASQUERADE rule for %s (%v)", cfg.Subnet, err))
	}
	upstream := network.UplinkPath(network.UplinkNetNS)
	peer, _, _ := net.ParseCIDR(network.UplinkPeerCIDR)
	pingErr := network.Ping(a.netns(), peer, 2*time.Second)
	_, after, _ := cfg.Masquerade()
	forward, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward") // this thread's netns: the node's
	evidence := []string{
		fmt.Sprintf("nat POSTROUTING: %s; packets %d, %d after the ping", rule, before, after),
		fmt.Sprintf("net.ipv4.ip_forward = %s", strings.TrimSpace(string(forward))),
		fmt.Sprintf("ping %s (the upstream %s) from %q: %s", peer, upstream, lab07A, replyOr(pingErr)),
	}
	// Without a route back to the pods, the upstream can only have answered
	// the node's own address: the ping's source was rewritten.
	h, err := network.HandleAt(upstream)
	routeBack := err
	if err == nil {
		_, routeBack = h.RouteGet(net.ParseIP(a.state.IP()))
		h.Close()
		evidence = append(evidence, fmt.Sprintf("the upstream's route to %s: %s", a.state.IP(), replyOr(routeBack)))
	}
	if after == 0 || pingErr != nil || routeBack == nil {
		return fail(runLab("07"), evidence...)
	}
	return pass(evidence...)
}

// The exercise: a pod of the student's own, started after the lab's two,
// on the bridge with an address from IPAM, from whose network namespace
// both lab pods answer.
func checkThirdPod(ctx context.Context) Result {
	const hint = `run a pod of your own (busybox, sleep 3600) with sudo bin/podlab pod run -f third.yaml, then: sudo bin/podlab pod exec third -- wget -qO- <IP of lab07-a>:8080`
	a, bad := runningPod(lab07A, runLab("07"))
	if bad != nil {
		return *bad
	}
	b, bad := runningPod(lab07B, runLab("07"))
	if bad != nil {
		return *bad
	}
	cfg := runtime.DefaultNetwork()
	held, _ := cfg.Reservations()
	pods, err := allPods()
	if err != nil {
		return fail(hint, err.Error())
	}
	var evidence []string
	for _, p := range pods {
		name := p.state.Pod.Name
		if isLabContainer(name) || !onBridge(p, cfg) {
			continue
		}
		if held[p.state.IP()] != p.state.Pod.UID {
			evidence = append(evidence, fmt.Sprintf("pod %q: no reservation for its IP %s", name, p.state.IP()))
			continue
		}
		// The kernel's start times (verified by findPod) say which pod came
		// third: one left from another lab does not count.
		if p.state.Pause.Start < max(a.state.Pause.Start, b.state.Pause.Start) {
			evidence = append(evidence, fmt.Sprintf("pod %q started before the lab's pods: the third pod joins them", name))
			continue
		}
		evA, okA := reaches(p, a)
		evB, okB := reaches(p, b)
		evidence = append(evidence, evA, evB)
		if okA && okB {
			return pass(evidence...)
		}
	}
	if len(evidence) == 0 {
		evidence = append(evidence, "no running pod on "+cfg.Bridge+" besides the labs'")
	}
	return fail(hint, evidence...)
}
