package checker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/podlab/podlab/core/image"
	"github.com/podlab/podlab/core/proc"
)

// Lab 03: an image is a read-only lower layer; the container writes to its
// own upper layer on overlayfs, and pivot_root makes the overlay its /.

const (
	lab03Container = "lab03"       // writes /etc/motd
	lab03Fresh     = "lab03-fresh" // a second container from the same image
	lab03Motd      = "written by the lab03 container\n"
)

func lab03() []Check {
	return []Check{
		{ID: "03.overlay-root", Lab: "03", Points: 2,
			Title: "the container's / is an overlay: the image's layers below, the container's upper layer on top",
			Run:   checkOverlayRoot},
		{ID: "03.pivot-root", Lab: "03", Points: 2,
			Title: "after pivot_root the host's root filesystem is gone from the container's mount table",
			Run:   checkPivotRoot},
		{ID: "03.copy-up", Lab: "03", Points: 2,
			Title: "a write inside the container lands in its upper layer; the image is unchanged",
			Run:   checkCopyUp},
		{ID: "03.fresh-container", Lab: "03", Points: 2,
			Title: "a new container from the same image starts clean, without the first one's write",
			Run:   checkFreshContainer},
	}
}

// overlayOptions returns the super options of the container's root mount
// ("lowerdir=...,upperdir=...,workdir=...") if / is an overlay.
func overlayOptions(pid int) (string, []string, error) {
	list, err := proc.Mounts(pid)
	if err != nil {
		return "", nil, err
	}
	var table []string
	root := ""
	for _, m := range list {
		table = append(table, m.Point+" "+m.FSType)
		if m.Point == "/" {
			if m.FSType != "overlay" {
				return "", table, fmt.Errorf("/ is %s, not overlay", m.FSType)
			}
			root = m.Options
		}
	}
	if root == "" {
		return "", table, fmt.Errorf("no / in the mount table")
	}
	return root, table, nil
}

func checkOverlayRoot(ctx context.Context) Result {
	c, bad := running(lab03Container, runLab("03"))
	if bad != nil {
		return *bad
	}
	opts, _, err := overlayOptions(c.pid)
	if err != nil {
		return fail(runLab("03"), err.Error())
	}
	ref, err := image.ParseRef(c.state.Spec.Image)
	if err != nil {
		return fail(runLab("03"), err.Error())
	}
	layers, err := image.Default().Layers(ref)
	if err != nil {
		return fail(runLab("03"), err.Error())
	}
	lower, upper := proc.Option(opts, "lowerdir"), proc.Option(opts, "upperdir")
	evidence := []string{
		"lowerdir=" + lower,
		"upperdir=" + upper,
		fmt.Sprintf("layers of image %s: %s", ref, strings.Join(layers, ":")),
	}
	if lower != strings.Join(layers, ":") || upper != filepath.Join(c.state.Dir, "upper") {
		return fail("the lower layers must be the image's and the upper layer the container's own; "+runLab("03"), evidence...)
	}
	return pass(evidence...)
}

func checkPivotRoot(ctx context.Context) Result {
	c, bad := running(lab03Container, runLab("03"))
	if bad != nil {
		return *bad
	}
	host, err := proc.Mounts(os.Getpid())
	if err != nil {
		return fail(runLab("03"), err.Error())
	}
	var hostRoot proc.Mount
	for _, m := range host {
		if m.Point == "/" {
			hostRoot = m
		}
	}
	all, err := mountNamespace(c.pid)
	if err != nil {
		return fail(runLab("03"), err.Error())
	}
	var table []string
	for _, m := range all {
		table = append(table, m.Point+" "+m.FSType)
	}
	evidence := []string{
		"every mount of the container's mount namespace: " + strings.Join(table, ", "),
		fmt.Sprintf("host /: %s %s (device %s)", hostRoot.FSType, hostRoot.Source, hostRoot.Dev),
	}
	// After chroot the host's root filesystem would still be mounted in the
	// namespace, merely out of the process's sight; pivot_root and the
	// detach of the old root take it away.
	for _, m := range all {
		if m.Dev == hostRoot.Dev {
			return fail("the old root must be detached after pivot_root (umount2 MNT_DETACH); "+runLab("03"), evidence...)
		}
	}
	return pass(evidence...)
}

func checkCopyUp(ctx context.Context) Result {
	c, bad := running(lab03Container, runLab("03"))
	if bad != nil {
		return *bad
	}
	upper := filepath.Join(c.state.Dir, "upper", "etc", "motd")
	got, err := os.ReadFile(upper)
	evidence := []string{fmt.Sprintf("%s: %q (err %v)", upper, got, err)}
	layers, lerr := image.Default().Layers(mustRef(c.state.Spec.Image))
	if lerr != nil {
		return fail(runLab("03"), append(evidence, lerr.Error())...)
	}
	base := filepath.Join(layers[len(layers)-1], "etc", "motd")
	orig, err2 := os.ReadFile(base)
	evidence = append(evidence, fmt.Sprintf("%s (image): %q", base, orig))
	if err != nil || string(got) != lab03Motd || err2 != nil || string(orig) != image.Motd {
		return fail(runLab("03"), evidence...)
	}
	return pass(evidence...)
}

func checkFreshContainer(ctx context.Context) Result {
	c, bad := running(lab03Fresh, runLab("03"))
	if bad != nil {
		return *bad
	}
	// /proc/PID/root is the container's / seen from the host.
	seen, err := os.ReadFile(fmt.Sprintf("/proc/%d/root/etc/motd", c.pid))
	_, upperErr := os.Stat(filepath.Join(c.state.Dir, "upper", "etc", "motd"))
	evidence := []string{
		fmt.Sprintf("/etc/motd inside %q: %q", lab03Fresh, seen),
		fmt.Sprintf("its upper layer has etc/motd: %v", upperErr == nil),
	}
	if err != nil || string(seen) != image.Motd || upperErr == nil {
		return fail(runLab("03"), evidence...)
	}
	return pass(evidence...)
}

func mustRef(s string) image.Ref {
	ref, _ := image.ParseRef(s)
	return ref
}
