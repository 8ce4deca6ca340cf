package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

var eventsCommand = &cli.Command{
	Name:  "events",
	Usage: "list what happened in the cluster, oldest first, like kubectl events",
	ArgsUsage: "\n\n" +
		"   examples: podlab events\n" +
		"             podlab events --for pod/web\n" +
		"             podlab events -A --types Warning",
	Category: clusterCategory,
	Flags: clusterFlags(append(namespaceFlags(),
		&cli.StringFlag{Name: "for", Usage: "only the events about the object `KIND/NAME`, like pod/web"},
		&cli.StringFlag{Name: "types", Usage: "only the events of these `TYPES`, like Warning or Normal,Warning"},
	)...),
	Action: func(c *cli.Context) error {
		if c.NArg() > 0 {
			return usagef("events takes no arguments: choose the object with --for KIND/NAME")
		}
		var opts client.ListOptions
		if f := c.String("for"); f != "" {
			targets, err := parseTargets([]string{f})
			if err != nil || targets[0].name == "" {
				return usagef("--for %q: give the object as KIND/NAME, like pod/web", f)
			}
			opts.FieldSelector = "involvedObject.kind=" + targets[0].kind.Kind + ",involvedObject.name=" + targets[0].name
		}
		var types []string
		if t := c.String("types"); t != "" {
			types = strings.Split(t, ",")
		}
		cl, err := connect(c)
		if err != nil {
			return err
		}
		ns := listNamespace(c)
		events, _, err := cl.Events(ns).List(c.Context, opts)
		if err != nil {
			return err
		}
		if types != nil {
			events = slices.DeleteFunc(events, func(e *api.Event) bool { return !slices.Contains(types, e.Type) })
		}
		if len(events) == 0 {
			if ns == "" {
				fmt.Fprintln(c.App.ErrWriter, "No events found.")
			} else {
				fmt.Fprintf(c.App.ErrWriter, "No events found in %s namespace.\n", ns)
			}
			return nil
		}
		objs := make([]api.Object, len(events))
		for i, e := range events {
			objs[i] = e
		}
		sortEvents(objs)
		o := printOptions{allNamespaces: ns == "", now: time.Now()}
		rows := [][]string{header(api.KindEvent, o)}
		for _, obj := range objs {
			rows = append(rows, row(obj, o))
		}
		return (&table{w: c.App.Writer}).print(rows...)
	},
}

// sortEvents sorts events by when they last happened, oldest first.
func sortEvents(objs []api.Object) {
	slices.SortStableFunc(objs, func(a, b api.Object) int {
		return eventTime(a.(*api.Event)).Compare(eventTime(b.(*api.Event)))
	})
}
