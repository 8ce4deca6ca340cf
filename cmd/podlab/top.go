package main

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/podlet"
)

var topCommand = &cli.Command{
	Name:  "top",
	Usage: "show the CPU and memory that pods or nodes use, from the node API of each node, like kubectl top",
	ArgsUsage: "pods [NAME...] | nodes [NAME...]\n\n" +
		"   examples: podlab top pods\n" +
		"             podlab top pods -A\n" +
		"             podlab top nodes",
	Category: clusterCategory,
	Flags:    clusterFlags(append(namespaceFlags(), nodeAPIPortFlag())...),
	Action: func(c *cli.Context) error {
		args := c.Args().Slice()
		var kind api.TypeMeta
		if len(args) > 0 {
			kind, _ = api.KindFor(args[0])
		}
		if kind != api.KindPod && kind != api.KindNode {
			return usagef("top: give pods or nodes, like \"podlab top pods\"")
		}
		nodes, err := connectNodes(c)
		if err != nil {
			return err
		}
		t := topQuery{nodes: nodes, names: args[1:], namespace: listNamespace(c)}
		if kind == api.KindNode {
			return t.nodesTop(c)
		}
		return t.podsTop(c)
	},
}

// topQuery is one "podlab top".
type topQuery struct {
	nodes     *nodeAPI
	names     []string // only these; none: all
	namespace string   // of the pods; "" for every namespace (-A)
}

// nodesTop prints NAME CPU(cores) CPU% MEMORY(bytes) MEMORY% of each
// node: the usage of all its pods, as its node API reports it, against
// what the node can give its pods (status.allocatable).
func (t topQuery) nodesTop(c *cli.Context) error {
	list, _, err := t.nodes.api.Nodes().List(c.Context, client.ListOptions{})
	if err != nil {
		return err
	}
	list = slices.DeleteFunc(list, func(n *api.Node) bool { return len(t.names) > 0 && !slices.Contains(t.names, n.Name) })
	if len(list) == 0 {
		return fmt.Errorf("no nodes found")
	}
	summaries, errNodes := t.summaries(c, list)
	rows := [][]string{{"NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"}}
	for _, n := range list {
		s := summaries[n.Name]
		if s == nil {
			rows = append(rows, []string{n.Name, "<unknown>", "<unknown>", "<unknown>", "<unknown>"})
			continue
		}
		cpu, mem := nanoCores(s.Node.CPU), workingSet(s.Node.Memory)
		rows = append(rows, []string{n.Name, cpuText(cpu), percent(cpu/1_000_000, n.Status.Allocatable[api.ResourceCPU], api.ParseCPU),
			memoryText(mem), percent(mem, n.Status.Allocatable[api.ResourceMemory], api.ParseMemory)})
	}
	if err := (&table{w: c.App.Writer}).print(rows...); err != nil {
		return err
	}
	return errNodes
}

// podsTop prints NAME CPU(cores) MEMORY(bytes) of each running pod: the
// sum of its containers, as kubectl top sums them (the sandbox's own
// usage, tiny, is left out).
func (t topQuery) podsTop(c *cli.Context) error {
	pods, _, err := t.nodes.api.Pods(t.namespace).List(c.Context, client.ListOptions{})
	if err != nil {
		return err
	}
	pods = slices.DeleteFunc(pods, func(p *api.Pod) bool {
		return p.Spec.NodeName == "" || len(t.names) > 0 && !slices.Contains(t.names, p.Name)
	})
	if len(pods) == 0 {
		if len(t.names) > 0 {
			return fmt.Errorf("pod %q not found, or not running on a node", t.names[0])
		}
		if t.namespace == "" {
			fmt.Fprintln(c.App.ErrWriter, "No resources found.")
		} else {
			fmt.Fprintf(c.App.ErrWriter, "No resources found in %s namespace.\n", t.namespace)
		}
		return nil
	}
	var nodes []*api.Node
	for _, p := range pods {
		if !slices.ContainsFunc(nodes, func(n *api.Node) bool { return n.Name == p.Spec.NodeName }) {
			nodes = append(nodes, &api.Node{ObjectMeta: api.ObjectMeta{Name: p.Spec.NodeName}})
		}
	}
	summaries, errNodes := t.summaries(c, nodes)
	byUID := map[string]podlet.PodStats{}
	for _, s := range summaries {
		for _, ps := range s.Pods {
			byUID[ps.PodRef.UID] = ps
		}
	}
	header := []string{"NAME", "CPU(cores)", "MEMORY(bytes)"}
	if t.namespace == "" {
		header = append([]string{"NAMESPACE"}, header...)
	}
	rows := [][]string{header}
	for _, p := range pods {
		ps, ok := byUID[p.UID]
		if !ok {
			continue // not running yet, or on a node that did not answer
		}
		var cpu, mem uint64
		for _, c := range ps.Containers {
			cpu += nanoCores(c.CPU)
			mem += workingSet(c.Memory)
		}
		row := []string{p.Name, cpuText(cpu), memoryText(mem)}
		if t.namespace == "" {
			row = append([]string{p.Namespace}, row...)
		}
		rows = append(rows, row)
	}
	if len(rows) == 1 && errNodes == nil {
		return fmt.Errorf("metrics not available yet: the nodes report none of these pods running")
	}
	if len(rows) > 1 {
		if err := (&table{w: c.App.Writer}).print(rows...); err != nil {
			return err
		}
	}
	return errNodes
}

// summaries asks the node API of every node at once for its summary. A
// node that does not answer is named on stderr and makes the result an
// error, after the rest is printed.
func (t topQuery) summaries(c *cli.Context, nodes []*api.Node) (map[string]*podlet.Summary, error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	summaries := map[string]*podlet.Summary{}
	var failures int
	for _, n := range nodes {
		wg.Go(func() {
			s, err := t.summary(c.Context, n)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fmt.Fprintf(c.App.ErrWriter, "podlab: %v\n", errorText(err))
				failures++
				return
			}
			summaries[n.Name] = s
		})
	}
	wg.Wait()
	if failures > 0 {
		return summaries, failed
	}
	return summaries, nil
}

// summary reads one node's summary; a node known by name only is read
// from the API server first, for its address.
func (t topQuery) summary(ctx context.Context, n *api.Node) (*podlet.Summary, error) {
	if len(n.Status.Addresses) == 0 {
		var err error
		if n, err = t.nodes.api.Nodes().Get(ctx, n.Name); err != nil {
			return nil, err
		}
	}
	nc, err := t.nodes.node(n)
	if err != nil {
		return nil, err
	}
	s, err := nc.Summary(ctx)
	if err != nil {
		return nil, fmt.Errorf("node %q: %w", n.Name, err)
	}
	return s, nil
}

func nanoCores(s *podlet.CPUStats) uint64 {
	if s == nil || s.UsageNanoCores == nil {
		return 0
	}
	return *s.UsageNanoCores
}

func workingSet(s *podlet.MemoryStats) uint64 {
	if s == nil {
		return 0
	}
	return s.WorkingSetBytes
}

// cpuText shows nanocores as kubectl does, in millicores: "153m".
func cpuText(nanoCores uint64) string { return fmt.Sprintf("%dm", (nanoCores+500_000)/1_000_000) }

// memoryText shows bytes as kubectl does, in MiB: "64Mi".
func memoryText(bytes uint64) string { return fmt.Sprintf("%dMi", bytes>>20) }

// percent is used as a share of a quantity of the node, "7%";
// "<unknown>" when the node does not say how much it has.
func percent(used uint64, quantity string, parse func(string) (int64, error)) string {
	total, err := parse(quantity)
	if err != nil || total <= 0 {
		return "<unknown>"
	}
	return fmt.Sprintf("%d%%", used*100/uint64(total))
}
