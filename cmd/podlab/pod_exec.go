package main

import (
	"os"

	"github.com/urfave/cli/v2"
)

var podExecCommand = &cli.Command{
	Name:      "exec",
	Usage:     "run a command in a container of a Pod, inside all its namespaces",
	ArgsUsage: "POD -- COMMAND [ARG...]\n\n   example: podlab pod exec -c client web -- wget -qO- localhost:8080",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "container", Aliases: []string{"c"}, Usage: "the container (default: the first)"},
	},
	Action: func(c *cli.Context) error {
		args := c.Args().Slice()
		if len(args) > 1 && args[1] == "--" {
			args = append(args[:1], args[2:]...)
		}
		if len(args) < 2 {
			return usagef("pod exec: give a pod and a command, e.g. \"podlab pod exec web -- hostname\"")
		}
		rt, err := newRuntime()
		if err != nil {
			return err
		}
		ps, err := rt.GetPod(args[0])
		if err != nil {
			return err
		}
		st, err := rt.PodContainer(ps, c.String("container"))
		if err != nil {
			return err
		}
		code, err := rt.Exec(c.Context, st, args[1:], os.Stdin, os.Stdout, os.Stderr)
		if err != nil {
			return err
		}
		if code != 0 {
			return cli.Exit("", code)
		}
		return nil
	},
}
