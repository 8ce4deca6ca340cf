// Package paths names the places on the host where podlab keeps its state.
//
// Every path can be moved with an environment variable, so that tests (and a
// curious student) can run a second, isolated podlab next to the real one:
//
//	PODLAB_RUN     runtime state, lost on reboot    (default /run/podlab)
//	PODLAB_LIB     persistent data such as images   (default /var/lib/podlab)
//	PODLAB_CGROUP  name of podlab's parent cgroup   (default podlab)
package paths

import (
	"os"
	"path/filepath"
)

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Run is the directory of runtime state (tmpfs: gone after a reboot, like the
// processes it describes).
func Run() string { return env("PODLAB_RUN", "/run/podlab") }

// Lib is the directory of persistent data.
func Lib() string { return env("PODLAB_LIB", "/var/lib/podlab") }

// CgroupParent is the cgroup under which every podlab container gets its own
// cgroup, e.g. /sys/fs/cgroup/memory/podlab/<container> on cgroup v1.
func CgroupParent() string { return env("PODLAB_CGROUP", "podlab") }

// Images is the local image store.
func Images() string { return filepath.Join(Lib(), "images") }

// Containers holds one directory per container: config, state, log, rootfs layers.
func Containers() string { return filepath.Join(Run(), "containers") }

// Labs holds one record per lab run: what the lab created, for --cleanup.
func Labs() string { return filepath.Join(Run(), "labs") }
