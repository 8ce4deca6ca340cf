package main

import (
	"fmt"
	"io"
	"os"

	"github.com/fatih/color"
	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/checker"
)

func runCommand(reg *checker.Registry) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run the checks and show what each one found",
		ArgsUsage: "[NN...]   (e.g. sudo checker run 01 02; none = every lab)",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the JSON report instead of the table"},
			&cli.BoolFlag{Name: "no-color", Usage: "plain text even on a terminal (as does NO_COLOR=1)"},
			timeoutFlag(),
		},
		Action: func(cCtx *cli.Context) error {
			rep, err := runChecks(cCtx, reg)
			if err != nil {
				return err
			}
			if cCtx.Bool("json") {
				err = checker.WriteJSON(cCtx.App.Writer, rep)
			} else {
				err = checker.WriteTable(cCtx.App.Writer, rep, useColour(cCtx))
			}
			if err != nil {
				return fmt.Errorf("write report: %w", err)
			}
			if !rep.Passed() {
				return errChecksFailed
			}
			return nil
		},
	}
}

// useColour allows colour only on a terminal, and never when asked for plain
// text with --no-color or NO_COLOR (https://no-color.org).
func useColour(cCtx *cli.Context) bool {
	if cCtx.Bool("no-color") || os.Getenv("NO_COLOR") != "" {
		return false
	}
	// fatih/color has already asked whether os.Stdout is a terminal (and
	// honours TERM=dumb); any other writer, a file or a test buffer, gets
	// plain text.
	return cCtx.App.Writer == io.Writer(os.Stdout) && !color.NoColor
}
