package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/podlet"
)

var execCommand = &cli.Command{
	Name:  "exec",
	Usage: "run a command in a container of a pod, on the node it runs on, like kubectl exec; its exit code is podlab's",
	ArgsUsage: "POD -- COMMAND [ARG...]\n\n" +
		"   examples: podlab exec web -- hostname\n" +
		"             podlab exec -i web -c app -- sh",
	Category:               clusterCategory,
	UseShortOptionHandling: true, // -it, as kubectl users type it
	Flags: clusterFlags(
		namespaceFlags()[0],
		&cli.StringFlag{Name: "container", Aliases: []string{"c"}, Usage: "the `CONTAINER` (default: the pod's first)"},
		&cli.BoolFlag{Name: "stdin", Aliases: []string{"i"}, Usage: "pass podlab's stdin to the command"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "give the command a terminal (not supported yet)"},
		nodeAPIPortFlag(),
	),
	Action: func(c *cli.Context) error {
		// flagsFirst has taken the "--" away: the pod, then the command.
		args := c.Args().Slice()
		if len(args) < 2 {
			return usagef("exec: give a pod and a command, like \"podlab exec web -- hostname\"")
		}
		if c.Bool("tty") {
			return errors.New("exec -t: podlab's runtime cannot give a command a terminal yet; leave -t out: " +
				"with -i alone stdin still goes to the command (\"podlab exec -i web -- sh\" runs a shell, without a prompt)")
		}
		nodes, err := connectNodes(c)
		if err != nil {
			return err
		}
		pod, node, err := nodes.podNode(c.Context, namespace(c), args[0])
		if err != nil {
			return err
		}
		container, err := podContainer(pod, c.String("container"), c.App.ErrWriter)
		if err != nil {
			return err
		}
		opts := podlet.ExecOptions{Command: args[1:], Stdout: c.App.Writer, Stderr: c.App.ErrWriter}
		if c.Bool("stdin") {
			opts.Stdin = c.App.Reader
		}
		code, err := node.Exec(c.Context, pod.Namespace, pod.Name, container, opts)
		if err != nil {
			return err
		}
		if code != 0 {
			return cli.Exit("", code)
		}
		return nil
	},
}
