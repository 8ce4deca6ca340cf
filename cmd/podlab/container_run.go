package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/runtime"
)

var containerRunCommand = &cli.Command{
	Name:      "run",
	Usage:     "run a command in a new container",
	ArgsUsage: "IMAGE [COMMAND [ARG...]]\n\n   example: podlab container run -d --name box --hostname kube --cpus 0.5 --memory 64Mi busybox sleep 3600",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "name", Usage: "container name, required (lower-case letters, digits, '-')"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the container runs; see its output with 'podlab container logs'"},
		&cli.StringFlag{Name: "hostname", Usage: "hostname inside the container (default: the name)"},
		&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable `KEY=VALUE`"},
		&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory inside the container"},
		&cli.StringFlag{Name: "cpus", Usage: "CPU limit in cores, like 0.5 or 500m (cgroup CPU quota)"},
		&cli.StringFlag{Name: "memory", Usage: "memory limit, like 64Mi (above it the kernel OOM-kills)"},
		&cli.Int64Flag{Name: "pids", Usage: "maximum number of processes"},
		&cli.BoolFlag{Name: "net", Usage: "give the container its own network namespace (only lo)"},
		&cli.BoolFlag{Name: "init", Usage: "run a reaping init as PID 1 that starts the command as its child"},
		&cli.BoolFlag{Name: "rm", Usage: "remove the container when it exits (not with --detach)"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() < 1 {
			return usagef("container run: give an image, e.g. \"podlab container run --name box busybox sh\"")
		}
		if c.String("name") == "" {
			return usagef("container run: give the container a --name, e.g. \"podlab container run --name box busybox sh\"")
		}
		if c.Bool("rm") && c.Bool("detach") {
			return usagef("container run: --rm and --detach cannot be combined")
		}
		res, err := resources(c)
		if err != nil {
			return usageError{err}
		}
		rt, err := newRuntime()
		if err != nil {
			return err
		}
		spec := runtime.Spec{
			Name:       c.String("name"),
			Image:      c.Args().First(),
			Args:       c.Args().Tail(),
			Env:        c.StringSlice("env"),
			WorkingDir: c.String("workdir"),
			Hostname:   c.String("hostname"),
			Network:    c.Bool("net"),
			Resources:  res,
			Init:       c.Bool("init"),
		}
		st, err := rt.Run(c.Context, spec)
		if err != nil {
			return err
		}
		if c.Bool("detach") {
			fmt.Printf("%s\tpid %d\n", st.Spec.Name, st.Pid)
			return nil
		}
		return attach(c.Context, rt, st, c.Bool("rm"))
	},
}

// attach follows the container's output until it exits, stops it on
// Ctrl-C, and exits with the container's exit code.
func attach(ctx context.Context, rt *runtime.Runtime, st *runtime.State, remove bool) error {
	ctx, cancel := signal.NotifyContext(ctx, os.Interrupt, unix.SIGTERM)
	defer cancel()
	followCtx, stopFollow := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- followLog(followCtx, rt.LogPath(st.Spec.Name), os.Stdout) }()

	final, err := rt.Wait(ctx, st.Spec.Name)
	if ctx.Err() != nil { // Ctrl-C: stop the container like Kubernetes would
		final, err = rt.Stop(context.Background(), st.Spec.Name, 10*time.Second)
	}
	stopFollow()
	<-done
	if err != nil {
		return err
	}
	if remove {
		if err := rt.Remove(context.Background(), st.Spec.Name, true); err != nil {
			return err
		}
	}
	if final.OOMKilled {
		fmt.Fprintf(os.Stderr, "podlab: container %q was OOM-killed (exit code %d)\n", final.Spec.Name, final.ExitCode)
	}
	if final.ExitCode != 0 {
		return cli.Exit("", final.ExitCode)
	}
	return nil
}

// resources turns the --cpus, --memory and --pids flags into cgroup limits.
func resources(c *cli.Context) (cgroup.Resources, error) {
	var res cgroup.Resources
	if s := c.String("cpus"); s != "" {
		milli, err := api.ParseCPU(s)
		if err != nil || milli == 0 {
			return res, fmt.Errorf("--cpus: invalid CPU quantity %q: use cores or millicores (like \"0.5\" or \"500m\")", s)
		}
		// Kubernetes' conversion: a 100 ms period, quota = cores * period.
		res.CPUPeriod = 100000
		res.CPUQuota = milli * res.CPUPeriod / 1000
	}
	if s := c.String("memory"); s != "" {
		bytes, err := api.ParseMemory(s)
		if err != nil || bytes == 0 {
			return res, fmt.Errorf("--memory: invalid memory quantity %q: use bytes or a suffix Ki, Mi, Gi (like \"64Mi\")", s)
		}
		res.MemoryLimit = bytes
	}
	if res.PidsLimit = c.Int64("pids"); res.PidsLimit < 0 {
		return res, fmt.Errorf("--pids: %d is negative: give the largest number of processes, like 64", res.PidsLimit)
	}
	return res, nil
}
