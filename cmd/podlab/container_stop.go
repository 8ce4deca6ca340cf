package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"
)

var containerStopCommand = &cli.Command{
	Name:      "stop",
	Usage:     "stop containers: SIGTERM, then SIGKILL after the grace period",
	ArgsUsage: "NAME...\n\n   example: podlab container stop --time 5s box",
	Flags: []cli.Flag{
		&cli.DurationFlag{Name: "time", Aliases: []string{"t"}, Value: 10 * time.Second, Usage: "grace period before SIGKILL"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() == 0 {
			return usagef("container stop: give at least one container name")
		}
		rt, err := newRuntime()
		if err != nil {
			return err
		}
		for _, name := range c.Args().Slice() {
			st, err := rt.Stop(c.Context, name, c.Duration("time"))
			if err != nil {
				return err
			}
			fmt.Printf("%s\t%s\n", name, describe(st))
		}
		return nil
	},
}
