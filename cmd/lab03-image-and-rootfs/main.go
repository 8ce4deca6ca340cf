// Lab 03: an image is a read-only layer. A container's root filesystem is
// an overlay: the image's layers below, the container's own upper layer on
// top; pivot_root makes it the container's /. A write lands in the upper
// layer, the image is unchanged, and the next container starts clean.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/podlab/podlab/core/image"
	"github.com/podlab/podlab/core/proc"
	"github.com/podlab/podlab/core/runtime"
	. "github.com/podlab/podlab/core/steps"
)

// Namespaces are joined on throw-away threads: keep main on its own (IMPLEMENTATION.md §1.4).
func init() { goruntime.LockOSThread() }

// The checker looks for these containers and this text.
const (
	writer = "lab03"
	fresh  = "lab03-fresh"
	motd   = "written by the lab03 container\n"
)

func main() {
	if runtime.Reexec() {
		return
	}
	rt, err := runtime.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab03:", err)
		os.Exit(1)
	}
	var layers []string
	var box *runtime.State

	start := func(r *Run, spec runtime.Spec) (*runtime.State, error) {
		if err := r.Created("container", spec.Name); err != nil {
			return nil, err
		}
		return rt.Run(r.Ctx, spec)
	}

	Main(Lab{
		Number: "03",
		Name:   "image-and-rootfs",
		Title:  T("Images, layers and the root filesystem", "镜像、分层与根文件系统"),
		Undo:   map[string]Undo{"container": rt.ForceRemove},
		After:  T("Check it: sudo bin/checker run 03.", "检查：sudo bin/checker run 03。"),
		Steps: []Step{{
			Title:   T("The image is a directory", "镜像就是一个目录"),
			Command: "ls /var/lib/podlab/images/busybox/latest/layer",
			Why: T("An image is files plus a little metadata (command, environment). The busybox layer holds one static binary and links named after its applets.",
				"镜像就是文件加上一点元数据（命令、环境变量）。busybox 这一层只有一个静态二进制和以其命令命名的链接。"),
			Run: func(r *Run) error {
				var err error
				if layers, err = rt.Images.Layers(image.Ref{Name: "busybox", Tag: "latest"}); err != nil {
					return err
				}
				entries, _ := os.ReadDir(layers[0])
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				r.Command("ls %s", layers[0])
				r.Value("layer", layers[0])
				r.Value("contents", strings.Join(names, " "))
				r.Value("/etc/motd in the image", strings.TrimSpace(image.Motd))
				return nil
			},
		}, {
			Title:   T("Start a container that writes to /etc/motd", "启动一个写 /etc/motd 的容器"),
			Command: "mount -t overlay overlay -o lowerdir=IMAGE,upperdir=UPPER,workdir=WORK ROOTFS",
			Why: T("overlayfs merges a read-only lower layer with a writable upper layer. Each container gets its own upper layer; the image is shared by all.",
				"overlayfs 把只读的下层和可写的上层合并。每个容器有自己的上层；镜像为所有容器共享。"),
			Run: func(r *Run) error {
				var err error
				box, err = start(r, runtime.Spec{Name: writer, Image: "busybox",
					Args: []string{"sh", "-c", "printf '" + strings.TrimSpace(motd) + "\\n' > /etc/motd; exec sleep 3600"}})
				if err != nil {
					return err
				}
				root, err := rootMount(box.Pid)
				if err != nil {
					return err
				}
				r.Command("grep ' / ' /proc/%d/mountinfo", box.Pid)
				r.Value("/ in the container", root.FSType)
				r.Value("lowerdir (image)", proc.Option(root.Options, "lowerdir"))
				r.Value("upperdir (container)", proc.Option(root.Options, "upperdir"))
				return nil
			},
		}, {
			Title:   T("Copy-up: the write lands in the upper layer", "写时复制：写入落在上层"),
			Command: "cat UPPER/etc/motd IMAGE/etc/motd",
			Why: T("Changing a lower file copies it up first; the image below never changes, so a thousand containers can share one image.",
				"修改下层的文件会先把它复制到上层；下面的镜像从不改变，所以上千个容器可以共享一个镜像。"),
			Run: func(r *Run) error {
				upper := filepath.Join(box.Dir, "upper", "etc", "motd")
				lower := filepath.Join(layers[len(layers)-1], "etc", "motd")
				got, err := waitFile(r, upper)
				if err != nil {
					return err
				}
				orig, err := os.ReadFile(lower)
				if err != nil {
					return err
				}
				r.Command("cat %s", upper)
				r.Value("upper layer", strings.TrimSpace(string(got)))
				r.Command("cat %s", lower)
				r.Value("image layer", strings.TrimSpace(string(orig)))
				return nil
			},
		}, {
			Title:   T("pivot_root: the host's / is gone", "pivot_root：宿主机的 / 不见了"),
			Command: "nsenter --target PID --mount --pid cat /proc/self/mountinfo",
			Why: T("pivot_root swaps the root of the mount namespace and the old root is then unmounted. Unlike chroot, no path leads back to the host's files.",
				"pivot_root 替换挂载命名空间的根，然后卸载旧根。与 chroot 不同，没有任何路径能回到宿主机的文件。"),
			Run: func(r *Run) error {
				mounts, err := proc.Mounts(box.Pid)
				if err != nil {
					return err
				}
				r.Command("nsenter --target %d --mount --pid cat /proc/self/mountinfo", box.Pid)
				for _, m := range mounts {
					r.Value(m.Point, m.FSType)
				}
				return nil
			},
		}, {
			Title:   T("A new container starts clean", "新容器从干净的状态开始"),
			Command: "podlab container run -d --name lab03-fresh busybox sleep 3600",
			Why: T("The second container has its own, empty upper layer: it sees the image as it was built. Deleting a container deletes its upper layer and every change in it.",
				"第二个容器有自己的空上层：它看到的是镜像构建时的样子。删除容器会删除其上层以及其中的所有修改。"),
			Run: func(r *Run) error {
				st, err := start(r, runtime.Spec{Name: fresh, Image: "busybox", Args: []string{"sleep", "3600"}})
				if err != nil {
					return err
				}
				seen, err := os.ReadFile(fmt.Sprintf("/proc/%d/root/etc/motd", st.Pid))
				if err != nil {
					return err
				}
				r.Command("cat /proc/%d/root/etc/motd", st.Pid)
				r.Value("/etc/motd in "+fresh, strings.TrimSpace(string(seen)))
				return nil
			},
		}},
	})
}

// rootMount returns the mount of / as process pid sees it.
func rootMount(pid int) (proc.Mount, error) {
	mounts, err := proc.Mounts(pid)
	if err != nil {
		return proc.Mount{}, err
	}
	for _, m := range mounts {
		if m.Point == "/" {
			return m, nil
		}
	}
	return proc.Mount{}, fmt.Errorf("no / in the mount table of pid %d", pid)
}

// waitFile waits for the container to write a file (it races with us).
func waitFile(r *Run, path string) ([]byte, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil && len(data) > 0 {
			return data, nil
		}
		if time.Now().After(deadline) || r.Ctx.Err() != nil {
			return nil, fmt.Errorf("the container did not write %q: %v", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
