package image

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// DefaultBusybox is where Debian's busybox-static package installs busybox.
const DefaultBusybox = "/bin/busybox"

// Motd is /etc/motd of the base image. Lab 03 writes to /etc/motd in a
// container, then checks that the image still holds exactly this text: the
// write went to the container's upper layer.
const Motd = "Welcome to podlab: this file comes from the read-only busybox image.\n"

// basePath is PATH in every image, the same as in Docker's official images.
const basePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// baseDirs are the directories a Linux userland expects. proc, dev and sys
// are mount points for the runtime.
var baseDirs = []string{"bin", "sbin", "usr/bin", "usr/sbin", "proc", "dev", "sys",
	"tmp", "root", "etc", "var/run", "run", "home"}

// baseFiles is a minimal /etc: enough for "whoami", "ls -l" and a hostname.
// resolv.conf is empty until the runtime mounts the pod's own.
var baseFiles = map[string]string{
	"etc/passwd":      "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
	"etc/group":       "root:x:0:\nnogroup:x:65534:\n",
	"etc/hosts":       "127.0.0.1 localhost\n::1 localhost\n",
	"etc/resolv.conf": "",
	"etc/hostname":    "podlab\n",
	"etc/motd":        Motd,
}

// BuildBase builds a base image (no parent) from a static busybox binary
// on the host, usually DefaultBusybox: one binary that is a whole userland.
// It replaces an image of the same name.
func (s *Store) BuildBase(ref Ref, busybox string) (*Image, error) {
	if err := ref.validate(); err != nil {
		return nil, err
	}
	interp, err := Interpreter(busybox)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("busybox not found at %q: install the static build with "+
			"\"apt-get install busybox-static\" (or \"make deps\")", busybox)
	case err != nil:
		return nil, fmt.Errorf("build image %q: %w", ref.String(), err)
	case interp != "":
		return nil, fmt.Errorf("busybox at %q is dynamically linked (it needs %s), but a container has no libc: "+
			"install the static build with \"apt-get install busybox-static\"", busybox, interp)
	}
	img := &Image{Ref: ref, Cmd: []string{"/bin/sh"}, Env: []string{basePath}}
	return s.build(img, func(layer string) error {
		if err := makeSkeleton(layer); err != nil {
			return err
		}
		if err := copyExecutable(busybox, filepath.Join(layer, "bin/busybox")); err != nil {
			return err
		}
		return linkApplets(layer, busybox)
	})
}

// makeSkeleton creates baseDirs and baseFiles in layer.
func makeSkeleton(layer string) error {
	for _, d := range baseDirs {
		if err := os.MkdirAll(filepath.Join(layer, d), 0o755); err != nil {
			return err
		}
	}
	// Every user may create files in /tmp; the sticky bit stops them
	// deleting each other's. /root is private. Chmod, because mkdir applies
	// the umask.
	if err := os.Chmod(filepath.Join(layer, "tmp"), os.ModeSticky|0o777); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Join(layer, "root"), 0o700); err != nil {
		return err
	}
	for name, content := range baseFiles {
		if err := os.WriteFile(filepath.Join(layer, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// linkApplets links every busybox applet ("bin/sh", "usr/bin/wc") to
// /bin/busybox: busybox runs the applet named by argv[0], so /bin/sh is its
// shell. The links are relative (usr/bin/wc -> ../../bin/busybox), so they
// lead to the layer's own busybox in a container and on the host alike.
func linkApplets(layer, busybox string) error {
	out, err := exec.Command(busybox, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("list busybox applets with \"%s --list-full\": %w", busybox, err)
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "bin/busybox" {
			continue
		}
		if !filepath.IsLocal(applet) {
			return fmt.Errorf("busybox applet %q is not a relative path", applet)
		}
		target, err := filepath.Rel(filepath.Dir("/"+applet), "/bin/busybox")
		if err != nil {
			return err
		}
		link := filepath.Join(layer, applet)
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(target, link); err != nil {
			return err
		}
	}
	return nil
}
