package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

var labelCommand = &cli.Command{
	Name:  "label",
	Usage: "add, change or remove labels of an object, like kubectl label",
	ArgsUsage: "KIND NAME | KIND/NAME  KEY=VALUE... KEY-...\n\n" +
		"   examples: podlab label pod web tier=frontend\n" +
		"             podlab label node/node1 disk=ssd --overwrite\n" +
		"             podlab label pod web tier-",
	Category: clusterCategory,
	Flags: clusterFlags(
		&cli.BoolFlag{Name: "overwrite", Usage: "allow changing the value of a label that is there already"},
		&cli.StringFlag{Name: "namespace", Aliases: []string{"n"}, Usage: "namespace `NS` of the object (default: \"default\")"},
	),
	BashComplete: completeObjects,
	Action: func(c *cli.Context) error {
		args := c.Args().Slice()
		objArgs := 2 // KIND NAME
		if len(args) > 0 && strings.Contains(args[0], "/") {
			objArgs = 1 // KIND/NAME
		}
		if len(args) <= objArgs {
			return usagef("label: give an object and labels, like \"podlab label pod web tier=frontend\"")
		}
		targets, err := parseTargets(args[:objArgs])
		if err != nil {
			return err
		}
		changes, err := parseLabelChanges(args[objArgs:])
		if err != nil {
			return err
		}
		cl, err := connect(c)
		if err != nil {
			return err
		}
		t := targets[0]
		r, err := cl.Resource(t.kind, namespace(c))
		if err != nil {
			return err
		}
		obj, err := r.Get(c.Context, t.name)
		if err != nil {
			return err
		}
		patch, verb, err := changes.patch(obj.GetObjectMeta().Labels, c.Bool("overwrite"))
		if err != nil {
			return err
		}
		if patch != nil {
			if _, err := r.Patch(c.Context, t.name, patch); err != nil {
				return err
			}
		}
		fmt.Fprintf(c.App.Writer, "%s %s\n", objectName(obj), verb)
		return nil
	},
}

// labelChanges are the label arguments: KEY=VALUE sets, KEY- removes.
type labelChanges struct {
	set    map[string]string
	remove []string
}

// parseLabelChanges reads label arguments like "tier=frontend" and "tier-".
func parseLabelChanges(args []string) (labelChanges, error) {
	ch := labelChanges{set: map[string]string{}}
	for _, arg := range args {
		if key, ok := strings.CutSuffix(arg, "-"); ok && !strings.Contains(arg, "=") {
			if key == "" {
				return ch, usagef("label %q: give the key to remove before the -, like tier-", arg)
			}
			ch.remove = append(ch.remove, key)
			continue
		}
		key, value, ok := strings.Cut(arg, "=")
		switch {
		case !ok:
			return ch, usagef("label %q: give KEY=VALUE to set a label, or KEY- to remove one", arg)
		case key == "":
			return ch, usagef("label %q: the key is empty", arg)
		case strings.Contains(value, "="):
			return ch, usagef("label %q: a value cannot hold \"=\"", arg)
		}
		if old, dup := ch.set[key]; dup && old != value {
			return ch, usagef("label %q: %q is given twice", arg, key)
		}
		ch.set[key] = value
	}
	for _, key := range ch.remove {
		if _, ok := ch.set[key]; ok {
			return ch, usagef("label %q: cannot both set and remove it", key)
		}
	}
	return ch, nil
}

// patch returns the merge patch that makes the changes to labels, the
// labels an object has now, and the word that says what it did:
// "labeled", "unlabeled", or "not labeled" (nothing to change: no
// patch). Changing a value needs overwrite, as in kubectl.
func (ch labelChanges) patch(labels map[string]string, overwrite bool) ([]byte, string, error) {
	change := map[string]any{}
	for _, key := range slices.Sorted(maps.Keys(ch.set)) {
		value := ch.set[key]
		old, has := labels[key]
		if has && old != value && !overwrite {
			return nil, "", fmt.Errorf("'%s' already has a value (%s), and --overwrite is false", key, old)
		}
		if !has || old != value {
			change[key] = value
		}
	}
	verb := "labeled"
	if len(change) == 0 {
		verb = "unlabeled"
	}
	for _, key := range ch.remove {
		if _, has := labels[key]; has {
			change[key] = nil // null removes the key in a merge patch
		}
	}
	if len(change) == 0 {
		return nil, "not labeled", nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": change}})
	return patch, verb, err
}
