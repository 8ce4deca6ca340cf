// Package preflight checks that this host can run podlab: root, kernel
// features, cgroups and tools. Each missing item comes with the command that
// fixes it.
package preflight

// Item is one thing podlab needs.
type Item struct {
	Name   string // "overlayfs"
	Needed bool   // false: only some labs need it; a warning, not a failure
	OK     bool
	Detail string // what was found: "cgroup v1 (cpu, cpuacct, memory, pids)"
	Fix    string // a command that fixes it: "modprobe overlay"
	Lab    string // the first lab that needs it
}

// Missing returns the needed items that are not OK.
func Missing(items []Item) []Item {
	var out []Item
	for _, it := range items {
		if it.Needed && !it.OK {
			out = append(out, it)
		}
	}
	return out
}
