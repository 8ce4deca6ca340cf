package main

import (
	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/podlet"
)

var execCommand = &cli.Command{
	Name:  "exec",
	Usage: "run a command in a container of a pod, on the node it runs on, like kubectl exec; its exit code is podlab's",
	ArgsUsage: "POD -- COMMAND [ARG...]\n\n" +
		"   examples: podlab exec web -- hostname\n" +
		"             podlab exec -it web -c app -- sh\n" +
		"             echo hi | podlab exec -i web -- cat",
	Category:               clusterCategory,
	UseShortOptionHandling: true, // -it, as kubectl users type it
	Flags: clusterFlags(
		namespaceFlags()[0],
		&cli.StringFlag{Name: "container", Aliases: []string{"c"}, Usage: "the `CONTAINER` (default: the pod's first)"},
		&cli.BoolFlag{Name: "stdin", Aliases: []string{"i"}, Usage: "pass podlab's stdin to the command"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "run the command on a terminal, podlab's own as its keyboard and screen (with -i, on a terminal)"},
		nodeAPIPortFlag(),
	),
	Action: func(c *cli.Context) error {
		// flagsFirst has taken the "--" away: the pod, then the command.
		args := c.Args().Slice()
		if len(args) < 2 {
			return usagef("exec: give a pod and a command, like \"podlab exec web -- hostname\"")
		}
		var terminal *localTerminal
		if c.Bool("tty") {
			var err error
			if terminal, err = stdinTerminal(c.App.Reader); err != nil {
				return err
			}
			if !c.Bool("stdin") {
				return usagef("exec -t needs -i too, for the keys typed: \"podlab exec -it %s -- %s\"", args[0], args[1])
			}
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
		var code int
		if terminal != nil {
			code, err = terminal.execOn(c.Context, node, pod.Namespace, pod.Name, container, opts)
		} else {
			code, err = node.Exec(c.Context, pod.Namespace, pod.Name, container, opts)
		}
		if err != nil {
			return err
		}
		if code != 0 {
			return cli.Exit("", code)
		}
		return nil
	},
}
