package network

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// The IPAM store, in the layout of host-local
// (plugins/ipam/host-local/backend/disk): a directory with one file per
// reserved address, named by the address and containing the pod ID.
// Creating such a file with O_EXCL is the reservation; a student can list
// the reservations with ls and free one with rm.
const (
	lockFile         = "lock"
	lastReservedFile = "last_reserved_ip"
)

// store is the IPAM directory of one bridge, locked by this process.
type store struct {
	dir  string
	lock *os.File
}

// lockStore creates dir if needed and takes an exclusive flock(2) on its
// lock file, waiting for other Adds and Dels of this bridge, in this or
// any other process, to finish. Unlock releases it.
func lockStore(dir string) (*store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create IPAM directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open IPAM lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %q: %w", f.Name(), err)
	}
	return &store{dir: dir, lock: f}, nil
}

// unlock releases the lock: closing the file drops the flock.
func (s *store) unlock() { s.lock.Close() }

// reservations reads every reserved address: IP -> pod ID.
func (s *store) reservations() (map[string]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read IPAM directory: %w", err)
	}
	held := map[string]string{}
	for _, e := range entries {
		if ip := net.ParseIP(e.Name()); ip == nil || ip.To4() == nil {
			continue // lock, last_reserved_ip, ...
		}
		podID, err := os.ReadFile(filepath.Join(s.dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read reservation: %w", err)
		}
		held[e.Name()] = string(podID)
	}
	return held, nil
}

// reserve gives podID an address of subnet, the one it already holds if
// any. Like host-local it goes round-robin: it starts after the last
// address it reserved, wraps around, and skips those that are held, so a
// released address is not reused at once. first reports that no other
// address was reserved: the caller then sets up the node.
func (s *store) reserve(podID string, subnet *net.IPNet) (ip net.IP, first bool, err error) {
	held, err := s.reservations()
	if err != nil {
		return nil, false, fmt.Errorf("reserve an IP for pod %q: %w", podID, err)
	}
	r := rangeOf(subnet)
	for addr, owner := range held {
		if owner == podID && subnet.Contains(net.ParseIP(addr)) {
			return net.ParseIP(addr).To4(), false, nil
		}
	}
	start := r.first
	if last, ok := s.lastReserved(); ok && r.contains(last) {
		start = r.next(last)
	}
	candidate := start
	for range r.size() {
		if _, taken := held[toIP(candidate).String()]; !taken {
			err := s.create(toIP(candidate), podID)
			if err == nil {
				return toIP(candidate), len(held) == 0, nil
			}
			if !errors.Is(err, fs.ErrExist) {
				return nil, false, fmt.Errorf("reserve an IP for pod %q: %w", podID, err)
			}
		}
		candidate = r.next(candidate)
	}
	return nil, false, fmt.Errorf("no free IP in %s for pod %q: all %d addresses are reserved (see %s)",
		subnet, podID, r.size(), s.dir)
}

// create reserves ip for podID and moves the cursor to it. O_EXCL makes
// it fail if the file exists. Its errors name the file.
func (s *store) create(ip net.IP, podID string) error {
	path := filepath.Join(s.dir, ip.String())
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(podID)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(s.dir, lastReservedFile), []byte(ip.String()), 0o644)
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// lastReserved reads the cursor of the round-robin search.
func (s *store) lastReserved() (uint32, bool) {
	b, err := os.ReadFile(filepath.Join(s.dir, lastReservedFile))
	if err != nil {
		return 0, false
	}
	ip := net.ParseIP(strings.TrimSpace(string(b)))
	if ip == nil || ip.To4() == nil {
		return 0, false
	}
	return toUint32(ip), true
}

// release frees every address podID holds. It reports whether it freed
// any, and how many addresses other Pods still hold.
func (s *store) release(podID string) (released bool, left int, err error) {
	held, err := s.reservations()
	if err != nil {
		return false, 0, err
	}
	for addr, owner := range held {
		if owner != podID {
			left++
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, addr)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, 0, fmt.Errorf("release %s: %w", addr, err)
		}
		released = true
	}
	return released, left, nil
}

// The ip_forward value from before podlab is saved once per network
// namespace, beside the bridges' stores (<StateDir>/../ip_forward.<inode>):
// two bridges in one namespace (podlab0 and a second podlab's) share it, so
// whichever bridge goes last puts back the value from before the first.
func (s *store) forwardFile(netnsInode uint64) string {
	return filepath.Join(filepath.Dir(s.dir), fmt.Sprintf("ip_forward.%d", netnsInode))
}

// savedForward returns the ip_forward value saved before the first Pod.
func (s *store) savedForward(netnsInode uint64) (value string, ok bool, err error) {
	b, err := os.ReadFile(s.forwardFile(netnsInode))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read saved ip_forward: %w", err)
	}
	return strings.TrimSpace(string(b)), true, nil
}

func (s *store) saveForward(netnsInode uint64, value string) error {
	if err := os.WriteFile(s.forwardFile(netnsInode), []byte(value+"\n"), 0o644); err != nil {
		return fmt.Errorf("save ip_forward: %w", err)
	}
	return nil
}

func (s *store) forgetForward(netnsInode uint64) error {
	if err := os.Remove(s.forwardFile(netnsInode)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove saved ip_forward: %w", err)
	}
	return nil
}
