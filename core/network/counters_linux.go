package network

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/podlab/podlab/core/ns"
)

// The counters a lab watches move while it sends packets: they show which
// devices a packet went through, in which network namespace.

// Counters are the packet counters of the link name in the network
// namespace at netnsPath ("" is the caller's), as `ip -s link show <name>`
// shows them.
func Counters(netnsPath, name string) (rx, tx uint64, err error) {
	h, err := HandleAt(netnsPath)
	if err != nil {
		return 0, 0, err
	}
	defer h.Close()
	link, err := h.LinkByName(name)
	if err != nil {
		return 0, 0, fmt.Errorf("find %q in %q: %w", name, netnsPath, err)
	}
	s := link.Attrs().Statistics
	if s == nil {
		return 0, 0, nil
	}
	return s.RxPackets, s.TxPackets, nil
}

// UDPInDatagrams is the Udp InDatagrams counter of the network namespace
// at netnsPath: the UDP datagrams it received, as `ip netns exec <name>
// grep Udp: /proc/net/snmp` shows them.
//
// Hazard: /proc/net is the network namespace of the thread that reads it,
// not the process's. A throw-away thread joins the namespace (ns.Do) and
// reads its own, /proc/thread-self/net/snmp.
func UDPInDatagrams(netnsPath string) (uint64, error) {
	var data []byte
	err := ns.Do(map[ns.Type]string{ns.Net: netnsPath}, func() (err error) {
		data, err = os.ReadFile("/proc/thread-self/net/snmp")
		return err
	})
	if err != nil {
		return 0, err
	}
	// Two "Udp:" lines: the names of the counters, then their values.
	var names []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "Udp: ") {
			continue
		}
		f := strings.Fields(line)[1:]
		if names == nil {
			names = f
			continue
		}
		for i, name := range names {
			if name == "InDatagrams" && i < len(f) {
				return strconv.ParseUint(f[i], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no Udp InDatagrams in /proc/net/snmp of %q", netnsPath)
}
