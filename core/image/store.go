// Package image is podlab's local image store. An image is a directory with
// a manifest and one filesystem layer:
//
//	/var/lib/podlab/images/hello/v2/manifest.json   name, tag, parent, cmd, env
//	/var/lib/podlab/images/hello/v2/layer/          the files this image adds
//
// An image adds its own layer on top of its parent's layers, like FROM in a
// Dockerfile: hello:v2 is /bin/hello on top of busybox:latest. The runtime
// mounts the layers (Store.Layers) as the read-only lower layers of an
// overlayfs, so all containers of an image share them and each container
// writes only to its own upper layer.
//
// Unlike Docker, layers are plain directories named after their image, not
// content-addressed tarballs: a student can ls every file of an image.
package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/podlab/podlab/core/paths"
)

// ErrNotFound is wrapped by every error about a missing image.
var ErrNotFound = errors.New("image not found")

// notFoundError tells the student how to get the missing image, and still
// matches errors.Is(err, ErrNotFound).
type notFoundError struct{ ref Ref }

func (e notFoundError) Error() string {
	return fmt.Sprintf("image %q not found: build it with \"podlab image build\" or \"make images\"", e.ref.String())
}

func (e notFoundError) Unwrap() error { return ErrNotFound }

// Image is one image of the store, read from its manifest.
type Image struct {
	Ref    Ref
	Parent string // "busybox:latest", or "" for a base image
	// Entrypoint and Cmd work as in an OCI image, and as a Pod's command
	// and args: a container runs Entrypoint followed by its own arguments,
	// or by Cmd when it gives none. App images set Entrypoint to their
	// binary, so "podlab container run cpuburn -cpus 1" passes flags to it.
	Entrypoint []string
	Cmd        []string
	Env        []string // "KEY=value" entries
	Created    time.Time
	Size       int64  // bytes of the regular files in the image's own layer
	Dir        string // <root>/<name>/<tag>
}

// manifest is the on-disk form of an Image: <root>/<name>/<tag>/manifest.json.
type manifest struct {
	Name       string    `json:"name"`
	Tag        string    `json:"tag"`
	Parent     string    `json:"parent"`
	Entrypoint []string  `json:"entrypoint,omitempty"`
	Cmd        []string  `json:"cmd"`
	Env        []string  `json:"env"`
	Created    time.Time `json:"created"` // RFC 3339
	Size       int64     `json:"size"`
}

// Store is a directory of images.
type Store struct {
	Root string
}

// Default is the store of this host, paths.Images().
func Default() *Store { return &Store{Root: paths.Images()} }

func (s *Store) dir(ref Ref) string { return filepath.Join(s.Root, ref.Name, ref.Tag) }

// Get reads the manifest of one image. A missing image is an error
// wrapping ErrNotFound.
func (s *Store) Get(ref Ref) (*Image, error) {
	if err := ref.validate(); err != nil {
		return nil, err
	}
	dir := s.dir(ref)
	file := filepath.Join(dir, "manifest.json")
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFoundError{ref}
	}
	if err != nil {
		return nil, fmt.Errorf("read image %q: %w", ref.String(), err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("read image %q: %s: %w", ref.String(), file, err)
	}
	return &Image{Ref: ref, Parent: m.Parent, Entrypoint: m.Entrypoint, Cmd: m.Cmd, Env: m.Env,
		Created: m.Created, Size: m.Size, Dir: dir}, nil
}

// List returns every image, sorted by name, then tag. An empty or missing
// store is an empty list.
func (s *Store) List() ([]*Image, error) {
	names, err := readDirs(s.Root)
	if err != nil {
		return nil, err
	}
	var images []*Image
	for _, name := range names {
		tags, err := readDirs(filepath.Join(s.Root, name))
		if err != nil {
			return nil, err
		}
		for _, tag := range tags {
			ref := Ref{Name: name, Tag: tag}
			if ref.validate() != nil {
				continue // not made by podlab, e.g. lost+found
			}
			img, err := s.Get(ref)
			if errors.Is(err, ErrNotFound) {
				continue // a directory without a manifest is no image
			}
			if err != nil {
				return nil, err
			}
			images = append(images, img)
		}
	}
	return images, nil
}

// readDirs lists the subdirectories of dir, sorted (os.ReadDir sorts). It
// skips hidden ones: builds in progress are ".<tag>.tmp-*".
func readDirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Layers returns the absolute layer directories of ref in overlayfs
// lowerdir order: the image's own layer first, its base image's last
// (overlayfs shows the leftmost lowerdir on top).
func (s *Store) Layers(ref Ref) ([]string, error) {
	chain, err := s.chain(ref)
	if err != nil {
		return nil, err
	}
	layers := make([]string, len(chain))
	for i, img := range chain {
		if layers[i], err = filepath.Abs(filepath.Join(img.Dir, "layer")); err != nil {
			return nil, fmt.Errorf("layers of image %q: %w", ref.String(), err)
		}
	}
	return layers, nil
}

// chain returns ref and its ancestors, ref first, the base image last.
func (s *Store) chain(ref Ref) ([]*Image, error) {
	var chain []*Image
	seen := map[Ref]bool{}
	for {
		if seen[ref] { // only a hand-edited manifest can do this; don't loop forever
			return nil, fmt.Errorf("image %q: its parents loop back to %q", chain[0].Ref.String(), ref.String())
		}
		seen[ref] = true
		img, err := s.Get(ref)
		if err != nil {
			return nil, err
		}
		chain = append(chain, img)
		if img.Parent == "" {
			return chain, nil
		}
		if ref, err = ParseRef(img.Parent); err != nil {
			return nil, fmt.Errorf("parent of image %q: %w", img.Ref.String(), err)
		}
	}
}

// Remove deletes an image. It refuses while another image has it as
// parent, because that image's containers need its layer.
func (s *Store) Remove(ref Ref) error {
	img, err := s.Get(ref)
	if err != nil {
		return err
	}
	all, err := s.List()
	if err != nil {
		return err
	}
	var children []string
	for _, other := range all {
		if other.Parent == ref.String() {
			children = append(children, strconv.Quote(other.Ref.String()))
		}
	}
	if len(children) > 0 {
		return fmt.Errorf("image %q is the parent of %s: remove those first",
			ref.String(), strings.Join(children, ", "))
	}
	// The manifest goes first, so a half-removed image is never taken for a
	// whole one.
	if err := os.Remove(filepath.Join(img.Dir, "manifest.json")); err != nil {
		return fmt.Errorf("remove image %q: %w", ref.String(), err)
	}
	if err := os.RemoveAll(img.Dir); err != nil {
		return fmt.Errorf("remove image %q: %w", ref.String(), err)
	}
	os.Remove(filepath.Dir(img.Dir)) // the name's directory, if this was its last tag
	return nil
}
