package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

var containerRmCommand = &cli.Command{
	Name:      "rm",
	Usage:     "remove containers: their cgroup, writable layer, log and state",
	ArgsUsage: "NAME...\n\n   example: podlab container rm -f box",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill a running container first"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() == 0 {
			return usagef("container rm: give at least one container name")
		}
		rt, err := newRuntime()
		if err != nil {
			return err
		}
		for _, name := range c.Args().Slice() {
			if err := rt.Remove(c.Context, name, c.Bool("force")); err != nil {
				return err
			}
			fmt.Println(name)
		}
		return nil
	},
}
