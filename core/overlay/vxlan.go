package overlay

// The vxlan backend, as flannel's (pkg/backend/vxlan). One device per
// node, flannel.1: a VXLAN tunnel end (VTEP) on the underlay interface.
// A packet for 10.244.2.7 on node1 goes:
//
//	route    10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink
//	neigh    10.244.2.0 lladdr <node2's VTEP MAC> PERMANENT   (no ARP asked)
//	fdb      <node2's VTEP MAC> dst 172.30.0.12 self permanent
//	→ the kernel wraps the Ethernet frame in UDP to 172.30.0.12:8472, VNI 1;
//	  node2's flannel.1 unwraps it and routes 10.244.2.7 to its bridge.
//
// Learning is off: nothing is learned from traffic, every entry is the
// podlet's, from the leases.
const (
	vxlanDevice = "flannel.1" // flannel.<VNI>
	vxlanVNI    = 1
	vxlanPort   = 8472 // the Linux default; the IANA port 4789 is not flannel's
	// vxlanOverhead is what encapsulation adds to a packet: outer IPv4 (20)
	// + UDP (8) + VXLAN (8) + inner Ethernet (14) headers.
	vxlanOverhead = 50
)

// VXLANDevice is the name of the vxlan backend's device.
const VXLANDevice = vxlanDevice
