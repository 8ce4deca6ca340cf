package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

// The sections of "podlab describe", after kubectl's describers: the
// metadata, then what matters for each kind, then the events.

// describeWriter writes "Label:  value" lines, the values aligned as
// long as the lines that carry them follow each other.
type describeWriter struct {
	tw *tabwriter.Writer
}

func newDescribeWriter(w io.Writer) *describeWriter {
	return &describeWriter{tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)}
}

// line writes "label:  value" at an indent of level steps of two spaces.
func (d *describeWriter) line(level int, label string, format string, args ...any) {
	fmt.Fprintf(d.tw, "%s%s:\t%s\n", strings.Repeat("  ", level), label, fmt.Sprintf(format, args...))
}

// heading writes "label:" with the lines of the section below it.
func (d *describeWriter) heading(level int, label string) {
	fmt.Fprintf(d.tw, "%s%s:\n", strings.Repeat("  ", level), label)
}

// cells writes one row of a table in the text, like the conditions.
func (d *describeWriter) cells(level int, cells ...string) {
	fmt.Fprintf(d.tw, "%s%s\n", strings.Repeat("  ", level), strings.Join(cells, "\t"))
}

// values writes label with the first value, then each other value on a
// line of its own, aligned under the first: labels, annotations, taints.
func (d *describeWriter) values(level int, label string, values []string) {
	if len(values) == 0 {
		d.line(level, label, "<none>")
		return
	}
	d.line(level, label, "%s", values[0])
	for _, v := range values[1:] {
		fmt.Fprintf(d.tw, "%s\t%s\n", strings.Repeat("  ", level), v)
	}
}

func (d *describeWriter) flush() error { return d.tw.Flush() }

// timestamp formats a time as kubectl describe does.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return "<unset>"
	}
	return t.Local().Format(time.RFC1123Z)
}

// pairs returns "key=value" for each entry of m, sorted by key.
func pairs(m map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return out
}

// describeMeta writes what every object has.
func describeMeta(d *describeWriter, obj api.Object) {
	m := obj.GetObjectMeta()
	d.line(0, "Name", "%s", m.Name)
	if api.Namespaced(obj) {
		d.line(0, "Namespace", "%s", m.Namespace)
	}
	d.values(0, "Labels", pairs(m.Labels))
	d.values(0, "Annotations", pairs(m.Annotations))
	d.line(0, "CreationTimestamp", "%s", timestamp(m.CreationTimestamp))
	describeOwner(d, obj)
}

// describeOwner writes the object's controller, like ReplicaSet/web-5d4f.
func describeOwner(d *describeWriter, obj api.Object) {
	if ref := api.GetControllerOf(obj); ref != nil {
		d.line(0, "Controlled By", "%s/%s", ref.Kind, ref.Name)
	}
}

// describeFields writes every field but the metadata, in YAML, for the
// kinds without a describer of their own.
func describeFields(d *describeWriter, obj api.Object) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("describe %s: %w", objectName(obj), err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return fmt.Errorf("describe %s: %w", objectName(obj), err)
	}
	// In the order of the Go fields: spec before status.
	node, err := yamlNode(data)
	if err != nil {
		return fmt.Errorf("describe %s: %w", objectName(obj), err)
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		key := node.Content[i].Value
		if key == "apiVersion" || key == "kind" || key == "metadata" {
			continue
		}
		label := strings.ToUpper(key[:1]) + key[1:]
		if value := node.Content[i+1]; value.Kind == yaml.ScalarNode {
			d.line(0, label, "%s", value.Value)
			continue
		}
		text, err := toYAML(fields[key])
		if err != nil {
			return err
		}
		d.heading(0, label)
		for _, l := range strings.Split(strings.TrimRight(string(text), "\n"), "\n") {
			fmt.Fprintf(d.tw, "  %s\n", l)
		}
	}
	return nil
}

// describeEvents writes the events about obj, found by its uid, oldest
// first.
func describeEvents(ctx context.Context, cl *client.Client, d *describeWriter, obj api.Object) {
	events, _, err := cl.Events("").List(ctx, client.ListOptions{FieldSelector: "involvedObject.uid=" + obj.GetObjectMeta().UID})
	if err != nil || len(events) == 0 {
		d.line(0, "Events", "<none>")
		return
	}
	objs := make([]api.Object, len(events))
	for i, e := range events {
		objs[i] = e
	}
	sortEvents(objs)
	d.heading(0, "Events")
	d.cells(1, "Type", "Reason", "Age", "From", "Message")
	d.cells(1, "----", "------", "----", "----", "-------")
	now := time.Now()
	for _, o := range objs {
		e := o.(*api.Event)
		from := e.Source.Component
		if from == "" {
			from = e.ReportingComponent
		}
		if e.Source.Host != "" {
			from += ", " + e.Source.Host
		}
		d.cells(1, e.Type, e.Reason, eventLastSeen(e, now), from, strings.TrimSpace(e.Message))
	}
}

func describePod(d *describeWriter, p *api.Pod) {
	d.line(0, "Name", "%s", p.Name)
	d.line(0, "Namespace", "%s", p.Namespace)
	node := "<none>"
	if p.Spec.NodeName != "" {
		node = p.Spec.NodeName
		if p.Status.HostIP != "" {
			node += "/" + p.Status.HostIP
		}
	}
	d.line(0, "Node", "%s", node)
	d.line(0, "Start Time", "%s", timestamp(p.Status.StartTime))
	d.values(0, "Labels", pairs(p.Labels))
	d.values(0, "Annotations", pairs(p.Annotations))
	status := string(podPhase(p))
	if p.DeletionTimestamp != nil {
		status = "Terminating (since " + timestamp(*p.DeletionTimestamp) + ")"
	}
	d.line(0, "Status", "%s", status)
	if p.Status.Reason != "" {
		d.line(0, "Reason", "%s", p.Status.Reason)
	}
	if p.Status.Message != "" {
		d.line(0, "Message", "%s", p.Status.Message)
	}
	d.line(0, "IP", "%s", orNone(p.Status.PodIP))
	describeOwner(d, p)
	if len(p.Spec.InitContainers) > 0 {
		d.heading(0, "Init Containers")
		describeContainers(d, p.Spec.InitContainers, p.Status.InitContainerStatuses)
	}
	d.heading(0, "Containers")
	describeContainers(d, p.Spec.Containers, p.Status.ContainerStatuses)
	if len(p.Status.Conditions) > 0 {
		d.heading(0, "Conditions")
		d.cells(1, "Type", "Status")
		for _, c := range p.Status.Conditions {
			d.cells(1, string(c.Type), string(c.Status))
		}
	}
	describeVolumes(d, p.Spec.Volumes)
	d.values(0, "Node-Selectors", pairs(p.Spec.NodeSelector))
	var tolerations []string
	for _, t := range p.Spec.Tolerations {
		tolerations = append(tolerations, tolerationText(t))
	}
	d.values(0, "Tolerations", tolerations)
}

// describeContainers writes each container of a pod with its status.
func describeContainers(d *describeWriter, containers []api.Container, statuses []api.ContainerStatus) {
	for _, c := range containers {
		var st *api.ContainerStatus
		for i := range statuses {
			if statuses[i].Name == c.Name {
				st = &statuses[i]
			}
		}
		d.heading(1, c.Name)
		if st != nil && st.ContainerID != "" {
			d.line(2, "Container ID", "%s", st.ContainerID)
		}
		describeContainerSpec(d, 2, c)
		if st == nil {
			continue
		}
		describeState(d, "State", st.State)
		if st.LastTerminationState != (api.ContainerState{}) {
			describeState(d, "Last State", st.LastTerminationState)
		}
		d.line(2, "Ready", "%s", titleBool(st.Ready))
		d.line(2, "Restart Count", "%d", st.RestartCount)
	}
}

// describeContainerSpec writes what a container of a pod, or of a pod
// template, asks for.
func describeContainerSpec(d *describeWriter, level int, c api.Container) {
	d.line(level, "Image", "%s", c.Image)
	var ports []string
	for _, p := range c.Ports {
		ports = append(ports, fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol))
	}
	d.line(level, "Port", "%s", orNone(strings.Join(ports, ", ")))
	if len(c.Command) > 0 {
		d.values(level, "Command", c.Command)
	}
	if len(c.Args) > 0 {
		d.values(level, "Args", c.Args)
	}
	if len(c.Resources.LimitList) > 0 {
		d.heading(level, "Limits")
		for _, k := range slices.Sorted(maps.Keys(c.Resources.LimitList)) {
			d.line(level+1, k, "%s", c.Resources.LimitList[k])
		}
	}
	if len(c.Resources.RequestList) > 0 {
		d.heading(level, "Requests")
		for _, k := range slices.Sorted(maps.Keys(c.Resources.RequestList)) {
			d.line(level+1, k, "%s", c.Resources.RequestList[k])
		}
	}
	var env []string
	for _, e := range c.Env {
		env = append(env, e.Name+": "+e.Value)
	}
	d.values(level, "Environment", env)
	var mounts []string
	for _, m := range c.VolumeMounts {
		mode := "rw"
		if m.ReadOnly {
			mode = "ro"
		}
		mounts = append(mounts, fmt.Sprintf("%s from %s (%s)", m.MountPath, m.Name, mode))
	}
	d.values(level, "Mounts", mounts)
}

// describeState writes the state of a container: Waiting with its
// reason, Running since when, or Terminated with its exit code.
func describeState(d *describeWriter, label string, s api.ContainerState) {
	switch {
	case s.Running != nil:
		d.line(2, label, "Running")
		d.line(3, "Started", "%s", timestamp(s.Running.StartedAt))
	case s.Terminated != nil:
		t := s.Terminated
		d.line(2, label, "Terminated")
		d.line(3, "Reason", "%s", t.Reason)
		if t.Message != "" {
			d.line(3, "Message", "%s", t.Message)
		}
		d.line(3, "Exit Code", "%d", t.ExitCode)
		if t.Signal != 0 {
			d.line(3, "Signal", "%d", t.Signal)
		}
		d.line(3, "Started", "%s", timestamp(t.StartedAt))
		d.line(3, "Finished", "%s", timestamp(t.FinishedAt))
	case s.Waiting != nil:
		d.line(2, label, "Waiting")
		d.line(3, "Reason", "%s", s.Waiting.Reason)
		if s.Waiting.Message != "" {
			d.line(3, "Message", "%s", s.Waiting.Message)
		}
	default:
		d.line(2, label, "<none>")
	}
}

func describeVolumes(d *describeWriter, volumes []api.Volume) {
	if len(volumes) == 0 {
		d.line(0, "Volumes", "<none>")
		return
	}
	d.heading(0, "Volumes")
	for _, v := range volumes {
		d.heading(1, v.Name)
		switch {
		case v.EmptyDir != nil:
			d.line(2, "Type", "EmptyDir (a temporary directory that shares a pod's lifetime)")
			d.line(2, "Medium", "%s", v.EmptyDir.Medium)
			d.line(2, "SizeLimit", "%s", orNone(v.EmptyDir.SizeLimit))
		case v.HostPath != nil:
			d.line(2, "Type", "HostPath (bare host directory volume)")
			d.line(2, "Path", "%s", v.HostPath.Path)
			d.line(2, "HostPathType", "%s", v.HostPath.Type)
		}
	}
}

// tolerationText writes a toleration as kubectl describe does, like
// "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s".
func tolerationText(t api.Toleration) string {
	s := t.Key
	if t.Value != "" {
		s += "=" + t.Value
	}
	if t.Effect != "" {
		s += ":" + string(t.Effect)
	}
	if t.Operator == api.TolerationOpExists && t.Value == "" {
		s = strings.TrimSpace(s + " op=Exists")
	}
	if t.TolerationSeconds != nil {
		s += fmt.Sprintf(" for %ds", *t.TolerationSeconds)
	}
	return s
}

func titleBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// describeTemplate writes a pod template: its labels and containers.
func describeTemplate(d *describeWriter, t *api.PodTemplateSpec) {
	d.heading(0, "Pod Template")
	d.values(1, "Labels", pairs(t.Labels))
	d.heading(1, "Containers")
	for _, c := range t.Spec.Containers {
		d.heading(2, c.Name)
		describeContainerSpec(d, 3, c)
	}
	if len(t.Spec.Volumes) > 0 {
		var names []string
		for _, v := range t.Spec.Volumes {
			names = append(names, v.Name)
		}
		d.values(1, "Volumes", names)
	}
}

// describeConditions writes the conditions of a workload.
func describeConditions(d *describeWriter, conds []api.Condition) {
	if len(conds) == 0 {
		return
	}
	d.heading(0, "Conditions")
	d.cells(1, "Type", "Status", "Reason")
	for _, c := range conds {
		d.cells(1, c.Type, string(c.Status), c.Reason)
	}
}

// podsStatus counts the pods that selector selects in namespace ns by
// phase, like "3 Running / 0 Waiting / 0 Succeeded / 0 Failed".
func podsStatus(ctx context.Context, cl *client.Client, ns, selector string) string {
	pods, _, err := cl.Pods(ns).List(ctx, client.ListOptions{LabelSelector: selector})
	if err != nil {
		return "<unknown>"
	}
	count := map[api.PodPhase]int{}
	for _, p := range pods {
		count[p.Status.Phase]++
	}
	return fmt.Sprintf("%d Running / %d Waiting / %d Succeeded / %d Failed",
		count[api.PodRunning], count[api.PodPending], count[api.PodSucceeded], count[api.PodFailed])
}

// selectorQuery is the -l form of a selector, "" for none.
func selectorQuery(ls *api.LabelSelector) string {
	if ls == nil {
		return ""
	}
	sel, err := ls.AsSelector()
	if err != nil {
		return ""
	}
	return sel.String()
}

func describeDeployment(d *describeWriter, dep *api.Deployment) {
	describeMeta(d, dep)
	s := dep.Status
	d.line(0, "Selector", "%s", selectorText(dep.Spec.Selector))
	d.line(0, "Replicas", "%d desired | %d updated | %d total | %d available | %d unavailable",
		int32Or(dep.Spec.Replicas, 1), s.UpdatedReplicas, s.Replicas, s.AvailableReplicas, s.UnavailableReplicas)
	d.line(0, "StrategyType", "%s", dep.Spec.Strategy.Type)
	d.line(0, "MinReadySeconds", "%d", dep.Spec.MinReadySeconds)
	if ru := dep.Spec.Strategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil && ru.MaxSurge != nil {
		d.line(0, "RollingUpdateStrategy", "%s max unavailable, %s max surge", ru.MaxUnavailable, ru.MaxSurge)
	}
	if dep.Spec.Paused {
		d.line(0, "Paused", "true")
	}
	describeTemplate(d, &dep.Spec.Template)
	if len(s.Conditions) > 0 {
		d.heading(0, "Conditions")
		d.cells(1, "Type", "Status", "Reason")
		for _, c := range s.Conditions {
			d.cells(1, string(c.Type), string(c.Status), c.Reason)
		}
	}
}

func describeReplicaSet(ctx context.Context, cl *client.Client, d *describeWriter, rs *api.ReplicaSet) {
	describeMeta(d, rs)
	d.line(0, "Selector", "%s", selectorText(rs.Spec.Selector))
	d.line(0, "Replicas", "%d current / %d desired", rs.Status.Replicas, int32Or(rs.Spec.Replicas, 1))
	d.line(0, "Pods Status", "%s", podsStatus(ctx, cl, rs.Namespace, selectorQuery(rs.Spec.Selector)))
	describeTemplate(d, &rs.Spec.Template)
	describeConditions(d, rs.Status.Conditions)
}

func describeReplicationController(ctx context.Context, cl *client.Client, d *describeWriter, rc *api.ReplicationController) {
	describeMeta(d, rc)
	d.line(0, "Selector", "%s", labelsText(rc.Spec.Selector))
	d.line(0, "Replicas", "%d current / %d desired", rc.Status.Replicas, int32Or(rc.Spec.Replicas, 1))
	d.line(0, "Pods Status", "%s", podsStatus(ctx, cl, rc.Namespace, strings.Join(pairs(rc.Spec.Selector), ",")))
	describeTemplate(d, &rc.Spec.Template)
	describeConditions(d, rc.Status.Conditions)
}

func describeStatefulSet(ctx context.Context, cl *client.Client, d *describeWriter, ss *api.StatefulSet) {
	describeMeta(d, ss)
	d.line(0, "Selector", "%s", selectorText(ss.Spec.Selector))
	d.line(0, "Replicas", "%d desired | %d total", int32Or(ss.Spec.Replicas, 1), ss.Status.Replicas)
	d.line(0, "Service Name", "%s", orNone(ss.Spec.ServiceName))
	d.line(0, "Pod Management Policy", "%s", ss.Spec.PodManagementPolicy)
	d.line(0, "Update Strategy", "%s", ss.Spec.UpdateStrategy.Type)
	if ru := ss.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
		d.line(1, "Partition", "%d", *ru.Partition)
	}
	d.line(0, "Pods Status", "%s", podsStatus(ctx, cl, ss.Namespace, selectorQuery(ss.Spec.Selector)))
	describeTemplate(d, &ss.Spec.Template)
	if len(ss.Spec.VolumeClaimTemplates) == 0 {
		d.line(0, "Volume Claims", "<none>")
	} else {
		d.heading(0, "Volume Claims")
		for _, t := range ss.Spec.VolumeClaimTemplates {
			d.line(1, "Name", "%s", t.Name)
			d.line(1, "Capacity", "%s", orNone(t.Spec.Resources.Requests[api.ResourceStorage]))
		}
	}
	describeConditions(d, ss.Status.Conditions)
}

func describeDaemonSet(ctx context.Context, cl *client.Client, d *describeWriter, ds *api.DaemonSet) {
	describeMeta(d, ds)
	s := ds.Status
	d.line(0, "Selector", "%s", selectorText(ds.Spec.Selector))
	d.line(0, "Node-Selector", "%s", labelsText(ds.Spec.Template.Spec.NodeSelector))
	d.line(0, "Desired Number of Nodes Scheduled", "%d", s.DesiredNumberScheduled)
	d.line(0, "Current Number of Nodes Scheduled", "%d", s.CurrentNumberScheduled)
	d.line(0, "Number of Nodes Scheduled with Up-to-date Pods", "%d", s.UpdatedNumberScheduled)
	d.line(0, "Number of Nodes Scheduled with Available Pods", "%d", s.NumberAvailable)
	d.line(0, "Number of Nodes Misscheduled", "%d", s.NumberMisscheduled)
	d.line(0, "Update Strategy", "%s", ds.Spec.UpdateStrategy.Type)
	d.line(0, "Pods Status", "%s", podsStatus(ctx, cl, ds.Namespace, selectorQuery(ds.Spec.Selector)))
	describeTemplate(d, &ds.Spec.Template)
	describeConditions(d, s.Conditions)
}

func describeNode(ctx context.Context, cl *client.Client, d *describeWriter, n *api.Node) {
	cells, _ := nodeCells(n, time.Now())
	d.line(0, "Name", "%s", n.Name)
	d.line(0, "Roles", "%s", cells[1])
	d.values(0, "Labels", pairs(n.Labels))
	d.values(0, "Annotations", pairs(n.Annotations))
	d.line(0, "CreationTimestamp", "%s", timestamp(n.CreationTimestamp))
	var taints []string
	for _, t := range n.Spec.Taints {
		s := t.Key
		if t.Value != "" {
			s += "=" + t.Value
		}
		taints = append(taints, s+":"+string(t.Effect))
	}
	d.values(0, "Taints", taints)
	d.line(0, "Unschedulable", "%t", n.Spec.Unschedulable)
	d.heading(0, "Conditions")
	d.cells(1, "Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message")
	d.cells(1, "----", "------", "-----------------", "------------------", "------", "-------")
	for _, c := range n.Status.Conditions {
		d.cells(1, string(c.Type), string(c.Status), timestamp(c.LastHeartbeatTime), timestamp(c.LastTransitionTime), c.Reason, c.Message)
	}
	d.heading(0, "Addresses")
	for _, a := range n.Status.Addresses {
		d.line(1, string(a.Type), "%s", a.Address)
	}
	for _, section := range []struct {
		label string
		list  api.ResourceList
	}{{"Capacity", n.Status.Capacity}, {"Allocatable", n.Status.Allocatable}} {
		d.heading(0, section.label)
		for _, k := range slices.Sorted(maps.Keys(section.list)) {
			d.line(1, k, "%s", section.list[k])
		}
	}
	info := n.Status.NodeInfo
	d.heading(0, "System Info")
	d.line(1, "Machine ID", "%s", info.MachineID)
	d.line(1, "Kernel Version", "%s", info.KernelVersion)
	d.line(1, "OS Image", "%s", info.OSImage)
	d.line(1, "Operating System", "%s", info.OperatingSystem)
	d.line(1, "Architecture", "%s", info.Architecture)
	d.line(1, "Container Runtime Version", "%s", info.ContainerRuntimeVersion)
	d.line(1, "Kubelet Version", "%s", info.KubeletVersion)
	d.line(0, "PodCIDR", "%s", orNone(n.Spec.PodCIDR))
	pods, _, err := cl.Pods("").List(ctx, client.ListOptions{FieldSelector: "spec.nodeName=" + n.Name})
	if err != nil {
		return
	}
	pods = slices.DeleteFunc(pods, func(p *api.Pod) bool {
		return p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed
	})
	d.line(0, "Non-terminated Pods", "(%d in total)", len(pods))
	if len(pods) > 0 {
		d.cells(1, "Namespace", "Name", "Age")
		d.cells(1, "---------", "----", "---")
		for _, p := range pods {
			d.cells(1, p.Namespace, p.Name, age(p.CreationTimestamp, time.Now()))
		}
	}
}

func describeService(ctx context.Context, cl *client.Client, d *describeWriter, svc *api.Service) {
	describeMeta(d, svc)
	d.line(0, "Selector", "%s", labelsText(svc.Spec.Selector))
	d.line(0, "Type", "%s", svc.Spec.Type)
	d.line(0, "IP", "%s", orNone(svc.Spec.ClusterIP))
	var endpoints []string
	if ep, err := cl.Endpoints(svc.Namespace).Get(ctx, svc.Name); err == nil {
		cells, _ := endpointsCells(ep, time.Now())
		endpoints = []string{cells[0]}
	}
	for _, p := range svc.Spec.Ports {
		name := orNone(p.Name)
		d.line(0, "Port", "%s  %d/%s", name, p.Port, p.Protocol)
		d.line(0, "TargetPort", "%s/%s", p.TargetPort.String(), p.Protocol)
		if p.NodePort != 0 {
			d.line(0, "NodePort", "%s  %d/%s", name, p.NodePort, p.Protocol)
		}
	}
	d.values(0, "Endpoints", endpoints)
	d.line(0, "Session Affinity", "%s", orNone(string(svc.Spec.SessionAffinity)))
}
