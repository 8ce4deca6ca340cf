package main

import (
	"context"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/runtime"
)

var podLogsCommand = &cli.Command{
	Name:      "logs",
	Usage:     "print the output of a container of a Pod",
	ArgsUsage: "POD\n\n   example: podlab pod logs -c client web",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "container", Aliases: []string{"c"}, Usage: "the container (default: the first)"},
		&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep printing new output until the container exits"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() != 1 {
			return usagef("pod logs: give exactly one pod name")
		}
		rt, err := newRuntime()
		if err != nil {
			return err
		}
		ps, err := rt.GetPod(c.Args().First())
		if err != nil {
			return err
		}
		st, err := rt.PodContainer(ps, c.String("container"))
		if err != nil {
			return err
		}
		name := st.Spec.Name
		if !c.Bool("follow") || st.Status != runtime.Running {
			return copyFile(rt.LogPath(name), os.Stdout)
		}
		ctx, cancel := context.WithCancel(c.Context)
		defer cancel()
		go func() { rt.Wait(ctx, name); time.Sleep(50 * time.Millisecond); cancel() }()
		return followLog(ctx, rt.LogPath(name), os.Stdout)
	},
}
