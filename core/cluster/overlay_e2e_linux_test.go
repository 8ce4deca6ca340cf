package cluster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-iptables/iptables"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/overlay"
	"github.com/podlab/podlab/core/podlet"
	"github.com/podlab/podlab/core/runtime"
)

// TestOverlayAcrossNodes (issue 6): on a cluster of 3 nodes, pods on
// different nodes reach each other over VXLAN, unmasqueraded, with the
// overlay's MTU; every node holds the neighbour, FDB entry and route of
// every other; a removed node's entries go from the others; then the
// cluster switches to host-gw, the pods keep running and still reach each
// other through plain routes; down leaves nothing.
func TestOverlayAcrossNodes(t *testing.T) {
	e := newE2E(t)
	e.buildImage()
	args := slices.Clone(e.upArgs)
	args[slices.Index(args, "--nodes")+1] = "3"
	e.mustPodlab(args...)
	st := e.state()
	e.runPods() // one on node1, two on node2
	c := e.client()
	one, two := e.waitRunning(c, "one"), e.waitRunning(c, "two")

	// Every node knows the other two: 2 neighbours, FDB entries and routes.
	e.waitOverlay(st, 3)
	if out := e.mustPodlab("exec", "one", "--", "ip", "link", "show", "eth0"); !strings.Contains(out, " mtu 1450 ") {
		t.Errorf("pod one's eth0 MTU %q, want 1450: the underlay's 1500 less VXLAN's 50", out)
	}
	e.checkPodToPod(one, two, "vxlan")
	vx := e.linkStats(1, overlay.VXLANDevice)
	e.mustPodlab("exec", "one", "--", "ping", "-c", "3", "-W", "2", two.Status.PodIP)
	if after := e.linkStats(1, overlay.VXLANDevice); after.TxPackets < vx.TxPackets+3 {
		t.Errorf("flannel.1 of node1 sent %d packets for 3 pings across: the pings did not go through the tunnel", after.TxPackets-vx.TxPackets)
	}

	// flannel.1 deleted by hand on node2: netlink tells its podlet, which
	// makes it again at once, with the same MAC and every entry.
	h, err := network.HandleAt(netnsPath(e.prefix + "-node2"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	dev, err := h.LinkByName(overlay.VXLANDevice)
	if err != nil {
		t.Fatal(err)
	}
	mac := dev.Attrs().HardwareAddr.String()
	t0 := time.Now()
	if err := h.LinkDel(dev); err != nil {
		t.Fatal(err)
	}
	e.waitOverlay(st, 3)
	took := time.Since(t0)
	t.Logf("flannel.1 of node2 was back, with its entries, %v after its deletion", took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("flannel.1 came back %v after its deletion: not at once (the resync is every %v)", took, 2*time.Second)
	}
	if dev, err := h.LinkByName(overlay.VXLANDevice); err != nil || dev.Attrs().HardwareAddr.String() != mac {
		t.Errorf("flannel.1 made again with MAC %v, was %s (%v)", dev, mac, err)
	}
	e.checkPodToPod(one, two, "vxlan, flannel.1 of node2 made again")

	// node3 goes: node1 and node2 forget it.
	out := e.mustPodlab("node", "remove", "node3")
	t.Logf("podlab node remove node3:\n%s", out)
	e.waitOverlay(e.state(), 2)

	// host-gw: the podlets restart, the pods stay.
	pids := map[string]int{"one": e.pausePID(st, "node1", one), "two": e.pausePID(st, "node2", two)}
	e.mustPodlab("up", "--backend", "host-gw")
	st = e.state()
	e.waitHostGW(st)
	for name, pid := range pids {
		node := map[string]string{"one": "node1", "two": "node2"}[name]
		pod, err := c.Pods(api.NamespaceDefault).Get(t.Context(), name)
		if err != nil || e.pausePID(st, node, pod) != pid {
			t.Errorf("pod %s: its pause is not pid %d any more after the switch to host-gw: %v", name, pid, err)
		}
	}
	e.checkPodToPod(one, two, "host-gw")

	e.mustPodlab("down")
	e.checkGone(st.processes())
}

// checkPodToPod checks that pod one reaches pod two across nodes, and
// that the MASQUERADE rule of node1 did not rewrite the packets: it
// counts the bytes of the first packet of each connection it rewrites,
// and a ping of 1200 bytes would add more than that (a pod's own IGMP
// reports to 224.0.0.22, 40 bytes each, may add a little).
func (e *e2e) checkPodToPod(one, two *api.Pod, how string) {
	e.t.Helper()
	node1 := netnsPath(e.prefix + "-node1")
	before := e.masqueradeBytes(node1)
	if out, err := e.podlab("exec", "one", "--", "ping", "-c", "2", "-s", "1200", "-W", "2", two.Status.PodIP); err != nil {
		e.t.Errorf("%s: pod one (%s) does not reach pod two (%s) on another node: %v\n%s", how, one.Status.PodIP, two.Status.PodIP, err, out)
	}
	if after := e.masqueradeBytes(node1); after-before >= 1200 {
		e.t.Errorf("%s: the MASQUERADE rule of node1 rewrote %d bytes during a ping from pod to pod: it must not rewrite them", how, after-before)
	}
}

// masqueradeBytes is the byte counter of the MASQUERADE rules in the
// network namespace at path.
func (e *e2e) masqueradeBytes(path string) (total uint64) {
	e.t.Helper()
	err := ns.Do(map[ns.Type]string{ns.Net: path}, func() error {
		ipt, err := iptables.New()
		if err != nil {
			return err
		}
		rules, err := ipt.ListWithCounters("nat", "POSTROUTING")
		for _, r := range rules {
			// -A POSTROUTING ... -c PACKETS BYTES -j MASQUERADE
			if f := strings.Fields(r); f[len(f)-1] == "MASQUERADE" && f[len(f)-5] == "-c" {
				n, _ := strconv.ParseUint(f[len(f)-3], 10, 64)
				total += n
			}
		}
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return total
}

// waitOverlay waits until every node of st has, on flannel.1, exactly
// nodes-1 neighbours, FDB entries and routes: one each per other node.
func (e *e2e) waitOverlay(st *State, nodes int) {
	e.t.Helper()
	var last string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		last = ""
		for _, n := range st.Nodes {
			if got := e.vxlanEntries(n); got != [3]int{nodes - 1, nodes - 1, nodes - 1} {
				last += fmt.Sprintf(" %s has %d neighbours, %d FDB entries, %d routes;", n.Name, got[0], got[1], got[2])
			}
		}
		if last == "" {
			return
		}
	}
	e.t.Fatalf("want %d of each on every node's flannel.1:%s", nodes-1, last)
}

// vxlanEntries counts the permanent neighbours, FDB entries and routes
// on flannel.1 of node n.
func (e *e2e) vxlanEntries(n Node) (got [3]int) {
	h, err := network.HandleAt(netnsPath(n.NetNS))
	if err != nil {
		e.t.Fatal(err)
	}
	defer h.Close()
	link, err := h.LinkByName(overlay.VXLANDevice)
	if err != nil {
		return got
	}
	for i, family := range []int{unix.AF_INET, unix.AF_BRIDGE} {
		list, _ := h.NeighList(link.Attrs().Index, family)
		for _, nb := range list {
			if nb.State&netlink.NUD_PERMANENT != 0 && nb.IP != nil {
				got[i]++
			}
		}
	}
	routes, _ := h.RouteList(link, netlink.FAMILY_V4)
	for _, r := range routes {
		if r.Dst != nil && r.Gw != nil {
			got[2]++
		}
	}
	return got
}

// waitHostGW waits until no node has flannel.1 and each routes the
// others' pod subnets via their node IPs.
func (e *e2e) waitHostGW(st *State) {
	e.t.Helper()
	var last string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		last = ""
		for _, n := range st.Nodes {
			h, err := network.HandleAt(netnsPath(n.NetNS))
			if err != nil {
				e.t.Fatal(err)
			}
			if _, err := h.LinkByName(overlay.VXLANDevice); err == nil {
				last += " " + n.Name + " still has flannel.1;"
			}
			routes, _ := h.RouteList(nil, netlink.FAMILY_V4)
			for _, other := range st.Nodes {
				gw := strings.Split(other.Addr, "/")[0]
				if other.Name != n.Name && !slices.ContainsFunc(routes, func(r netlink.Route) bool {
					return r.Dst != nil && strings.HasPrefix(r.Dst.IP.String(), "10.244.") && r.Gw.String() == gw
				}) {
					last += fmt.Sprintf(" %s has no route via %s;", n.Name, gw)
				}
			}
			h.Close()
		}
		if last == "" {
			return
		}
	}
	e.t.Fatalf("host-gw:%s", last)
}

// linkStats are the counters of link name in node i.
func (e *e2e) linkStats(i int, name string) *netlink.LinkStatistics {
	e.t.Helper()
	h, err := network.HandleAt(netnsPath(fmt.Sprintf("%s-node%d", e.prefix, i)))
	if err != nil {
		e.t.Fatal(err)
	}
	defer h.Close()
	link, err := h.LinkByName(name)
	if err != nil {
		e.t.Fatalf("node%d: %v", i, err)
	}
	return link.Attrs().Statistics
}

// pausePID is the pid of the pause of pod on node, from the podlet's state.
func (e *e2e) pausePID(st *State, node string, pod *api.Pod) int {
	e.t.Helper()
	i := slices.IndexFunc(st.Nodes, func(n Node) bool { return n.Name == node })
	if i < 0 {
		e.t.Fatalf("no node %s", node)
	}
	rt, err := runtime.NewAt(st.Nodes[i].StateDir, podlet.NodeCgroupParent(node))
	if err != nil {
		e.t.Fatal(err)
	}
	ps, err := rt.SandboxByUID(string(pod.UID))
	if err != nil {
		e.t.Fatalf("the sandbox of pod %s: %v", pod.Name, err)
	}
	return ps.Pause.Pid
}
