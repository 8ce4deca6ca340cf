package image_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/podlab/podlab/core/image"
)

var (
	base  = image.Ref{Name: "busybox", Tag: "latest"}
	hello = image.Ref{Name: "hello", Tag: "latest"}
)

// newStore returns an empty store in a temporary directory.
func newStore(t *testing.T) *image.Store {
	return &image.Store{Root: filepath.Join(t.TempDir(), "images")}
}

// buildBase builds busybox:latest from the host's busybox.
func buildBase(t *testing.T, s *image.Store) *image.Image {
	t.Helper()
	if _, err := os.Stat(image.DefaultBusybox); err != nil {
		t.Skipf("needs a static busybox at %s (apt-get install busybox-static): %v", image.DefaultBusybox, err)
	}
	img, err := s.BuildBase(base, image.DefaultBusybox)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// goBuild builds one of workloads/apps the way images need it: static.
func goBuild(t *testing.T, app string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command to build workloads/apps")
	}
	bin := filepath.Join(t.TempDir(), app)
	cmd := exec.Command("go", "build", "-o", bin, "github.com/podlab/podlab/workloads/apps/"+app)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", app, err, out)
	}
	return bin
}

// hidden lists the leftovers of builds (".<tag>.tmp-*") in dir.
func hidden(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestBuildBase(t *testing.T) {
	s := newStore(t)
	img := buildBase(t, s)
	layer := filepath.Join(img.Dir, "layer")

	sh, err := os.Lstat(filepath.Join(layer, "bin/sh"))
	if err != nil || sh.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("bin/sh: want a symlink, got %v, %v", sh, err)
	}
	// The link must lead to the layer's own busybox, not the host's.
	target, _ := os.Stat(filepath.Join(layer, "usr/bin/wc"))
	own, _ := os.Stat(filepath.Join(layer, "bin/busybox"))
	if target == nil || own == nil || !os.SameFile(target, own) || own.Mode().Perm() != 0o755 {
		t.Errorf("usr/bin/wc should lead to the layer's bin/busybox (0755)")
	}
	if motd, err := os.ReadFile(filepath.Join(layer, "etc/motd")); string(motd) != image.Motd {
		t.Errorf("etc/motd = %q, %v; want %q", motd, err, image.Motd)
	}
	if fi, err := os.Stat(filepath.Join(layer, "tmp")); err != nil || fi.Mode()&os.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("tmp: want mode 1777, got %v, %v", fi, err)
	}
	if !slices.Equal(img.Cmd, []string{"/bin/sh"}) || len(img.Env) != 1 || !strings.HasPrefix(img.Env[0], "PATH=") {
		t.Errorf("cmd %q env %q: want [/bin/sh] and PATH", img.Cmd, img.Env)
	}
	if img.Size < own.Size() || img.Parent != "" {
		t.Errorf("size %d parent %q: want at least busybox's %d bytes and no parent", img.Size, img.Parent, own.Size())
	}

	list, err := s.List()
	if err != nil || len(list) != 1 || list[0].Ref != base || !list[0].Created.Equal(img.Created) {
		t.Errorf("List() = %v, %v; want only %s", list, err, base)
	}
	layers, err := s.Layers(base)
	if err != nil || !slices.Equal(layers, []string{layer}) {
		t.Errorf("Layers(%s) = %q, %v; want [%s]", base, layers, err, layer)
	}
}

func TestBuildBaseRejectsBadBusybox(t *testing.T) {
	s := newStore(t)
	_, err := s.BuildBase(base, filepath.Join(t.TempDir(), "busybox"))
	if err == nil || !strings.Contains(err.Error(), "busybox-static") {
		t.Errorf("missing busybox: got %v, want an error saying to install busybox-static", err)
	}
	_, err = s.BuildBase(base, "/bin/ls") // dynamically linked on every distribution
	if err == nil || !strings.Contains(err.Error(), "dynamically linked") {
		t.Errorf("dynamic busybox: got %v, want an error saying it is dynamically linked", err)
	}
	if _, err := os.Stat(s.Root + "/busybox"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed builds left %s/busybox behind", s.Root)
	}
}

func TestGetMissing(t *testing.T) {
	_, err := newStore(t).Get(image.Ref{Name: "nginx", Tag: "latest"})
	if !errors.Is(err, image.ErrNotFound) || !strings.Contains(err.Error(), `"nginx:latest"`) {
		t.Errorf("Get(nginx:latest) = %v; want ErrNotFound naming the image", err)
	}
}

func TestBuildApp(t *testing.T) {
	s := newStore(t)
	bin := goBuild(t, "hello")
	if _, err := s.BuildApp(hello, base, bin); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("BuildApp without the parent image: got %v, want ErrNotFound", err)
	}
	parent := buildBase(t, s)
	img, err := s.BuildApp(hello, base, bin)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(img.Entrypoint, []string{"/bin/hello"}) || len(img.Cmd) != 0 || !slices.Equal(img.Env, parent.Env) || img.Parent != "busybox:latest" {
		t.Errorf("entrypoint %q cmd %q env %q parent %q: want [/bin/hello], none, the parent's env and busybox:latest", img.Entrypoint, img.Cmd, img.Env, img.Parent)
	}
	// The manifest on disk says the same.
	if got, err := s.Get(hello); err != nil || !slices.Equal(got.Entrypoint, img.Entrypoint) || got.Size != img.Size {
		t.Errorf("Get(%s) = %+v, %v; want %+v", hello, got, err, img)
	}
	layers, err := s.Layers(hello)
	want := []string{filepath.Join(img.Dir, "layer"), filepath.Join(parent.Dir, "layer")}
	if err != nil || !slices.Equal(layers, want) {
		t.Errorf("Layers(%s) = %q, %v; want %q", hello, layers, err, want)
	}
	var files []string
	filepath.WalkDir(want[0], func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, strings.TrimPrefix(path, want[0]))
		}
		return err
	})
	if !slices.Equal(files, []string{"/bin/hello"}) {
		t.Errorf("app layer holds %q, want only /bin/hello", files)
	}

	if _, err := s.BuildApp(image.Ref{Name: "ls", Tag: "latest"}, base, "/bin/ls"); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Errorf("dynamic app binary: got %v, want an error saying to build with CGO_ENABLED=0", err)
	}
	if _, err := s.BuildApp(base, hello, bin); err == nil {
		t.Errorf("building busybox:latest on hello:latest (its own child) succeeded, want an error")
	}
}

func TestRemove(t *testing.T) {
	s := newStore(t)
	parent := buildBase(t, s)
	app, err := s.BuildApp(hello, base, goBuild(t, "hello"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(base); err == nil || !strings.Contains(err.Error(), `"hello:latest"`) {
		t.Errorf("Remove(%s) while hello uses it: got %v, want an error naming hello:latest", base, err)
	}
	if _, err := s.Get(base); err != nil {
		t.Errorf("a refused Remove damaged the image: %v", err)
	}
	for _, ref := range []image.Ref{hello, base} {
		if err := s.Remove(ref); err != nil {
			t.Fatalf("Remove(%s): %v", ref, err)
		}
	}
	for _, dir := range []string{app.Dir, parent.Dir} {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists after Remove", dir)
		}
	}
	if list, err := s.List(); len(list) != 0 || err != nil {
		t.Errorf("List() after removing all = %v, %v; want none", list, err)
	}
	if err := s.Remove(base); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("Remove of a removed image: got %v, want ErrNotFound", err)
	}
}

func TestRebuild(t *testing.T) {
	s := newStore(t)
	old := buildBase(t, s)
	stale := filepath.Join(old.Dir, "layer/stale")
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	img := buildBase(t, s)
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) || img.Created.Before(old.Created) {
		t.Errorf("rebuild kept the old layer (stale file: %v)", err)
	}

	// hello is a static binary but no busybox: the build fails half-way,
	// after the layer was started, and must leave the image as it was.
	if _, err := s.BuildBase(base, goBuild(t, "hello")); err == nil {
		t.Fatal("building a base image from the hello binary succeeded, want an error")
	}
	if _, err := s.Get(base); err != nil {
		t.Errorf("a failed rebuild damaged the image: %v", err)
	}
	if motd, _ := os.ReadFile(filepath.Join(img.Dir, "layer/etc/motd")); string(motd) != image.Motd {
		t.Errorf("a failed rebuild damaged the layer: etc/motd = %q", motd)
	}
	if left := hidden(t, filepath.Dir(img.Dir)); len(left) > 0 {
		t.Errorf("builds left %q behind", left)
	}
}

// TestWorkloadsAreStatic builds every app of workloads/apps and puts it in an
// image: BuildApp refuses a binary that is not static.
func TestWorkloadsAreStatic(t *testing.T) {
	s := newStore(t)
	buildBase(t, s)
	for _, app := range []string{"hello", "memhog", "orphans", "cpuburn"} {
		if _, err := s.BuildApp(image.Ref{Name: app, Tag: "latest"}, base, goBuild(t, app)); err != nil {
			t.Error(err)
		}
	}
}
