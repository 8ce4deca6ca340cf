package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/fatih/color"
	"github.com/urfave/cli/v2"
)

// Exit statuses of a lab binary.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128 + SIGINT: what a shell reports after Ctrl-C
)

// Main is the whole command line of a lab binary; it never returns.
func Main(lab Lab) {
	// Ctrl-C or SIGTERM cancels ctx, and the runner undoes what the run
	// created. The first signal also restores the default handling, so a
	// second Ctrl-C kills the lab at once; its record remains for --cleanup.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	os.Exit(run(ctx, lab, os.Args, os.Stdin, os.Stdout, os.Stderr))
}

var flags = []cli.Flag{
	&cli.BoolFlag{Name: "auto", DisableDefaultText: true, Usage: "run every step without pausing (the default when not on a terminal)"},
	&cli.BoolFlag{Name: "interactive", DisableDefaultText: true, Usage: "pause before each step until Enter is pressed (the default on a terminal)"},
	&cli.BoolFlag{Name: "json", DisableDefaultText: true, Usage: "print one JSON object per step instead of the lesson text"},
	&cli.StringFlag{Name: "lang", Usage: "language of the lesson: en or zh (default: from LC_ALL, LC_MESSAGES or LANG)"},
	&cli.BoolFlag{Name: "cleanup", DisableDefaultText: true, Usage: "do not run the steps; remove what the last run created"},
	&cli.BoolFlag{Name: "no-color", DisableDefaultText: true, Usage: "print without colour (NO_COLOR=1 does the same)"},
}

// options is the command line once understood.
type options struct {
	lang        string
	interactive bool // wait for Enter before each step
	json        bool
	cleanup     bool
	colour      bool
	stdinTTY    bool // a terminal echoes the Enter; a pipe does not
}

// run is Main without the process around it, so tests can call it: it
// returns the exit status instead of exiting.
func run(ctx context.Context, lab Lab, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var opt *options // stays nil when only --help was asked for
	app := &cli.App{
		Name:            lab.binary(),
		Usage:           lab.Title.In(langFromEnv()),
		Flags:           flags,
		HideVersion:     true,
		HideHelpCommand: true,
		Writer:          stdout,
		ErrWriter:       stderr,
		// A bad flag is reported in one line below, like every usage error.
		OnUsageError: func(_ *cli.Context, err error, _ bool) error { return err },
		Action: func(c *cli.Context) error {
			var err error
			opt, err = parseOptions(c, stdin, stdout)
			return err
		},
	}
	if err := app.Run(args); err != nil {
		fmt.Fprintf(stderr, "%s: %v (see --help)\n", app.Name, err)
		return exitUsage
	}
	if opt == nil {
		return exitOK
	}
	if needRoot() {
		fmt.Fprintf(stderr, msgNeedRoot.In(opt.lang)+"\n", app.Name, app.Name)
		return exitFailed
	}
	x := newRunner(lab, opt, stdin, stdout, stderr)
	if opt.cleanup {
		return x.cleanup(ctx)
	}
	return x.lesson(ctx)
}

func parseOptions(c *cli.Context, stdin io.Reader, stdout io.Writer) (*options, error) {
	if c.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", c.Args().First())
	}
	o := &options{lang: c.String("lang"), json: c.Bool("json"), cleanup: c.Bool("cleanup")}
	switch o.lang {
	case "":
		o.lang = langFromEnv()
	case "en", "zh":
	default:
		return nil, fmt.Errorf("invalid --lang %q: allowed values are %s", o.lang, strings.Join(langs, ", "))
	}
	if c.Bool("auto") && c.Bool("interactive") {
		return nil, errors.New("--auto and --interactive cannot be used together")
	}
	if o.json && c.Bool("interactive") {
		return nil, errors.New("--json never pauses: drop --interactive")
	}
	o.stdinTTY = isTerminal(stdin)
	// Pause only for a person: someone who can both read and press Enter.
	o.interactive = c.Bool("interactive") || (!c.Bool("auto") && !o.json && o.stdinTTY && isTerminal(stdout))
	// Colour only on a terminal, and not for someone who asked for none:
	// color.NoColor is true when NO_COLOR is set or TERM=dumb.
	o.colour = !c.Bool("no-color") && !o.json && !color.NoColor && isTerminal(stdout)
	return o, nil
}

// euid is os.Geteuid; tests replace it to see the check refuse.
var euid = os.Geteuid

// needRoot reports whether the lab must refuse to run: labs change
// namespaces, mounts and cgroups, which only root may do. The environment
// variable PODLAB_STEPS_NOROOT=1 skips the check; it exists for the tests
// of this package, whose steps touch nothing privileged.
func needRoot() bool {
	return euid() != 0 && os.Getenv("PODLAB_STEPS_NOROOT") != "1"
}
