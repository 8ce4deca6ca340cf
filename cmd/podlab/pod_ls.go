package main

import (
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/runtime"
)

var podLsCommand = &cli.Command{
	Name:    "ls",
	Aliases: []string{"list"},
	Usage:   "list the Pods on this machine",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the names"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() > 0 {
			return usagef("pod ls takes no arguments")
		}
		rt, err := newRuntime()
		if err != nil {
			return err
		}
		pods, err := rt.Pods()
		if err != nil {
			return err
		}
		if c.Bool("quiet") {
			for _, ps := range pods {
				fmt.Println(ps.Pod.Name)
			}
			return nil
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(w, "NAME\tREADY\tSTATUS\tIP\tPAUSE PID\tAGE")
		for _, ps := range pods {
			ready := 0
			for _, name := range ps.Containers {
				if st, err := rt.Get(name); err == nil && st.Status == runtime.Running {
					ready++
				}
			}
			fmt.Fprintf(w, "%s\t%d/%d\t%s\t%s\t%d\t%s\n", ps.Pod.Name, ready, len(ps.Pod.Spec.Containers),
				ps.Phase(), orDash(ps.IP()), ps.Pause.Pid, time.Since(ps.CreatedAt).Round(time.Second))
		}
		return w.Flush()
	},
}
