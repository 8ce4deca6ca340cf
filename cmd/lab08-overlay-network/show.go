package main

import (
	"fmt"
	"io"
	"maps"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/api"
	podcluster "github.com/podlab/podlab/core/cluster"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/overlay"
	. "github.com/podlab/podlab/core/steps"
)

// The bodies of the lab's steps: each reads what the kernel or the
// cluster holds and reports it with real values.

// showLeases shows every Ready node's lease: its podCIDR, and the
// annotations its podlet published, as the API serves them and as etcd
// stores them.
func showLeases(r *Run, c *cluster) error {
	for _, n := range c.nodes {
		l := lease(n)
		r.Value(n.Name, fmt.Sprintf("podCIDR %s, InternalIP %s", n.Spec.PodCIDR, internalIP(n)))
		for _, k := range []string{overlay.AnnotationBackendType, overlay.AnnotationPublicIP, overlay.AnnotationBackendData} {
			r.Value("  "+k, n.Annotations[k])
		}
		key, rev, stored, err := c.storedNode(r.Ctx, n.Name)
		if err != nil {
			return err
		}
		same := maps.EqualFunc(n.Annotations, stored.Annotations, func(a, b string) bool { return a == b })
		r.Value("  etcd "+key, fmt.Sprintf("revision %d, the same annotations: %v; lease %s", rev, same, l))
	}
	r.Command("podlab get node %s -o yaml | grep -A5 annotations", c.nodes[0].Name)
	return nil
}

func internalIP(n *api.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == api.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}

// showPods shows where the pods run, and that each IP is from its
// node's podCIDR.
func showPods(r *Run, c *cluster, pods ...*api.Pod) {
	for _, p := range pods {
		cidr := ""
		for _, n := range c.nodes {
			if n.Name == p.Spec.NodeName {
				cidr = n.Spec.PodCIDR
			}
		}
		r.Value(p.Name, fmt.Sprintf("IP %s on %s, whose podCIDR is %s", p.Status.PodIP, p.Spec.NodeName, cidr))
	}
	r.Command("podlab get pods -n %s -o wide", namespace)
}

// showDevice shows flannel.1 on the node of pod a, the lease's VTEP MAC,
// and the MTU of the pod's eth0.
func showDevice(r *Run, c *cluster, a *api.Pod, podNS string) error {
	node, netnsPath := a.Spec.NodeName, c.netns(a.Spec.NodeName)
	desc, vx, err := device(netnsPath)
	if err != nil {
		return err
	}
	r.Value(overlay.VXLANDevice+" on "+node, desc)
	for _, n := range c.nodes {
		if n.Name == node {
			l := lease(n)
			r.Value("VtepMAC in the lease of "+node, fmt.Sprintf("%s, the same as the device's: %v", l.VtepMAC, l.VtepMAC.String() == vx.HardwareAddr.String()))
		}
	}
	h, err := network.HandleAt(podNS)
	if err != nil {
		return err
	}
	defer h.Close()
	eth0, err := h.LinkByName(network.PodInterface)
	if err != nil {
		return fmt.Errorf("find eth0 of pod %q: %w", a.Name, err)
	}
	r.Value("eth0 of "+a.Name, fmt.Sprintf("MTU %d", eth0.Attrs().MTU))
	r.Command("ip -n %s -d link show %s; ip -n %s addr show %s", filepath.Base(netnsPath), overlay.VXLANDevice, filepath.Base(netnsPath), overlay.VXLANDevice)
	return nil
}

// showPeers shows, on node, the route, neighbour and FDB entry of every
// other node, each next to that node's lease.
func showPeers(r *Run, c *cluster, node string) error {
	entries, err := peerEntries(c.netns(node))
	if err != nil {
		return err
	}
	for _, n := range c.nodes {
		if n.Name == node {
			continue
		}
		l := lease(n)
		e, ok := entries[l.PublicIP.String()]
		if !ok {
			return fmt.Errorf("node %q has no entries for node %q (%s at %s) on %q", node, n.Name, l.Subnet, l.PublicIP, overlay.VXLANDevice)
		}
		r.Value(fmt.Sprintf("%s (%s, VTEP %s at %s)", n.Name, l.Subnet, l.VtepMAC, l.PublicIP), strings.Join(e, "; "))
	}
	netns := filepath.Base(c.netns(node))
	r.Command("ip -n %s route show dev %s; ip -n %s neigh show dev %s; bridge -n %s fdb show dev %s", netns, overlay.VXLANDevice, netns, overlay.VXLANDevice, netns, overlay.VXLANDevice)
	return nil
}

// podToPod pings b from a's network namespace and asks b's web server who
// called: it sees a's own IP.
func podToPod(r *Run, podNS string, a, b *api.Pod) error {
	if err := network.Ping(podNS, net.ParseIP(b.Status.PodIP), 2*time.Second); err != nil {
		return err
	}
	r.Value(fmt.Sprintf("ping %s from %s", b.Status.PodIP, a.Name), "reply")
	answer, err := httpGet(podNS, b.Status.PodIP+":8080", "/cgi-bin/whoami")
	if err != nil {
		return err
	}
	r.Value(fmt.Sprintf("GET http://%s:8080/cgi-bin/whoami from %s", b.Status.PodIP, a.Name), answer)
	if !strings.HasSuffix(answer, " "+a.Status.PodIP) {
		return fmt.Errorf("pod %q saw another client than the IP %s of pod %q: %q", b.Name, a.Status.PodIP, a.Name, answer)
	}
	r.Command("podlab exec -n %s %s -- wget -qO- http://%s:8080/cgi-bin/whoami", namespace, a.Name, b.Status.PodIP)
	return nil
}

// packetPath sends pings from a to b, catches one on the underlay, and
// shows the counters of flannel.1 and eth0 moving on both nodes.
func packetPath(r *Run, c *cluster, podNS string, a, b *api.Pod) error {
	const pings = 10
	na, nb := c.netns(a.Spec.NodeName), c.netns(b.Spec.NodeName)
	type counter struct {
		what   string
		read   func() (uint64, error)
		before uint64
	}
	link := func(netnsPath, dev string, tx bool) func() (uint64, error) {
		return func() (uint64, error) {
			rx, t, err := network.Counters(netnsPath, dev)
			if tx {
				return t, err
			}
			return rx, err
		}
	}
	list := []*counter{
		{what: fmt.Sprintf("%s TX packets on %s", overlay.VXLANDevice, a.Spec.NodeName), read: link(na, overlay.VXLANDevice, true)},
		{what: fmt.Sprintf("eth0 TX packets on %s", a.Spec.NodeName), read: link(na, podcluster.NodeInterface, true)},
		{what: fmt.Sprintf("eth0 RX packets on %s", b.Spec.NodeName), read: link(nb, podcluster.NodeInterface, false)},
		{what: fmt.Sprintf("UDP datagrams received on %s", b.Spec.NodeName), read: func() (uint64, error) { return network.UDPInDatagrams(nb) }},
		{what: fmt.Sprintf("%s RX packets on %s", overlay.VXLANDevice, b.Spec.NodeName), read: link(nb, overlay.VXLANDevice, false)},
	}
	var err error
	for _, k := range list {
		if k.before, err = k.read(); err != nil {
			return err
		}
	}
	src, dst := netip.MustParseAddr(a.Status.PodIP), netip.MustParseAddr(b.Status.PodIP)
	p, err := capture(na, podcluster.NodeInterface, src, dst, func() error {
		for range pings {
			if err := network.Ping(podNS, dst.AsSlice(), 2*time.Second); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.Value(fmt.Sprintf("%d pings %s → %s, one caught on eth0 of %s", pings, src, dst, a.Spec.NodeName), p.String())
	for _, k := range list {
		after, err := k.read()
		if err != nil {
			return err
		}
		r.Value(k.what, fmt.Sprintf("%d → %d (+%d)", k.before, after, after-k.before))
		if after-k.before < pings {
			return fmt.Errorf("%s moved by %d, less than the %d pings", k.what, after-k.before, pings)
		}
	}
	r.Command("ip -n %s -s link show %s; ip -n %s -s link show %s; ip netns exec %s grep Udp: /proc/net/snmp",
		filepath.Base(na), overlay.VXLANDevice, filepath.Base(nb), overlay.VXLANDevice, filepath.Base(nb))
	return nil
}

// showGWPair shows the host-gw nodes: their routes to each other's pods,
// no vxlan device, the MTU they give their pods.
func showGWPair(r *Run, pair []*gwNode) error {
	for _, n := range pair {
		h, err := network.HandleAt(network.NetNSPath(n.netns))
		if err != nil {
			return err
		}
		routes, err := h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
		_, noVXLAN := h.LinkByName(overlay.VXLANDevice)
		h.Close()
		if err != nil {
			return err
		}
		var into []string
		for _, rt := range routes {
			if dst, ok := network.PrefixOf(rt.Dst); ok && rt.Gw != nil && podNetwork.Contains(dst.Addr()) {
				into = append(into, fmt.Sprintf("%s via %s dev eth0", rt.Dst, rt.Gw))
			}
		}
		if len(into) == 0 {
			return fmt.Errorf("node %q has no route to the other node's pods", n.name)
		}
		device := "none"
		if noVXLAN == nil {
			device = "present"
		}
		r.Value(fmt.Sprintf("%s (%s, eth0 %s, lease %s)", n.name, n.netns, n.addr, n.subnet),
			fmt.Sprintf("route %s; %s: %s; MTU for pods %d", strings.Join(into, ", "), overlay.VXLANDevice, device, n.nw.MTU()))
	}
	r.Command("ip -n %s route; ip -n %s -d link show", pair[0].netns, pair[0].netns)
	return nil
}

// gwPods connects a pod on each host-gw node and pings across, both ways.
func gwPods(r *Run, pair []*gwNode) error {
	var ips []net.IP
	for _, n := range pair {
		att, err := connectPod(r, n)
		if err != nil {
			return err
		}
		ips = append(ips, att.IP.IP)
		r.Value("pod "+n.pod+" on "+n.name, fmt.Sprintf("eth0 %s, default via %s, MTU %d", att.IP.String(), att.Gateway, n.nw.MTU()))
	}
	for i, n := range pair {
		to := ips[1-i]
		if err := pingAcross(n.pod, to); err != nil {
			return err
		}
		r.Value(fmt.Sprintf("ping %s from %s", to, n.pod), "reply, unencapsulated: via "+pair[1-i].addr.Addr().String())
	}
	r.Command("ip netns exec %s ping -c1 %s; ip -n %s route get %s", pair[0].pod, ips[1], pair[0].netns, ips[1])
	return nil
}

// httpGet asks addr for path over a socket opened in a network namespace
// (ns.Do) and bound to it, like wget -qO- run there.
func httpGet(netnsPath, addr, path string) (string, error) {
	var conn net.Conn
	err := ns.Do(map[ns.Type]string{ns.Net: netnsPath}, func() (err error) {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			if conn, err = net.DialTimeout("tcp", addr, time.Second); err == nil || time.Now().After(deadline) {
				return err // the server may still be starting: retry until the deadline
			}
		}
	})
	if err != nil {
		return "", fmt.Errorf("GET http://%s%s: %w", addr, path, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, addr)
	reply, err := io.ReadAll(conn)
	// The headers end at the first empty line.
	text := strings.ReplaceAll(string(reply), "\r\n", "\n")
	_, body, _ := strings.Cut(text, "\n\n")
	return strings.TrimSpace(body), err
}
