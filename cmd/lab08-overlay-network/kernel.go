package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/overlay"
)

// What the lab reads from a node's kernel (overlay.ReadDevice, through a
// netlink handle bound to the node's network namespace), put as `ip -n
// <netns> ...` shows it.

// device describes flannel.1 in a node, as `ip -d link show flannel.1`.
func device(netnsPath string) (string, *netlink.Vxlan, error) {
	d, err := overlay.ReadDevice(netnsPath)
	if err != nil {
		return "", nil, err
	}
	vx, under := d.Link, d.Underlay
	state := "down"
	if vx.Flags&net.FlagUp != 0 {
		state = "up"
	}
	learning := "nolearning"
	if vx.Learning {
		learning = "learning"
	}
	var list []string
	for _, a := range d.Addrs {
		list = append(list, a.String())
	}
	return fmt.Sprintf("vxlan id %d local %s dev %s dstport %d %s, MTU %d (%s: %d, less 50), MAC %s, address %s, %s",
		vx.VxlanId, vx.SrcAddr, under.Attrs().Name, vx.Port, learning, vx.MTU, under.Attrs().Name, under.Attrs().MTU,
		vx.HardwareAddr, strings.Join(list, ", "), state), vx, nil
}

// peerEntries are the three entries flannel.1 holds for each other node,
// read back from the kernel, by the peer's node IP.
func peerEntries(netnsPath string) (map[string][]string, error) {
	d, err := overlay.ReadDevice(netnsPath)
	if err != nil {
		return nil, err
	}
	// Tie them together as the kernel does: route → gateway → neighbour's MAC → FDB's node IP.
	byPeer := map[string][]string{}
	for _, rt := range d.Routes {
		if rt.Dst == nil || rt.Gw == nil {
			continue
		}
		for _, n := range d.Neighs {
			if !n.IP.Equal(rt.Gw) {
				continue
			}
			for _, f := range d.FDB {
				if f.HardwareAddr.String() != n.HardwareAddr.String() || f.IP == nil {
					continue
				}
				onlink := ""
				if rt.Flags&int(netlink.FLAG_ONLINK) != 0 {
					onlink = " onlink"
				}
				byPeer[f.IP.String()] = []string{
					fmt.Sprintf("route %s via %s dev %s%s", rt.Dst, rt.Gw, overlay.VXLANDevice, onlink),
					fmt.Sprintf("neigh %s lladdr %s %s", n.IP, n.HardwareAddr, neighState(n.State)),
					fmt.Sprintf("fdb %s dst %s self %s", f.HardwareAddr, f.IP, neighState(f.State)),
				}
			}
		}
	}
	return byPeer, nil
}

func neighState(s int) string {
	if s&netlink.NUD_PERMANENT != 0 {
		return "PERMANENT"
	}
	return fmt.Sprintf("state %#x", s)
}

// packet is one VXLAN packet on the underlay, taken apart.
type packet struct {
	outerSrc, outerDst netip.Addr
	dstPort            uint16
	vni                uint32
	innerSrcMAC        net.HardwareAddr
	innerDstMAC        net.HardwareAddr
	innerSrc, innerDst netip.Addr
	outerLen, innerLen int
}

func (p *packet) String() string {
	return fmt.Sprintf("IP %s > %s UDP dport %d (%d bytes) | VXLAN VNI %d | Ethernet %s > %s | IP %s > %s (%d bytes)",
		p.outerSrc, p.outerDst, p.dstPort, p.outerLen, p.vni, p.innerSrcMAC, p.innerDstMAC, p.innerSrc, p.innerDst, p.innerLen)
}

// capture listens on a node's underlay interface, as `tcpdump -ni eth0
// udp port 8472` does, while send runs, and returns the first VXLAN
// packet that carries a packet from src to dst.
func capture(netnsPath, iface string, src, dst netip.Addr, send func() error) (*packet, error) {
	h, err := network.HandleAt(netnsPath)
	if err != nil {
		return nil, err
	}
	link, err := h.LinkByName(iface)
	h.Close()
	if err != nil {
		return nil, fmt.Errorf("find %q in %q: %w", iface, netnsPath, err)
	}
	// ETH_P_ALL: only such sockets see what the node sends, not just
	// what it receives.
	all := htons(unix.ETH_P_ALL)
	var fd int
	// A packet socket opened on a thread in the node's namespace sees
	// that namespace's interfaces, and keeps seeing them.
	err = ns.Do(map[ns.Type]string{ns.Net: netnsPath}, func() (err error) {
		if fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, int(all)); err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: all, Ifindex: link.Attrs().Index})
	})
	if err != nil {
		return nil, fmt.Errorf("capture on %q in %q: %w", iface, netnsPath, err)
	}
	defer unix.Close(fd)
	if err := send(); err != nil {
		return nil, err
	}
	tv := unix.NsecToTimeval(int64(200 * time.Millisecond))
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	buf := make([]byte, 65536)
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			continue // timeout or signal: try again until the deadline
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); !ok || ll.Protocol != htons(unix.ETH_P_IP) {
			continue
		}
		if p := parseVXLAN(buf[:n]); p != nil && p.innerSrc == src && p.innerDst == dst {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no VXLAN packet from %s to %s on %q within 2s", src, dst, iface)
}

// parseVXLAN takes apart outer IPv4 | UDP | VXLAN | inner Ethernet |
// inner IPv4, or returns nil if b is not that.
func parseVXLAN(b []byte) *packet {
	if len(b) < 20 || b[0]>>4 != 4 || b[9] != unix.IPPROTO_UDP {
		return nil
	}
	ihl := int(b[0]&0x0f) * 4
	udp := b[ihl:]
	if len(udp) < 8+8+14+20 {
		return nil
	}
	vx, eth := udp[8:16], udp[16:30]
	inner := udp[30:]
	if vx[0]&0x08 == 0 || binary.BigEndian.Uint16(eth[12:]) != unix.ETH_P_IP || inner[0]>>4 != 4 {
		return nil
	}
	return &packet{
		outerSrc: netip.AddrFrom4([4]byte(b[12:16])), outerDst: netip.AddrFrom4([4]byte(b[16:20])),
		dstPort:     binary.BigEndian.Uint16(udp[2:]),
		vni:         uint32(vx[4])<<16 | uint32(vx[5])<<8 | uint32(vx[6]),
		innerDstMAC: bytes.Clone(eth[0:6]), innerSrcMAC: bytes.Clone(eth[6:12]),
		innerSrc: netip.AddrFrom4([4]byte(inner[12:16])), innerDst: netip.AddrFrom4([4]byte(inner[16:20])),
		outerLen: int(binary.BigEndian.Uint16(b[2:])), innerLen: int(binary.BigEndian.Uint16(inner[2:])),
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
