package checker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/image"
	"github.com/podlab/podlab/core/paths"
)

// Lab 00: the host is ready. The lab checks the kernel and prepares what
// every later lab stands on: the busybox base image and podlab's parent
// cgroup.

func lab00() []Check {
	return []Check{
		{ID: "00.base-image", Lab: "00", Points: 1,
			Title: "the busybox base image is built from the host's static busybox, with its applet links",
			Run:   checkBaseImage},
		{ID: "00.cgroup-parent", Lab: "00", Points: 1,
			Title: "podlab's parent cgroup exists, with the controllers containers need",
			Run:   checkCgroupParent},
	}
}

func checkBaseImage(ctx context.Context) Result {
	ref := image.Ref{Name: "busybox", Tag: "latest"}
	layers, err := image.Default().Layers(ref)
	if err != nil {
		return fail(runLab("00"), err.Error())
	}
	layer := layers[len(layers)-1]
	inImage, err1 := os.ReadFile(filepath.Join(layer, "bin", "busybox"))
	onHost, err2 := os.ReadFile(image.DefaultBusybox)
	sh, err3 := os.Readlink(filepath.Join(layer, "bin", "sh"))
	evidence := []string{
		fmt.Sprintf("image layer %s", layer),
		fmt.Sprintf("bin/busybox: %d bytes, host %s: %d bytes, identical: %v", len(inImage), image.DefaultBusybox, len(onHost), bytes.Equal(inImage, onHost)),
		fmt.Sprintf("bin/sh -> %q", sh),
	}
	if err1 != nil || err2 != nil || err3 != nil || !bytes.Equal(inImage, onHost) {
		return fail(runLab("00"), evidence...)
	}
	return pass(evidence...)
}

func checkCgroupParent(ctx context.Context) Result {
	drv, err := cgroup.Detect()
	if err != nil {
		return fail(runLab("00"), err.Error())
	}
	cg, err := drv.Open(paths.CgroupParent())
	if err != nil {
		return fail(runLab("00"), fmt.Sprintf("cgroup %q: %v", paths.CgroupParent(), err))
	}
	files := cg.Files()
	var evidence []string
	for _, key := range []string{"cpu quota", "memory limit", "pids limit"} {
		_, err := os.Stat(files[key])
		evidence = append(evidence, fmt.Sprintf("%s exists: %v", files[key], err == nil))
		if err != nil {
			return fail(runLab("00"), evidence...)
		}
	}
	return pass(evidence...)
}
