package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

var getCommand = &cli.Command{
	Name:  "get",
	Usage: "list objects in a table, or print them whole, like kubectl get",
	ArgsUsage: "KIND[,KIND...] [NAME...] | KIND/NAME...\n\n" +
		"   examples: podlab get pods -o wide\n" +
		"             podlab get deploy web -o yaml > web.yaml\n" +
		"             podlab get pods -l app=web -w\n" +
		"             podlab get all -A",
	Category: clusterCategory,
	Flags: clusterFlags(append(namespaceFlags(),
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "`FORMAT`: wide (more columns), yaml, json or name"},
		&cli.StringFlag{Name: "selector", Aliases: []string{"l"}, Usage: "only the objects whose labels match `SELECTOR`, like app=web or 'tier in (fe,be)'"},
		&cli.StringFlag{Name: "field-selector", Usage: "only the objects whose fields match `SELECTOR`, like spec.nodeName=node1"},
		&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Usage: "after the list, print every change as it happens, until Ctrl-C"},
		&cli.BoolFlag{Name: "show-labels", Usage: "add a LABELS column"},
		&cli.BoolFlag{Name: "output-watch-events", Usage: "with -w, add an EVENT column: ADDED, MODIFIED or DELETED, as the API server's watch says"},
	)...),
	BashComplete: completeObjects,
	Action: func(c *cli.Context) error {
		targets, err := getTargets(c.Args().Slice())
		if err != nil {
			return err
		}
		q := getQuery{
			targets:   targets,
			namespace: listNamespace(c),
			list:      client.ListOptions{LabelSelector: c.String("selector"), FieldSelector: c.String("field-selector")},
			output:    c.String("output"),
			print: printOptions{wide: c.String("output") == outputWide, allNamespaces: c.Bool("all-namespaces"),
				showLabels: c.Bool("show-labels")},
			watchEvents: c.Bool("output-watch-events"),
		}
		if err := q.check(c.Bool("watch")); err != nil {
			return err
		}
		cl, err := connect(c)
		if err != nil {
			return err
		}
		if !c.Bool("watch") {
			return q.get(c.Context, cl, c.App.Writer, c.App.ErrWriter)
		}
		ctx, cancel := signal.NotifyContext(c.Context, os.Interrupt, unix.SIGTERM)
		defer cancel()
		return q.watch(ctx, cl, c.App.Writer)
	},
}

// allKinds are what "get all" lists, as in kubectl.
var allKinds = []api.TypeMeta{
	api.KindPod, api.KindService, api.KindDaemonSet, api.KindDeployment, api.KindReplicaSet,
	api.KindReplicationController, api.KindStatefulSet, api.KindHorizontalPodAutoscaler, api.KindJob, api.KindCronJob,
}

// getTargets reads what "get" is asked for: kubectl's "KIND [NAME...]"
// and "KIND/NAME..." forms, and also several kinds, "pods,services", or
// "all" of the workload kinds.
func getTargets(args []string) ([]target, error) {
	if len(args) == 0 || !strings.ContainsAny(args[0], ",") && args[0] != "all" {
		return parseTargets(args)
	}
	if len(args) > 1 {
		return nil, usagef("names go with one resource type, not with %q", args[0])
	}
	var targets []target
	for _, name := range strings.Split(args[0], ",") {
		kinds := allKinds
		if name != "all" {
			kind, err := kindFor(name)
			if err != nil {
				return nil, err
			}
			kinds = []api.TypeMeta{kind}
		}
		for _, kind := range kinds {
			targets = append(targets, target{kind: kind})
		}
	}
	return targets, nil
}

// getQuery is one "podlab get": what to fetch and how to print it.
type getQuery struct {
	targets   []target // a kind with no name stands for a list
	namespace string   // "" for every namespace (-A)
	list      client.ListOptions
	output    string
	print     printOptions
	// watchEvents adds an EVENT column to "get -w": ADDED, MODIFIED or
	// DELETED, the type of each watch event.
	watchEvents bool
}

// check refuses what cannot be done before asking the server.
func (q *getQuery) check(watch bool) error {
	if err := checkOutput(q.output); err != nil {
		return err
	}
	if _, err := api.ParseSelector(q.list.LabelSelector); err != nil {
		return usagef("-l: %v", err)
	}
	if q.namespace == "" && slices.ContainsFunc(q.targets, func(t target) bool { return t.name != "" && namespaced(t.kind) }) {
		return usagef("-A lists every namespace: to get an object by name, give its namespace with -n")
	}
	if q.watchEvents && !watch {
		return usagef("--output-watch-events goes with -w")
	}
	if watch && slices.ContainsFunc(q.targets, func(t target) bool { return t.kind != q.targets[0].kind }) {
		return usagef("--watch works with one resource type at a time")
	}
	return nil
}

// single reports whether one object was asked for by name.
func (q *getQuery) single() bool { return len(q.targets) == 1 && q.targets[0].name != "" }

// fetched are the objects of one kind that a get found.
type fetched struct {
	kind api.TypeMeta
	objs []api.Object
}

// get fetches the targets and prints them. An object that is not there
// is reported, and the others are still printed.
func (q *getQuery) get(ctx context.Context, cl *client.Client, w, errw io.Writer) error {
	var found []fetched
	failures := 0
	for _, t := range q.targets {
		objs, err := q.fetch(ctx, cl, t)
		var refused *client.StatusError
		if err != nil && !errors.As(err, &refused) {
			return err // no answer from the server: the next kinds will get none either
		}
		if err != nil {
			fmt.Fprintln(errw, "podlab: "+errorText(err))
			failures++
			continue
		}
		if n := len(found); n > 0 && found[n-1].kind == t.kind {
			found[n-1].objs = append(found[n-1].objs, objs...)
		} else {
			found = append(found, fetched{t.kind, objs})
		}
	}
	var all []api.Object
	for _, f := range found {
		all = append(all, f.objs...)
	}
	if err := q.printFound(w, found, all); err != nil {
		return err
	}
	if len(all) == 0 && failures == 0 && (q.output == outputTable || q.output == outputWide) {
		fmt.Fprintln(errw, q.noneFound())
	}
	if failures > 0 {
		return failed
	}
	return nil
}

// fetch gets one named object, or lists the objects of a kind.
func (q *getQuery) fetch(ctx context.Context, cl *client.Client, t target) ([]api.Object, error) {
	r, err := cl.Resource(t.kind, q.namespace)
	if err != nil {
		return nil, err
	}
	if t.name != "" {
		obj, err := r.Get(ctx, t.name)
		if err != nil {
			return nil, err
		}
		return []api.Object{obj}, nil
	}
	objs, _, err := r.List(ctx, q.list)
	if t.kind == api.KindEvent {
		sortEvents(objs)
	}
	return objs, err
}

// printFound prints tables, one per kind, or all objects in one go.
func (q *getQuery) printFound(w io.Writer, found []fetched, all []api.Object) error {
	if q.output != outputTable && q.output != outputWide {
		return printObjects(w, all, q.output, q.single())
	}
	first := true
	for _, f := range found {
		if len(f.objs) == 0 {
			continue
		}
		if !first {
			fmt.Fprintln(w)
		}
		first = false
		if err := q.printTable(&table{w: w}, f.kind, f.objs, true, ""); err != nil {
			return err
		}
	}
	return nil
}

// printTable prints objs of kind as rows of t, after the header if asked.
// With watchEvents, each row starts with event, the watch event's type.
func (q *getQuery) printTable(t *table, kind api.TypeMeta, objs []api.Object, withHeader bool, event string) error {
	o := q.print
	o.now = time.Now()
	cols := header(kind, o)
	var rows [][]string
	if withHeader {
		rows = append(rows, cols)
	}
	// Several kinds in one get: each name says its kind, like pod/web.
	nameCol := slices.Index(cols, "NAME")
	kindPrefix := nameCol >= 0 && slices.ContainsFunc(q.targets, func(t target) bool { return t.kind != kind })
	for _, obj := range objs {
		r := row(obj, o)
		if kindPrefix {
			r[nameCol] = objectName(obj)
		}
		rows = append(rows, r)
	}
	if q.watchEvents {
		// Room for the longest event type from the start, so the rows of
		// later events line up with the first ones.
		if len(t.widths) == 0 {
			t.widths = []int{len(client.Modified)}
		}
		for i := range rows {
			cell := event
			if withHeader && i == 0 {
				cell = "EVENT"
			}
			rows[i] = append([]string{cell}, rows[i]...)
		}
	}
	return t.print(rows...)
}

// noneFound is kubectl's message for an empty list.
func (q *getQuery) noneFound() string {
	if q.namespace == "" || slices.ContainsFunc(q.targets, func(t target) bool { return !namespaced(t.kind) }) {
		return "No resources found"
	}
	return fmt.Sprintf("No resources found in %s namespace.", q.namespace)
}

// watch prints the objects, then a row for every change to them, until
// ctx ends (Ctrl-C). When the server has forgotten the revision the
// watch started from (410 Gone), it lists again and goes on from there.
func (q *getQuery) watch(ctx context.Context, cl *client.Client, w io.Writer) error {
	kind := q.targets[0].kind
	r, err := cl.Resource(kind, q.namespace)
	if err != nil {
		return err
	}
	p := &watchPrinter{q: q, kind: kind, table: &table{w: w}, w: w}
	objs, rv, err := r.List(ctx, q.list)
	if err != nil {
		return err
	}
	if err := p.show(objs, true, client.Added); err != nil {
		return err
	}
	for ctx.Err() == nil {
		watcher, err := r.Watch(ctx, client.ListOptions{LabelSelector: q.list.LabelSelector, FieldSelector: q.list.FieldSelector, ResourceVersion: rv})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		events := 0
		for ev := range watcher.Events() {
			events++
			rv = ev.Object.GetObjectMeta().ResourceVersion
			if err := p.show([]api.Object{ev.Object}, false, ev.Type); err != nil {
				return err
			}
		}
		switch err := watcher.Err(); {
		case ctx.Err() != nil:
			return nil
		case client.IsGone(err):
			if objs, rv, err = r.List(ctx, q.list); err != nil {
				return err
			}
			if err := p.show(objs, false, client.Added); err != nil {
				return err
			}
		case err != nil:
			return err
		case events == 0:
			// The server ended a quiet stream: do not hammer it.
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// watchPrinter prints what "get -w" sees: rows that line up with the
// first ones, or each object in YAML, JSON or as kind/name.
type watchPrinter struct {
	q     *getQuery
	kind  api.TypeMeta
	table *table
	w     io.Writer
}

// show prints the objects that were asked for, among objs, which the
// watch reported with event.
func (p *watchPrinter) show(objs []api.Object, withHeader bool, event client.EventType) error {
	objs = slices.DeleteFunc(objs, func(obj api.Object) bool { return !p.wanted(obj) })
	switch {
	case p.q.output == outputTable || p.q.output == outputWide:
		if len(objs) == 0 && !withHeader {
			return nil
		}
		return p.q.printTable(p.table, p.kind, objs, withHeader, string(event))
	case p.q.output == outputYAML:
		for _, obj := range objs {
			data, err := toYAML(withKind(obj))
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(p.w, "---\n%s", data); err != nil {
				return err
			}
		}
		return nil
	}
	for _, obj := range objs {
		if err := printObjects(p.w, []api.Object{obj}, p.q.output, true); err != nil {
			return err
		}
	}
	return nil
}

// wanted reports whether obj is one of the names asked for, if any.
func (p *watchPrinter) wanted(obj api.Object) bool {
	return p.q.targets[0].name == "" || slices.ContainsFunc(p.q.targets, func(t target) bool { return t.name == obj.GetObjectMeta().Name })
}
