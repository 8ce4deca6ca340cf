package network

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/podlab/podlab/core/ns"
)

// A named network namespace made twice, over a stale file, read, and
// deleted twice: each step harmless to repeat.
func TestNamedNetNS(t *testing.T) {
	needRoot(t)
	const name = "podlab-t-named"
	path := NetNSPath(name)
	if _, err := os.Stat(path); err == nil {
		t.Fatalf("%s exists: a test left it? delete it with ip netns del %s", path, name)
	}
	t.Cleanup(func() { DeleteNetNS(name) })
	if err := os.WriteFile(path, nil, 0o644); err != nil { // as a crash leaves it
		t.Fatal(err)
	}
	for i := range 2 {
		made, err := EnsureNetNS(name)
		if err != nil {
			t.Fatal(err)
		}
		if made != (i == 0) {
			t.Errorf("EnsureNetNS #%d: made %v (the first makes it, over the crash's empty file; the second finds it)", i+1, made)
		}
		if !IsNetNS(path) {
			t.Fatalf("no network namespace at %s", path)
		}
	}
	if err := LoopbackOnly(path); err != nil {
		t.Fatal(err)
	}
	rx0, tx0, err := Counters(path, "lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := Ping(path, net.ParseIP("127.0.0.1"), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if rx, tx, err := Counters(path, "lo"); err != nil || rx <= rx0 || tx <= tx0 {
		t.Errorf("lo's counters after a ping: rx %d → %d, tx %d → %d (%v)", rx0, rx, tx0, tx, err)
	}
	if _, _, err := Counters(path, "eth9"); err == nil {
		t.Error("the counters of a link that is not there: no error")
	}
	in0, err := UDPInDatagrams(path)
	if err != nil {
		t.Fatal(err)
	}
	err = ns.Do(map[ns.Type]string{ns.Net: path}, func() error { // one datagram to itself
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.WriteTo([]byte("x"), conn.LocalAddr()); err != nil {
			return err
		}
		conn.SetReadDeadline(time.Now().Add(time.Second))
		_, _, err = conn.ReadFrom(make([]byte, 1))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if in, err := UDPInDatagrams(path); err != nil || in != in0+1 {
		t.Errorf("Udp InDatagrams after one datagram: %d → %d (%v)", in0, in, err)
	}
	for i := range 2 {
		deleted, err := DeleteNetNS(name)
		if err != nil {
			t.Fatal(err)
		}
		if deleted != (i == 0) {
			t.Errorf("DeleteNetNS #%d: deleted %v, want %v", i+1, deleted, i == 0)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s after DeleteNetNS: %v", path, err)
	}
}
