package overlay

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/podlab/podlab/core/api"
)

func TestLeaseRoundTrip(t *testing.T) {
	mac, _ := net.ParseMAC("0e:6c:2a:91:5b:0d")
	for _, l := range []Lease{
		{Node: "node2", Subnet: netip.MustParsePrefix("10.244.1.0/24"), PublicIP: netip.MustParseAddr("172.30.0.12"), BackendType: VXLAN, VtepMAC: mac},
		{Node: "node3", Subnet: netip.MustParsePrefix("10.244.2.0/24"), PublicIP: netip.MustParseAddr("172.30.0.13"), BackendType: HostGW},
	} {
		node := &api.Node{ObjectMeta: api.ObjectMeta{Name: l.Node, Annotations: l.annotations()}, Spec: api.NodeSpec{PodCIDR: l.Subnet.String()}}
		got, ok := LeaseOf(node)
		if !ok || !sameLease(got, l) {
			t.Errorf("LeaseOf(annotations of %v) = %v, %v", l, got, ok)
		}
	}
	a := Lease{BackendType: VXLAN, VtepMAC: mac, PublicIP: netip.MustParseAddr("172.30.0.12")}.annotations()
	if a[AnnotationBackendData] != `{"VNI":1,"VtepMAC":"0e:6c:2a:91:5b:0d"}` || a[AnnotationKubeSubnetManage] != "true" {
		t.Errorf("vxlan annotations, as flannel writes them: %v", a)
	}
}

func TestLeaseOfIncomplete(t *testing.T) {
	full := Lease{Node: "n", Subnet: netip.MustParsePrefix("10.244.1.0/24"), PublicIP: netip.MustParseAddr("172.30.0.12"),
		BackendType: VXLAN, VtepMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}}.annotations()
	for name, edit := range map[string]func(n *api.Node){
		"no podCIDR yet":      func(n *api.Node) { n.Spec.PodCIDR = "" },
		"no annotations yet":  func(n *api.Node) { n.Annotations = nil },
		"bad public IP":       func(n *api.Node) { n.Annotations[AnnotationPublicIP] = "nowhere" },
		"vxlan without a MAC": func(n *api.Node) { n.Annotations[AnnotationBackendData] = `{"VNI":1}` },
		"vxlan, broken data":  func(n *api.Node) { n.Annotations[AnnotationBackendData] = `{` },
	} {
		n := &api.Node{ObjectMeta: api.ObjectMeta{Name: "n", Annotations: map[string]string{}}, Spec: api.NodeSpec{PodCIDR: "10.244.1.0/24"}}
		for k, v := range full {
			n.Annotations[k] = v
		}
		edit(n)
		if l, ok := LeaseOf(n); ok {
			t.Errorf("%s: LeaseOf = %v, want none", name, l)
		}
	}
}

func TestPeersOf(t *testing.T) {
	network := netip.MustParsePrefix("10.244.0.0/16")
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 2}
	self := Lease{Node: "node1", Subnet: netip.MustParsePrefix("10.244.0.0/24"), BackendType: VXLAN}
	lease := func(node, subnet, typ string, mac net.HardwareAddr) Lease {
		return Lease{Node: node, Subnet: netip.MustParsePrefix(subnet), PublicIP: netip.MustParseAddr("172.30.0.20"), BackendType: typ, VtepMAC: mac}
	}
	got := peersOf([]Lease{
		self,
		lease("node2", "10.244.1.0/24", VXLAN, mac),  // a peer
		lease("node3", "10.244.2.0/24", HostGW, nil), // another backend: not yet switched
		lease("node4", "10.99.0.0/24", VXLAN, mac),   // outside the pod network
		lease("node5", "10.244.0.0/24", VXLAN, mac),  // our own subnet
		lease("node6", "10.244.5.0/24", VXLAN, nil),  // no MAC yet
		lease("node7", "10.244.6.9/24", VXLAN, mac),  // host bits: masked
	}, self, network)
	var names []string
	for _, p := range got {
		names = append(names, p.Node+" "+p.Subnet.String())
	}
	if strings.Join(names, ",") != "node2 10.244.1.0/24,node7 10.244.6.0/24" {
		t.Errorf("peers: %v", names)
	}
}

func TestCheckBackend(t *testing.T) {
	for _, b := range []string{VXLAN, HostGW} {
		if err := CheckBackend(b); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
	if err := CheckBackend("udp"); err == nil || !strings.Contains(err.Error(), "alloc, host-gw, vxlan") {
		t.Errorf("udp: %v, want the choices named", err)
	}
}

func TestConfigCheck(t *testing.T) {
	good := Config{Backend: VXLAN, Node: "n", Subnet: netip.MustParsePrefix("10.244.1.0/24"),
		Network: netip.MustParsePrefix("10.244.0.0/16"), PublicIP: netip.MustParseAddr("172.30.0.11")}
	if err := good.check(); err != nil {
		t.Fatal(err)
	}
	bad := good
	bad.Subnet = netip.MustParsePrefix("10.99.1.0/24")
	if err := bad.check(); err == nil || !strings.Contains(err.Error(), "not inside the pod network") {
		t.Errorf("subnet outside: %v", err)
	}
	bad = good
	bad.PublicIP = netip.Addr{}
	if err := bad.check(); err == nil {
		t.Errorf("no public IP: no error")
	}
}

// fakeNetwork is a Network of a lease and an MTU, for SubnetEnv.
type fakeNetwork struct {
	Network
	lease Lease
	mtu   int
}

func (f fakeNetwork) Lease() Lease { return f.lease }
func (f fakeNetwork) MTU() int     { return f.mtu }

func TestSubnetEnv(t *testing.T) {
	nw := fakeNetwork{lease: Lease{Subnet: netip.MustParsePrefix("10.244.1.0/24")}, mtu: 1450}
	got := SubnetEnv(netip.MustParsePrefix("10.244.0.0/16"), nw, true)
	want := "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n"
	if got != want {
		t.Errorf("subnet.env:\n%s\nwant (SEMANTICS.md §12.4):\n%s", got, want)
	}
}
