package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/paths"
	"github.com/podlab/podlab/workloads/manifests"
)

const ns = "lab10"

// errNoCluster is what a cluster lab says when there is no cluster to
// talk to: it changes nothing then.
var errNoCluster = errors.New("no cluster: start one with sudo podlab up")

// hostDir is the node directory the lab's hostPath volumes live in (the
// nodes of "podlab up" share the host's filesystem), and the exercise's.
func hostDir() string { return filepath.Join(paths.Run(), "lab10") }

// connect reaches the cluster of the client config that "podlab up"
// wrote, and makes sure its API server answers.
func connect(ctx context.Context) (*client.Client, error) {
	c, _, err := client.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", errNoCluster, err)
	}
	return c, nil
}

// undo removes what the lab records: its namespace, with every pod in it
// (their finalizers first, or the namespace would wait for them forever),
// and the directory of its hostPath volumes.
var undo = map[string]func(ctx context.Context, name string) error{
	"namespace": func(ctx context.Context, name string) error {
		if _, err := os.Stat(client.DefaultConfigPath()); errors.Is(err, fs.ErrNotExist) {
			return nil // no cluster: its namespaces went with it
		}
		c, err := connect(ctx)
		if err != nil {
			return err
		}
		pods, _, err := c.Pods(name).List(ctx, client.ListOptions{})
		if err != nil {
			return err
		}
		for _, p := range pods {
			if len(p.Finalizers) > 0 {
				if _, err := c.Pods(name).Patch(ctx, p.Name, []byte(`{"metadata":{"finalizers":null}}`)); err != nil && !client.IsNotFound(err) {
					return err
				}
			}
			if _, err := c.Pods(name).Delete(ctx, p.Name, client.DeleteOptions{GracePeriodSeconds: new(int64(0))}); err != nil && !client.IsNotFound(err) {
				return err
			}
		}
		if _, err := c.Namespaces().Delete(ctx, name, client.DeleteOptions{}); err != nil && !client.IsNotFound(err) {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		for { // the garbage collector empties it, then removes it
			if _, err := c.Namespaces().Get(ctx, name); client.IsNotFound(err) {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("namespace %s is still there after a minute", name)
			case <-time.After(200 * time.Millisecond):
			}
		}
	},
	"dir": func(_ context.Context, name string) error { return os.RemoveAll(name) },
}

// pods decodes the pods of a manifest of the lab; hostPath volumes are
// moved under hostDir (which is /run/podlab/lab10 unless PODLAB_RUN says
// otherwise).
func pods(file string) ([]*api.Pod, error) {
	objs, err := api.Decode([]byte(manifests.Text("lab10/" + file)))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", file, err)
	}
	var out []*api.Pod
	for _, o := range objs {
		p := o.(*api.Pod)
		for _, v := range p.Spec.Volumes {
			if v.HostPath != nil {
				v.HostPath.Path = filepath.Join(hostDir(), strings.TrimPrefix(v.HostPath.Path, "/run/podlab/lab10"))
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// row is one row of the restart-policy table (SEMANTICS.md §2.3): what the
// containers do, and the phase and restarts Kubernetes gives the pod.
type row struct {
	pod, exits  string
	phase       api.PodPhase
	restarts    bool // the first container is restarted
	terminated0 bool // the first container ended once and stays ended
}

var table = []row{
	{"lab10-always-exit0", "exit 0", api.PodRunning, true, false},
	{"lab10-always-exit3", "exit 3", api.PodRunning, true, false},
	{"lab10-always-oom", "OOM", api.PodRunning, true, false},
	{"lab10-onfailure-exit0", "exit 0", api.PodSucceeded, false, true},
	{"lab10-onfailure-exit3", "exit 3", api.PodRunning, true, false},
	{"lab10-onfailure-oom", "OOM", api.PodRunning, true, false},
	{"lab10-never-exit0", "exit 0", api.PodSucceeded, false, true},
	{"lab10-never-exit3", "exit 3", api.PodFailed, false, true},
	{"lab10-never-oom", "OOM", api.PodFailed, false, true},
	{"lab10-always-two", "a: exit 3, b: runs", api.PodRunning, true, false},
	{"lab10-onfailure-two", "a: exit 3, b: runs", api.PodRunning, true, false},
	{"lab10-onfailure-two-a0", "a: exit 0, b: runs", api.PodRunning, false, true},
	{"lab10-never-two", "a: exit 3, b: runs", api.PodRunning, false, true},
	{"lab10-never-two-b0", "a: exit 3, b: exit 0 after 2 s", api.PodFailed, false, true},
	{"lab10-never-two-a0-b0", "a: exit 0, b: exit 0 after 2 s", api.PodSucceeded, false, true},
}

// settled tells whether pod p shows what its row predicts.
func (w row) settled(p *api.Pod) bool {
	if p.Status.Phase != w.phase || len(p.Status.ContainerStatuses) == 0 {
		return false
	}
	first := p.Status.ContainerStatuses[0]
	if w.restarts {
		return first.RestartCount >= 1
	}
	return first.RestartCount == 0 && first.State.Terminated != nil
}

// create creates pods, each recorded by the namespace the lab recorded.
func create(ctx context.Context, c *client.Client, list []*api.Pod) error {
	for _, p := range list {
		if _, err := c.Pods(ns).Create(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// wait waits up to timeout for cond on pod name.
func wait(ctx context.Context, c *client.Client, name string, timeout time.Duration, cond func(*api.Pod) bool) (*api.Pod, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p, err := client.WaitFor(ctx, c.Pods(ns), name, cond)
	if err != nil {
		return p, fmt.Errorf("pod %s/%s: %w", ns, name, err)
	}
	return p, nil
}

// events lists what happened to one pod, oldest first.
func events(ctx context.Context, c *client.Client, name string, reasons ...string) []string {
	list, _, err := c.Events(ns).List(ctx, client.ListOptions{FieldSelector: "involvedObject.name=" + name})
	if err != nil {
		return []string{err.Error()}
	}
	slices.SortStableFunc(list, func(a, b *api.Event) int { return a.FirstTimestamp.Compare(b.FirstTimestamp) })
	var out []string
	for _, e := range list {
		if len(reasons) == 0 || slices.Contains(reasons, e.Reason) {
			out = append(out, fmt.Sprintf("%s %s %s (x%d): %s", e.FirstTimestamp.Local().Format("15:04:05.000"), e.Type, e.Reason, e.Count, e.Message))
		}
	}
	return out
}

// runs follows a crashing container from the moment its pod is made: the
// start and end of each of its runs, which status keeps only one at a time.
type runs struct {
	mu   sync.Mutex
	seen map[time.Time]time.Time // startedAt -> finishedAt (zero while it runs)
}

func (r *runs) follow(ctx context.Context, c *client.Client, name string) {
	for ctx.Err() == nil {
		if p, err := c.Pods(ns).Get(ctx, name); err == nil {
			r.observe(p)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// observe notes the runs the status of p shows: the current one and the
// one before.
func (r *runs) observe(p *api.Pod) {
	if len(p.Status.ContainerStatuses) == 0 {
		return
	}
	s := p.Status.ContainerStatuses[0]
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[time.Time]time.Time{}
	}
	for _, st := range []api.ContainerState{s.State, s.LastTerminationState} {
		if t := st.Terminated; t != nil && !t.StartedAt.IsZero() {
			r.seen[t.StartedAt] = t.FinishedAt
		}
		if st.Running != nil && r.seen[st.Running.StartedAt].IsZero() {
			r.seen[st.Running.StartedAt] = time.Time{}
		}
	}
}

// report lists the runs seen, each with the wait since the run before.
func (r *runs) report() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	starts := slices.SortedFunc(func(yield func(time.Time) bool) {
		for t := range r.seen {
			if !yield(t) {
				return
			}
		}
	}, time.Time.Compare)
	var out []string
	for i, s := range starts {
		line := fmt.Sprintf("run %d: started %s", i+1, s.Local().Format("15:04:05.000"))
		if f := r.seen[s]; !f.IsZero() {
			line += ", exited " + f.Local().Format("15:04:05.000")
		}
		if i > 0 && !r.seen[starts[i-1]].IsZero() {
			line += fmt.Sprintf(", %.1fs after the run before it exited", s.Sub(r.seen[starts[i-1]]).Seconds())
		}
		out = append(out, line)
	}
	return out
}
