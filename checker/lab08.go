package checker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	podcluster "github.com/podlab/podlab/core/cluster"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/overlay"
)

// Lab 08: the overlay network. Each node's lease is read from etcd and
// compared with what the node's kernel holds; flannel.1, its neighbour,
// FDB and route entries are read with netlink in each node's network
// namespace (the local cluster's state names it); traffic is sent from
// inside the pods' network namespaces, and the counters of the devices
// must move. The host-gw pair the lab builds beside the cluster is read
// the same way. Every check starts from what the lab made (the pods
// overlay-a and overlay-b in namespace lab08, the host-gw pair), so a
// fresh cluster, whose overlay is there already, fails them. On a cluster
// of machines (Vagrant) the nodes' kernels are not this machine's: there
// the checks do not apply.

const (
	lab08NS   = "lab08"
	hintLab08 = "run the lab: sudo bin/lab08-overlay-network --auto (on a cluster of 2 nodes or more: sudo podlab up --nodes 3)"
	// lab08Elsewhere is why lab 08's checks do not apply on a cluster of
	// machines.
	lab08Elsewhere = "lab 08 reads each node's kernel from this machine: it runs on the local cluster (sudo podlab up), not on a cluster of machines"
)

func lab08() []Check {
	checks := []Check{
		{ID: "08.lease", Lab: "08", Points: 2,
			Title: "the nodes of overlay-a and overlay-b hold the pods' IPs in their podCIDR, and their leases (backend vxlan, public IP, VTEP MAC) are in etcd and match the kernel",
			Run:   checkLease},
		{ID: "08.vxlan-device", Lab: "08", Points: 3,
			Title: "on the node of each lab pod: flannel.1, VNI 1, UDP 8472, learning off, local = node IP on eth0, MTU = eth0's − 50, address <subnet>.0/32; the pod's eth0 has that MTU",
			Run:   checkVXLANDevice},
		{ID: "08.peer-entries", Lab: "08", Points: 3,
			Title: "each lab pod's node holds, for the other's node, a permanent neighbour (.0 → VTEP MAC), FDB entry (MAC → node IP) and onlink route (subnet via .0 dev flannel.1)",
			Run:   checkPeerEntries},
		{ID: "08.pod-to-pod", Lab: "08", Points: 2,
			Title: "from overlay-a's network namespace, overlay-b on another node answers ping and HTTP, and sees overlay-a's own IP as the client (no NAT)",
			Run:   checkOverlayPodToPod},
		{ID: "08.encapsulation", Lab: "08", Points: 3,
			Title: "pings from overlay-a to overlay-b move flannel.1's TX and eth0's TX on a's node, flannel.1's RX and the UDP datagrams received on b's node",
			Run:   checkEncapsulation},
		{ID: "08.host-gw", Lab: "08", Points: 3,
			Title: "the host-gw pair: no flannel.1, a route to the peer's pod subnet via the peer's node IP on eth0, MTU 1500 for the pods, and their pods ping each other",
			Run:   checkHostGW},
		{ID: "08.exercise-third-node", Lab: "08", Points: 2, Exercise: true,
			Title: "3 Ready nodes or more, a pod overlay-c in lab08 on a node that runs neither overlay-a nor overlay-b, reached from overlay-a, and every node's flannel.1 holds every other node's entries",
			Run:   checkThirdNode},
	}
	// Every check reads the nodes' kernels from this machine.
	for i := range checks {
		checks[i].NotApplicable = onlyOnLocalCluster(lab08Elsewhere)
	}
	return checks
}

// lab08View is what every check of lab 08 reads first: the cluster, its
// local state (each node's network namespace), its nodes.
type lab08View struct {
	c     *cluster
	state *podcluster.State
	nodes map[string]*api.Node
}

// lab08Connect reads the view and finds the lab's pods, overlay-a and
// overlay-b, which must run on two nodes: where every check of lab 08 but
// host-gw starts.
func lab08Connect(ctx context.Context) (*lab08View, []*lab08Pod, *Result) {
	c, bad := connectCluster()
	if bad != nil {
		return nil, nil, bad
	}
	st, err := podcluster.Load()
	if err == nil && st == nil {
		err = errors.New("no local cluster state: lab 08's checks read the nodes' kernels, on the machine of a local cluster")
	}
	if err != nil {
		r := fail(hintNoCluster, err.Error())
		return nil, nil, &r
	}
	list, _, err := c.api.Nodes().List(ctx, client.ListOptions{})
	if err != nil {
		r := fail(hintNoCluster, "nodes: "+err.Error())
		return nil, nil, &r
	}
	v := &lab08View{c: c, state: st, nodes: map[string]*api.Node{}}
	for _, n := range list {
		v.nodes[n.Name] = n
	}
	pods, bad := v.labPods(ctx)
	if bad != nil {
		return nil, nil, bad
	}
	return v, pods, nil
}

// netns is the network namespace of a node, "" if the state has none.
func (v *lab08View) netns(node string) string {
	for _, n := range v.state.Nodes {
		if n.Name == node {
			return network.NetNSPath(n.NetNS)
		}
	}
	return ""
}

// lab08Pod is a lab pod that runs: its node, its IP, its network
// namespace (the pause's, as its node's API inspects it).
type lab08Pod struct {
	pod   *api.Pod
	node  *api.Node
	ip    netip.Addr
	netns string
}

func (v *lab08View) runningPod(ctx context.Context, name, hint string) (*lab08Pod, *Result) {
	p, bad := v.c.pod(ctx, lab08NS, name, hint)
	if bad != nil {
		return nil, bad
	}
	ip, err := netip.ParseAddr(p.Status.PodIP)
	node := v.nodes[p.Spec.NodeName]
	if p.Status.Phase != api.PodRunning || err != nil || node == nil || v.netns(node.Name) == "" {
		r := fail(hint, fmt.Sprintf("pod %s/%s: phase %s, podIP %q, node %q (known to the local cluster: %v)", lab08NS, name, p.Status.Phase, p.Status.PodIP, p.Spec.NodeName, node != nil && v.netns(node.Name) != ""))
		return nil, &r
	}
	in, err := v.c.inspect(ctx, p)
	if err != nil || !in.Sandbox.Alive {
		r := fail(hint, fmt.Sprintf("pod %s/%s: its node does not show its pause alive (%v)", lab08NS, name, err))
		return nil, &r
	}
	return &lab08Pod{pod: p, node: node, ip: ip, netns: ns.Path(in.Sandbox.PID, ns.Net)}, nil
}

// labPods are overlay-a and overlay-b, which must run on two nodes.
func (v *lab08View) labPods(ctx context.Context) ([]*lab08Pod, *Result) {
	var pods []*lab08Pod
	for _, name := range []string{"overlay-a", "overlay-b"} {
		p, bad := v.runningPod(ctx, name, hintLab08)
		if bad != nil {
			return nil, bad
		}
		pods = append(pods, p)
	}
	if pods[0].node.Name == pods[1].node.Name {
		r := fail(hintLab08, fmt.Sprintf("overlay-a and overlay-b both run on %s: the overlay joins two nodes", pods[0].node.Name))
		return nil, &r
	}
	return pods, nil
}

func lab08InternalIP(n *api.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == api.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}

// holdsPeer says whether d holds the three entries of lease l, and what
// it found.
func holdsPeer(d *overlay.Device, l overlay.Lease) (bool, string) {
	mac, gw := l.VtepMAC.String(), l.Subnet.Addr()
	var neigh, fdb, route string
	for _, n := range d.Neighs {
		if a, _ := netip.AddrFromSlice(n.IP); a.Unmap() == gw && n.HardwareAddr.String() == mac && n.State&netlink.NUD_PERMANENT != 0 {
			neigh = fmt.Sprintf("neigh %s lladdr %s PERMANENT", gw, mac)
		}
	}
	for _, n := range d.FDB {
		if a, _ := netip.AddrFromSlice(n.IP); a.Unmap() == l.PublicIP && n.HardwareAddr.String() == mac &&
			n.Flags&netlink.NTF_SELF != 0 && n.State&netlink.NUD_PERMANENT != 0 {
			fdb = fmt.Sprintf("fdb %s dst %s self permanent", mac, l.PublicIP)
		}
	}
	for _, r := range d.Routes {
		if r.Dst != nil && r.Dst.String() == l.Subnet.String() && r.Gw != nil && r.Gw.Equal(gw.AsSlice()) &&
			r.Flags&int(netlink.FLAG_ONLINK) != 0 && r.LinkIndex == d.Link.Index {
			route = fmt.Sprintf("route %s via %s dev %s onlink", l.Subnet, gw, overlay.VXLANDevice)
		}
	}
	missing := func(s, what string) string {
		if s == "" {
			return "no " + what
		}
		return s
	}
	return neigh != "" && fdb != "" && route != "", fmt.Sprintf("for %s (%s, VTEP %s at %s): %s; %s; %s", l.Node, l.Subnet, mac, l.PublicIP,
		missing(neigh, "neighbour "+gw.String()+" → "+mac), missing(fdb, "FDB entry "+mac+" → "+l.PublicIP.String()), missing(route, "route "+l.Subnet.String()+" onlink"))
}

func checkLease(ctx context.Context) Result {
	v, pods, bad := lab08Connect(ctx)
	if bad != nil {
		return *bad
	}
	return judgeStored(ctx, pods, "each node's lease must be in etcd and match its flannel.1; "+hintLab08,
		func(db *clientv3.Client, p *lab08Pod) (string, bool, *Result) {
			n := p.node
			cidr, err := netip.ParsePrefix(n.Spec.PodCIDR)
			inCIDR := err == nil && cidr.Contains(p.ip)
			key := "/registry/nodes/" + n.Name
			resp, err := db.Get(ctx, key)
			if err != nil || len(resp.Kvs) == 0 {
				r := fail(hintNoCluster, fmt.Sprintf("etcd get %s: %v", key, err))
				return "", false, &r
			}
			var stored api.Node
			err = json.Unmarshal(resp.Kvs[0].Value, &stored)
			l, leased := overlay.LeaseOf(&stored)
			var data struct{ VNI int }
			json.Unmarshal([]byte(stored.Annotations[overlay.AnnotationBackendData]), &data)
			d, ferr := overlay.ReadDevice(v.netns(n.Name))
			kernelMAC := "none"
			if ferr == nil {
				kernelMAC = d.Link.HardwareAddr.String()
			}
			evidence := fmt.Sprintf("%s runs on %s, podCIDR %s (contains it: %v); etcd %s at revision %d: backend-type %q, public-ip %q (InternalIP %s), backend-data %s; %s MAC in the node's kernel %s",
				p.pod.Name, n.Name, n.Spec.PodCIDR, inCIDR, key, resp.Kvs[0].ModRevision, stored.Annotations[overlay.AnnotationBackendType],
				stored.Annotations[overlay.AnnotationPublicIP], lab08InternalIP(n), stored.Annotations[overlay.AnnotationBackendData], overlay.VXLANDevice, kernelMAC)
			ok := err == nil && inCIDR && leased && l.BackendType == overlay.VXLAN && data.VNI == 1 &&
				l.PublicIP.String() == lab08InternalIP(n) && l.Subnet.String() == n.Spec.PodCIDR && ferr == nil && l.VtepMAC.String() == kernelMAC
			return evidence, ok, nil
		})
}

func checkVXLANDevice(ctx context.Context) Result {
	v, pods, bad := lab08Connect(ctx)
	if bad != nil {
		return *bad
	}
	var evidence []string
	ok := true
	for _, p := range pods {
		dev, err := overlay.ReadDevice(v.netns(p.node.Name))
		if err != nil {
			return fail(hintLab08, append(evidence, err.Error())...)
		}
		l, _ := overlay.LeaseOf(p.node)
		podMTU := 0
		if h, err := network.HandleAt(p.netns); err == nil {
			if eth0, err := h.LinkByName(network.PodInterface); err == nil {
				podMTU = eth0.Attrs().MTU
			}
			h.Close()
		}
		d, ext := dev.Link, dev.Underlay
		want := netip.PrefixFrom(l.Subnet.Addr(), 32)
		up := d.Flags&net.FlagUp != 0
		evidence = append(evidence, fmt.Sprintf("%s on %s: vxlan id %d, dstport %d, learning %v, local %s dev %s (MTU %d), MTU %d, up %v, addresses %v (want %s); %s's eth0 MTU %d",
			overlay.VXLANDevice, p.node.Name, d.VxlanId, d.Port, d.Learning, d.SrcAddr, ext.Attrs().Name, ext.Attrs().MTU, d.MTU, up, dev.Addrs, want, p.pod.Name, podMTU))
		ok = ok && d.VxlanId == 1 && d.Port == 8472 && !d.Learning && d.SrcAddr.String() == lab08InternalIP(p.node) &&
			ext.Attrs().Name == podcluster.NodeInterface && d.MTU == ext.Attrs().MTU-50 && up &&
			slices.Equal(dev.Addrs, []netip.Prefix{want}) && podMTU == d.MTU
	}
	return passIf(ok, "flannel.1 must be as flannel makes it, and the pods' MTU its MTU; "+hintLab08, evidence...)
}

func checkPeerEntries(ctx context.Context) Result {
	v, pods, bad := lab08Connect(ctx)
	if bad != nil {
		return *bad
	}
	var evidence []string
	ok := true
	for i, p := range pods {
		other := pods[1-i].node
		l, leased := overlay.LeaseOf(other)
		d, err := overlay.ReadDevice(v.netns(p.node.Name))
		if err != nil || !leased {
			return fail(hintLab08, fmt.Sprintf("%s: %v (lease of %s published: %v)", p.node.Name, err, other.Name, leased))
		}
		has, what := holdsPeer(d, l)
		evidence = append(evidence, p.node.Name+" "+what)
		ok = ok && has
	}
	return passIf(ok, "the podlet programs each peer from its lease; "+hintLab08, evidence...)
}

// lab08Get asks addr for path from inside a network namespace and returns
// the body and the address the socket is connected to.
func lab08Get(netnsPath, addr, path string) (body, remote string, err error) {
	var conn net.Conn
	err = ns.Do(map[ns.Type]string{ns.Net: netnsPath}, func() (err error) {
		conn, err = net.DialTimeout("tcp", addr, 2*time.Second)
		return err
	})
	if err != nil {
		return "", "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, addr)
	reply, err := io.ReadAll(conn)
	_, body, _ = strings.Cut(strings.ReplaceAll(string(reply), "\r\n", "\n"), "\n\n")
	return strings.TrimSpace(body), conn.RemoteAddr().String(), err
}

// lab08Reach pings to and asks its web server who called, from inside
// from's network namespace.
func lab08Reach(from, to *lab08Pod) (bool, string) {
	pingErr := network.Ping(from.netns, to.ip.AsSlice(), 2*time.Second)
	body, remote, err := lab08Get(from.netns, netip.AddrPortFrom(to.ip, 8080).String(), "/cgi-bin/whoami")
	want := to.pod.Name + " sees the client " + from.ip.String()
	ok := pingErr == nil && err == nil && body == want && remote == netip.AddrPortFrom(to.ip, 8080).String()
	return ok, fmt.Sprintf("from %s (%s on %s) to %s (%s on %s): ping %v; GET /cgi-bin/whoami connected to %s, answer %q (%v), want %q",
		from.pod.Name, from.ip, from.node.Name, to.pod.Name, to.ip, to.node.Name, errOr(pingErr, "reply"), remote, body, err, want)
}

func errOr(err error, ok string) string {
	if err != nil {
		return err.Error()
	}
	return ok
}

func checkOverlayPodToPod(ctx context.Context) Result {
	_, pods, bad := lab08Connect(ctx)
	if bad != nil {
		return *bad
	}
	ok, evidence := lab08Reach(pods[0], pods[1])
	return passIf(ok, "overlay-b must answer overlay-a and see its own pod IP; "+hintLab08, evidence)
}

func checkEncapsulation(ctx context.Context) Result {
	v, pods, bad := lab08Connect(ctx)
	if bad != nil {
		return *bad
	}
	const pings = 20
	a, b := pods[0], pods[1]
	na, nb := v.netns(a.node.Name), v.netns(b.node.Name)
	counters := []struct {
		what string
		read func() (uint64, error)
	}{
		{fmt.Sprintf("%s TX packets on %s", overlay.VXLANDevice, a.node.Name), txPackets(na, overlay.VXLANDevice)},
		{fmt.Sprintf("eth0 TX packets on %s", a.node.Name), txPackets(na, podcluster.NodeInterface)},
		{fmt.Sprintf("UDP datagrams received on %s", b.node.Name), func() (uint64, error) { return network.UDPInDatagrams(nb) }},
		{fmt.Sprintf("%s RX packets on %s", overlay.VXLANDevice, b.node.Name), rxPackets(nb, overlay.VXLANDevice)},
	}
	before := make([]uint64, len(counters))
	for i, k := range counters {
		var err error
		if before[i], err = k.read(); err != nil {
			return fail(hintLab08, k.what+": "+err.Error())
		}
	}
	replies := 0
	for range pings {
		if network.Ping(a.netns, b.ip.AsSlice(), 2*time.Second) == nil {
			replies++
		}
	}
	evidence := []string{fmt.Sprintf("%d pings from %s (%s) to %s (%s): %d replies", pings, a.pod.Name, a.ip, b.pod.Name, b.ip, replies)}
	ok := replies == pings
	for i, k := range counters {
		after, err := k.read()
		if err != nil {
			return fail(hintLab08, append(evidence, k.what+": "+err.Error())...)
		}
		evidence = append(evidence, fmt.Sprintf("%s: %d → %d (+%d)", k.what, before[i], after, after-before[i]))
		ok = ok && after-before[i] >= pings
	}
	return passIf(ok, "every ping must be wrapped on a's node and unwrapped on b's; "+hintLab08, evidence...)
}

// txPackets and rxPackets read a link's packet counters when called.
func txPackets(netnsPath, name string) func() (uint64, error) {
	return func() (uint64, error) {
		_, tx, err := network.Counters(netnsPath, name)
		return tx, err
	}
}

func rxPackets(netnsPath, name string) func() (uint64, error) {
	return func() (uint64, error) {
		rx, _, err := network.Counters(netnsPath, name)
		return rx, err
	}
}

// The host-gw pair of the lab: <prefix>-gw1 and <prefix>-gw2, each with
// a pod network namespace <prefix>-gwN-pod (cmd/lab08-overlay-network).
type gwNodeState struct {
	name, netns, pod string
	addr             netip.Addr   // eth0's
	podIP            netip.Prefix // the pod's eth0
	eth0MTU, podMTU  int
	vxlan            bool
	routes           []netlink.Route
	eth0Index        int
}

func readGWNode(prefix, name string) (*gwNodeState, error) {
	g := &gwNodeState{name: name, netns: prefix + "-" + name, pod: prefix + "-" + name + "-pod"}
	h, err := network.HandleAt(network.NetNSPath(g.netns))
	if err != nil {
		return nil, err
	}
	defer h.Close()
	_, err = h.LinkByName(overlay.VXLANDevice)
	g.vxlan = err == nil
	eth0, err := h.LinkByName(podcluster.NodeInterface)
	if err != nil {
		return nil, fmt.Errorf("eth0 in %s: %w", g.netns, err)
	}
	g.eth0MTU, g.eth0Index = eth0.Attrs().MTU, eth0.Attrs().Index
	if addrs, _ := h.AddrList(eth0, netlink.FAMILY_V4); len(addrs) > 0 {
		g.addr, _ = netip.AddrFromSlice(addrs[0].IP.To4())
	}
	if g.routes, err = network.RetryDump(func() ([]netlink.Route, error) { return h.RouteList(nil, netlink.FAMILY_V4) }); err != nil {
		return nil, err
	}
	p, err := network.HandleAt(network.NetNSPath(g.pod))
	if err != nil {
		return nil, err
	}
	defer p.Close()
	pe, err := p.LinkByName(network.PodInterface)
	if err != nil {
		return nil, fmt.Errorf("eth0 in %s: %w", g.pod, err)
	}
	g.podMTU = pe.Attrs().MTU
	if addrs, _ := p.AddrList(pe, netlink.FAMILY_V4); len(addrs) > 0 {
		if a, ok := netip.AddrFromSlice(addrs[0].IP.To4()); ok {
			ones, _ := addrs[0].Mask.Size()
			g.podIP = netip.PrefixFrom(a, ones)
		}
	}
	return g, nil
}

func checkHostGW(ctx context.Context) Result {
	st, err := podcluster.Load()
	if err != nil || st == nil {
		return fail(hintNoCluster, fmt.Sprintf("no local cluster state (%v): the host-gw pair is named after the cluster's prefix", err))
	}
	var pair []*gwNodeState
	for _, name := range []string{"gw1", "gw2"} {
		g, err := readGWNode(st.Config.Prefix, name)
		if err != nil {
			return fail(hintLab08, err.Error())
		}
		pair = append(pair, g)
	}
	var evidence []string
	ok := true
	for i, g := range pair {
		peer := pair[1-i]
		route := "none"
		routed := false
		for _, r := range g.routes {
			if r.Dst != nil && r.Dst.String() == peer.podIP.Masked().String() {
				route = fmt.Sprintf("%s via %v dev index %d (eth0 is %d), onlink %v", r.Dst, r.Gw, r.LinkIndex, g.eth0Index, r.Flags&int(netlink.FLAG_ONLINK) != 0)
				routed = r.Gw != nil && r.Gw.Equal(peer.addr.AsSlice()) && r.LinkIndex == g.eth0Index && r.Flags&int(netlink.FLAG_ONLINK) == 0
			}
		}
		pingErr := network.Ping(network.NetNSPath(g.pod), peer.podIP.Addr().AsSlice(), 2*time.Second)
		evidence = append(evidence, fmt.Sprintf("%s (eth0 %s, MTU %d): %s present %v; route to %s's pods: %s; pod %s eth0 %s MTU %d; ping %s: %s",
			g.netns, g.addr, g.eth0MTU, overlay.VXLANDevice, g.vxlan, peer.name, route, g.pod, g.podIP, g.podMTU, peer.podIP.Addr(), errOr(pingErr, "reply")))
		ok = ok && !g.vxlan && routed && g.eth0MTU == 1500 && g.podMTU == g.eth0MTU && pingErr == nil
	}
	return passIf(ok, "host-gw routes to the peer's node IP, unencapsulated, at the full MTU; "+hintLab08, evidence...)
}

func checkThirdNode(ctx context.Context) Result {
	const hint = "add a third node (sudo bin/podlab node add) and run a pod overlay-c in namespace lab08 on it; see labs/08-overlay-network"
	v, pods, bad := lab08Connect(ctx)
	if bad != nil {
		return *bad
	}
	c, bad := v.runningPod(ctx, "overlay-c", hint)
	if bad != nil {
		return *bad
	}
	var ready []*api.Node
	for _, n := range v.nodes {
		if slices.ContainsFunc(n.Status.Conditions, func(c api.NodeCondition) bool { return c.Type == api.NodeReady && c.Status == api.ConditionTrue }) {
			ready = append(ready, n)
		}
	}
	slices.SortFunc(ready, func(a, b *api.Node) int { return strings.Compare(a.Name, b.Name) })
	evidence := []string{fmt.Sprintf("%d Ready nodes; overlay-a on %s, overlay-b on %s, overlay-c on %s", len(ready), pods[0].node.Name, pods[1].node.Name, c.node.Name)}
	ok := len(ready) >= 3 && c.node.Name != pods[0].node.Name && c.node.Name != pods[1].node.Name
	reached, what := lab08Reach(pods[0], c)
	evidence = append(evidence, what)
	ok = ok && reached
	for _, n := range ready {
		d, err := overlay.ReadDevice(v.netns(n.Name))
		if err != nil {
			evidence = append(evidence, n.Name+": "+err.Error())
			ok = false
			continue
		}
		var missing []string
		for _, peer := range ready {
			l, leased := overlay.LeaseOf(peer)
			if peer.Name == n.Name {
				continue
			}
			if has, what := holdsPeer(d, l); !has || !leased {
				missing = append(missing, what)
			}
		}
		if len(missing) > 0 {
			ok = false
			evidence = append(evidence, n.Name+" lacks: "+strings.Join(missing, " | "))
		} else {
			evidence = append(evidence, fmt.Sprintf("%s: neighbour, FDB entry and route for each of the %d other nodes", n.Name, len(ready)-1))
		}
	}
	return passIf(ok, hint, evidence...)
}
