package main

import (
	"errors"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

// clusterCategory groups the kubectl-style commands in "podlab --help".
// Their flags may also come after their arguments, as with kubectl: see
// flagsFirst.
const clusterCategory = "on a cluster, like kubectl"

// connectionFlags say which API server to talk to. Every cluster command
// has them, so they can go anywhere on its command line.
func connectionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "server", Usage: "API server `URL`, like http://127.0.0.1:6443 (default: from the cluster config)"},
		&cli.StringFlag{Name: "token", Usage: "bearer `TOKEN` for the API server (default: from the cluster config)"},
		&cli.StringFlag{Name: "config", Usage: "cluster config `FILE` (default: $" + client.ConfigEnv + " or ~/.podlab/config)"},
	}
}

// namespaceFlags choose the namespace of a command, or all of them.
func namespaceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "namespace", Aliases: []string{"n"}, Usage: "work in namespace `NS` (default: \"default\")"},
		&cli.BoolFlag{Name: "all-namespaces", Aliases: []string{"A"}, Usage: "list the objects of every namespace"},
	}
}

// clusterFlags returns the connection flags after the command's own.
func clusterFlags(own ...cli.Flag) []cli.Flag { return append(own, connectionFlags()...) }

// connect returns a client for the API server that the flags name, or
// the cluster config file names: the flags win.
func connect(c *cli.Context) (*client.Client, error) {
	cfg, err := clusterConfig(c)
	if err != nil {
		return nil, err
	}
	return client.New(cfg)
}

// clusterConfig returns the API server and the token of the flags, or of
// the cluster config file: the flags win. With --server and no config
// file there is nothing to read.
func clusterConfig(c *cli.Context) (client.Config, error) {
	path := c.String("config")
	if path == "" {
		path = client.DefaultConfigPath()
	}
	var cfg client.Config
	if _, err := os.Stat(path); err == nil || c.String("server") == "" || c.IsSet("config") {
		if cfg, err = client.LoadConfig(path); err != nil {
			return cfg, err
		}
	}
	if c.IsSet("server") {
		cfg.Server = c.String("server")
	}
	if c.IsSet("token") {
		cfg.Token = c.String("token")
	}
	return cfg, nil
}

// namespace returns the namespace of -n, or "default".
func namespace(c *cli.Context) string {
	if ns := c.String("namespace"); ns != "" {
		return ns
	}
	return api.NamespaceDefault
}

// listNamespace returns the namespace to list in: "" (every one) with -A.
func listNamespace(c *cli.Context) string {
	if c.Bool("all-namespaces") {
		return ""
	}
	return namespace(c)
}

// target is one object named on the command line, or with no name every
// object of the kind.
type target struct {
	kind api.TypeMeta
	name string
}

// kindFor looks up what the user typed for a kind, like "deploy".
func kindFor(name string) (api.TypeMeta, error) {
	tm, ok := api.KindFor(name)
	if !ok {
		return tm, usagef("unknown resource type %q: podlab knows %s", name, strings.Join(api.ResourceNames(), ", "))
	}
	return tm, nil
}

// parseTargets reads the objects of a command line in either of kubectl's
// forms: "KIND [NAME...]" or "KIND/NAME...". A KIND alone gives one
// target without a name.
func parseTargets(args []string) ([]target, error) {
	if len(args) == 0 {
		return nil, usagef("give a resource type, like \"pods\", and names, or KIND/NAME")
	}
	if !strings.Contains(args[0], "/") {
		kind, err := kindFor(args[0])
		if err != nil {
			return nil, err
		}
		if len(args) == 1 {
			return []target{{kind: kind}}, nil
		}
		var targets []target
		for _, name := range args[1:] {
			if strings.Contains(name, "/") {
				return nil, usagef("there is a resource type already (%q): give names only, not %q", args[0], name)
			}
			targets = append(targets, target{kind, name})
		}
		return targets, nil
	}
	var targets []target
	for _, arg := range args {
		kindName, name, ok := strings.Cut(arg, "/")
		if !ok || name == "" {
			return nil, usagef("%q: give every object as KIND/NAME, like deploy/web", arg)
		}
		kind, err := kindFor(kindName)
		if err != nil {
			return nil, err
		}
		targets = append(targets, target{kind, name})
	}
	return targets, nil
}

// objectName is how kubectl names an object in its output, like
// "pod/web" or "deployment.apps/web".
func objectName(obj api.Object) string {
	return api.KindName(api.KindOf(obj)) + "/" + obj.GetObjectMeta().Name
}

// errorText is the message of err for people: an API server's list of
// invalid fields comes one field a line under the message.
func errorText(err error) string {
	var se *client.StatusError
	if !errors.As(err, &se) || se.Details == nil || len(se.Details.Causes) == 0 {
		return err.Error()
	}
	msg := err.Error()
	var lines []string
	for _, cause := range se.Details.Causes {
		line := cause.Message
		if cause.Field != "" && !strings.HasPrefix(line, cause.Field) {
			line = cause.Field + ": " + line
		}
		lines = append(lines, line)
		// The message often lists the causes on one line already: keep
		// only what comes before them.
		if i := strings.Index(msg, line); i > 0 {
			msg = strings.TrimRight(msg[:i], " :[\n")
		}
	}
	return msg + ":\n  * " + strings.Join(lines, "\n  * ")
}

// failed is the error of a command that printed its failures one by
// one already: exit status 1, nothing more to say.
var failed = cli.Exit("", 1)

// flagsFirst moves the flags of a cluster command in front of its
// arguments, so that "podlab get pods -n kube-system" works as with
// kubectl: urfave/cli, like Go's flag package, stops reading flags at the
// first argument. A flag that takes a value keeps it ("-n kube-system");
// everything after "--" stays an argument. The --generate-bash-completion
// of shell completion stays last, where urfave/cli looks for it.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 3 {
		return args
	}
	cmd := app.Command(args[1])
	if cmd == nil || cmd.Category != clusterCategory {
		return args
	}
	rest, last := args[2:], []string(nil)
	if n := len(args); args[n-1] == "--generate-bash-completion" {
		rest, last = args[2:n-1], args[n-1:]
	}
	flags, positional := splitFlags(cmd.Flags, rest)
	if slices.ContainsFunc(positional, func(a string) bool { return strings.HasPrefix(a, "-") && a != "-" }) {
		positional = append([]string{"--"}, positional...) // an argument like "-x" must stay one
	}
	return slices.Concat(args[:2], flags, positional, last)
}

// splitFlags separates the flags of defs (with their values) from the
// arguments in args, keeping the order of each.
func splitFlags(defs []cli.Flag, args []string) (flags, positional []string) {
	takesValue := map[string]bool{}
	for _, f := range defs {
		v, ok := f.(interface{ TakesValue() bool })
		for _, name := range f.Names() {
			takesValue[name] = ok && v.TakesValue()
		}
	}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			return flags, append(positional, args[i+1:]...)
		case arg == "-" || !strings.HasPrefix(arg, "-"):
			positional = append(positional, arg)
		default:
			flags = append(flags, arg)
			name := strings.TrimLeft(arg, "-")
			if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		}
	}
	return flags, positional
}
