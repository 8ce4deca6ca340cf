package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/checker"
)

func listCommand(reg *checker.Registry) *cli.Command {
	return &cli.Command{
		Name:      "list",
		Usage:     "list the checks: id, points and what each verifies",
		ArgsUsage: "[NN...]   (e.g. checker list 01 02; none = every lab)",
		Action: func(cCtx *cli.Context) error {
			checks, err := selectChecks(cCtx, reg)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cCtx.App.Writer, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPOINTS\tTITLE")
			total := 0
			for _, c := range checks {
				title := c.Title
				if c.Exercise {
					title += " (exercise)"
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\n", c.ID, c.Points, title)
				total += c.Points
			}
			fmt.Fprintf(tw, "\n%d checks, %d points\n", len(checks), total)
			return tw.Flush()
		},
	}
}
