// Lab 00: preflight. Check that this host can run the labs (root, kernel
// features, cgroups, tools), say how to fix what is missing, then prepare
// what every later lab stands on: podlab's directories, its parent cgroup
// and the busybox base image.
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	goruntime "runtime"
	"sync"

	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/image"
	"github.com/podlab/podlab/core/paths"
	"github.com/podlab/podlab/core/preflight"
	"github.com/podlab/podlab/core/runtime"
	. "github.com/podlab/podlab/core/steps"
)

// Namespaces are joined on throw-away threads: keep main on its own (IMPLEMENTATION.md §1.4).
func init() { goruntime.LockOSThread() }

var base = image.Ref{Name: "busybox", Tag: "latest"}

func main() {
	if runtime.Reexec() {
		return
	}
	// Made on first use: on a host without cgroups the preflight step must
	// still run and say so.
	newRuntime := sync.OnceValues(runtime.New)
	store := image.Default()

	Main(Lab{
		Number: "00",
		Name:   "preflight",
		Title:  T("Preflight: can this host run Pods?", "预检：这台主机能运行 Pod 吗？"),
		Undo: map[string]Undo{
			"cgroup": removeCgroup,
			"image": func(ctx context.Context, name string) error {
				rt, err := newRuntime()
				if err != nil {
					return err
				}
				return removeImage(rt, name)
			},
		},
		After: T("Check it: sudo bin/checker run 00. Next: sudo bin/lab01-container-is-a-process",
			"检查：sudo bin/checker run 00。下一步：sudo bin/lab01-container-is-a-process"),
		Steps: []Step{{
			Title:   T("Check the kernel, cgroups and tools", "检查内核、cgroups 和工具"),
			Command: "ls /proc/self/ns; grep overlay /proc/filesystems; stat -fc %T /sys/fs/cgroup; ls /proc/sys/net/bridge; cat /sys/class/dmi/id/product_name",
			Why: T("A Pod is made of namespaces, cgroups, overlayfs, veth pairs and a bridge. Each item was tried for real; veth, bridge and vxlan in a throw-away network namespace. The last items are the pitfalls of a cluster of VMs (the Vagrant one): the cgroup version, a node IP on the NAT interface, VirtualBox's host-only range; they warn, never fail.",
				"Pod 由命名空间、cgroups、overlayfs、veth 设备对和网桥构成。每一项都真实地试过；veth、网桥和 vxlan 是在一个用完即弃的网络命名空间里试的。最后几项是虚拟机集群（Vagrant 集群）的常见陷阱：cgroup 版本、落在 NAT 网卡上的节点 IP、VirtualBox 的 host-only 地址范围；它们只提出警告，从不让本实验失败。"),
			Run: func(r *Run) error {
				items := preflight.Run()
				for _, it := range items {
					mark := "ok"
					if !it.OK {
						mark = r.Text(T("MISSING", "缺失")) + " — fix: " + it.Fix
						if !it.Needed {
							mark = r.Text(T("missing (needed from lab ", "缺失（从实验 ")) + it.Lab + ")" + " — fix: " + it.Fix
						}
					}
					r.Value(it.Name, fmt.Sprintf("%s (%s)", mark, it.Detail))
				}
				if missing := preflight.Missing(items); len(missing) > 0 {
					return fmt.Errorf("%d needed items are missing; fix them with the commands above and run this lab again", len(missing))
				}
				return nil
			},
		}, {
			Title:   T("Create podlab's parent cgroup", "创建 podlab 的父 cgroup"),
			Command: "mkdir /sys/fs/cgroup/{cpu,cpuacct,memory,pids}/podlab",
			Why: T("Every container gets a cgroup below this one, the way the kubelet puts every pod below kubepods.",
				"每个容器都在它下面得到一个 cgroup，就像 kubelet 把每个 Pod 放在 kubepods 下面。"),
			Run: func(r *Run) error {
				drv, err := cgroup.Detect()
				if err != nil {
					return err
				}
				if _, err := drv.Open(paths.CgroupParent()); errors.Is(err, fs.ErrNotExist) {
					if err := r.Created("cgroup", paths.CgroupParent()); err != nil {
						return err
					}
				}
				cg, err := drv.Create(paths.CgroupParent())
				if err != nil {
					return err
				}
				r.Value("cgroup version", drv.Version())
				for _, key := range []string{"cpu quota", "memory limit", "pids limit"} {
					r.Value(key, cg.Files()[key])
				}
				return nil
			},
		}, {
			Title:   T("Build the busybox base image", "构建 busybox 基础镜像"),
			Command: "podlab image build busybox",
			Why: T("Every container in the labs starts from this image: one static busybox binary, its applet links, and a minimal /etc.",
				"实验中的每个容器都从这个镜像开始：一个静态的 busybox 二进制、它的命令链接，以及最小的 /etc。"),
			Run: func(r *Run) error {
				if err := os.MkdirAll(paths.Run(), 0o755); err != nil {
					return err
				}
				img, err := store.Get(base)
				if errors.Is(err, image.ErrNotFound) {
					if err := r.Created("image", base.String()); err != nil {
						return err
					}
					img, err = store.BuildBase(base, image.DefaultBusybox)
				}
				if err != nil {
					return err
				}
				layers, err := store.Layers(base)
				if err != nil {
					return err
				}
				r.Value("image", img.Ref)
				r.Value("layer", layers[0])
				r.Value("size", fmt.Sprintf("%d bytes", img.Size))
				return nil
			},
		}},
	})
}

// What lab 00 prepares, later labs stand on. Its cleanup removes only what
// nothing uses any more; the rest stays for the labs that still need it
// (the runtime removes the parent cgroup with the last container).

// removeImage removes the base image unless a running container or another
// image is built on it.
func removeImage(rt *runtime.Runtime, name string) error {
	ref, err := image.ParseRef(name)
	if err != nil {
		return err
	}
	users, err := rt.ImageUsers(ref)
	if errors.Is(err, image.ErrNotFound) {
		return nil
	}
	if err != nil || len(users) > 0 {
		return err
	}
	if images, err := rt.Images.List(); err == nil {
		for _, img := range images {
			if img.Parent == ref.String() {
				return nil // an app image is built on it
			}
		}
	}
	return rt.Images.Remove(ref)
}

// removeCgroup removes podlab's parent cgroup unless containers are in it.
func removeCgroup(ctx context.Context, name string) error {
	drv, err := cgroup.Detect()
	if err != nil {
		return err
	}
	if children, _ := drv.Children(name); len(children) > 0 {
		return nil
	}
	cg, err := drv.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return cg.Remove()
}
