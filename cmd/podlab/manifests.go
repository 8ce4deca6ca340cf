package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
)

// filenameFlag is -f of apply, create and delete.
func filenameFlag(usage string) cli.Flag {
	return &cli.StringSliceFlag{Name: "filename", Aliases: []string{"f"}, Usage: usage + ": a `FILE`, a directory (its *.yaml, *.yml and *.json files), or - for stdin; repeat for more"}
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
