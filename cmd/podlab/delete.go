package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

var deleteCommand = &cli.Command{
	Name:  "delete",
	Usage: "delete objects by name, by label or from manifests, like kubectl delete",
	ArgsUsage: "KIND NAME... | KIND/NAME... | KIND -l SELECTOR | KIND --all | -f FILE|DIR|-\n\n" +
		"   examples: podlab delete pod web\n" +
		"             podlab delete deploy/web --cascade=orphan\n" +
		"             podlab delete pods -l app=web --grace-period=5\n" +
		"             podlab delete -f web.yaml",
	Category: clusterCategory,
	Flags: clusterFlags(append(namespaceFlags(),
		filenameFlag("delete the objects of these manifests"),
		&cli.StringFlag{Name: "selector", Aliases: []string{"l"}, Usage: "delete the objects of KIND whose labels match `SELECTOR`"},
		&cli.BoolFlag{Name: "all", Usage: "delete every object of KIND in the namespace"},
		&cli.IntFlag{Name: "grace-period", Value: -1, Usage: "`SECONDS` a pod gets to stop (-1: its own terminationGracePeriodSeconds; 0 means 1 without --force, as in kubectl)"},
		&cli.BoolFlag{Name: "force", Usage: "remove at once (--grace-period=0), without waiting for the node to stop the containers"},
		&cli.StringFlag{Name: "cascade", Value: "background", Usage: "what happens to the objects it owns: background (deleted after), foreground (deleted first) or orphan (kept)"},
		&cli.BoolFlag{Name: "wait", Usage: "return only once the objects are gone (kubectl waits by default)"},
		&cli.BoolFlag{Name: "ignore-not-found", Usage: "an object that does not exist is not an error"},
	)...),
	BashComplete: completeObjects,
	Action: func(c *cli.Context) error {
		opts, err := deleteOptions(c.Int("grace-period"), c.Bool("force"), c.String("cascade"))
		if err != nil {
			return err
		}
		targets, err := deleteTargets(c)
		if err != nil {
			return err
		}
		cl, err := connect(c)
		if err != nil {
			return err
		}
		if opts.GracePeriodSeconds != nil && *opts.GracePeriodSeconds == 0 {
			fmt.Fprintln(c.App.ErrWriter, "podlab: warning: immediate deletion does not wait for the node to stop the containers: they may run on for a while")
		}
		d := deletion{cl: cl, opts: opts, ignoreNotFound: c.Bool("ignore-not-found"), w: c.App.Writer, errw: c.App.ErrWriter}
		ok := true
		if files := c.StringSlice("filename"); len(files) > 0 {
			objs, readOK, err := readManifests(files, c.App.Reader, c.App.ErrWriter)
			if err != nil {
				return err
			}
			ok = d.deleteObjects(c.Context, objs, c.String("namespace")) && readOK
		} else {
			sel := client.ListOptions{LabelSelector: c.String("selector")}
			ok = d.deleteAll(c.Context, targets, listNamespace(c), sel)
		}
		if c.Bool("wait") {
			ctx, cancel := signal.NotifyContext(c.Context, os.Interrupt, unix.SIGTERM)
			defer cancel()
			ok = d.wait(ctx) && ok
		}
		if !ok {
			return failed
		}
		return nil
	},
}

// deleteTargets checks the objects of the command line: names, or a
// kind with -l or --all, or none with -f.
func deleteTargets(c *cli.Context) ([]target, error) {
	switch files := c.StringSlice("filename"); {
	case len(files) > 0 && c.NArg() > 0:
		return nil, usagef("delete: give objects either with -f or as arguments, not both")
	case len(files) > 0:
		return nil, nil
	case c.NArg() == 0:
		return nil, usagef("delete: give KIND NAME, KIND/NAME, KIND -l SELECTOR, KIND --all or -f FILE")
	}
	targets, err := parseTargets(c.Args().Slice())
	if err != nil {
		return nil, err
	}
	byName := targets[0].name != ""
	if byName == (c.IsSet("selector") || c.Bool("all")) {
		return nil, usagef("delete: give names, or -l SELECTOR, or --all: one of them")
	}
	if byName && c.Bool("all-namespaces") {
		return nil, usagef("delete: -A goes with -l or --all; to delete by name, give the namespace with -n")
	}
	return targets, nil
}

// deleteOptions turns the flags into the options of a delete, with
// kubectl's rules: --force alone means a grace period of 0, and
// --grace-period=0 without --force means 1 (a graceful delete).
func deleteOptions(grace int, force bool, cascade string) (client.DeleteOptions, error) {
	var opts client.DeleteOptions
	switch strings.ToLower(cascade) {
	case "background", "true":
		opts.PropagationPolicy = client.PropagationBackground
	case "foreground":
		opts.PropagationPolicy = client.PropagationForeground
	case "orphan", "false":
		opts.PropagationPolicy = client.PropagationOrphan
	default:
		return opts, usagef("--cascade=%q: give background, foreground or orphan", cascade)
	}
	switch {
	case force && grace > 0:
		return opts, usagef("--force removes at once: leave out --grace-period=%d, or --force", grace)
	case force:
		grace = 0
	case grace == 0:
		grace = 1
	}
	if grace >= 0 {
		opts.GracePeriodSeconds = new(int64(grace))
	}
	return opts, nil
}

// deletion deletes objects and prints what it did.
type deletion struct {
	cl             *client.Client
	opts           client.DeleteOptions
	ignoreNotFound bool
	w, errw        io.Writer
	deleted        []deleted // for --wait
}

// deleted is an object a deletion asked to delete.
type deleted struct {
	r    *client.Resource[api.Object]
	name string
	uid  string
}

// deleteObjects deletes the objects of manifests.
func (d *deletion) deleteObjects(ctx context.Context, objs []api.Object, flagNS string) bool {
	ok := true
	for _, obj := range objs {
		ns, err := manifestNamespace(obj, flagNS)
		if err == nil {
			var r *client.Resource[api.Object]
			if r, err = d.cl.Resource(api.KindOf(obj), ns); err == nil {
				err = d.delete(ctx, r, obj.GetObjectMeta().Name)
			}
		}
		if err != nil {
			fmt.Fprintf(d.errw, "podlab: delete %s: %s\n", objectName(obj), errorText(err))
			ok = false
		}
	}
	return ok
}

// deleteAll deletes the named targets, or, for a kind without a name,
// the objects of the kind that sel selects in namespace ns.
func (d *deletion) deleteAll(ctx context.Context, targets []target, ns string, sel client.ListOptions) bool {
	ok := true
	for _, t := range targets {
		r, err := d.cl.Resource(t.kind, ns)
		if err != nil {
			fmt.Fprintln(d.errw, "podlab: "+err.Error())
			ok = false
			continue
		}
		if t.name != "" {
			if err := d.delete(ctx, r, t.name); err != nil {
				fmt.Fprintln(d.errw, "podlab: "+errorText(err))
				ok = false
			}
			continue
		}
		objs, _, err := r.List(ctx, sel)
		if err != nil {
			fmt.Fprintln(d.errw, "podlab: "+errorText(err))
			ok = false
			continue
		}
		if len(objs) == 0 {
			fmt.Fprintln(d.errw, "No resources found")
		}
		for _, obj := range objs {
			// Each in its own namespace: with -A, they are many.
			objR, err := d.cl.Resource(t.kind, obj.GetObjectMeta().Namespace)
			if err == nil {
				err = d.delete(ctx, objR, obj.GetObjectMeta().Name)
			}
			if err != nil {
				fmt.Fprintln(d.errw, "podlab: "+errorText(err))
				ok = false
			}
		}
	}
	return ok
}

// delete deletes one object and prints `pod "web" deleted`, as kubectl.
func (d *deletion) delete(ctx context.Context, r *client.Resource[api.Object], name string) error {
	obj, err := r.Delete(ctx, name, d.opts)
	if client.IsNotFound(err) && d.ignoreNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	d.deleted = append(d.deleted, deleted{r, name, obj.GetObjectMeta().UID})
	fmt.Fprintf(d.w, "%s %q deleted\n", api.KindName(r.Kind()), name)
	return nil
}

// waitInterval is how often --wait looks whether an object is gone.
const waitInterval = 500 * time.Millisecond

// wait returns once every deleted object is gone: not found, or found
// with another uid (a new object of the same name). It returns false if
// ctx ended first (Ctrl-C) or the server failed.
func (d *deletion) wait(ctx context.Context) bool {
	for _, del := range d.deleted {
		for {
			obj, err := del.r.Get(ctx, del.name)
			if client.IsNotFound(err) || err == nil && del.uid != "" && obj.GetObjectMeta().UID != del.uid {
				break
			}
			if err != nil {
				fmt.Fprintln(d.errw, "podlab: "+errorText(err))
				return false
			}
			select {
			case <-ctx.Done():
				return false
			case <-time.After(waitInterval):
			}
		}
	}
	return true
}
