package network

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/ns"
)

// Ping sends one ICMP echo request to ip from inside the network namespace
// at netnsPath ("" = this one) and waits up to timeout for the reply: what
// `ping -c1` does, without forking a ping binary. The raw socket is opened
// on a throw-away thread joined to the namespace and stays bound to it.
func Ping(netnsPath string, ip net.IP, timeout time.Duration) error {
	ip = ip.To4()
	if ip == nil {
		return fmt.Errorf("ping %s: only IPv4", ip)
	}
	var fd int
	open := func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
		return err
	}
	var err error
	if netnsPath == "" {
		err = open()
	} else {
		err = ns.Do(map[ns.Type]string{ns.Net: netnsPath}, open)
	}
	if err != nil {
		return fmt.Errorf("ping %s: raw socket: %w", ip, err)
	}
	defer unix.Close(fd)

	id := uint16(os.Getpid())
	seq := uint16(time.Now().UnixNano())
	// type 8 (echo request), code 0, checksum, identifier, sequence.
	msg := []byte{8, 0, 0, 0, byte(id >> 8), byte(id), byte(seq >> 8), byte(seq)}
	binary.BigEndian.PutUint16(msg[2:], checksum(msg))
	to := &unix.SockaddrInet4{}
	copy(to.Addr[:], ip)
	if err := unix.Sendto(fd, msg, 0, to); err != nil {
		return fmt.Errorf("ping %s: %w", ip, err)
	}
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 1500)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("ping %s: no reply within %v", ip, timeout)
		}
		tv := unix.NsecToTimeval(left.Nanoseconds())
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			if err == unix.EAGAIN || err == unix.EINTR {
				continue
			}
			return fmt.Errorf("ping %s: %w", ip, err)
		}
		// A raw socket hands over the IP header too: skip it (IHL words).
		if n < 20 {
			continue
		}
		hdr := int(buf[0]&0x0f) * 4
		reply := buf[hdr:n]
		src, ok := from.(*unix.SockaddrInet4)
		if ok && net.IP(src.Addr[:]).Equal(ip) && len(reply) >= 8 && reply[0] == 0 &&
			binary.BigEndian.Uint16(reply[4:]) == id && binary.BigEndian.Uint16(reply[6:]) == seq {
			return nil
		}
	}
}

// checksum is the Internet checksum (RFC 1071).
func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
