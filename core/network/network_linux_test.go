package network

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/podlab/podlab/core/ns"
)

// Like every podlab main: keep the main goroutine on the main thread, so
// that ns.Do's throw-away threads are never the main thread
// (IMPLEMENTATION.md §1.4).
func init() { runtime.LockOSThread() }

// Everything these tests make lives in scratch network namespaces, one for
// the "node" and one per Pod: the host's network is never touched.
const (
	testBridge = "podlab-t0"
	testSubnet = "10.244.99.0/24"
	testMTU    = 1450 // not the default, to see that it is applied
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces, links and iptables rules")
	}
}

// scratchNetNS is a network namespace held by a `sleep 60` process: it
// has no name in /run/netns, so nothing outlives the process, which the
// test kills at the end (or sleep ends by itself).
type scratchNetNS struct {
	path    string
	cmd     *exec.Cmd
	forward string // ip_forward when it was made (copied from the host's)
}

func newNetNS(t *testing.T) *scratchNetNS {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &scratchNetNS{path: ns.Path(cmd.Process.Pid, ns.Net), cmd: cmd}
	t.Cleanup(n.kill)
	// A new namespace copies the host's ip_forward; start from 0, so that
	// the tests see podlab turn it on and back off.
	if _, err := inNetNS(t, n, "sh", "-c", "echo 0 > "+ipForward); err != nil {
		t.Fatal(err)
	}
	n.forward = ipForwardIn(t, n)
	return n
}

func (n *scratchNetNS) kill() {
	if n.cmd.ProcessState == nil {
		n.cmd.Process.Kill()
		n.cmd.Wait()
	}
}

func testConfig(t *testing.T, node *scratchNetNS, subnet string) Config {
	return Config{Bridge: testBridge, Subnet: mustCIDR(t, subnet), MTU: testMTU, NodeNetNS: node.path, StateDir: t.TempDir()}
}

// handle is a netlink handle in the namespace n, closed at the end.
func handle(t *testing.T, n *scratchNetNS) *netlink.Handle {
	t.Helper()
	h, err := HandleAt(n.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func linkNames(t *testing.T, h *netlink.Handle) []string {
	t.Helper()
	links, err := RetryDump(h.LinkList)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	slices.Sort(names)
	return names
}

// inNetNS runs argv inside the namespace n and returns its output.
func inNetNS(t *testing.T, n *scratchNetNS, argv ...string) (string, error) {
	t.Helper()
	var out []byte
	err := ns.Do(map[ns.Type]string{ns.Net: n.path}, func() error {
		var err error
		out, err = exec.Command(argv[0], argv[1:]...).CombinedOutput()
		return err
	})
	return string(out), err
}

func natRules(t *testing.T, node *scratchNetNS) string {
	t.Helper()
	out, err := inNetNS(t, node, "iptables", "-t", "nat", "-S", "POSTROUTING")
	if err != nil {
		t.Fatalf("iptables -t nat -S POSTROUTING: %v: %s", err, out)
	}
	return out
}

func ipForwardIn(t *testing.T, node *scratchNetNS) string {
	t.Helper()
	out, err := inNetNS(t, node, "cat", ipForward)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// ping sends one echo request from inside the Pod; busybox's ping if
// iputils is not installed.
func ping(t *testing.T, pod *scratchNetNS, ip string) {
	t.Helper()
	argv := []string{"ping", "-c1", "-W1", ip}
	if _, err := exec.LookPath("ping"); err != nil {
		if _, err := exec.LookPath("busybox"); err != nil {
			t.Skip("neither ping nor busybox is installed")
		}
		argv = append([]string{"busybox"}, argv...)
	}
	var out string
	var err error
	for range 3 { // the first packet may race the ports coming up
		if out, err = inNetNS(t, pod, argv...); err == nil {
			return
		}
	}
	t.Errorf("%s from the pod: %v\n%s", strings.Join(argv, " "), err, out)
}

// wantReservations checks the IPAM files against the live Pods.
func wantReservations(t *testing.T, c Config, want map[string]string) {
	t.Helper()
	got, err := c.Reservations()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reservations = %v, want %v", got, want)
	}
}

// wantNodeClean checks that the node is as it was before the first Pod:
// only lo, no podlab rule, no forwarding, no reservation.
func wantNodeClean(t *testing.T, c Config, node *scratchNetNS) {
	t.Helper()
	if names := linkNames(t, handle(t, node)); !reflect.DeepEqual(names, []string{"lo"}) {
		t.Errorf("links left in the node: %v", names)
	}
	if rules := natRules(t, node); strings.Contains(rules, "podlab") {
		t.Errorf("MASQUERADE rule left in the node:\n%s", rules)
	}
	if v := ipForwardIn(t, node); v != node.forward {
		t.Errorf("ip_forward in the node = %s, want it restored to %s", v, node.forward)
	}
	wantReservations(t, c, map[string]string{})
}

// checkPod checks both ends of a connected Pod.
func checkPod(t *testing.T, nodeH *netlink.Handle, pod *scratchNetNS, a *Attachment, wantIP string) {
	t.Helper()
	if a.IP.String() != wantIP || a.Gateway.String() != "10.244.99.1" {
		t.Errorf("pod %q: IP %s gateway %s, want %s via 10.244.99.1", a.PodID, &a.IP, a.Gateway, wantIP)
	}
	podH := handle(t, pod)
	eth0, err := podH.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if eth0.Attrs().MTU != testMTU || eth0.Attrs().Flags&net.FlagUp == 0 || eth0.Attrs().Index != a.PodIfindex {
		t.Errorf("pod eth0: mtu %d flags %v index %d, want mtu %d, up, index %d",
			eth0.Attrs().MTU, eth0.Attrs().Flags, eth0.Attrs().Index, testMTU, a.PodIfindex)
	}
	addrs, err := RetryDump(func() ([]netlink.Addr, error) { return podH.AddrList(eth0, netlink.FAMILY_V4) })
	if err != nil || len(addrs) != 1 || addrs[0].IPNet.String() != wantIP {
		t.Errorf("pod eth0 addresses %v (%v), want %s", addrs, err, wantIP)
	}
	routes, err := RetryDump(func() ([]netlink.Route, error) { return podH.RouteList(eth0, netlink.FAMILY_V4) })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(routes, func(r netlink.Route) bool {
		return (r.Dst == nil || r.Dst.String() == "0.0.0.0/0") && r.Gw.Equal(a.Gateway)
	}) {
		t.Errorf("no default route via %s in the pod: %v", a.Gateway, routes)
	}
	if lo, err := podH.LinkByName("lo"); err != nil || lo.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("lo is not up in the pod: %v", err)
	}

	br, err := nodeH.LinkByName(testBridge)
	if err != nil {
		t.Fatal(err)
	}
	host, err := nodeH.LinkByName(a.HostVeth)
	if err != nil {
		t.Fatal(err)
	}
	h := host.Attrs()
	if h.Name != VethName(a.PodID) || h.Index != a.HostIfindex || h.MasterIndex != br.Attrs().Index ||
		h.MTU != testMTU || h.Flags&net.FlagUp == 0 || h.Alias != a.PodID {
		t.Errorf("host veth %+v: want %s, index %d, master %d, mtu %d, up, alias %q",
			h, VethName(a.PodID), a.HostIfindex, br.Attrs().Index, testMTU, a.PodID)
	}
	// A veth's ParentIndex is its peer's index in the peer's namespace.
	if h.ParentIndex != eth0.Attrs().Index || eth0.Attrs().ParentIndex != h.Index {
		t.Errorf("veth peers: host %d -> %d, pod %d -> %d", h.Index, h.ParentIndex, eth0.Attrs().Index, eth0.Attrs().ParentIndex)
	}
}

func TestAddAndDelTwoPods(t *testing.T) {
	needRoot(t)
	node, pod1, pod2 := newNetNS(t), newNetNS(t), newNetNS(t)
	c := testConfig(t, node, testSubnet)
	nodeH := handle(t, node)

	a1, err := c.Add("pod-1", pod1.path)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := c.Add("pod-2", pod2.path)
	if err != nil {
		t.Fatal(err)
	}
	checkPod(t, nodeH, pod1, a1, "10.244.99.2/24")
	checkPod(t, nodeH, pod2, a2, "10.244.99.3/24")
	br, err := nodeH.LinkByName(testBridge)
	if err != nil {
		t.Fatal(err)
	}
	if br.Attrs().MTU != testMTU || br.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("bridge: mtu %d flags %v", br.Attrs().MTU, br.Attrs().Flags)
	}
	if addrs, _ := nodeH.AddrList(br, netlink.FAMILY_V4); len(addrs) != 1 || addrs[0].IPNet.String() != "10.244.99.1/24" {
		t.Errorf("bridge addresses %v, want the gateway 10.244.99.1/24", addrs)
	}

	ping(t, pod1, "10.244.99.3") // pod to pod, through the bridge
	ping(t, pod1, "10.244.99.1") // pod to node, the gateway
	ping(t, pod2, "10.244.99.2")

	rule := `-A POSTROUTING -s 10.244.99.0/24 ! -d 10.244.99.0/24 -m comment --comment "podlab: masquerade pods of podlab-t0" -j MASQUERADE`
	if rules := natRules(t, node); !strings.Contains(rules, rule) {
		t.Errorf("nat POSTROUTING in the node:\n%s\nwant %s", rules, rule)
	}
	if v := ipForwardIn(t, node); v != "1" {
		t.Errorf("ip_forward in the node = %s, want 1", v)
	}
	wantReservations(t, c, map[string]string{"10.244.99.2": "pod-1", "10.244.99.3": "pod-2"})

	// Adding again changes nothing.
	linksBefore := linkNames(t, nodeH)
	again, err := c.Add("pod-1", pod1.path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, a1) {
		t.Errorf("second Add = %+v, want %+v", again, a1)
	}
	if links := linkNames(t, nodeH); !reflect.DeepEqual(links, linksBefore) {
		t.Errorf("links after a second Add %v, before %v", links, linksBefore)
	}
	if n := strings.Count(natRules(t, node), "-j MASQUERADE"); n != 1 {
		t.Errorf("%d MASQUERADE rules, want 1", n)
	}

	// Del, twice; the other Pod keeps the node set up.
	for range 2 {
		if err := c.Del("pod-1", pod1.path); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := nodeH.LinkByName(a1.HostVeth); !IsLinkNotFound(err) {
		t.Errorf("host veth %s after Del: %v", a1.HostVeth, err)
	}
	if names := linkNames(t, handle(t, pod1)); !reflect.DeepEqual(names, []string{"lo"}) {
		t.Errorf("links left in the pod: %v", names)
	}
	wantReservations(t, c, map[string]string{"10.244.99.3": "pod-2"})
	if !strings.Contains(natRules(t, node), "podlab") {
		t.Error("MASQUERADE rule removed while a pod is left")
	}
	ping(t, pod2, "10.244.99.1")

	// host-local goes round robin: the next Pod gets .4, not the freed .2.
	a3, err := c.Add("pod-3", pod1.path)
	if err != nil {
		t.Fatal(err)
	}
	if a3.IP.String() != "10.244.99.4/24" {
		t.Errorf("third pod got %s, want 10.244.99.4/24", &a3.IP)
	}

	for id, path := range map[string]string{"pod-3": pod1.path, "pod-2": pod2.path, "never-added": ""} {
		for range 2 { // twice: harmless
			if err := c.Del(id, path); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantNodeClean(t, c, node)
}

// The Pod's network namespace dies first (its pause process was killed):
// the kernel destroys the veth pair, and Del still cleans up.
func TestDelAfterPodNetNSIsGone(t *testing.T) {
	needRoot(t)
	node, pod := newNetNS(t), newNetNS(t)
	c := testConfig(t, node, testSubnet)
	if _, err := c.Add("pod-1", pod.path); err != nil {
		t.Fatal(err)
	}
	path := pod.path
	pod.kill()
	if err := c.Del("pod-1", path); err != nil {
		t.Fatal(err)
	}
	wantNodeClean(t, c, node)
}

func TestAddOnAFullSubnet(t *testing.T) {
	needRoot(t)
	node, pod1, pod2 := newNetNS(t), newNetNS(t), newNetNS(t)
	c := testConfig(t, node, "10.244.99.0/30") // room for one Pod: .2
	if a, err := c.Add("pod-1", pod1.path); err != nil || a.IP.String() != "10.244.99.2/30" {
		t.Fatalf("Add = %v, %v", a, err)
	}
	_, err := c.Add("pod-2", pod2.path)
	want := `no free IP in 10.244.99.0/30 for pod "pod-2": all 1 addresses are reserved (see ` + c.StateDir + `)`
	if err == nil || err.Error() != want {
		t.Fatalf("Add on a full subnet: %v\nwant %s", err, want)
	}
	if _, err := handle(t, node).LinkByName(VethName("pod-2")); !IsLinkNotFound(err) {
		t.Errorf("veth of the pod that got no IP: %v", err)
	}
	if names := linkNames(t, handle(t, pod2)); !reflect.DeepEqual(names, []string{"lo"}) {
		t.Errorf("links in the pod that got no IP: %v", names)
	}
	wantReservations(t, c, map[string]string{"10.244.99.2": "pod-1"})
	if err := c.Del("pod-1", pod1.path); err != nil {
		t.Fatal(err)
	}
	wantNodeClean(t, c, node)
}

// A failed Add leaves nothing behind, whether it fails before the
// reservation or after it, with the veth made.
func TestFailedAddLeavesNothing(t *testing.T) {
	needRoot(t)
	node, pod := newNetNS(t), newNetNS(t)
	c := testConfig(t, node, testSubnet)

	t.Run("no such network namespace", func(t *testing.T) {
		_, err := c.Add("pod-1", filepath.Join(t.TempDir(), "no-such-netns"))
		if err == nil || !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Add with a missing netns: %v", err)
		}
		wantNodeClean(t, c, node)
	})

	t.Run("eth0 already in the pod", func(t *testing.T) {
		podH := handle(t, pod)
		other := netlink.NewVeth(netlink.LinkAttrs{Name: "eth0", TxQLen: -1})
		other.PeerName = "other"
		if err := podH.LinkAdd(other); err != nil {
			t.Fatal(err)
		}
		defer podH.LinkDel(other)
		_, err := c.Add("pod-1", pod.path)
		if err == nil || !strings.Contains(err.Error(), "file exists") {
			t.Fatalf("Add into a pod that has an eth0: %v", err)
		}
		wantNodeClean(t, c, node)
		if _, err := podH.LinkByName("eth0"); err != nil {
			t.Errorf("Add deleted an eth0 it did not make: %v", err)
		}
	})

	// Without iptables the last step fails, after the veth and the pod's
	// address are made: they must go again.
	t.Run("no iptables", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := c.Add("pod-1", pod.path)
		if err == nil || !strings.Contains(err.Error(), "add MASQUERADE rule") {
			t.Fatalf("Add without iptables: %v", err)
		}
		t.Log(err)
	})
	wantNodeClean(t, c, node)
	if names := linkNames(t, handle(t, pod)); !reflect.DeepEqual(names, []string{"lo"}) {
		t.Errorf("links left in the pod: %v", names)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// 200 Pods come and go one after another: each time the node is set up
// and torn down, and nothing accumulates, not even file descriptors.
func TestAddDelCycles(t *testing.T) {
	needRoot(t)
	node, pod := newNetNS(t), newNetNS(t)
	c := testConfig(t, node, testSubnet)
	cycle := func(id string) {
		t.Helper()
		if _, err := c.Add(id, pod.path); err != nil {
			t.Fatal(err)
		}
		if err := c.Del(id, pod.path); err != nil {
			t.Fatal(err)
		}
	}
	cycle("warm-up") // lets the runtime open what it keeps open (e.g. its epoll fd)
	before := openFDs(t)
	for i := range 200 {
		cycle("cycle-" + strconv.Itoa(i))
	}
	if after := openFDs(t); after != before {
		t.Errorf("open fds: %d before, %d after 200 Add/Del cycles", before, after)
	}
	wantNodeClean(t, c, node)
	if names := linkNames(t, handle(t, pod)); !reflect.DeepEqual(names, []string{"lo"}) {
		t.Errorf("links left in the pod: %v", names)
	}
}

// Pods of one node start at the same time: the IPAM lock hands out
// distinct addresses, and the last Del still finds everything to remove.
func TestConcurrentAddDel(t *testing.T) {
	needRoot(t)
	node := newNetNS(t)
	c := testConfig(t, node, testSubnet)
	const n = 8
	pods := make([]*scratchNetNS, n)
	for i := range pods {
		pods[i] = newNetNS(t)
	}
	ips := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, pod := range pods {
		wg.Go(func() {
			a, err := c.Add("pod-"+strconv.Itoa(i), pod.path)
			if err == nil {
				ips[i] = a.IP.IP.String()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ips)
	if got := slices.Compact(slices.Clone(ips)); len(got) != n {
		t.Errorf("addresses handed out: %v, want %d distinct", ips, n)
	}
	if names := linkNames(t, handle(t, node)); len(names) != n+2 {
		t.Errorf("node links %v, want lo, the bridge and %d veths", names, n)
	}
	for i := range pods {
		wg.Go(func() { errs[i] = c.Del("pod-"+strconv.Itoa(i), pods[i].path) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	wantNodeClean(t, c, node)
}

func TestPingOwnLoopbackInScratchNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: raw sockets and network namespaces")
	}
	holder := exec.Command("sleep", "30")
	holder.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	path := fmt.Sprintf("/proc/%d/ns/net", holder.Process.Pid)
	// lo is down in a new namespace: no reply.
	if err := Ping(path, net.IPv4(127, 0, 0, 1), 200*time.Millisecond); err == nil {
		t.Fatal("ping answered with lo down")
	}
	h, err := HandleAt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	lo, _ := h.LinkByName("lo")
	if err := h.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	if err := Ping(path, net.IPv4(127, 0, 0, 1), time.Second); err != nil {
		t.Fatal(err)
	}
}

// A Pod whose namespace is gone is disconnected without deleting links:
// the kernel destroys the pair with the namespace.
func TestDelAfterNamespaceGone(t *testing.T) {
	needRoot(t)
	node, pod := newNetNS(t), newNetNS(t)
	c := testConfig(t, node, "10.244.99.0/24")
	if _, err := c.Add("pod-1", pod.path); err != nil {
		t.Fatal(err)
	}
	pod.kill()
	if err := c.Del("pod-1", ""); err != nil {
		t.Fatal(err)
	}
	// The kernel destroys a namespace in the background: give it a moment.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if len(linkNames(t, handle(t, node))) == 1 {
			break
		}
	}
	wantNodeClean(t, c, node)
}

// Two bridges in one namespace share IP forwarding: it stays on while
// either routes Pods, and the value from before the first comes back after
// the last.
func TestTwoBridgesShareForwarding(t *testing.T) {
	needRoot(t)
	node, pod1, pod2 := newNetNS(t), newNetNS(t), newNetNS(t)
	dir := t.TempDir()
	a := testConfig(t, node, "10.244.99.0/24")
	a.StateDir = filepath.Join(dir, a.Bridge)
	b := Config{Bridge: "podlab-t1", Subnet: mustCIDR(t, "10.244.98.0/24"), MTU: testMTU, NodeNetNS: node.path, StateDir: filepath.Join(dir, "podlab-t1")}
	if _, err := a.Add("pod-a", pod1.path); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Add("pod-b", pod2.path); err != nil {
		t.Fatal(err)
	}
	if err := a.Del("pod-a", pod1.path); err != nil {
		t.Fatal(err)
	}
	if v := ipForwardIn(t, node); v != "1" {
		t.Fatalf("ip_forward = %s while bridge %s still routes pods", v, b.Bridge)
	}
	// A podlab bridge without pods, like a local cluster's underlay with
	// the nodes' links as ports, does not keep ip_forward on.
	h := handle(t, node)
	ul := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "podlab-ul-t"}}
	if err := h.LinkAdd(ul); err != nil {
		t.Fatal(err)
	}
	la := netlink.NewLinkAttrs()
	la.Name, la.MasterIndex = "podlab-ul-n1", mustLinkIndex(t, h, "podlab-ul-t")
	if err := h.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "podlab-ul-e1"}); err != nil {
		t.Fatal(err)
	}
	defer h.LinkDel(ul)
	defer h.LinkDel(&netlink.Veth{LinkAttrs: la})
	if err := b.Del("pod-b", pod2.path); err != nil {
		t.Fatal(err)
	}
	if v := ipForwardIn(t, node); v != node.forward {
		t.Errorf("ip_forward = %s after the last bridge, want %s", v, node.forward)
	}
}

func mustLinkIndex(t *testing.T, h *netlink.Handle, name string) int {
	t.Helper()
	l, err := h.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return l.Attrs().Index
}

// The gateway's MAC address stays put when ports join: the bridge would
// otherwise take the lowest MAC of its ports.
func TestBridgeMACIsPinned(t *testing.T) {
	needRoot(t)
	node, pod := newNetNS(t), newNetNS(t)
	c := testConfig(t, node, "10.244.99.0/24")
	if _, err := c.Add("pod-1", pod.path); err != nil {
		t.Fatal(err)
	}
	defer c.Del("pod-1", pod.path)
	h := handle(t, node)
	br, err := h.LinkByName(testBridge)
	if err != nil {
		t.Fatal(err)
	}
	before := br.Attrs().HardwareAddr.String()
	// A port with the lowest MAC there is.
	low, _ := net.ParseMAC("02:00:00:00:00:01")
	la := netlink.NewLinkAttrs()
	la.Name, la.HardwareAddr, la.MasterIndex = "lowmac0", low, br.Attrs().Index
	if err := h.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "lowmac1"}); err != nil {
		t.Fatal(err)
	}
	defer h.LinkDel(&netlink.Veth{LinkAttrs: la})
	lo, _ := h.LinkByName("lowmac0")
	h.LinkSetHardwareAddr(lo, low)
	h.LinkSetUp(lo)
	br, _ = h.LinkByName(testBridge)
	if after := br.Attrs().HardwareAddr.String(); after != before {
		t.Errorf("bridge MAC changed from %s to %s when a port joined", before, after)
	}
}

// A second podlab (its own store) failing on a bridge that is in use must
// not delete it from under the first one's Pods.
func TestFailedAddKeepsABridgeInUse(t *testing.T) {
	needRoot(t)
	node, pod1, pod2 := newNetNS(t), newNetNS(t), newNetNS(t)
	a := testConfig(t, node, "10.244.99.0/24")
	if _, err := a.Add("pod-1", pod1.path); err != nil {
		t.Fatal(err)
	}
	defer a.Del("pod-1", pod1.path)
	b := testConfig(t, node, "10.244.97.0/24") // same bridge, another subnet and store
	if _, err := b.Add("pod-2", pod2.path); err == nil {
		t.Fatal("a bridge with another gateway address was accepted")
	}
	if _, err := handle(t, node).LinkByName(testBridge); err != nil {
		t.Fatalf("the bridge in use was deleted: %v", err)
	}
	ping(t, pod1, "10.244.99.1")
}
