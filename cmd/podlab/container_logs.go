package main

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/runtime"
)

var containerLogsCommand = &cli.Command{
	Name:      "logs",
	Usage:     "print a container's output (stdout and stderr)",
	ArgsUsage: "NAME\n\n   example: podlab container logs -f lab02-mem",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep printing new output until the container exits"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() != 1 {
			return usagef("container logs: give exactly one container name")
		}
		rt, err := newRuntime()
		if err != nil {
			return err
		}
		st, err := rt.Get(c.Args().First())
		if err != nil {
			return err
		}
		return printLogs(c.Context, rt, st, c.Bool("follow"))
	},
}

// printLogs prints a container's output; with follow, new output too until
// the container exits.
func printLogs(ctx context.Context, rt *runtime.Runtime, st *runtime.State, follow bool) error {
	name := st.Spec.Name
	if !follow || st.Status != runtime.Running {
		return copyFile(rt.LogPath(name), os.Stdout)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { rt.Wait(ctx, name); time.Sleep(50 * time.Millisecond); cancel() }()
	return followLog(ctx, rt.LogPath(name), os.Stdout)
}

func copyFile(path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// followLog copies the log to w as it grows until ctx ends, then copies
// whatever is left.
func followLog(ctx context.Context, path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		if _, err := io.Copy(w, f); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			_, err := io.Copy(w, f)
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}
