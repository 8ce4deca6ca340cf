package network

import (
	"os"
	"path/filepath"
	"testing"
)

// host-local's round robin on a /29 (pod addresses .2 to .6), without any
// network: reserve, re-reserve, release, wrap around, run out.
func TestStoreRoundRobin(t *testing.T) {
	dir := t.TempDir()
	subnet := mustCIDR(t, "10.244.99.0/29")
	s, err := lockStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.unlock()
	reserve := func(podID, want string, wantFirst bool) {
		t.Helper()
		ip, first, err := s.reserve(podID, subnet)
		if err != nil {
			t.Fatal(err)
		}
		if ip.String() != want || first != wantFirst {
			t.Fatalf("reserve(%q) = %s first=%v, want %s first=%v", podID, ip, first, want, wantFirst)
		}
	}
	reserve("a", "10.244.99.2", true)
	reserve("b", "10.244.99.3", false)
	reserve("c", "10.244.99.4", false)
	reserve("a", "10.244.99.2", false) // already holds one
	if b, _ := os.ReadFile(filepath.Join(dir, "10.244.99.3")); string(b) != "b" {
		t.Errorf("file of 10.244.99.3 holds %q, want the pod ID", b)
	}
	if released, left, err := s.release("b"); err != nil || !released || left != 2 {
		t.Fatalf("release(b) = %v %d %v", released, left, err)
	}
	if released, _, err := s.release("b"); err != nil || released {
		t.Fatalf("second release(b) = %v %v", released, err)
	}
	reserve("d", "10.244.99.5", false) // after the last reserved, not the freed .3
	reserve("e", "10.244.99.6", false)
	reserve("f", "10.244.99.3", false) // wrapped around
	_, _, err = s.reserve("g", subnet)
	want := `no free IP in 10.244.99.0/29 for pod "g": all 5 addresses are reserved (see ` + dir + `)`
	if err == nil || err.Error() != want {
		t.Fatalf("reserve on a full subnet: %v, want %s", err, want)
	}
	held, err := s.reservations()
	if err != nil || len(held) != 5 || held["10.244.99.3"] != "f" {
		t.Fatalf("reservations = %v, %v", held, err)
	}
	for _, pod := range []string{"a", "c", "d", "e", "f"} {
		if _, _, err := s.release(pod); err != nil {
			t.Fatal(err)
		}
	}
	if held, _ := s.reservations(); len(held) != 0 {
		t.Fatalf("left after releasing all: %v", held)
	}
}

func TestReservationsWithoutStateDir(t *testing.T) {
	c := Config{Subnet: mustCIDR(t, "10.244.99.0/24"), StateDir: filepath.Join(t.TempDir(), "none")}
	held, err := c.Reservations()
	if err != nil || len(held) != 0 {
		t.Fatalf("Reservations = %v, %v", held, err)
	}
	if _, err := os.Stat(c.StateDir); !os.IsNotExist(err) {
		t.Errorf("Reservations created %s", c.StateDir)
	}
}
