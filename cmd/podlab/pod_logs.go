package main

import (
	"github.com/urfave/cli/v2"
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
		return printLogs(c.Context, rt, st, c.Bool("follow"))
	},
}
