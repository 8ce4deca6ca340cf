// Package runtime runs containers: ordinary processes in new namespaces,
// with an image as their root filesystem and a cgroup around them.
//
// What `podlab container run` does, in the order the kernel needs it:
//
//  1. Run (the caller) checks the spec, finds the image, makes the container
//     directory and its cgroup, then starts a shim.
//  2. The shim (podlab-shim) is the parent of the container for its whole
//     life, like containerd-shim or conmon: it starts the init process, and
//     later records the exit code (and OOMKilled) in state.json. The caller
//     may exit meanwhile.
//  3. The init (podlab-init) is born in its cgroup and in new PID, UTS, IPC
//     and mount (and optionally network) namespaces: it mounts the overlay
//     root filesystem, /proc and /dev, pivot_roots into it and execs the
//     workload, which becomes PID 1.
//
// Shim and init are this same binary re-executed (/proc/self/exe) with
// another argv[0]; every main that uses this package calls Reexec first.
package runtime

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"
	"time"

	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/ns"
)

// Spec is what to run.
type Spec struct {
	Name  string `json:"name"`  // DNS label, unique on this host
	Image string `json:"image"` // "busybox" or "hello:v2"
	// Command and Args work as in a Pod: Command replaces the image's
	// entrypoint, Args its cmd; with only Command given the cmd is dropped.
	Command    []string `json:"command,omitempty"`
	Args       []string `json:"args,omitempty"`
	Env        []string `json:"env,omitempty"`        // added to the image's environment
	WorkingDir string   `json:"workingDir,omitempty"` // default "/"
	Hostname   string   `json:"hostname,omitempty"`   // default: the container name
	// Network gives the container its own network namespace (only "lo").
	// Without it the container uses the network of whatever it joins, or the host's.
	Network bool `json:"network,omitempty"`
	// Join lists existing namespaces to enter instead of creating new ones
	// (type -> /proc/PID/ns/TYPE): how the containers of a Pod share the
	// pause process's network, IPC and UTS.
	Join map[ns.Type]string `json:"join,omitempty"`
	// Resources are the cgroup limits.
	Resources cgroup.Resources `json:"resources"`
	// Cgroup places the container's cgroup (default: <parent>/<name>); a
	// Pod's containers go below the Pod's own cgroup.
	Cgroup string `json:"cgroup,omitempty"`
	// Init runs a small reaping init as PID 1 that starts the workload as its
	// child, forwards signals to it and reaps every orphan (docker run --init,
	// and the role of the pause process in a Pod).
	Init bool `json:"init,omitempty"`
	// Mounts are bind-mounted into the root filesystem before pivot_root:
	// a Pod's volumes.
	Mounts []Mount `json:"mounts,omitempty"`
	// Sandbox, if set, is the pause process of the container's Pod: when it
	// dies the shim kills the container, as the kubelet would.
	Sandbox *Process `json:"sandbox,omitempty"`
}

// Mount is a host directory (a volume) made visible inside the container.
type Mount struct {
	Source   string `json:"source"` // host path
	Target   string `json:"target"` // absolute path inside the container
	ReadOnly bool   `json:"readOnly,omitempty"`
}

// Process names one process for ever: a PID and its start time, since a
// PID alone may be reused once the process is gone.
type Process struct {
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// Status is the life-cycle state of a container.
type Status string

const (
	Created Status = "created" // directory and cgroup exist, no process yet
	Running Status = "running" // the workload is running
	Exited  Status = "exited"  // the workload ended; exit code recorded
)

// State is what the runtime knows about a container, kept in state.json.
type State struct {
	Spec   Spec     `json:"spec"`
	Status Status   `json:"status"`
	Argv   []string `json:"argv"`   // resolved command line
	Env    []string `json:"env"`    // resolved environment
	Layers []string `json:"layers"` // overlay lower layers, top first
	Cgroup string   `json:"cgroup"` // e.g. "podlab/web"

	Pid       int    `json:"pid,omitempty"`       // host PID of the container's PID 1
	PidStart  uint64 `json:"pidStart,omitempty"`  // its start time (guards against PID reuse)
	ShimPid   int    `json:"shimPid,omitempty"`   // the parent that records the exit
	ShimStart uint64 `json:"shimStart,omitempty"` // its start time

	ExitCode   int       `json:"exitCode"`         // 128+N when killed by signal N
	Signal     string    `json:"signal,omitempty"` // "killed", "terminated", ...
	OOMKilled  bool      `json:"oomKilled"`        // the kernel killed it for memory
	Error      string    `json:"error,omitempty"`  // why it failed to start, or was lost
	CreatedAt  time.Time `json:"createdAt"`
	StartedAt  time.Time `json:"startedAt,omitzero"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`

	Dir string `json:"dir"` // the container directory
}

// TerminalSize is the size of a terminal in characters ("stty size"
// prints it as rows, then columns).
type TerminalSize struct {
	Width  uint16 `json:"width"`  // columns
	Height uint16 `json:"height"` // rows
}

// TTY is the user's side of the terminal that ExecTTY gives a command, as
// with "kubectl exec -t": what the user types goes in, what the command
// prints comes out.
type TTY struct {
	// Stdin is what the user types; nil: nothing. When it ends (io.EOF)
	// the command reads an end of file, as after Ctrl-D; when it fails
	// (the user is gone) the terminal is hung up and the command gets
	// SIGHUP, as when a terminal window is closed. ExecTTY does not wait
	// for it: a read still pending when it returns ends with Stdin, and
	// what it brings then is dropped.
	Stdin io.Reader
	// Output gets what the command writes to stdout and to stderr: a
	// terminal has one screen, so they are one stream.
	Output io.Writer
	// Size is the terminal's size when the command starts; zero leaves
	// the kernel's 0x0.
	Size TerminalSize
	// Resize brings the later sizes, as the user's window changes; nil:
	// none. Nobody receives once ExecTTY has returned: a sender must not
	// block on it then.
	Resize <-chan TerminalSize
}

// ErrNotFound is wrapped by errors about containers that do not exist.
var ErrNotFound = errors.New("container not found")

// Compiled on first use: the shim and init, which start with every
// container, never need it.
var nameRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
})

// ValidateName accepts DNS labels (what Kubernetes requires of container
// names): they become a directory and a cgroup, so nothing like "../x".
func ValidateName(name string) error {
	if !nameRE().MatchString(name) {
		return fmt.Errorf("invalid container name %q: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit", name)
	}
	return nil
}
