package podlet

import (
	"context"
	"net/http"
	"path"
	"sync"
	"time"

	"github.com/podlab/podlab/core/runtime"
)

// GET /stats/summary: CPU and memory of the node, of each pod and of each
// running container, read from their cgroups. The shape is the part of
// the kubelet's Summary API (k8s.io/kubelet/pkg/apis/stats/v1alpha1) that
// "kubectl top" needs, with the kubelet's field names:
//
//	{"node": {"nodeName": "node1", "cpu": {...}, "memory": {...}},
//	 "pods": [{"podRef": {"name": "web", "namespace": "default", "uid": "..."},
//	           "cpu": {...}, "memory": {...},
//	           "containers": [{"name": "app", "cpu": {...}, "memory": {...}}]}]}
//
//	cpu     usageCoreNanoSeconds  CPU time used since the cgroup was made
//	        usageNanoCores        how fast: CPU time per second, in
//	                              billionths of a core (500000000 = half a CPU)
//	memory  usageBytes            memory charged to the cgroup, page cache included
//	        workingSetBytes       usage less the inactive file cache: what
//	                              the kernel cannot easily take back, what
//	                              kubectl top shows and evictions count
//
// The node's numbers are those of the cgroup that holds all its pods (the
// runtime's cgroup parent), not the whole machine's as with the kubelet:
// the nodes of "podlab up" share one machine.
//
// A rate needs two readings. The node API keeps the last reading of each
// cgroup and measures from it; a cgroup read for the first time (or read
// again too soon) is read once more after rateWindow.

// Summary is the answer of /stats/summary.
type Summary struct {
	Node NodeStats  `json:"node"`
	Pods []PodStats `json:"pods"`
}

// NodeStats is the usage of the node.
type NodeStats struct {
	NodeName string       `json:"nodeName"`
	CPU      *CPUStats    `json:"cpu,omitempty"`
	Memory   *MemoryStats `json:"memory,omitempty"`
}

// PodStats is the usage of one pod: its cgroup, with the sandbox, and of
// each of its running containers.
type PodStats struct {
	PodRef     PodReference     `json:"podRef"`
	StartTime  time.Time        `json:"startTime,omitzero"`
	Containers []ContainerStats `json:"containers"`
	CPU        *CPUStats        `json:"cpu,omitempty"`
	Memory     *MemoryStats     `json:"memory,omitempty"`
}

// PodReference names a pod.
type PodReference struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	UID       string `json:"uid"`
}

// ContainerStats is the usage of one running container.
type ContainerStats struct {
	Name      string       `json:"name"`
	StartTime time.Time    `json:"startTime,omitzero"`
	CPU       *CPUStats    `json:"cpu,omitempty"`
	Memory    *MemoryStats `json:"memory,omitempty"`
}

// CPUStats is CPU usage at Time; UsageNanoCores is nil when no rate
// could be measured.
type CPUStats struct {
	Time                 time.Time `json:"time"`
	UsageNanoCores       *uint64   `json:"usageNanoCores,omitempty"`
	UsageCoreNanoSeconds uint64    `json:"usageCoreNanoSeconds"`
}

// MemoryStats is memory usage at Time.
type MemoryStats struct {
	Time            time.Time `json:"time"`
	UsageBytes      uint64    `json:"usageBytes"`
	WorkingSetBytes uint64    `json:"workingSetBytes"`
}

// CgroupReader reads the usage of cgroups, by their names below the
// hierarchy's root, like "podlab-node1/pod-<uid>/app".
type CgroupReader interface {
	Usage(cgroup string) (CgroupUsage, error)
}

// CgroupUsage is what one cgroup has used.
type CgroupUsage struct {
	CPU        time.Duration // CPU time since the cgroup was made
	Memory     uint64        // bytes charged, page cache included
	WorkingSet uint64        // Memory less the inactive file cache
}

func (a *NodeAPIServer) statsSummary(w http.ResponseWriter, r *http.Request) {
	sum, err := a.summary(r.Context())
	if err != nil {
		writeStatus(w, http.StatusInternalServerError, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

// summary reads every cgroup of the node: the node's, each live pod's,
// each running container's.
func (a *NodeAPIServer) summary(ctx context.Context) (*Summary, error) {
	sandboxes, err := a.cfg.Runtime.Sandboxes()
	if err != nil {
		return nil, err
	}
	sum := &Summary{Node: NodeStats{NodeName: a.cfg.NodeName}, Pods: []PodStats{}}
	var cgroups [][]string // of each pod: its own, then each container's
	for _, ps := range sandboxes {
		if ps.Phase() != runtime.PodRunning {
			continue
		}
		p, names := a.podStats(ps)
		sum.Pods = append(sum.Pods, p)
		cgroups = append(cgroups, names)
	}
	groups := []statsTarget{{a.cfg.NodeCgroup, &sum.Node.CPU, &sum.Node.Memory}}
	for i := range sum.Pods {
		p := &sum.Pods[i]
		groups = append(groups, statsTarget{cgroups[i][0], &p.CPU, &p.Memory})
		for j := range p.Containers {
			c := &p.Containers[j]
			groups = append(groups, statsTarget{cgroups[i][j+1], &c.CPU, &c.Memory})
		}
	}
	a.readStats(ctx, groups)
	return sum, nil
}

// podStats lists the running containers of a pod, without usage yet, and
// the cgroups to read: the pod's, then each container's.
func (a *NodeAPIServer) podStats(ps *runtime.PodState) (PodStats, []string) {
	p := PodStats{
		PodRef:     PodReference{Name: ps.Pod.Name, Namespace: ps.Pod.Namespace, UID: ps.Pod.UID},
		StartTime:  ps.CreatedAt,
		Containers: []ContainerStats{},
	}
	cgroups := []string{podCgroup(ps)}
	for _, c := range ps.Pod.AllContainers() {
		st, err := a.cfg.Runtime.ContainerState(ps, c.Name)
		if err != nil || st.Status != runtime.Running {
			continue
		}
		p.Containers = append(p.Containers, ContainerStats{Name: c.Name, StartTime: st.StartedAt})
		cgroups = append(cgroups, st.Cgroup)
	}
	return p, cgroups
}

// statsTarget is one cgroup to read, and where its numbers go.
type statsTarget struct {
	cgroup string
	cpu    **CPUStats
	memory **MemoryStats
}

// readStats reads every target, and once more after rateWindow if a CPU
// rate is missing. A cgroup that cannot be read gets no numbers: a pod
// may go while it is being read.
func (a *NodeAPIServer) readStats(ctx context.Context, groups []statsTarget) {
	missing := a.readOnce(groups)
	if missing {
		a.sleep(ctx, a.rateWindow)
		a.readOnce(groups)
	}
	seen := map[string]bool{}
	for _, g := range groups {
		seen[g.cgroup] = true
	}
	a.cpu.forgetAllBut(seen)
}

// readOnce reads every target once; true if some CPU rate is missing.
func (a *NodeAPIServer) readOnce(groups []statsTarget) (missing bool) {
	for _, g := range groups {
		u, err := a.cfg.Cgroups.Usage(g.cgroup)
		if err != nil {
			continue
		}
		now := a.now()
		cpu := &CPUStats{Time: now, UsageCoreNanoSeconds: uint64(u.CPU)}
		if rate, ok := a.cpu.rate(g.cgroup, now, u.CPU, a.rateWindow); ok {
			cpu.UsageNanoCores = &rate
		} else {
			missing = true
		}
		*g.cpu = cpu
		*g.memory = &MemoryStats{Time: now, UsageBytes: u.Memory, WorkingSetBytes: u.WorkingSet}
	}
	return missing
}

// defaultRateWindow is the shortest time a CPU rate is measured over.
const defaultRateWindow = 250 * time.Millisecond

// cpuRates remembers the last CPU reading of each cgroup, as cAdvisor
// does, to turn CPU time into a rate.
type cpuRates struct {
	mu   sync.Mutex
	last map[string]cpuReading
}

type cpuReading struct {
	at    time.Time
	usage time.Duration
}

// rate records a reading of cgroup and returns the CPU rate, in nanocores,
// since the last one, if that was at least window before. A reading too
// soon after the last is not recorded, so that the window grows; one
// lower than the last (a cgroup made anew under the name, by a restart)
// starts again.
func (c *cpuRates) rate(cgroup string, now time.Time, usage, window time.Duration) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev, ok := c.last[cgroup]
	elapsed := now.Sub(prev.at)
	if ok && elapsed < window && usage >= prev.usage {
		return 0, false
	}
	c.last[cgroup] = cpuReading{at: now, usage: usage}
	if !ok || usage < prev.usage || elapsed <= 0 {
		return 0, false
	}
	return uint64(float64(usage-prev.usage) / elapsed.Seconds()), true
}

// forgetAllBut drops the readings of cgroups that are gone.
func (c *cpuRates) forgetAllBut(keep map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.last {
		if !keep[k] {
			delete(c.last, k)
		}
	}
}

// podCgroup is the cgroup of a whole pod: the parent of its sandbox's.
func podCgroup(ps *runtime.PodState) string { return path.Dir(ps.Cgroup) }
