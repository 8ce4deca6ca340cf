package podlet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/image"
	"github.com/podlab/podlab/core/network"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/proc"
	"github.com/podlab/podlab/core/runtime"
)

// The test binary is also the shim and the init of the containers it
// starts: TestMain (pods_linux_test.go) runs runtime.Reexec first.

const realPod = `
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: nodeapi-test}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: busybox
    command: [sh, -c, "echo hello; echo oops >&2; i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.1; done"]
`

// The node API over a real pod, through the real HTTP server on
// 127.0.0.1: logs, exec, stats and inspect read what runs. The pod's
// node is a network namespace of the test's own, as in "podlab up".
func TestNodeAPIOnARealPod(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it runs a pod")
	}
	if _, err := os.Stat(image.DefaultBusybox); err != nil {
		t.Skipf("needs a static busybox at %s (apt-get install busybox-static)", image.DefaultBusybox)
	}
	ctx := context.Background()
	rt, nodeNetNS := realNode(t)
	bridge := fmt.Sprintf("podlabn%d", os.Getpid()%10000000)
	_, subnet, _ := net.ParseCIDR("10.244.250.0/24")
	node := &network.Config{Bridge: bridge, Subnet: subnet, NodeNetNS: nodeNetNS, StateDir: filepath.Join(filepath.Dir(rt.Root), "ipam")}
	pod, err := api.DecodePod([]byte(realPod))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := rt.CreateSandbox(ctx, pod, node)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.RemoveSandbox(ctx, ps, 0); err != nil {
			t.Errorf("remove the pod: %v", err)
		}
	})
	st, err := rt.StartContainer(ctx, ps, ps.Pod.Spec.Containers[0])
	if err != nil {
		t.Fatal(err)
	}

	var reviews atomic.Int32
	cfg := RuntimeNodeAPI("node-test", rt, NewAPIServerReviewer(fakeReviewServer(t, &reviews).URL), slog.New(slog.DiscardHandler))
	srv, err := NewNodeAPIServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveCtx, stop := context.WithCancel(ctx)
	served := make(chan error)
	go func() { served <- srv.Serve(serveCtx, ln) }()
	t.Cleanup(func() { stop(); <-served })
	nc := NewNodeClient(ln.Addr().String(), goodToken)

	t.Run("logs", func(t *testing.T) {
		if err := NewNodeClient(ln.Addr().String(), "bad").Logs(ctx, "nodeapi-test", "web", "app", LogOptions{TailLines: -1}, io.Discard); !client.IsUnauthorized(err) {
			t.Errorf("logs with a bad token: %v", err)
		}
		var out syncBuffer
		fctx, cancel := context.WithCancel(ctx)
		done := make(chan error)
		go func() {
			done <- nc.Logs(fctx, "nodeapi-test", "web", "app", LogOptions{Follow: true, TailLines: -1}, &out)
		}()
		waitFor(t, "three ticks", func() bool { return strings.Contains(out.String(), "tick 3\n") })
		cancel()
		if err := <-done; err != nil || !strings.HasPrefix(out.String(), "hello\noops\ntick 1\n") {
			t.Errorf("follow: %v\n%s", err, out.String())
		}
		var tail strings.Builder
		if err := nc.Logs(ctx, "nodeapi-test", "web", "app", LogOptions{TailLines: 1}, &tail); err != nil || !strings.HasPrefix(tail.String(), "tick ") || strings.Count(tail.String(), "\n") != 1 {
			t.Errorf("tail 1: %v %q", err, tail.String())
		}
	})

	t.Run("exec", func(t *testing.T) {
		exec := func(stdin io.Reader, command ...string) (int, string) {
			t.Helper()
			var out strings.Builder
			code, err := nc.Exec(ctx, "nodeapi-test", "web", "app", ExecOptions{Command: command, Stdin: stdin, Stdout: &out, Stderr: &out})
			if err != nil {
				t.Fatalf("exec %q: %v", command, err)
			}
			return code, out.String()
		}
		if code, out := exec(nil, "echo", "hi"); code != 0 || out != "hi\n" {
			t.Errorf("echo: %d %q", code, out)
		}
		if code, out := exec(nil, "sh", "-c", "echo to stderr >&2; exit 3"); code != 3 || out != "to stderr\n" {
			t.Errorf("exit 3: %d %q", code, out)
		}
		if code, out := exec(strings.NewReader("ping\n"), "cat"); code != 0 || out != "ping\n" {
			t.Errorf("cat with stdin: %d %q", code, out)
		}
		if code, out := exec(nil, "hostname"); code != 0 || out != "web\n" {
			t.Errorf("hostname: %d %q", code, out)
		}
		if _, err := nc.Exec(ctx, "nodeapi-test", "web", "app", ExecOptions{Command: []string{"nonexistent"}, Stdout: io.Discard, Stderr: io.Discard}); err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("a command the image does not have: %v", err)
		}
	})

	t.Run("exec with a terminal", func(t *testing.T) {
		keyboard, typing := io.Pipe()
		defer typing.Close()
		resize := make(chan runtime.TerminalSize)
		var out, errw syncBuffer
		type result struct {
			code int
			err  error
		}
		done := make(chan result)
		go func() {
			code, err := nc.Exec(ctx, "nodeapi-test", "web", "app", ExecOptions{Command: []string{"sh"}, Stdin: keyboard,
				Stdout: &out, Stderr: &errw, TTY: true, Size: runtime.TerminalSize{Width: 80, Height: 24}, Resize: resize})
			done <- result{code, err}
		}()
		shown := func(re string) {
			t.Helper()
			waitFor(t, fmt.Sprintf("%q on the screen, which shows %q", re, out.String()), func() bool {
				return regexp.MustCompile(re).MatchString(out.String())
			})
		}
		io.WriteString(typing, "tty; stty size\n")
		shown(`(?m)^/dev/pts/\d+\r\n24 80\r\n`)
		resize <- runtime.TerminalSize{Width: 132, Height: 43}
		io.WriteString(typing, "stty size; echo to stderr >&2\n")
		shown(`\r\n43 132\r\nto stderr\r\n`)
		io.WriteString(typing, "exit 3\n")
		select {
		case r := <-done:
			if r.code != 3 || r.err != nil || errw.String() != "" {
				t.Errorf("exec -t sh: %d %v, stderr %q; want 3, and stderr on the one screen", r.code, r.err, errw.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the shell did not exit; the screen shows %q", out.String())
		}

		// A client that goes away hangs the terminal up: its shell ends,
		// and nothing of it is left in the container.
		gone, leave := context.WithCancel(ctx)
		keyboard, typing = io.Pipe()
		defer typing.Close()
		out = syncBuffer{}
		go func() {
			code, err := nc.Exec(gone, "nodeapi-test", "web", "app", ExecOptions{Command: []string{"sh"}, Stdin: keyboard, Stdout: &out, TTY: true})
			done <- result{code, err}
		}()
		io.WriteString(typing, "echo ready\n")
		shown(`\r\nready\r\n`)
		// The shell is the one sh of the container that is not its PID 1
		// (whose loop starts only sleeps).
		cg, err := rt.Cgroups.Open(st.Cgroup)
		if err != nil {
			t.Fatal(err)
		}
		var shell []proc.Stat
		procs, _ := cg.Procs()
		for _, pid := range procs {
			if stat, err := proc.ReadStat(pid); err == nil && pid != st.Pid && stat.Comm == "sh" {
				shell = append(shell, stat)
			}
		}
		if len(shell) != 1 {
			t.Fatalf("the shells of the exec among the container's processes %v: %+v, want one", procs, shell)
		}
		leave()
		if r := <-done; !errors.Is(r.err, context.Canceled) {
			t.Errorf("exec -t with its context cancelled: %d %v", r.code, r.err)
		}
		waitFor(t, "the shell of the client gone to end", func() bool { return !proc.Alive(shell[0].Pid, shell[0].StartTime) })
	})

	t.Run("stats", func(t *testing.T) {
		sum, err := nc.Summary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Node.NodeName != "node-test" || sum.Node.Memory == nil || sum.Node.Memory.UsageBytes == 0 {
			t.Errorf("node %+v", sum.Node)
		}
		if len(sum.Pods) != 1 || sum.Pods[0].PodRef.UID != ps.Pod.UID || len(sum.Pods[0].Containers) != 1 {
			t.Fatalf("pods %+v", sum.Pods)
		}
		c := sum.Pods[0].Containers[0]
		if c.Name != "app" || c.Memory == nil || c.Memory.WorkingSetBytes == 0 || c.Memory.UsageBytes < c.Memory.WorkingSetBytes ||
			c.CPU == nil || c.CPU.UsageCoreNanoSeconds == 0 || c.CPU.UsageNanoCores == nil {
			t.Errorf("container %+v cpu %+v memory %+v", c, c.CPU, c.Memory)
		}
	})

	t.Run("inspect", func(t *testing.T) {
		in, err := nc.Inspect(ctx, "nodeapi-test", "web")
		if err != nil {
			t.Fatal(err)
		}
		pause, app := in.Sandbox, ContainerInspection{}
		if len(in.Containers) == 1 {
			app = in.Containers[0]
		}
		if pause.PID != ps.Pause.Pid || !pause.Alive || app.PID != st.Pid || !app.Alive {
			t.Fatalf("pause %+v, containers %+v", pause, in.Containers)
		}
		// The inodes are those of /proc/<pid>/ns/*; the app shares the
		// pause's net, ipc and uts, and has its own mnt and pid.
		for _, p := range []ProcessInspection{pause, app.ProcessInspection} {
			for _, typ := range []ns.Type{ns.Net, ns.IPC, ns.UTS, ns.PID, ns.Mount} {
				if ino, err := ns.Inode(p.PID, typ); err != nil || p.Namespaces[typ] != ino {
					t.Errorf("pid %d: %s namespace %d, /proc says %d (%v)", p.PID, typ, p.Namespaces[typ], ino, err)
				}
			}
		}
		for _, typ := range []ns.Type{ns.Net, ns.IPC, ns.UTS} {
			if app.Namespaces[typ] != pause.Namespaces[typ] {
				t.Errorf("the app does not share the pause's %s namespace", typ)
			}
		}
		if app.Namespaces[ns.Mount] == pause.Namespaces[ns.Mount] || app.Namespaces[ns.PID] == pause.Namespaces[ns.PID] {
			t.Error("the app shares the pause's mnt or pid namespace")
		}
		if !hasSuffixLine(app.ProcCgroup, "/"+st.Cgroup) || !hasSuffixLine(pause.ProcCgroup, "/"+ps.Cgroup) {
			t.Errorf("cgroups: app %v, pause %v; want %q and %q", app.ProcCgroup, pause.ProcCgroup, st.Cgroup, ps.Cgroup)
		}
		a, n := ps.Network, in.Network
		if n == nil || n.PodIP != ps.IP() || n.HostVeth != a.HostVeth || n.HostVethIfindex != a.HostIfindex ||
			n.HostVethPeer != a.PodIfindex || n.PodIfindex != a.PodIfindex || n.PodPeer != a.HostIfindex || n.Bridge != bridge {
			t.Errorf("network %+v, the runtime recorded %+v", n, a)
		}
	})
}

func hasSuffixLine(lines []string, suffix string) bool {
	for _, l := range lines {
		if strings.HasSuffix(l, suffix) {
			return true
		}
	}
	return false
}

// realNode makes a node for a real pod: a runtime with its own state in a
// directory under /run, its own cgroup parent, a busybox image and the
// pause binary, and a network namespace held by a sleep. When the test
// ends, after the pod is gone, it checks that nothing is left.
func realNode(t *testing.T) (*runtime.Runtime, string) {
	// Shims and pauses are started with Setsid, but stay this process's
	// children; as a subreaper it also adopts whatever they leave.
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	tmp, err := os.MkdirTemp("/run", "podlab-nodeapi-test-")
	if err != nil {
		t.Fatal(err)
	}
	cgroupParent := fmt.Sprintf("podlab-nodeapi-test-%d", os.Getpid())
	rt, err := runtime.NewAt(filepath.Join(tmp, "node"), cgroupParent)
	if err != nil {
		os.RemoveAll(tmp)
		t.Fatal(err)
	}
	rt.Images = &image.Store{Root: filepath.Join(tmp, "images")}
	holder := exec.Command("sleep", "3600")
	holder.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	t.Cleanup(func() {
		if holder.Process != nil {
			holder.Process.Kill()
			holder.Wait()
		}
		if left := leftOnNode(rt, tmp); left != "" {
			t.Errorf("the test left behind: %s", left)
		}
		os.RemoveAll(tmp)
	})
	if _, err := rt.Images.BuildBase(image.Ref{Name: "busybox", Tag: "latest"}, image.DefaultBusybox); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PODLAB_PAUSE", buildPause(t, tmp))
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	return rt, ns.Path(holder.Process.Pid, ns.Net)
}

// buildPause builds cmd/pause into dir/bin and returns its path.
func buildPause(t *testing.T, dir string) string {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "bin", "pause")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/pause")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/pause: %v\n%s", err, b)
	}
	return out
}

// leftOnNode describes what a node's runtime left: pods, containers,
// cgroups, mounts, and processes this process adopted.
func leftOnNode(rt *runtime.Runtime, dir string) string {
	var left []string
	if entries, _ := os.ReadDir(rt.Root); len(entries) > 0 {
		left = append(left, fmt.Sprintf("%d container directories", len(entries)))
	}
	if list, _ := rt.Sandboxes(); len(list) > 0 {
		left = append(left, fmt.Sprintf("%d pods", len(list)))
	}
	if names, _ := os.ReadDir(filepath.Join(rt.PodsDir(), "names")); len(names) > 0 {
		left = append(left, fmt.Sprintf("%d pod names", len(names)))
	}
	if _, err := rt.Cgroups.Open(rt.CgroupParent); err == nil {
		left = append(left, "cgroup "+rt.CgroupParent)
	}
	mounts, _ := proc.Mounts(os.Getpid())
	for _, m := range mounts {
		if strings.HasPrefix(m.Point, dir+"/") {
			left = append(left, "mount "+m.Point)
		}
	}
	// The shims exit with their containers; give them a moment to be reaped.
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		children := childrenOf(os.Getpid())
		if len(children) == 0 || time.Now().After(deadline) {
			for _, pid := range children {
				left = append(left, fmt.Sprintf("process %d %q", pid, proc.Cmdline(pid)))
			}
			break
		}
	}
	return strings.Join(left, ", ")
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	var children []int
	for _, p := range proc.List() {
		if st, err := proc.ReadStat(p); err == nil && st.PPid == pid {
			children = append(children, p)
		}
	}
	return children
}
