// Package apps_test runs each workload app and checks the behaviour its
// lesson relies on. (core/image checks that all of them build static.)
package apps_test

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// build compiles ./<app> as images need it: CGO_ENABLED=0.
func build(t *testing.T, app string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), app)
	cmd := exec.Command("go", "build", "-o", bin, "./"+app)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", app, err, out)
	}
	return bin
}

// start runs cmd and returns its stdout lines as they come.
func start(t *testing.T, cmd *exec.Cmd) <-chan string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		for sc := bufio.NewScanner(out); sc.Scan(); {
			lines <- sc.Text()
		}
	}()
	return lines
}

// next returns the next line that starts with prefix, skipping others.
func next(t *testing.T, lines <-chan string, prefix string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("output ended before a line starting with %q", prefix)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout:
			t.Fatalf("no line starting with %q within 10s", prefix)
		}
	}
}

// terminate sends SIGTERM, as a runtime stopping a container does, and
// wants a clean exit.
func terminate(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v, want exit status 0", err)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

func TestHello(t *testing.T) {
	cmd := exec.Command(build(t, "hello"), "-listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "VERSION=v2")
	lines := start(t, cmd)
	addr := strings.Fields(next(t, lines, "hello v2 listening on "))[4]

	hostname, _ := os.Hostname()
	body := get(t, "http://"+addr+"/")
	if !strings.HasPrefix(body, "version: v2\nhostname: "+hostname+"\nip: ") {
		t.Errorf("GET / = %q, want version, hostname and ip lines", body)
	}
	if body := get(t, "http://"+addr+"/healthz"); body != "ok\n" {
		t.Errorf("GET /healthz = %q, want ok", body)
	}
	terminate(t, cmd)
}

func TestMemhog(t *testing.T) {
	cmd := exec.Command(build(t, "memhog"), "-hold", "10ms", "40") // the positional MiB
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"allocated 16 MiB\n", "allocated 32 MiB\n", "allocated 40 MiB\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
	// ru_maxrss is in KiB: the pages were touched, so they were resident.
	if rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss; rss < 40<<10 {
		t.Errorf("max RSS %d KiB, want at least 40 MiB", rss)
	}
}

func TestCPUBurn(t *testing.T) {
	bin := build(t, "cpuburn")
	cmd := exec.Command(bin, "-cpus", "0.5", "-for", "1s")
	if out, err := cmd.Output(); err != nil || !strings.HasPrefix(string(out), "cpuburn: using 0.5 CPU:") {
		t.Fatalf("cpuburn -cpus 0.5 -for 1s: %q, %v", out, err)
	}
	// Half a CPU for a second is about 0.5s of CPU time. The bounds are wide
	// because other tests share the machine.
	used := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if used < 200*time.Millisecond || used > 800*time.Millisecond {
		t.Errorf("cpuburn -cpus 0.5 used %s of CPU in 1s, want about 500ms", used)
	}

	cmd = exec.Command(bin)
	next(t, start(t, cmd), "cpuburn: using 1 CPU:")
	terminate(t, cmd)
}

// TestOrphans runs orphans as PID 1 of a new PID namespace, as a container
// does, and counts its zombie children.
func TestOrphans(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a PID namespace")
	}
	cmd := exec.Command(build(t, "orphans"), "-every", "20ms", "-max", "5")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	lines := start(t, cmd)
	next(t, lines, "spawned orphan 5 (pid ")

	// The grandchildren exit after 100ms; none of them is ever reaped.
	deadline := time.Now().Add(5 * time.Second)
	for zombies(cmd.Process.Pid) < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("%d zombie children of orphans, want 5", zombies(cmd.Process.Pid))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// When PID 1 exits, the kernel ends its namespace and the zombies with it.
	terminate(t, cmd)
}

// zombies counts the processes whose parent is ppid and whose state is Z.
func zombies(ppid int) int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	n := 0
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended meanwhile
		}
		// "pid (comm) state ppid ...": comm may hold spaces, so split after ')'.
		fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
		if len(fields) > 1 && fields[0] == "Z" && fields[1] == strconv.Itoa(ppid) {
			n++
		}
	}
	return n
}
