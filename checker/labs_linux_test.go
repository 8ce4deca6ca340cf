package checker_test

// The integration test of labs 00-04 and their checks, run for real as root:
// every check fails on a fresh host, passes after its lab (or the exercise's
// reference solution) and passes again on a second run, fails again after
// --cleanup, and the host is left as it was found.
//
// It runs an isolated podlab: its own state directories (PODLAB_RUN,
// PODLAB_LIB) and parent cgroup (PODLAB_CGROUP), so a real podlab on the
// same machine is neither seen nor touched.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/checker"
	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/proc"
)

// Checks join namespaces on throw-away threads (IMPLEMENTATION.md §1.4).
func init() { goruntime.LockOSThread() }

var (
	tmp  string // everything this test makes on disk
	bin  string // the binaries built from this checkout
	repo string // the checkout
)

var labs = []string{
	"lab00-preflight",
	"lab01-container-is-a-process",
	"lab02-resource-limits",
	"lab03-image-and-rootfs",
	"lab04-single-process-model",
	"lab05-pause-container",
	"lab06-shared-volumes",
	"lab07-pod-network",
}

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		fmt.Println("skipping the lab integration tests: they need root (namespaces, mounts, cgroups)")
		os.Exit(m.Run()) // the unit tests still run
	}
	var err error
	if tmp, err = os.MkdirTemp("", "podlab-labs-test-"); err != nil {
		panic(err)
	}
	bin = filepath.Join(tmp, "bin")
	os.Setenv("PODLAB_RUN", filepath.Join(tmp, "run"))
	os.Setenv("PODLAB_LIB", filepath.Join(tmp, "lib"))
	os.Setenv("PODLAB_CGROUP", fmt.Sprintf("podlab-test-%d", os.Getpid()))
	os.Setenv("NO_COLOR", "1")
	// Pods of this test go on a bridge of their own.
	os.Setenv("PODLAB_BRIDGE", fmt.Sprintf("podlabt%d", os.Getpid()%100000))
	os.Setenv("PODLAB_POD_SUBNET", "10.244.251.0/24")
	// Shims outlive the lab binaries that start them; as a subreaper this
	// process adopts them and can reap them, instead of leaving zombies to
	// an init that may not reap (some sandboxes' PID 1 does not).
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	code := 1
	if err := build(); err != nil {
		fmt.Println(err)
	} else {
		code = m.Run()
	}
	reapAdopted()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// build compiles the binaries and the workload apps of this checkout.
func build() error {
	root, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %v", err)
	}
	dir := filepath.Dir(strings.TrimSpace(string(root)))
	repo = dir
	for _, b := range []struct{ out, pkgs string }{{bin, "./cmd/..."}, {filepath.Join(bin, "apps"), "./workloads/apps/..."}} {
		cmd := exec.Command("go", "build", "-o", b.out+"/", b.pkgs)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", b.pkgs, err, out)
		}
	}
	return nil
}

// reapAdopted waits for exited processes this one adopted as a subreaper.
func reapAdopted() {
	for _, pid := range proc.List() {
		if st, err := proc.ReadStat(pid); err == nil && st.PPid == os.Getpid() && st.State == 'Z' {
			var ws unix.WaitStatus
			unix.Wait4(pid, &ws, 0, nil)
		}
	}
}

// podlab runs one of the built binaries and returns its output and exit code.
func podlab(t *testing.T, name string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out.String(), code
}

func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, code := podlab(t, name, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s", name, strings.Join(args, " "), code, out)
	}
	return out
}

// results runs the checks of one lab in this process and returns pass/fail by id.
func results(t *testing.T, lab string) map[string]checker.Outcome {
	t.Helper()
	reg, err := checker.NewRegistry(checker.All()...)
	if err != nil {
		t.Fatal(err)
	}
	checks, err := reg.Select(lab)
	if err != nil {
		t.Fatal(err)
	}
	rep := checker.Run(context.Background(), checks, checker.DefaultTimeout)
	byID := map[string]checker.Outcome{}
	for _, o := range rep.Outcomes {
		byID[o.Check.ID] = o
	}
	return byID
}

// expect asserts which checks of a lab pass: the exercise checks pass only
// when exercises is true, the others only when lab is true.
func expect(t *testing.T, when, lab string, labDone, exercisesDone bool) {
	t.Helper()
	for id, o := range results(t, lab) {
		// Here, on this machine's own labs and local cluster, every check
		// applies: "not applicable" must never hide a failure.
		if o.NotApplicable != "" {
			t.Errorf("%s: check %s is not applicable here: %s", when, id, o.NotApplicable)
			continue
		}
		want := labDone
		if o.Check.Exercise {
			want = exercisesDone
		}
		if o.Result.Pass != want {
			t.Errorf("%s: check %s pass=%v, want %v\n  evidence: %s\n  hint: %s", when, id, o.Result.Pass, want,
				strings.Join(o.Result.Evidence, "\n            "), o.Result.Hint)
		}
		if !o.Result.Pass && o.Result.Hint == "" {
			t.Errorf("%s: failing check %s gives no hint", when, id)
		}
	}
}

// started is something a reference solution started: a container or a pod.
type started struct{ kind, force, name string }

// solution runs the reference solution of a lab's exercise, if it has one,
// and returns what it started.
func solution(t *testing.T, lab string) []started {
	t.Helper()
	scripts, _ := filepath.Glob(filepath.Join(repo, "labs", lab+"-*", "solution.sh"))
	if len(scripts) == 0 {
		return nil
	}
	before := listed(t)
	cmd := exec.Command(scripts[0])
	cmd.Env = append(os.Environ(), "PODLAB="+filepath.Join(bin, "podlab"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", scripts[0], err, out)
	}
	var made []started
	for _, s := range listed(t) {
		if !slices.Contains(before, s) {
			made = append(made, s)
		}
	}
	return made
}

// listed is every container and pod that podlab lists.
func listed(t *testing.T) []started {
	var all []started
	for _, name := range strings.Fields(mustRun(t, "podlab", "pod", "ls", "--quiet")) {
		all = append(all, started{"pod", "--grace-period=0", name})
	}
	pods := map[string]bool{}
	for _, p := range all {
		pods[p.name] = true
	}
	for _, name := range strings.Fields(mustRun(t, "podlab", "container", "ls", "--quiet")) {
		if !podContainer(name, pods) {
			all = append(all, started{"container", "--force", name})
		}
	}
	return all
}

// podContainer: the runtime names a pod's containers "<pod>-<container>".
func podContainer(name string, pods map[string]bool) bool {
	for p := range pods {
		if strings.HasPrefix(name, p+"-") {
			return true
		}
	}
	return false
}

// apps are the workload images the labs need.
var apps = []string{"cpuburn", "memhog", "orphans", "hello"}

func TestLabsAndChecks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs the labs for real")
	}
	before := hostState(t)

	t.Run("fresh host: every check fails", func(t *testing.T) {
		for i := range labs {
			expect(t, "fresh host", fmt.Sprintf("%02d", i), false, false)
		}
	})
	t.Run("00", func(t *testing.T) {
		mustRun(t, labs[0], "--auto")
		expect(t, "after lab 00", "00", true, false)
		expect(t, "second checker run", "00", true, false)
	})
	// The app images (what "make images" does) for the labs that need them.
	for _, app := range apps {
		mustRun(t, "podlab", "image", "build", "--binary", filepath.Join(bin, "apps", app), app)
	}
	for i := 1; i < len(labs); i++ {
		lab := fmt.Sprintf("%02d", i)
		t.Run(lab, func(t *testing.T) {
			mustRun(t, labs[i], "--auto")
			expect(t, "after lab "+lab, lab, true, false)
			expect(t, "second checker run", lab, true, false)
			if started := solution(t, lab); len(started) > 0 {
				expect(t, "after the exercise's solution", lab, true, true)
				for _, c := range started {
					defer mustRun(t, "podlab", c.kind, "rm", c.force, c.name)
				}
			}
			// Running the lab again is harmless: it replaces its own run.
			if lab == "01" {
				mustRun(t, labs[i], "--auto")
				expect(t, "after running lab 01 twice", lab, true, true)
			}
		})
	}
	t.Run("the checker binary grades", func(t *testing.T) {
		out, code := podlab(t, "checker", "run", "03")
		if code != 0 || !strings.Contains(out, "4 passed, 0 failed") {
			t.Errorf("checker run 03: exit %d\n%s", code, out)
		}
		out, code = podlab(t, "checker", "run", "01") // its exercise was removed
		if code != 1 || !strings.Contains(out, "3 passed, 1 failed") {
			t.Errorf("checker run 01: exit %d\n%s", code, out)
		}
		out, code = podlab(t, "checker", "grade", "--student", "ada", "--format", "junit", "--out", filepath.Join(tmp, "grade.xml"))
		if code != 1 { // the exercises were removed
			t.Errorf("checker grade: exit %d, want 1 (exercise checks fail)\n%s", code, out)
		}
		if data, err := os.ReadFile(filepath.Join(tmp, "grade.xml")); err != nil || !bytes.Contains(data, []byte("01.pid-namespace")) {
			t.Errorf("junit report: %v\n%s", err, data)
		}
	})
	t.Run("cleanup", func(t *testing.T) {
		for i := len(labs) - 1; i >= 1; i-- {
			mustRun(t, labs[i], "--cleanup")
			expect(t, "after cleanup", fmt.Sprintf("%02d", i), false, false)
		}
		for _, app := range apps {
			mustRun(t, "podlab", "image", "rm", app)
		}
		mustRun(t, labs[0], "--cleanup")
		expect(t, "after cleanup", "00", false, false)
		if out := mustRun(t, labs[1], "--cleanup"); !strings.Contains(out, "nothing to clean up") {
			t.Errorf("a second cleanup should find nothing:\n%s", out)
		}
	})
	reapAdopted()
	if after := hostState(t); after != before {
		t.Errorf("the host changed:\nbefore: %s\nafter:  %s", before, after)
	}
}

// hostState summarises what podlab could leave behind: cgroups, mounts,
// processes, network namespaces, container directories.
func hostState(t *testing.T) string {
	t.Helper()
	var parts []string
	drv, err := cgroup.Detect()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := drv.Open(os.Getenv("PODLAB_CGROUP")); err == nil {
		parts = append(parts, "cgroup "+os.Getenv("PODLAB_CGROUP"))
	}
	mounts, _ := proc.Mounts(os.Getpid())
	for _, m := range mounts {
		if strings.HasPrefix(m.Point, tmp) || strings.Contains(m.Point, "podlab") {
			parts = append(parts, "mount "+m.Point)
		}
	}
	for _, pid := range proc.List() {
		if cmd := strings.Join(proc.Cmdline(pid), " "); strings.Contains(cmd, tmp) {
			parts = append(parts, "process "+strconv.Itoa(pid)+" "+cmd)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(tmp, "run", "containers")); len(entries) > 0 {
		parts = append(parts, fmt.Sprintf("%d container directories", len(entries)))
	}
	if entries, _ := os.ReadDir(filepath.Join(tmp, "lib", "images")); len(entries) > 0 {
		parts = append(parts, fmt.Sprintf("%d images", len(entries)))
	}
	netns, _ := exec.Command("ip", "netns", "list").Output()
	parts = append(parts, "netns: "+strings.TrimSpace(string(netns)))
	links, _ := exec.Command("ip", "-o", "link").Output()
	for _, l := range strings.Split(string(links), "\n") {
		if strings.Contains(l, "podlab") {
			parts = append(parts, "link "+l)
		}
	}
	rules, _ := exec.Command("iptables-save").Output()
	for _, l := range strings.Split(string(rules), "\n") {
		if strings.Contains(l, "podlab") {
			parts = append(parts, "rule "+l)
		}
	}
	forward, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	parts = append(parts, "ip_forward "+strings.TrimSpace(string(forward)))
	return strings.Join(parts, "; ")
}

func TestBadInput(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs containers")
	}
	mustRun(t, "podlab", "image", "build", "busybox")
	defer mustRun(t, "podlab", "image", "rm", "busybox")
	cases := []struct {
		bin  string
		args []string
		code int
		want string
	}{
		{"checker", []string{"run", "42"}, 2, `unknown lab "42"`},
		{"podlab", []string{"container", "run", "--name", "x", "nginx", "true"}, 1, `image "nginx:latest" not found`},
		{"podlab", []string{"container", "run", "--name", "x", "../x", "true"}, 1, `invalid image name "../x"`},
		{"podlab", []string{"container", "run", "--name", "x", "BusyBox", "true"}, 1, `invalid image name "BusyBox"`},
		{"podlab", []string{"container", "run", "--name", "../x", "busybox", "true"}, 1, `invalid container name "../x"`},
		{"podlab", []string{"container", "run", "--name", "x", "busybox", "no-such-command"}, 1, `exec "no-such-command": not found in image "busybox"`},
		{"podlab", []string{"container", "run", "--name", "x", "--memory", "lots", "busybox", "true"}, 2, `invalid memory quantity "lots"`},
		{"podlab", []string{"image", "build", "../x"}, 2, `invalid image name "../x"`},
		{"podlab", []string{"container", "logs", "ghost"}, 1, `container "ghost"`},
		{"podlab", []string{"container", "run", "busybox", "true"}, 2, `give the container a --name`},
		{"podlab", []string{"container", "run", "--name", "x", "--pids", "-1", "busybox", "true"}, 2, `--pids: -1 is negative`},
		{"podlab", []string{"container", "bogus"}, 2, `unknown command "bogus"`},
	}
	for _, c := range cases {
		out, code := podlab(t, c.bin, c.args...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != c.code || len(lines) != 1 || !strings.Contains(out, c.want) {
			t.Errorf("%s %s: exit %d, output:\n%s\nwant exit %d and one line saying %s", c.bin, strings.Join(c.args, " "), code, out, c.code, c.want)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(tmp, "run", "containers")); len(entries) > 0 {
		t.Errorf("bad input left %d containers behind", len(entries))
	}
}

// Lab 00 reports every missing tool with the command that fixes it, exits
// non-zero, and prepares nothing.
func TestPreflightReportsMissing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: lab 00 refuses to run without it")
	}
	cmd := exec.Command(filepath.Join(bin, labs[0]), "--auto")
	cmd.Env = append(os.Environ(), "PATH=/nonexistent") // no ip, no iptables
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("lab 00 without tools: %v, want exit status 1\n%s", err, out)
	}
	for _, want := range []string{"iptables not in PATH", "apt-get install iptables", "apt-get install iproute2", "needed items are missing"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("lab 00 output does not say %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(tmp, "lib", "images", "busybox")); err == nil {
		t.Error("lab 00 built the base image although the host is not ready")
	}
}

// A malformed manifest gets an error naming the line or the field, and
// creates nothing.
func TestBadManifests(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: podlab pod run")
	}
	cases := map[string]struct{ manifest, want string }{
		"syntax":         {"apiVersion: v1\nkind: Pod\nmetadata:\n  name: [x\n", "line "},
		"unknown field":  {"apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: c\n    imagee: busybox\n", `unknown field "imagee"`},
		"duplicate name": {"{apiVersion: v1, kind: Pod, metadata: {name: x}, spec: {containers: [{name: c, image: busybox}, {name: c, image: busybox}]}}", "spec.containers[1].name: Duplicate value"},
		"bad pod name":   {"{apiVersion: v1, kind: Pod, metadata: {name: Web}, spec: {containers: [{name: c, image: busybox}]}}", "metadata.name: Invalid value"},
		"bad container":  {"{apiVersion: v1, kind: Pod, metadata: {name: x}, spec: {containers: [{name: a_b, image: busybox}]}}", "spec.containers[0].name: Invalid value"},
		"hostPath ..":    {"{apiVersion: v1, kind: Pod, metadata: {name: x}, spec: {volumes: [{name: v, hostPath: {path: /data/../etc}}], containers: [{name: c, image: busybox}]}}", "spec.volumes[0].hostPath.path"},
		"mounted twice": {"{apiVersion: v1, kind: Pod, metadata: {name: x}, spec: {volumes: [{name: v, emptyDir: {}}], containers: [{name: c, image: busybox, " +
			"volumeMounts: [{name: v, mountPath: /d}, {name: v, mountPath: /d}]}]}}", "spec.containers[0].volumeMounts[1].mountPath"},
	}
	for what, c := range cases {
		file := filepath.Join(t.TempDir(), "pod.yaml")
		os.WriteFile(file, []byte(c.manifest), 0o644)
		out, code := podlab(t, "podlab", "pod", "run", "-f", file)
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d, output:\n%s\nwant an error saying %s", what, code, out, c.want)
		}
	}
	if pods := strings.TrimSpace(mustRun(t, "podlab", "pod", "ls", "--quiet")); pods != "" {
		t.Errorf("bad manifests created pods: %s", pods)
	}
	if entries, _ := os.ReadDir(filepath.Join(tmp, "run", "containers")); len(entries) > 0 {
		t.Errorf("bad manifests left %d containers", len(entries))
	}
}
