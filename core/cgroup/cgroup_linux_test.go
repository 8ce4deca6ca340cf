package cgroup

import (
	"maps"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestVersionFor(t *testing.T) {
	for _, tc := range []struct {
		fs    string
		magic int64
		want  int
	}{
		{"cgroup2 (unified host)", unix.CGROUP2_SUPER_MAGIC, 2},
		{"tmpfs (legacy or hybrid host)", unix.TMPFS_MAGIC, 1},
		{"cgroup (v1 hierarchy mounted at the root)", unix.CGROUP_SUPER_MAGIC, 1},
	} {
		if got := versionFor(tc.magic); got != tc.want {
			t.Errorf("versionFor(%s) = %d, want %d", tc.fs, got, tc.want)
		}
	}
}

// TestDetectHost checks Detect against the filesystem really mounted at
// /sys/fs/cgroup on this machine.
func TestDetectHost(t *testing.T) {
	var st unix.Statfs_t
	if err := unix.Statfs(mountRoot, &st); err != nil {
		t.Skipf("no %s: %v", mountRoot, err)
	}
	want := 1
	if st.Type == unix.CGROUP2_SUPER_MAGIC {
		want = 2
	}
	d, err := Detect()
	if err != nil {
		t.Fatal(err)
	}
	if d.Version() != want {
		t.Errorf("Detect().Version() = %d, want %d (statfs magic %#x)", d.Version(), want, st.Type)
	}
}

// hybridMountinfo is /proc/self/mountinfo of a Debian 12 hybrid host, with
// one hierarchy per controller and an empty cgroup2 at /sys/fs/cgroup/unified.
const hybridMountinfo = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`

// systemdMountinfo is a systemd legacy host: cpu and cpuacct share one
// hierarchy, and the lines carry optional fields ("shared:7") before " - ".
const systemdMountinfo = `25 24 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct
30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
31 25 0:28 / /sys/fs/cgroup/my\040pids rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,pids
`

func TestParseV1Mounts(t *testing.T) {
	for _, tc := range []struct {
		name, mountinfo string
		want            map[string]string
	}{
		{"hybrid", hybridMountinfo, map[string]string{
			"cpu":     "/sys/fs/cgroup/cpu",
			"cpuacct": "/sys/fs/cgroup/cpuacct",
			"memory":  "/sys/fs/cgroup/memory",
			"pids":    "/sys/fs/cgroup/pids",
		}},
		{"combined cpu,cpuacct", systemdMountinfo, map[string]string{
			"cpu":     "/sys/fs/cgroup/cpu,cpuacct",
			"cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
			"memory":  "/sys/fs/cgroup/memory",
			"pids":    "/sys/fs/cgroup/my pids",
		}},
	} {
		got, err := parseV1Mounts(strings.NewReader(tc.mountinfo))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !maps.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseV1MountsMissingController(t *testing.T) {
	noPids := strings.Replace(hybridMountinfo, "rw,pids", "rw,freezer", 1)
	_, err := parseV1Mounts(strings.NewReader(noPids))
	if err == nil {
		t.Fatal("no error for a host without the pids hierarchy")
	}
	for _, want := range []string{`controller "pids" is not mounted`, "mount -t cgroup -o pids cgroup /sys/fs/cgroup/pids"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// TestNewV1MissingController: a driver built from an incomplete map says
// which controller is missing instead of writing below "/".
func TestNewV1MissingController(t *testing.T) {
	d := NewV1(map[string]string{"cpu": t.TempDir()})
	_, err := d.Create("podlab/web")
	if err == nil || !strings.Contains(err.Error(), `"cpuacct" is not mounted`) {
		t.Errorf("Create with only cpu mounted: got error %v, want one naming cpuacct", err)
	}
}

func TestCheckName(t *testing.T) {
	for _, name := range []string{"podlab", "podlab/web", "podlab/web-1.2"} {
		if err := checkName(name); err != nil {
			t.Errorf("checkName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range []string{"", ".", "..", "../etc", "/podlab", "podlab/../..", "podlab//web", "podlab/"} {
		if err := checkName(name); err == nil {
			t.Errorf("checkName(%q) = nil, want an error", name)
		}
	}
}
