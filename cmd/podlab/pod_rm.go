package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"
)

var podRmCommand = &cli.Command{
	Name:      "rm",
	Usage:     "delete Pods: SIGTERM to every container, SIGKILL after the grace period, then the sandbox",
	ArgsUsage: "POD...\n\n   example: podlab pod rm --grace-period 5 web",
	Flags: []cli.Flag{
		&cli.IntFlag{Name: "grace-period", Value: -1, Usage: "seconds each container has to exit after SIGTERM (-1: the pod's terminationGracePeriodSeconds, 30 by default, as kubectl)"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() == 0 {
			return usagef("pod rm: give at least one pod name")
		}
		rt, err := newRuntime()
		if err != nil {
			return err
		}
		for _, name := range c.Args().Slice() {
			grace := time.Duration(c.Int("grace-period")) * time.Second // negative: the pod's own
			if err := rt.RemovePod(c.Context, name, grace); err != nil {
				return err
			}
			fmt.Printf("pod/%s deleted\n", name)
		}
		return nil
	},
}
