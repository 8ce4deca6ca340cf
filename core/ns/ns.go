// Package ns creates, joins and inspects Linux namespaces.
//
// A namespace is what makes a process see its own PID numbers, hostname,
// mounts, IPC objects or network stack. A container (and a Pod) is nothing
// but a set of ordinary processes placed in such namespaces:
//
//   - new namespaces are made by clone(2) when the process is born
//     (CloneFlags; no thread tricks needed);
//   - existing namespaces, such as those of a Pod's pause process, are joined
//     with setns(2) on a throw-away OS thread (StartIn, Do);
//   - each namespace is identified by the inode of /proc/PID/ns/TYPE (Inode,
//     Inspect): two processes share a namespace exactly when the inodes match.
package ns

import (
	"fmt"
	"sort"

	"golang.org/x/sys/unix"
)

// Type is a kind of namespace, named as in /proc/PID/ns/.
type Type string

const (
	PID    Type = "pid"    // process IDs: the first process is PID 1
	UTS    Type = "uts"    // hostname and domain name
	IPC    Type = "ipc"    // System V IPC and POSIX message queues
	Mount  Type = "mnt"    // the mount table: what / is
	Net    Type = "net"    // interfaces, addresses, routes, ports, iptables
	User   Type = "user"   // user and group IDs (not used by podlab: root-only toolkit)
	Cgroup Type = "cgroup" // the view of the cgroup tree
)

// All lists the namespace types podlab inspects, in a stable order.
var All = []Type{PID, UTS, IPC, Mount, Net, Cgroup, User}

var cloneFlags = map[Type]uintptr{
	PID:    unix.CLONE_NEWPID,
	UTS:    unix.CLONE_NEWUTS,
	IPC:    unix.CLONE_NEWIPC,
	Mount:  unix.CLONE_NEWNS, // the first namespace ever added, hence the generic name
	Net:    unix.CLONE_NEWNET,
	User:   unix.CLONE_NEWUSER,
	Cgroup: unix.CLONE_NEWCGROUP,
}

// CloneFlag is the clone(2)/setns(2) flag of the type.
func (t Type) CloneFlag() uintptr { return cloneFlags[t] }

// CloneFlags ORs the flags of types, for SysProcAttr.Cloneflags: the kernel
// then creates all these namespaces atomically as it creates the process.
func CloneFlags(types ...Type) uintptr {
	var flags uintptr
	for _, t := range types {
		flags |= t.CloneFlag()
	}
	return flags
}

// Path is the /proc file that names the namespace of type t of process pid.
// Opening it gives a file descriptor for setns(2); bind-mounting it keeps
// the namespace alive without a process (what `ip netns add` does).
func Path(pid int, t Type) string {
	return fmt.Sprintf("/proc/%d/ns/%s", pid, t)
}

// Set is the namespaces of one process: type -> inode number.
type Set map[Type]uint64

// Types returns the types in the set in a stable order.
func (s Set) Types() []Type {
	types := make([]Type, 0, len(s))
	for t := range s {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool { return types[i] < types[j] })
	return types
}
