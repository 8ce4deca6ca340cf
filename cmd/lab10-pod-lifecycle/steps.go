package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	. "github.com/podlab/podlab/core/steps"
)

// hooks runs lab10-hooks, deletes it, and shows the order its hooks and
// its app wrote in the hostPath file.
func hooks(r *Run, c *client.Client) error {
	list, err := pods("hooks.yaml")
	if err != nil {
		return err
	}
	dir := filepath.Join(hostDir(), "hooks")
	if err := os.RemoveAll(dir); err != nil { // a file of a run before would spoil the order
		return err
	}
	if err := create(r.Ctx, c, list); err != nil {
		return err
	}
	if _, err := wait(r.Ctx, c, "lab10-hooks", 30*time.Second, func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning }); err != nil {
		return err
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		data, _ := os.ReadFile(filepath.Join(dir, "order"))
		if strings.Contains(string(data), "app: found") {
			break
		}
		if time.Now().After(deadline) || r.Ctx.Err() != nil {
			return fmt.Errorf("the app of lab10-hooks did not find the file of its postStart hook within 10 s: %q", data)
		}
	}
	if _, err := c.Pods(ns).Delete(r.Ctx, "lab10-hooks", client.DeleteOptions{}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Ctx, 20*time.Second)
	defer cancel()
	for _, err := c.Pods(ns).Get(ctx, "lab10-hooks"); !client.IsNotFound(err); _, err = c.Pods(ns).Get(ctx, "lab10-hooks") {
		if ctx.Err() != nil {
			return fmt.Errorf("pod lab10-hooks is still there 20 s after its delete")
		}
		time.Sleep(200 * time.Millisecond)
	}
	data, err := os.ReadFile(filepath.Join(dir, "order"))
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		r.Value(fmt.Sprintf("%s/order, line %d", dir, i+1), line)
	}
	r.Value("events", strings.Join(events(r.Ctx, c, "lab10-hooks", "Started", "Killing"), " | "))
	return err
}

// terminate deletes the two pods of termination.yaml at once and shows
// how long each container took to end, and how.
func terminate(r *Run, c *client.Client) error {
	names := []string{"lab10-term-trap", "lab10-term-ignore"}
	for _, name := range names {
		if _, err := wait(r.Ctx, c, name, 30*time.Second, func(p *api.Pod) bool {
			s := p.Status.ContainerStatuses
			return len(s) == 1 && s[0].State.Running != nil
		}); err != nil {
			return err
		}
	}
	deleted := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(names))
	for i, name := range names {
		wg.Go(func() {
			var deleting *api.Pod
			if deleting, errs[i] = c.Pods(ns).Delete(r.Ctx, name, client.DeleteOptions{}); errs[i] != nil {
				return
			}
			var p *api.Pod
			p, errs[i] = wait(r.Ctx, c, name, 20*time.Second, func(p *api.Pod) bool {
				s := p.Status.ContainerStatuses
				return len(s) == 1 && s[0].State.Terminated != nil
			})
			if errs[i] == nil {
				t := p.Status.ContainerStatuses[0].State.Terminated
				r.Value(name, fmt.Sprintf("grace %ds, deletionTimestamp %s: ended %.1fs after the delete, exit code %d (%s)",
					*p.Spec.TerminationGracePeriodSeconds, deleting.DeletionTimestamp.Local().Format(time.TimeOnly),
					t.FinishedAt.Sub(deleted).Seconds(), t.ExitCode, t.Reason))
			}
		})
	}
	wg.Wait()
	for _, name := range names {
		r.Value("events of "+name, strings.Join(events(r.Ctx, c, name, "Killing"), " | "))
	}
	r.Command("podlab get pods -n %s %s %s  # Terminating: kept by the finalizer podlab.io/lab10-keep-status", ns, names[0], names[1])
	return errors.Join(errs...)
}

// readiness runs lab10-readiness and shows its Ready condition turn from
// False to True when the probe first succeeds.
func readiness(r *Run, c *client.Client) error {
	list, err := pods("readiness.yaml")
	if err != nil {
		return err
	}
	if err := create(r.Ctx, c, list); err != nil {
		return err
	}
	ready := func(p *api.Pod) (api.PodCondition, bool) {
		for _, cond := range p.Status.Conditions {
			if cond.Type == api.PodReady {
				return cond, true
			}
		}
		return api.PodCondition{}, false
	}
	p, err := wait(r.Ctx, c, "lab10-readiness", 30*time.Second, func(p *api.Pod) bool {
		cond, ok := ready(p)
		return p.Status.Phase == api.PodRunning && ok && cond.Status == api.ConditionFalse
	})
	if err != nil {
		return err
	}
	cond, _ := ready(p)
	r.Value("Ready (phase "+string(p.Status.Phase)+")", fmt.Sprintf("%s, %s: %s", cond.Status, cond.Reason, cond.Message))
	if p, err = wait(r.Ctx, c, "lab10-readiness", 30*time.Second, func(p *api.Pod) bool {
		cond, ok := ready(p)
		return ok && cond.Status == api.ConditionTrue
	}); err != nil {
		return err
	}
	cond, _ = ready(p)
	s := p.Status.ContainerStatuses[0]
	r.Value("Ready", fmt.Sprintf("%s since %s, %.1fs after the container started; restarts %d",
		cond.Status, cond.LastTransitionTime.Local().Format("15:04:05.000"), cond.LastTransitionTime.Sub(s.State.Running.StartedAt).Seconds(), s.RestartCount))
	return nil
}
