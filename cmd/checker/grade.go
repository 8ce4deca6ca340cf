package main

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/checker"
)

// formats are the report formats of grade, in the order the help lists them.
var formats = []struct {
	name  string
	write func(io.Writer, checker.Report) error
}{
	{"table", func(w io.Writer, rep checker.Report) error { return checker.WriteTable(w, rep, false) }},
	{"json", checker.WriteJSON},
	{"junit", checker.WriteJUnit},
	{"md", checker.WriteMarkdown},
	{"classroom", checker.WriteClassroom},
}

func formatNames() string {
	var names []string
	for _, f := range formats {
		names = append(names, f.name)
	}
	return strings.Join(names, ", ")
}

func gradeCommand(reg *checker.Registry) *cli.Command {
	return &cli.Command{
		Name:      "grade",
		Usage:     "run the checks and write a graded report for one student",
		ArgsUsage: "[NN...]   (e.g. sudo checker grade --student alice --format junit --out report.xml 01 02)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "student", Usage: "the student's name in the report (default: $SUDO_USER, else $USER)"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "report format: " + formatNames()},
			&cli.StringFlag{Name: "out", Usage: "write the report to this file instead of stdout"},
			timeoutFlag(),
		},
		Action: func(cCtx *cli.Context) error {
			write, err := formatOf(cCtx.String("format"))
			if err != nil {
				return err
			}
			// Under sudo, $USER is root; $SUDO_USER is the student.
			student := cmp.Or(cCtx.String("student"), os.Getenv("SUDO_USER"), os.Getenv("USER"))
			if student == "" {
				return usagef("no student name: pass --student NAME (neither $SUDO_USER nor $USER is set)")
			}
			rep, err := runChecks(cCtx, reg)
			if err != nil {
				return err
			}
			rep.Student = student
			// Render first, so a failure to render never leaves half a file.
			var buf bytes.Buffer
			if err := write(&buf, rep); err != nil {
				return fmt.Errorf("write %s report: %w", cCtx.String("format"), err)
			}
			if err := output(cCtx, buf.Bytes(), rep); err != nil {
				return err
			}
			if !rep.Passed() {
				return errChecksFailed
			}
			return nil
		},
	}
}

func formatOf(name string) (func(io.Writer, checker.Report) error, error) {
	for _, f := range formats {
		if f.name == name {
			return f.write, nil
		}
	}
	return nil, usagef("unknown format %q: formats are %s", name, formatNames())
}

// output writes the report to stdout, or to --out with a one-line summary
// on stderr, since the report itself is then out of sight.
func output(cCtx *cli.Context, report []byte, rep checker.Report) error {
	path := cCtx.String("out")
	if path == "" {
		_, err := cCtx.App.Writer.Write(report)
		return err
	}
	if err := writeFileAtomic(path, report); err != nil {
		return fmt.Errorf("write report %q: %w", path, err)
	}
	got, possible := rep.Score()
	fmt.Fprintf(cCtx.App.ErrWriter, "checker: wrote %s: %s scored %d/%d\n", path, rep.Student, got, possible)
	return nil
}

// writeFileAtomic writes data to a temporary file next to path, then renames
// it into place, so that whoever collects reports never reads half of one.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	// CreateTemp makes the file private (0600); a report is meant to be read.
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
