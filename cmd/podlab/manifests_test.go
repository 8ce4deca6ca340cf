package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/podlab/podlab/core/api"
)

// A directory gives its manifests sorted by name, not its other files
// nor its subdirectories; files and "-" stand for themselves.
func TestManifestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.yml", "a.yaml", "c.JSON", "README.md", "d.yaml~"} {
		writeFile(t, dir, name, "")
	}
	sub := filepath.Join(dir, "sub.yaml")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	single := writeFile(t, t.TempDir(), "pod.txt", "")

	got, err := manifestFiles([]string{dir, "-", single})
	want := []string{filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yml"), filepath.Join(dir, "c.JSON"), "-", single}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("manifestFiles = %q, %v; want %q", got, err, want)
	}
	if _, err := manifestFiles([]string{filepath.Join(dir, "nope.yaml")}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a missing file: %v", err)
	}
	if _, err := manifestFiles([]string{sub}); err == nil || !strings.Contains(err.Error(), "has no *.yaml") {
		t.Errorf("an empty directory: %v", err)
	}
}

// readManifests reads stdin for "-", and reports a broken file with its
// name while it goes on with the others.
func TestReadManifests(t *testing.T) {
	dir := t.TempDir()
	broken := writeFile(t, dir, "broken.yaml", "kind: Pod\n")
	var errw bytes.Buffer
	objs, ok, err := readManifests([]string{"-", broken}, strings.NewReader(webPod+"---\n"+webDeployment), &errw)
	if err != nil || ok || len(objs) != 2 {
		t.Fatalf("readManifests = %d objects, %t, %v", len(objs), ok, err)
	}
	if _, isPod := objs[0].(*api.Pod); !isPod {
		t.Errorf("first object %T", objs[0])
	}
	if !strings.Contains(errw.String(), "podlab: "+broken+": line 1: apiVersion and kind are required") {
		t.Errorf("stderr %q", errw.String())
	}
	if _, _, err := readManifests([]string{"-"}, strings.NewReader("# nothing\n"), &errw); err == nil {
		t.Error("no objects: no error")
	}
}

func TestManifestNamespace(t *testing.T) {
	pod := func(ns string) api.Object { return &api.Pod{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: ns}} }
	tests := []struct {
		obj    api.Object
		flagNS string
		want   string
		err    bool
	}{
		{pod(""), "", "default", false},
		{pod(""), "lab", "lab", false},
		{pod("lab"), "", "lab", false},
		{pod("lab"), "lab", "lab", false},
		{pod("lab"), "other", "", true},
		{&api.Node{ObjectMeta: api.ObjectMeta{Name: "node1"}}, "lab", "", false},
	}
	for _, tt := range tests {
		got, err := manifestNamespace(tt.obj, tt.flagNS)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("manifestNamespace(%q, -n %q) = %q, %v", tt.obj.GetObjectMeta().Namespace, tt.flagNS, got, err)
		}
	}
}
