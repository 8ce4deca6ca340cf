package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/podlet"
)

// The tables of "podlab get": the columns of kubectl for each kind, with
// its way of summing up an object in a few words.

// printOptions say which columns a table has.
type printOptions struct {
	wide          bool      // -o wide: the extra columns
	allNamespaces bool      // -A: a NAMESPACE column first, for namespaced kinds
	showLabels    bool      // --show-labels: a LABELS column last
	now           time.Time // ages count up to now
}

// kindTable is the table of one kind: the columns after NAME, then those
// -o wide adds, and the cells of one object for each.
type kindTable struct {
	columns, wideColumns []string
	cells                func(obj api.Object, now time.Time) (cells, wide []string)
}

// tables has the columns of every kind; a kind not in it gets NAME and AGE.
var tables = map[api.TypeMeta]kindTable{
	api.KindPod:                     {[]string{"READY", "STATUS", "RESTARTS", "AGE"}, []string{"IP", "NODE"}, podCells},
	api.KindNode:                    {[]string{"STATUS", "ROLES", "AGE", "VERSION"}, []string{"INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"}, nodeCells},
	api.KindNamespace:               {[]string{"STATUS", "AGE"}, nil, namespaceCells},
	api.KindDeployment:              {[]string{"READY", "UP-TO-DATE", "AVAILABLE", "AGE"}, workloadWide, deploymentCells},
	api.KindReplicaSet:              {[]string{"DESIRED", "CURRENT", "READY", "AGE"}, workloadWide, replicaSetCells},
	api.KindReplicationController:   {[]string{"DESIRED", "CURRENT", "READY", "AGE"}, workloadWide, replicationControllerCells},
	api.KindStatefulSet:             {[]string{"READY", "AGE"}, workloadWide[:2], statefulSetCells},
	api.KindDaemonSet:               {[]string{"DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"}, workloadWide, daemonSetCells},
	api.KindJob:                     {[]string{"STATUS", "COMPLETIONS", "DURATION", "AGE"}, workloadWide, jobCells},
	api.KindCronJob:                 {[]string{"SCHEDULE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"}, workloadWide, cronJobCells},
	api.KindService:                 {[]string{"TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"}, []string{"SELECTOR"}, serviceCells},
	api.KindEndpoints:               {[]string{"ENDPOINTS", "AGE"}, nil, endpointsCells},
	api.KindEvent:                   {[]string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}, nil, eventCells},
	api.KindHorizontalPodAutoscaler: {[]string{"REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"}, nil, hpaCells},
	api.KindPersistentVolumeClaim:   {[]string{"STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "AGE"}, []string{"STORAGECLASS"}, pvcCells},
}

// workloadWide are the wide columns of the kinds with a pod template.
var workloadWide = []string{"CONTAINERS", "IMAGES", "SELECTOR"}

// header returns the column names of the table of kind.
func header(kind api.TypeMeta, o printOptions) []string {
	t, ok := tables[kind]
	if !ok {
		t = kindTable{columns: []string{"AGE"}}
	}
	var cols []string
	if o.allNamespaces && namespaced(kind) {
		cols = append(cols, "NAMESPACE")
	}
	if kind != api.KindEvent { // an event shows its OBJECT, not its own made-up name
		cols = append(cols, "NAME")
	}
	cols = append(cols, t.columns...)
	if o.wide {
		cols = append(cols, t.wideColumns...)
	}
	if o.showLabels {
		cols = append(cols, "LABELS")
	}
	return cols
}

// row returns the cells of obj, in the columns of header.
func row(obj api.Object, o printOptions) []string {
	m := obj.GetObjectMeta()
	kind := api.KindOf(obj)
	t, ok := tables[kind]
	cells, wide := []string{age(m.CreationTimestamp, o.now)}, []string(nil)
	if ok {
		cells, wide = t.cells(obj, o.now)
	}
	var r []string
	if o.allNamespaces && namespaced(kind) {
		r = append(r, m.Namespace)
	}
	if kind != api.KindEvent {
		r = append(r, m.Name)
	}
	r = append(r, cells...)
	if o.wide {
		r = append(r, wide...)
	}
	if o.showLabels {
		r = append(r, labelsText(m.Labels))
	}
	return r
}

func namespaced(kind api.TypeMeta) bool {
	obj, err := api.New(kind)
	return err == nil && api.Namespaced(obj)
}

// table writes rows with columns three spaces apart, like kubectl. It
// remembers the widths, so that the rows "get -w" adds later line up
// with the first ones as long as they fit.
type table struct {
	w      io.Writer
	widths []int
}

// print writes rows, widening the columns for them first.
func (t *table) print(rows ...[]string) error {
	for _, r := range rows {
		for i, cell := range r {
			if i == len(t.widths) {
				t.widths = append(t.widths, 0)
			}
			t.widths[i] = max(t.widths[i], len(cell))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, cell := range r {
			if i == len(r)-1 {
				b.WriteString(cell) // no spaces at the end of a line
				break
			}
			b.WriteString(cell)
			b.WriteString(strings.Repeat(" ", t.widths[i]-len(cell)+3))
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(t.w, b.String())
	return err
}

// age formats how long ago t was as kubectl does: 45s, 3m20s, 5h, 2d3h, ...
func age(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return humanDuration(now.Sub(t))
}

// humanDuration is kubectl's duration.HumanDuration: more precise when
// short, rounder when long.
func humanDuration(d time.Duration) string {
	seconds := int(d.Seconds())
	switch {
	case seconds < -1:
		return "<invalid>" // more than clock skew: a time in the future
	case seconds < 0:
		return "0s"
	case seconds < 60*2:
		return fmt.Sprintf("%ds", seconds)
	}
	minutes := int(d / time.Minute)
	if minutes < 10 {
		if s := seconds % 60; s != 0 {
			return fmt.Sprintf("%dm%ds", minutes, s)
		}
		return fmt.Sprintf("%dm", minutes)
	}
	if minutes < 60*3 {
		return fmt.Sprintf("%dm", minutes)
	}
	hours := int(d / time.Hour)
	switch {
	case hours < 8:
		if m := minutes % 60; m != 0 {
			return fmt.Sprintf("%dh%dm", hours, m)
		}
		return fmt.Sprintf("%dh", hours)
	case hours < 48:
		return fmt.Sprintf("%dh", hours)
	case hours < 24*8:
		if h := hours % 24; h != 0 {
			return fmt.Sprintf("%dd%dh", hours/24, h)
		}
		return fmt.Sprintf("%dd", hours/24)
	case hours < 24*365*2:
		return fmt.Sprintf("%dd", hours/24)
	case hours < 24*365*8:
		if d := hours / 24 % 365; d != 0 {
			return fmt.Sprintf("%dy%dd", hours/24/365, d)
		}
		return fmt.Sprintf("%dy", hours/24/365)
	}
	return fmt.Sprintf("%dy", hours/24/365)
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func int32Or(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// labelsText writes labels as kubectl does: "app=web,tier=fe", sorted.
func labelsText(labels map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, k+"="+labels[k])
	}
	return orNone(strings.Join(parts, ","))
}

// selectorText writes a label selector in the form of "get -l".
func selectorText(ls *api.LabelSelector) string {
	if ls == nil {
		return "<none>"
	}
	sel, err := ls.AsSelector()
	if err != nil {
		return "<invalid>"
	}
	return orNone(sel.String())
}

// templateCells are the wide cells of a kind with a pod template.
func templateCells(spec *api.PodSpec, selector string) []string {
	var names, images []string
	for _, c := range spec.Containers {
		names = append(names, c.Name)
		images = append(images, c.Image)
	}
	return []string{strings.Join(names, ","), strings.Join(images, ","), selector}
}

func podCells(obj api.Object, now time.Time) (cells, wide []string) {
	p := obj.(*api.Pod)
	ready := 0
	restarts := int32(0)
	var lastRestart time.Time
	for _, cs := range slices.Concat(p.Status.InitContainerStatuses, p.Status.ContainerStatuses) {
		restarts += cs.RestartCount
		if t := cs.LastTerminationState.Terminated; t != nil && t.FinishedAt.After(lastRestart) {
			lastRestart = t.FinishedAt
		}
	}
	// Native sidecars count as containers of the pod, as in kubectl.
	total := len(p.Spec.Containers)
	for _, c := range p.Spec.InitContainers {
		if c.IsSidecar() {
			total++
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Ready && cs.State.Running != nil {
			ready++
		}
	}
	for _, cs := range p.Status.InitContainerStatuses {
		if cs.Ready && cs.State.Running != nil && isSidecar(p, cs.Name) {
			ready++
		}
	}
	restartText := strconv.Itoa(int(restarts))
	if restarts > 0 && !lastRestart.IsZero() {
		restartText += " (" + age(lastRestart, now) + " ago)"
	}
	cells = []string{fmt.Sprintf("%d/%d", ready, total), podStatus(p), restartText, age(p.CreationTimestamp, now)}
	return cells, []string{orNone(p.Status.PodIP), orNone(p.Spec.NodeName)}
}

// isSidecar tells whether the init container called name is a native
// sidecar (restartPolicy: Always).
func isSidecar(p *api.Pod, name string) bool {
	i := slices.IndexFunc(p.Spec.InitContainers, func(c api.Container) bool { return c.Name == name })
	return i >= 0 && p.Spec.InitContainers[i].IsSidecar()
}

// podStatus sums up a pod in one word, as the STATUS column of kubectl
// does: Terminating while it is deleted; else what keeps an init
// container or a container from running, like Init:0/1,
// ContainerCreating, CrashLoopBackOff or Completed; else the phase
// (Pending while there is none yet).
func podStatus(p *api.Pod) string {
	reason := string(podPhase(p))
	if p.Status.Reason != "" {
		reason = p.Status.Reason
	}
	initializing := false
	for i, cs := range p.Status.InitContainerStatuses {
		t, w := cs.State.Terminated, cs.State.Waiting
		switch {
		case t != nil && t.ExitCode == 0:
			continue // done
		case cs.Started != nil && *cs.Started && isSidecar(p, cs.Name):
			continue // a native sidecar that started lets the next one start
		case t != nil && t.Reason != "":
			reason = "Init:" + t.Reason
		case t != nil && t.Signal != 0:
			reason = fmt.Sprintf("Init:Signal:%d", t.Signal)
		case t != nil:
			reason = fmt.Sprintf("Init:ExitCode:%d", t.ExitCode)
		case w != nil && w.Reason != "" && w.Reason != "PodInitializing":
			reason = "Init:" + w.Reason
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(p.Spec.InitContainers))
		}
		initializing = true
		break
	}
	if !initializing {
		running := false
		// The first container with a reason wins, as in kubectl, which
		// walks them from the last.
		for i := len(p.Status.ContainerStatuses) - 1; i >= 0; i-- {
			cs := p.Status.ContainerStatuses[i]
			t, w := cs.State.Terminated, cs.State.Waiting
			switch {
			case w != nil && w.Reason != "":
				reason = w.Reason
			case t != nil && t.Reason != "":
				reason = t.Reason
			case t != nil && t.Signal != 0:
				reason = fmt.Sprintf("Signal:%d", t.Signal)
			case t != nil:
				reason = fmt.Sprintf("ExitCode:%d", t.ExitCode)
			case cs.Ready && cs.State.Running != nil:
				running = true
			}
		}
		// One container completed while another still runs.
		if reason == "Completed" && running {
			reason = "NotReady"
			if podReady(p) {
				reason = string(api.PodRunning)
			}
		}
	}
	if p.DeletionTimestamp != nil {
		if p.Status.Reason == "NodeLost" {
			return string(api.PodUnknown)
		}
		return "Terminating"
	}
	return reason
}

// podPhase is the phase of p, Pending while nobody has reported one.
func podPhase(p *api.Pod) api.PodPhase {
	if p.Status.Phase == "" {
		return api.PodPending
	}
	return p.Status.Phase
}

func podReady(p *api.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == api.PodReady {
			return c.Status == api.ConditionTrue
		}
	}
	return false
}

func nodeCells(obj api.Object, now time.Time) (cells, wide []string) {
	n := obj.(*api.Node)
	status := "Unknown"
	for _, c := range n.Status.Conditions {
		if c.Type == api.NodeReady {
			switch c.Status {
			case api.ConditionTrue:
				status = "Ready"
			case api.ConditionFalse:
				status = "NotReady"
			}
		}
	}
	if n.Spec.Unschedulable {
		status += ",SchedulingDisabled"
	}
	var roles []string
	for k, v := range n.Labels {
		if role, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && role != "" {
			roles = append(roles, role)
		} else if k == "kubernetes.io/role" && v != "" {
			roles = append(roles, v)
		}
	}
	slices.Sort(roles)
	cells = []string{status, orNone(strings.Join(roles, ",")), age(n.CreationTimestamp, now), orNone(n.Status.NodeInfo.KubeletVersion)}
	info := n.Status.NodeInfo
	wide = []string{orNone(podlet.NodeAddress(n, api.NodeInternalIP)), orNone(podlet.NodeAddress(n, api.NodeExternalIP)),
		orNone(info.OSImage), orNone(info.KernelVersion), orNone(info.ContainerRuntimeVersion)}
	return cells, wide
}

func namespaceCells(obj api.Object, now time.Time) (cells, wide []string) {
	ns := obj.(*api.Namespace)
	return []string{string(ns.Status.Phase), age(ns.CreationTimestamp, now)}, nil
}

func deploymentCells(obj api.Object, now time.Time) (cells, wide []string) {
	d := obj.(*api.Deployment)
	s := d.Status
	cells = []string{fmt.Sprintf("%d/%d", s.ReadyReplicas, int32Or(d.Spec.Replicas, 1)),
		strconv.Itoa(int(s.UpdatedReplicas)), strconv.Itoa(int(s.AvailableReplicas)), age(d.CreationTimestamp, now)}
	return cells, templateCells(&d.Spec.Template.Spec, selectorText(d.Spec.Selector))
}

func replicaSetCells(obj api.Object, now time.Time) (cells, wide []string) {
	rs := obj.(*api.ReplicaSet)
	cells = []string{strconv.Itoa(int(int32Or(rs.Spec.Replicas, 1))), strconv.Itoa(int(rs.Status.Replicas)),
		strconv.Itoa(int(rs.Status.ReadyReplicas)), age(rs.CreationTimestamp, now)}
	return cells, templateCells(&rs.Spec.Template.Spec, selectorText(rs.Spec.Selector))
}

func replicationControllerCells(obj api.Object, now time.Time) (cells, wide []string) {
	rc := obj.(*api.ReplicationController)
	cells = []string{strconv.Itoa(int(int32Or(rc.Spec.Replicas, 1))), strconv.Itoa(int(rc.Status.Replicas)),
		strconv.Itoa(int(rc.Status.ReadyReplicas)), age(rc.CreationTimestamp, now)}
	return cells, templateCells(&rc.Spec.Template.Spec, labelsText(rc.Spec.Selector))
}

func statefulSetCells(obj api.Object, now time.Time) (cells, wide []string) {
	ss := obj.(*api.StatefulSet)
	cells = []string{fmt.Sprintf("%d/%d", ss.Status.ReadyReplicas, int32Or(ss.Spec.Replicas, 1)), age(ss.CreationTimestamp, now)}
	return cells, templateCells(&ss.Spec.Template.Spec, "")[:2]
}

func daemonSetCells(obj api.Object, now time.Time) (cells, wide []string) {
	ds := obj.(*api.DaemonSet)
	s := ds.Status
	cells = []string{strconv.Itoa(int(s.DesiredNumberScheduled)), strconv.Itoa(int(s.CurrentNumberScheduled)),
		strconv.Itoa(int(s.NumberReady)), strconv.Itoa(int(s.UpdatedNumberScheduled)), strconv.Itoa(int(s.NumberAvailable)),
		labelsText(ds.Spec.Template.Spec.NodeSelector), age(ds.CreationTimestamp, now)}
	return cells, templateCells(&ds.Spec.Template.Spec, selectorText(ds.Spec.Selector))
}

func jobCells(obj api.Object, now time.Time) (cells, wide []string) {
	j := obj.(*api.Job)
	s := j.Status
	completions := fmt.Sprintf("%d/%d", s.Succeeded, int32Or(j.Spec.Completions, 1))
	if j.Spec.Completions == nil && int32Or(j.Spec.Parallelism, 1) > 1 {
		completions = fmt.Sprintf("%d/1 of %d", s.Succeeded, *j.Spec.Parallelism)
	}
	var duration string
	switch {
	case !s.StartTime.IsZero() && !s.CompletionTime.IsZero():
		duration = humanDuration(s.CompletionTime.Sub(s.StartTime))
	case !s.StartTime.IsZero():
		duration = humanDuration(now.Sub(s.StartTime))
	}
	cells = []string{jobStatus(j), completions, duration, age(j.CreationTimestamp, now)}
	return cells, templateCells(&j.Spec.Template.Spec, selectorText(j.Spec.Selector))
}

// jobStatus is the STATUS of a Job in kubectl: Complete, Failed,
// Suspended, Failing or Running.
func jobStatus(j *api.Job) string {
	has := func(t api.JobConditionType) bool {
		return slices.ContainsFunc(j.Status.Conditions, func(c api.JobCondition) bool {
			return c.Type == t && c.Status == api.ConditionTrue
		})
	}
	switch {
	case has(api.JobComplete):
		return "Complete"
	case has(api.JobFailed):
		return "Failed"
	case has(api.JobSuspended):
		return "Suspended"
	case has(api.JobFailureTarget):
		return "FailureTarget"
	case has(api.JobSuccessCriteriaMet):
		return "SuccessCriteriaMet"
	}
	return "Running"
}

func cronJobCells(obj api.Object, now time.Time) (cells, wide []string) {
	cj := obj.(*api.CronJob)
	suspend := "False"
	if cj.Spec.Suspend != nil && *cj.Spec.Suspend {
		suspend = "True"
	}
	last := "<none>"
	if !cj.Status.LastScheduleTime.IsZero() {
		last = age(cj.Status.LastScheduleTime, now)
	}
	cells = []string{cj.Spec.Schedule, suspend, strconv.Itoa(len(cj.Status.Active)), last, age(cj.CreationTimestamp, now)}
	js := &cj.Spec.JobTemplate.Spec
	return cells, templateCells(&js.Template.Spec, selectorText(js.Selector))
}

func serviceCells(obj api.Object, now time.Time) (cells, wide []string) {
	svc := obj.(*api.Service)
	var ports []string
	for _, p := range svc.Spec.Ports {
		port := strconv.Itoa(int(p.Port))
		if p.NodePort != 0 {
			port += ":" + strconv.Itoa(int(p.NodePort))
		}
		ports = append(ports, port+"/"+string(p.Protocol))
	}
	cells = []string{string(svc.Spec.Type), orNone(svc.Spec.ClusterIP), "<none>", orNone(strings.Join(ports, ",")), age(svc.CreationTimestamp, now)}
	return cells, []string{labelsText(svc.Spec.Selector)}
}

// maxEndpoints is how many addresses the ENDPOINTS column shows.
const maxEndpoints = 3

func endpointsCells(obj api.Object, now time.Time) (cells, wide []string) {
	ep := obj.(*api.Endpoints)
	var all []string
	for _, ss := range ep.Subsets {
		for _, a := range ss.Addresses {
			if len(ss.Ports) == 0 {
				all = append(all, a.IP)
			}
			for _, p := range ss.Ports {
				all = append(all, a.IP+":"+strconv.Itoa(int(p.Port)))
			}
		}
	}
	text := strings.Join(all, ",")
	if len(all) > maxEndpoints {
		text = strings.Join(all[:maxEndpoints], ",") + fmt.Sprintf(" + %d more...", len(all)-maxEndpoints)
	}
	return []string{orNone(text), age(ep.CreationTimestamp, now)}, nil
}

func eventCells(obj api.Object, now time.Time) (cells, wide []string) {
	e := obj.(*api.Event)
	obj2 := strings.ToLower(e.InvolvedObject.Kind) + "/" + e.InvolvedObject.Name
	return []string{eventLastSeen(e, now), e.Type, e.Reason, obj2, strings.TrimSpace(e.Message)}, nil
}

// eventTime is when an event last happened.
func eventTime(e *api.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp
	case !e.FirstTimestamp.IsZero():
		return e.FirstTimestamp
	}
	return e.CreationTimestamp
}

// eventLastSeen is how long ago an event last happened, and how often
// over how long, like "5s (x3 over 2m)".
func eventLastSeen(e *api.Event, now time.Time) string {
	seen := age(eventTime(e), now)
	if e.Count > 1 && !e.FirstTimestamp.IsZero() {
		seen += fmt.Sprintf(" (x%d over %s)", e.Count, age(e.FirstTimestamp, now))
	}
	return seen
}

func hpaCells(obj api.Object, now time.Time) (cells, wide []string) {
	h := obj.(*api.HorizontalPodAutoscaler)
	ref := h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name
	cells = []string{ref, hpaTargets(h), strconv.Itoa(int(int32Or(h.Spec.MinReplicas, 1))),
		strconv.Itoa(int(h.Spec.MaxReplicas)), strconv.Itoa(int(h.Status.CurrentReplicas)), age(h.CreationTimestamp, now)}
	return cells, nil
}

// hpaTargets shows each metric as current/target, like "cpu: 30%/50%".
func hpaTargets(h *api.HorizontalPodAutoscaler) string {
	var parts []string
	for _, m := range h.Spec.Metrics {
		if m.Resource == nil {
			continue
		}
		current, target := "<unknown>", ""
		var cur *api.MetricValueStatus
		for _, ms := range h.Status.CurrentMetrics {
			if ms.Resource != nil && ms.Resource.Name == m.Resource.Name {
				cur = &ms.Resource.Current
			}
		}
		if t := m.Resource.Target; t.AverageUtilization != nil {
			target = fmt.Sprintf("%d%%", *t.AverageUtilization)
			if cur != nil && cur.AverageUtilization != nil {
				current = fmt.Sprintf("%d%%", *cur.AverageUtilization)
			}
		} else {
			target = t.AverageValue
			if cur != nil && cur.AverageValue != "" {
				current = cur.AverageValue
			}
		}
		parts = append(parts, fmt.Sprintf("%s: %s/%s", m.Resource.Name, current, target))
	}
	return orNone(strings.Join(parts, ", "))
}

// accessModeNames are kubectl's abbreviations of the access modes.
var accessModeNames = map[api.PersistentVolumeAccessMode]string{
	api.ReadWriteOnce: "RWO", api.ReadOnlyMany: "ROX", api.ReadWriteMany: "RWX", api.ReadWriteOncePod: "RWOP",
}

func pvcCells(obj api.Object, now time.Time) (cells, wide []string) {
	pvc := obj.(*api.PersistentVolumeClaim)
	var modes []string
	for _, m := range pvc.Status.AccessModes {
		modes = append(modes, accessModeNames[m])
	}
	class := ""
	if pvc.Spec.StorageClassName != nil {
		class = *pvc.Spec.StorageClassName
	}
	cells = []string{string(pvc.Status.Phase), pvc.Spec.VolumeName, pvc.Status.Capacity[api.ResourceStorage],
		strings.Join(modes, ","), age(pvc.CreationTimestamp, now)}
	return cells, []string{orNone(class)}
}
