package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

// filenameFlag is -f of apply, create and delete.
func filenameFlag(usage string) cli.Flag {
	return &cli.StringSliceFlag{Name: "filename", Aliases: []string{"f"}, Usage: usage + ": a `FILE`, a directory (its *.yaml, *.yml and *.json files), or - for stdin; repeat for more"}
}

// manifestFlags are the flags of apply and create: -f, -n and those of
// the connection.
func manifestFlags(filenameUsage string) []cli.Flag {
	return clusterFlags(
		filenameFlag(filenameUsage),
		&cli.StringFlag{Name: "namespace", Aliases: []string{"n"}, Usage: "namespace `NS` of the objects that name none (default: \"default\")"},
	)
}

// sendManifests is the Action of apply and create (verb): it reads the
// objects of the -f manifests and sends each to the cluster with send,
// which returns the line to print, like "pod/web created". A failure is
// printed and the others go on; the command fails if one did. example is
// the command line its usage errors suggest, like "podlab apply -f web.yaml".
func sendManifests(verb, example string, send func(ctx context.Context, cl *client.Client, obj api.Object, flagNS string) (string, error)) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() > 0 {
			return usagef("%s takes no arguments: give the manifests with -f, like %q", verb, example)
		}
		if len(c.StringSlice("filename")) == 0 {
			return usagef("%s: give the manifests with -f, like %q", verb, example)
		}
		cl, err := connect(c)
		if err != nil {
			return err
		}
		objs, ok, err := readManifests(c.StringSlice("filename"), c.App.Reader, c.App.ErrWriter)
		if err != nil {
			return err
		}
		for _, obj := range objs {
			line, err := send(c.Context, cl, obj, c.String("namespace"))
			if err != nil {
				fmt.Fprintf(c.App.ErrWriter, "podlab: %s %s: %s\n", verb, objectName(obj), errorText(err))
				ok = false
				continue
			}
			fmt.Fprintln(c.App.Writer, line)
		}
		if !ok {
			return failed
		}
		return nil
	}
}

// manifestExtensions are the files of a directory that -f reads.
var manifestExtensions = []string{".yaml", ".yml", ".json"}

// manifestFiles expands the -f arguments: a directory gives its manifest
// files, sorted by name (not those of its subdirectories); a file and "-"
// (stdin) stand for themselves.
func manifestFiles(args []string) ([]string, error) {
	var files []string
	for _, arg := range args {
		if arg == "-" {
			files = append(files, arg)
			continue
		}
		info, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("read manifests: %w", err)
		}
		if !info.IsDir() {
			files = append(files, arg)
			continue
		}
		entries, err := os.ReadDir(arg) // sorted by name
		if err != nil {
			return nil, fmt.Errorf("read manifests: %w", err)
		}
		n := len(files)
		for _, e := range entries {
			if !e.IsDir() && slices.Contains(manifestExtensions, strings.ToLower(filepath.Ext(e.Name()))) {
				files = append(files, filepath.Join(arg, e.Name()))
			}
		}
		if len(files) == n {
			return nil, fmt.Errorf("directory %q has no *.yaml, *.yml or *.json files", arg)
		}
	}
	return files, nil
}

// decodeFile reads the objects of one manifest file, or of stdin for "-".
func decodeFile(path string, stdin io.Reader) ([]api.Object, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(stdin)
		path = "stdin"
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	objs, err := api.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return objs, nil
}

// readManifests reads the objects of the -f arguments, in order. A file
// that cannot be read or decoded is reported on errw and skipped, so that
// the others are still applied; ok is false then.
func readManifests(args []string, stdin io.Reader, errw io.Writer) (objs []api.Object, ok bool, err error) {
	files, err := manifestFiles(args)
	if err != nil {
		return nil, false, err
	}
	ok = true
	for _, f := range files {
		fileObjs, err := decodeFile(f, stdin)
		if err != nil {
			fmt.Fprintln(errw, "podlab: "+err.Error())
			ok = false
			continue
		}
		objs = append(objs, fileObjs...)
	}
	if len(objs) == 0 && ok {
		return nil, false, fmt.Errorf("no objects in %s", strings.Join(args, ", "))
	}
	return objs, ok, nil
}

// manifestNamespace returns the namespace of obj from a manifest: its
// own, else that of -n, else "default"; "" for a kind without
// namespaces. -n and another namespace in the manifest is a mistake, as
// in kubectl.
func manifestNamespace(obj api.Object, flagNS string) (string, error) {
	if !api.Namespaced(obj) {
		return "", nil
	}
	own := obj.GetObjectMeta().Namespace
	switch {
	case own != "" && flagNS != "" && own != flagNS:
		return "", fmt.Errorf("%s is in namespace %q, and -n says %q: leave out -n, or give -n %s", objectName(obj), own, flagNS, own)
	case own != "":
		return own, nil
	case flagNS != "":
		return flagNS, nil
	}
	return api.NamespaceDefault, nil
}
