package image

import (
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// BuildApp builds an image of one static binary on top of parent: its own
// layer holds only /bin/<binary's name>, which is also its command. It
// inherits the parent's environment and replaces an image of the same name.
func (s *Store) BuildApp(ref Ref, parent Ref, binary string) (*Image, error) {
	if err := ref.validate(); err != nil {
		return nil, err
	}
	name := filepath.Base(binary)
	interp, err := Interpreter(binary)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("app binary %q not found: build it with "+
			"\"CGO_ENABLED=0 go build -o %s ./workloads/apps/%s\" (or \"make images\")", binary, binary, name)
	case err != nil:
		return nil, fmt.Errorf("build image %q: %w", ref.String(), err)
	case interp != "":
		return nil, fmt.Errorf("app binary %q is dynamically linked (it needs %s), but a container has no libc: "+
			"build it static with \"CGO_ENABLED=0 go build\"", binary, interp)
	}
	ancestors, err := s.chain(parent)
	if err != nil {
		return nil, fmt.Errorf("build image %q: %w", ref.String(), err)
	}
	for _, a := range ancestors {
		if a.Ref == ref {
			return nil, fmt.Errorf("build image %q on %q: an image cannot be its own ancestor", ref.String(), parent.String())
		}
	}
	img := &Image{Ref: ref, Parent: parent.String(), Entrypoint: []string{"/bin/" + name},
		Env: slices.Clone(ancestors[0].Env)}
	return s.build(img, func(layer string) error {
		if err := os.Mkdir(filepath.Join(layer, "bin"), 0o755); err != nil {
			return err
		}
		return copyExecutable(binary, filepath.Join(layer, "bin", name))
	})
}

// Interpreter returns the dynamic loader an ELF executable asks for in its
// PT_INTERP header, e.g. "/lib64/ld-linux-x86-64.so.2", or "" if it is
// statically linked. Containers have no libc or loader, so only static
// binaries can run in them.
func Interpreter(path string) (string, error) {
	f, err := elf.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("%q is not an ELF executable: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				return "", fmt.Errorf("read the interpreter of %q: %w", path, err)
			}
			return strings.TrimRight(string(b), "\x00"), nil
		}
	}
	return "", nil
}

// build writes img atomically. fill creates the image's own layer in an
// empty directory next to the image, at <root>/<name>/.<tag>.tmp-*; the
// manifest is written last, and only then does the new image take the old
// one's place. A failed build removes its temporary directory and leaves
// the store as it was.
func (s *Store) build(img *Image, fill func(layer string) error) (*Image, error) {
	dir := s.dir(img.Ref)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("build image %q: %w", img.Ref.String(), err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+img.Ref.Tag+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("build image %q: %w", img.Ref.String(), err)
	}
	old := tmp + ".old"
	ok := false
	defer func() {
		os.RemoveAll(tmp) // nothing left to remove after a successful build
		os.RemoveAll(old)
		if !ok {
			os.Remove(filepath.Dir(dir)) // the name's directory, if this build created it
		}
	}()

	if err := writeImage(tmp, img, fill); err != nil {
		return nil, fmt.Errorf("build image %q: %w", img.Ref.String(), err)
	}
	// rename(2) cannot replace a directory that has files in it, so the old
	// image moves aside first and is removed by the deferred RemoveAll.
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("build image %q: %w", img.Ref.String(), err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Rename(old, dir) // put the old image back
		return nil, fmt.Errorf("build image %q: %w", img.Ref.String(), err)
	}
	ok = true
	img.Dir = dir
	return img, nil
}

// writeImage fills the layer of img in dir, then writes its manifest.
func writeImage(dir string, img *Image, fill func(layer string) error) error {
	// MkdirTemp made dir private (0700); images are readable by everyone.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	layer := filepath.Join(dir, "layer")
	if err := os.Mkdir(layer, 0o755); err != nil {
		return err
	}
	if err := fill(layer); err != nil {
		return err
	}
	size, err := layerSize(layer)
	if err != nil {
		return err
	}
	img.Size = size
	// Whole seconds in UTC, so the manifest reads "2025-01-02T15:04:05Z".
	img.Created = time.Now().UTC().Truncate(time.Second)
	data, err := json.MarshalIndent(manifest{Name: img.Ref.Name, Tag: img.Ref.Tag, Parent: img.Parent,
		Entrypoint: img.Entrypoint, Cmd: img.Cmd, Env: img.Env, Created: img.Created, Size: img.Size}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), append(data, '\n'), 0o644)
}

// layerSize adds up the sizes of the regular files in layer; symlinks and
// directories count as nothing.
func layerSize(layer string) (int64, error) {
	var size int64
	err := filepath.WalkDir(layer, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		size += info.Size()
		return nil
	})
	return size, err
}

// copyExecutable copies the file src to dst, mode 0755.
func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Chmod(0o755); err != nil { // the umask may have taken bits off
		out.Close()
		return err
	}
	return out.Close()
}
