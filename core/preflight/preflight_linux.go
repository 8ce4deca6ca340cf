package preflight

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/cgroup"
	"github.com/podlab/podlab/core/image"
	"github.com/podlab/podlab/core/ns"
)

// Run checks everything and returns one item per need, in lab order.
func Run() []Item {
	items := []Item{root()}
	items = append(items, namespaces()...)
	items = append(items, overlayfs(), cgroups(), busybox())
	items = append(items, links()...)
	items = append(items, brNetfilter())
	items = append(items, tool("ip", "iproute2", "07"), tool("iptables", "iptables", "07"))
	// The pitfalls of a cluster on VMs (vagrant.go): all of them warnings.
	items = append(items, vagrantItems()...)
	return items
}

func root() Item {
	it := Item{Name: "root", Needed: true, Lab: "01", Fix: "run the lab with sudo"}
	it.OK = os.Geteuid() == 0
	it.Detail = fmt.Sprintf("effective uid %d", os.Geteuid())
	return it
}

// namespaces: the kernel has a namespace type when /proc/self/ns/TYPE exists.
func namespaces() []Item {
	var items []Item
	for _, t := range []ns.Type{ns.PID, ns.UTS, ns.IPC, ns.Mount, ns.Net} {
		it := Item{Name: string(t) + " namespace", Needed: true, Lab: "01",
			Fix: "use a kernel built with CONFIG_" + strings.ToUpper(map[ns.Type]string{ns.Mount: "namespaces", ns.PID: "pid_ns", ns.UTS: "uts_ns", ns.IPC: "ipc_ns", ns.Net: "net_ns"}[t])}
		ino, err := ns.Inode(os.Getpid(), t)
		it.OK = err == nil
		if it.OK {
			it.Detail = fmt.Sprintf("%s:[%d]", t, ino)
		} else {
			it.Detail = err.Error()
		}
		items = append(items, it)
	}
	return items
}

// overlayfs is listed in /proc/filesystems once its module is loaded.
func overlayfs() Item {
	it := Item{Name: "overlayfs", Needed: true, Lab: "03", Fix: "modprobe overlay"}
	if !hasFilesystem("overlay") {
		exec.Command("modprobe", "overlay").Run() // loading a module is harmless
	}
	it.OK = hasFilesystem("overlay")
	it.Detail = map[bool]string{true: "overlay in /proc/filesystems", false: "overlay missing from /proc/filesystems"}[it.OK]
	return it
}

func hasFilesystem(name string) bool {
	data, _ := os.ReadFile("/proc/filesystems")
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[len(f)-1] == name {
			return true
		}
	}
	return false
}

func cgroups() Item {
	it := Item{Name: "cgroups", Needed: true, Lab: "02",
		Fix: "enable the cpu, cpuacct, memory and pids controllers (kernel command line: cgroup_enable=memory)"}
	drv, err := cgroup.Detect()
	if err != nil {
		it.Detail = err.Error()
		return it
	}
	it.OK = true
	it.Detail = fmt.Sprintf("cgroup v%d", drv.Version())
	return it
}

// busybox: the base image is built from the host's busybox; a
// dynamically linked one would find no libc inside the container.
func busybox() Item {
	it := Item{Name: "busybox-static", Needed: true, Lab: "01", Fix: "apt-get install busybox-static (or: make deps)"}
	interp, err := image.Interpreter(image.DefaultBusybox)
	switch {
	case err != nil:
		it.Detail = fmt.Sprintf("%s: %v", image.DefaultBusybox, err)
	case interp != "":
		it.Detail = image.DefaultBusybox + " is dynamically linked (it needs " + interp + ")"
	default:
		it.OK = true
		it.Detail = image.DefaultBusybox + " (static)"
	}
	return it
}

func tool(name, pkg, lab string) Item {
	it := Item{Name: name, Needed: true, Lab: lab, Fix: "apt-get install " + pkg + " (or: make deps)"}
	path, err := exec.LookPath(name)
	it.OK = err == nil
	it.Detail = path
	if err != nil {
		it.Detail = name + " not in PATH"
	}
	return it
}

// links tries the network devices podlab builds pods from, for real, in a
// scratch network namespace that exists only as long as one thread: the
// host's own network is never touched and nothing is left behind.
func links() []Item {
	kinds := []struct {
		name, module, lab string
		link              netlink.Link
	}{
		{"veth", "veth", "07", &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "pf-veth0"}, PeerName: "pf-veth1"}},
		{"bridge", "bridge", "07", &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "pf-br0"}}},
		{"vxlan", "vxlan", "08", &netlink.Vxlan{LinkAttrs: netlink.LinkAttrs{Name: "pf-vxlan0"}, VxlanId: 1, Port: 8472}},
	}
	results := make([]error, len(kinds))
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread and its netns die together
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			for i := range results {
				results[i] = fmt.Errorf("new network namespace: %w", err)
			}
			return
		}
		for i, k := range kinds {
			results[i] = netlink.LinkAdd(k.link)
		}
	}()
	<-done
	items := make([]Item, len(kinds))
	for i, k := range kinds {
		items[i] = Item{Name: k.name, Needed: k.lab <= "07", Lab: k.lab, Fix: "modprobe " + k.module, OK: results[i] == nil}
		if results[i] != nil {
			items[i].Detail = fmt.Sprintf("create a %s device: %v", k.name, results[i])
		} else {
			items[i].Detail = "created and destroyed one in a scratch network namespace"
		}
	}
	return items
}
