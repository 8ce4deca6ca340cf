package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/template"

	"github.com/urfave/cli/v2"
)

var containerInspectCommand = &cli.Command{
	Name:  "inspect",
	Usage: "print what the runtime knows about a container (state.json)",
	ArgsUsage: "NAME\n\n   examples: podlab container inspect lab01\n" +
		"             PID=$(podlab container inspect --format '{{.Pid}}' lab01)",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "a Go template, like '{{.Pid}}' or '{{.ExitCode}}'"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() != 1 {
			return usagef("container inspect: give exactly one container name")
		}
		var tmpl *template.Template
		if f := c.String("format"); f != "" {
			var err error
			if tmpl, err = template.New("format").Parse(f); err != nil {
				return usagef("container inspect: --format: %v", err)
			}
		}
		rt, err := newRuntime()
		if err != nil {
			return err
		}
		st, err := rt.Get(c.Args().First())
		if err != nil {
			return err
		}
		if tmpl == nil {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(st)
		}
		if err := tmpl.Execute(os.Stdout, st); err != nil {
			return fmt.Errorf("container inspect: --format: %w", err)
		}
		fmt.Println()
		return nil
	},
}
