package network

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/ns"
)

// netnsDir is where `ip netns` keeps named network namespaces: each one is
// a file on which the namespace is bind-mounted, so it lives without a
// process in it.
const netnsDir = "/run/netns"

// NetNSPath is the file of the named network namespace, e.g.
// /run/netns/podlab-gw1, as `ip netns exec podlab-gw1 ...` finds it.
func NetNSPath(name string) string { return filepath.Join(netnsDir, name) }

// EnsureNetNS creates the named network namespace /run/netns/<name> like
// `ip netns add`, unless one is mounted there already; made says it did.
//
// Hazard: netns.NewNamed unshares the network namespace of the calling
// *thread* and bind-mounts it. It runs on a throw-away thread (ns.Do),
// locked and never unlocked, so the thread dies with the call and no
// goroutine ever runs in the new namespace by accident (IMPLEMENTATION.md
// §1.1, P3). The caller must lock its main thread (§1.4).
func EnsureNetNS(name string) (made bool, err error) {
	path := NetNSPath(name)
	if IsNetNS(path) {
		return false, nil
	}
	// A file without a namespace on it is left from a crash: start again.
	if _, err := DeleteNetNS(name); err != nil {
		return false, err
	}
	err = ns.Do(nil, func() error {
		h, err := netns.NewNamed(name)
		if err != nil {
			return err
		}
		return h.Close()
	})
	if err != nil {
		return false, fmt.Errorf("create network namespace %q: %w", path, err)
	}
	return true, nil
}

// DeleteNetNS unmounts and removes /run/netns/<name>, like `ip netns del
// <name>`: the links in it go with it (a veth's peer too), its routes, its
// iptables rules, its ip_forward, once nothing else holds it. A namespace
// that is gone already counts as deleted; deleted says whether there was
// one.
func DeleteNetNS(name string) (deleted bool, err error) {
	path := NetNSPath(name)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return false, fmt.Errorf("unmount %q: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err // "remove /run/netns/<name>: ..."
	}
	return true, nil
}

// IsNetNS tells whether a network namespace is mounted at path (the file
// is on nsfs, not just an empty file).
func IsNetNS(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.NSFS_MAGIC
}
