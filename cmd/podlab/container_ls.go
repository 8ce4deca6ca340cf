package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/runtime"
)

var containerLsCommand = &cli.Command{
	Name:    "ls",
	Aliases: []string{"list"},
	Usage:   "list containers on this machine",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the names"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() > 0 {
			return usagef("container ls takes no arguments")
		}
		rt, err := newRuntime()
		if err != nil {
			return err
		}
		list, err := rt.List()
		if err != nil {
			return err
		}
		if c.Bool("quiet") {
			for _, st := range list {
				fmt.Println(st.Spec.Name)
			}
			return nil
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(w, "NAME\tIMAGE\tSTATUS\tPID\tCOMMAND")
		for _, st := range list {
			pid := "-"
			if st.Status == runtime.Running {
				pid = fmt.Sprint(st.Pid)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", st.Spec.Name, st.Spec.Image, describe(st), pid, strings.Join(st.Argv, " "))
		}
		return w.Flush()
	},
}

// describe says how a container is doing, like "Up 3m" or
// "Exited (137) OOMKilled 10s ago".
func describe(st *runtime.State) string {
	switch st.Status {
	case runtime.Running:
		return "Up " + time.Since(st.StartedAt).Round(time.Second).String()
	case runtime.Exited:
		s := fmt.Sprintf("Exited (%d)", st.ExitCode)
		if st.OOMKilled {
			s += " OOMKilled"
		}
		if !st.FinishedAt.IsZero() {
			s += " " + time.Since(st.FinishedAt).Round(time.Second).String() + " ago"
		}
		return s
	}
	return string(st.Status)
}
