package main

import "github.com/urfave/cli/v2"

var podCommand = &cli.Command{
	Name:  "pod",
	Usage: "run Pods on this machine, without a cluster (labs 05-07), as the kubelet runs static pods",
	Subcommands: []*cli.Command{
		podRunCommand,
		podLsCommand,
		podLogsCommand,
		podExecCommand,
		podRmCommand,
	},
}
