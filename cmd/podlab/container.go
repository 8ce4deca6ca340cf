package main

import "github.com/urfave/cli/v2"

var containerCommand = &cli.Command{
	Name:  "container",
	Usage: "run containers on this machine, without a cluster (labs 01-04)",
	Subcommands: []*cli.Command{
		containerRunCommand,
		containerLsCommand,
		containerLogsCommand,
		containerInspectCommand,
		containerStopCommand,
		containerRmCommand,
	},
}
