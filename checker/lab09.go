package checker

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	podcluster "github.com/podlab/podlab/core/cluster"
)

// Lab 09: the API server and etcd, the scheduler, the podlet. What the
// API says is compared with what etcd stores (read with the plain etcd
// client, as etcdctl would) and with what runs on the node (its node
// API's inspect); events say who did what. On a cluster of machines
// (Vagrant), etcd is read on the control-plane machine, where it listens
// on loopback; elsewhere the check that needs it does not apply.

const (
	lab09NS   = "lab09"
	hintLab09 = "run the lab: sudo bin/lab09-api-and-scheduling --auto (on a cluster: sudo podlab up)"
)

func lab09() []Check {
	return []Check{
		{ID: "09.stored-in-etcd", Lab: "09", Points: 2,
			Title:         "the lab's pods are JSON values in etcd under /registry/pods/lab09/<name>, their revision the resourceVersion",
			NotApplicable: lab09EtcdHere,
			Run:           checkStoredInEtcd},
		{ID: "09.bound-and-running", Lab: "09", Points: 3,
			Title: "pod ssd was bound by the scheduler and runs on its node: Running in the API, events Scheduled/Pulled/Created/Started, its pause alive on the node",
			Run:   checkBoundAndRunning},
		{ID: "09.pod-is-the-unit", Lab: "09", Points: 3,
			Title: "pod too-big stays Pending and Unschedulable: each container fits a node, their sum fits none",
			Run:   checkPodIsTheUnit},
		{ID: "09.node-selector", Lab: "09", Points: 2,
			Title: "pod ssd runs on the node whose labels match its nodeSelector, and a Ready node without them exists",
			Run:   checkNodeSelector},
		{ID: "09.bare-pod-gone", Lab: "09", Points: 2,
			Title: "the bare pod first ran, was deleted, and nothing made it again: not in the API, not in etcd",
			Run:   checkBarePodGone},
		{ID: "09.exercise-chosen-node", Lab: "09", Points: 2, Exercise: true,
			Title: "your pod mine in namespace lab09 was sent to node2 by its spec (nodeSelector or nodeName) and its pause runs there",
			Run:   checkChosenNode},
	}
}

// controlPlaneEtcd is where a cluster of machines keeps its etcd:
// podlab-server's embedded etcd, on the control-plane machine's loopback
// (cluster.UnitServerFlags). A variable, so that tests can point it at an
// etcd of their own.
var controlPlaneEtcd = podcluster.DefaultEtcdClientURL

// lab09Etcd connects to the cluster's etcd, once it has answered: the
// local cluster's, whose client URL "podlab up" recorded in the cluster's
// state, or, without local state, controlPlaneEtcd, which answers on the
// control-plane machine of a cluster of machines.
func lab09Etcd(ctx context.Context) (*clientv3.Client, error) {
	st, err := podcluster.Load()
	if err != nil {
		return nil, err
	}
	url, where := controlPlaneEtcd, "no local cluster state, and no control plane's etcd on this machine"
	if st != nil {
		url, where = st.Config.EtcdClientURL, "the local cluster's etcd"
	}
	db, err := clientv3.New(clientv3.Config{Endpoints: []string{url}, DialTimeout: 3 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", where, url, err)
	}
	// The client connects lazily: ask once, so that an etcd that is not
	// there fails now rather than at the check's time limit.
	probe, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := db.Get(probe, "/registry/", clientv3.WithPrefix(), clientv3.WithCountOnly()); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s at %s: %w", where, url, err)
	}
	return db, nil
}

// lab09EtcdHere is the NotApplicable of the check that reads etcd. A
// cluster of machines serves etcd on its control plane's loopback only:
// there the check applies on the control-plane machine, not on a node.
func lab09EtcdHere(ctx context.Context) string {
	if !onMachines(ctx) {
		return ""
	}
	db, err := lab09Etcd(ctx)
	if err != nil {
		return fmt.Sprintf("it reads etcd, which a cluster of machines serves on its control plane's loopback only: run the checker on the control-plane machine (vagrant ssh control -c 'sudo checker run 09'); here: %v", err)
	}
	db.Close()
	return ""
}

// lab09PodEvents are the events of a pod in ns, by reason; the selector
// names it by name, or by uid: a pod made again under the same name is
// another pod, with events of its own.
func lab09PodEvents(ctx context.Context, c *cluster, ns, selector string) (map[string]*api.Event, error) {
	list, _, err := c.api.Events(ns).List(ctx, client.ListOptions{FieldSelector: selector})
	byReason := map[string]*api.Event{}
	for _, e := range list {
		if e.InvolvedObject.Kind == "Pod" {
			byReason[e.Reason] = e
		}
	}
	return byReason, err
}

func lab09Reasons(events map[string]*api.Event) string {
	if len(events) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(events)), ", ")
}

// judgeStored is where the checks that read etcd start: it connects to
// the cluster's etcd, or fails with hintNoCluster, and has judge compare
// each of items with what etcd stores. It passes when judge finds every
// item as wanted, with the evidence of each, and fails with hint
// otherwise. A judge that returns a stop result ends the check with it.
func judgeStored[T any](ctx context.Context, items []T, hint string, judge func(db *clientv3.Client, item T) (evidence string, ok bool, stop *Result)) Result {
	db, err := lab09Etcd(ctx)
	if err != nil {
		return fail(hintNoCluster, err.Error())
	}
	defer db.Close()
	var evidence []string
	ok := true
	for _, item := range items {
		ev, good, stop := judge(db, item)
		if stop != nil {
			return *stop
		}
		evidence = append(evidence, ev)
		ok = ok && good
	}
	return passIf(ok, hint, evidence...)
}

func checkStoredInEtcd(ctx context.Context) Result {
	c, bad := connectCluster()
	if bad != nil {
		return *bad
	}
	return judgeStored(ctx, []string{"ssd", "too-big"}, "etcd must hold each pod as the API serves it; "+hintLab09,
		func(db *clientv3.Client, name string) (string, bool, *Result) {
			p, bad := c.pod(ctx, lab09NS, name, hintLab09)
			if bad != nil {
				return "", false, bad
			}
			key := "/registry/pods/" + lab09NS + "/" + name
			resp, err := db.Get(ctx, key)
			if err != nil {
				r := fail(hintLab09, fmt.Sprintf("etcd get %s: %v", key, err))
				return "", false, &r
			}
			if len(resp.Kvs) == 0 {
				r := fail(hintLab09, fmt.Sprintf("etcd get %s: no such key", key))
				return "", false, &r
			}
			kv := resp.Kvs[0]
			var stored api.Pod
			err = json.Unmarshal(kv.Value, &stored)
			first, _ := db.Get(ctx, key, clientv3.WithRev(kv.CreateRevision))
			var created api.Pod
			if first != nil && len(first.Kvs) > 0 {
				json.Unmarshal(first.Kvs[0].Value, &created)
			}
			evidence := fmt.Sprintf("%s: %d bytes of JSON at revision %d (API resourceVersion %s), uid %s (API %s); at its creation (revision %d): spec.nodeName %q, phase %q",
				key, len(kv.Value), kv.ModRevision, p.ResourceVersion, stored.UID, p.UID, kv.CreateRevision, created.Spec.NodeName, created.Status.Phase)
			ok := err == nil && stored.UID == p.UID && strconv.FormatInt(kv.ModRevision, 10) == p.ResourceVersion &&
				created.UID == p.UID && created.Spec.NodeName == "" && created.Status.Phase == api.PodPending
			return evidence, ok, nil
		})
}

func checkBoundAndRunning(ctx context.Context) Result {
	c, p, bad := connectPod(ctx, lab09NS, "ssd", hintLab09)
	if bad != nil {
		return *bad
	}
	events, err := lab09PodEvents(ctx, c, lab09NS, "involvedObject.uid="+p.UID)
	evidence := []string{fmt.Sprintf("pod %s/ssd: spec.nodeName %q, phase %s, events %s", lab09NS, p.Spec.NodeName, p.Status.Phase, lab09Reasons(events))}
	if err != nil {
		evidence = append(evidence, err.Error())
	}
	ok := p.Spec.NodeName != "" && p.Status.Phase == api.PodRunning
	if e := events["Scheduled"]; e == nil || e.Source.Component != "default-scheduler" || !strings.HasSuffix(e.Message, " to "+p.Spec.NodeName) {
		ok = false
	} else {
		evidence = append(evidence, "Scheduled ("+e.Source.Component+"): "+e.Message)
	}
	for _, reason := range []string{"Pulled", "Created", "Started"} {
		if e := events[reason]; e == nil || e.Source.Host != p.Spec.NodeName && e.Source.Host != "" {
			ok = false
		}
	}
	ins, err := c.inspect(ctx, p)
	if err != nil {
		return fail(hintLab09, append(evidence, err.Error())...)
	}
	evidence = append(evidence, fmt.Sprintf("node %s inspects it: pause pid %d alive %v, %d container(s)", p.Spec.NodeName, ins.Sandbox.PID, ins.Sandbox.Alive, len(ins.Containers)))
	for _, ct := range ins.Containers {
		ok = ok && ct.Alive
	}
	return passIf(ok && ins.Sandbox.Alive && len(ins.Containers) > 0,
		"the pod must be bound by default-scheduler, started by the podlet and running on its node; "+hintLab09, evidence...)
}

func checkPodIsTheUnit(ctx context.Context) Result {
	c, p, bad := connectPod(ctx, lab09NS, "too-big", hintLab09)
	if bad != nil {
		return *bad
	}
	nodes, _, err := c.api.Nodes().List(ctx, client.ListOptions{})
	if err != nil || len(nodes) == 0 {
		return fail(hintNoCluster, fmt.Sprintf("nodes: %d, %v", len(nodes), err))
	}
	cond := podCondition(p, api.PodScheduled)
	evidence := []string{fmt.Sprintf("pod %s/too-big: phase %s, spec.nodeName %q, PodScheduled %+v", lab09NS, p.Status.Phase, p.Spec.NodeName, cond)}
	ok := p.Status.Phase == api.PodPending && p.Spec.NodeName == "" && cond != nil && cond.Status == api.ConditionFalse && cond.Reason == "Unschedulable"
	var sum, biggest int64
	var each []string
	for _, ct := range p.Spec.Containers {
		cpu, _ := api.ParseCPU(ct.Resources.RequestList[api.ResourceCPU])
		sum += cpu
		biggest = max(biggest, cpu)
		each = append(each, fmt.Sprintf("%s %dm", ct.Name, cpu))
	}
	evidence = append(evidence, fmt.Sprintf("CPU requests: %s, %dm for the pod", strings.Join(each, ", "), sum))
	fitsOne := false
	for _, n := range nodes {
		alloc, _ := api.ParseCPU(n.Status.Allocatable[api.ResourceCPU])
		evidence = append(evidence, fmt.Sprintf("node %s: allocatable cpu %dm", n.Name, alloc))
		fitsOne = fitsOne || biggest <= alloc
		ok = ok && sum > alloc // the whole pod fits no node
	}
	ok = ok && len(p.Spec.Containers) > 1 && fitsOne
	events, _ := lab09PodEvents(ctx, c, lab09NS, "involvedObject.uid="+p.UID)
	e := events["FailedScheduling"]
	if e == nil {
		ok = false
		evidence = append(evidence, "no FailedScheduling event; events: "+lab09Reasons(events))
	} else {
		evidence = append(evidence, "FailedScheduling ("+e.Source.Component+"): "+e.Message)
		for _, n := range nodes {
			ok = ok && strings.Contains(e.Message, n.Name+": ")
		}
	}
	return passIf(ok, "the pod needs containers that each fit a node but not together, and must stay Unschedulable; "+hintLab09, evidence...)
}

// selects tells whether every key=value of selector is a label of n.
func lab09Selects(selector map[string]string, n *api.Node) bool {
	for k, v := range selector {
		if got, ok := n.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func lab09Ready(n *api.Node) bool {
	for _, cond := range n.Status.Conditions {
		if cond.Type == api.NodeReady {
			return cond.Status == api.ConditionTrue
		}
	}
	return false
}

func checkNodeSelector(ctx context.Context) Result {
	c, p, bad := connectPod(ctx, lab09NS, "ssd", hintLab09)
	if bad != nil {
		return *bad
	}
	nodes, _, err := c.api.Nodes().List(ctx, client.ListOptions{})
	if err != nil {
		return fail(hintNoCluster, err.Error())
	}
	evidence := []string{fmt.Sprintf("pod %s/ssd: nodeSelector %v, spec.nodeName %q, phase %s", lab09NS, p.Spec.NodeSelector, p.Spec.NodeName, p.Status.Phase)}
	onMatching, otherReady := false, false
	for _, n := range nodes {
		match := lab09Selects(p.Spec.NodeSelector, n)
		evidence = append(evidence, fmt.Sprintf("node %s: Ready %v, labels %v, matches: %v", n.Name, lab09Ready(n), n.Labels, match))
		onMatching = onMatching || n.Name == p.Spec.NodeName && match
		otherReady = otherReady || !match && lab09Ready(n)
	}
	return passIf(len(p.Spec.NodeSelector) > 0 && onMatching && otherReady && p.Status.Phase == api.PodRunning,
		"label a node (podlab label node node2 disktype=ssd) and run a pod with that nodeSelector; "+hintLab09, evidence...)
}

func checkBarePodGone(ctx context.Context) Result {
	c, bad := connectCluster()
	if bad != nil {
		return *bad
	}
	events, err := lab09PodEvents(ctx, c, lab09NS, "involvedObject.name=first")
	if err != nil {
		return fail(hintLab09, err.Error())
	}
	evidence := []string{fmt.Sprintf("events of pod %s/first: %s", lab09NS, lab09Reasons(events))}
	_, getErr := c.api.Pods(lab09NS).Get(ctx, "first")
	evidence = append(evidence, fmt.Sprintf("GET pod %s/first: %v", lab09NS, getErr))
	ok := events["Started"] != nil && events["Killing"] != nil && client.IsNotFound(getErr)
	// etcd as well, wherever it can be read: on a node of a cluster of
	// machines it cannot, and the API's answer is all there is.
	switch db, err := lab09Etcd(ctx); {
	case err == nil:
		resp, err := db.Get(ctx, "/registry/pods/"+lab09NS+"/first")
		db.Close()
		if err != nil {
			return fail(hintLab09, append(evidence, err.Error())...)
		}
		evidence = append(evidence, fmt.Sprintf("etcd: %d key(s) /registry/pods/%s/first", resp.Count, lab09NS))
		ok = ok && resp.Count == 0
	case onMachines(ctx):
		evidence = append(evidence, "etcd not read: "+err.Error())
	default:
		return fail(hintNoCluster, append(evidence, err.Error())...)
	}
	return passIf(ok, "the pod must have run, been deleted, and stayed gone; "+hintLab09, evidence...)
}

// The exercise: a pod "mine" in lab09, placed on node2 by its own spec,
// running there. With nodeName set by hand the scheduler never saw it (no
// Scheduled event); with a nodeSelector, node2 matches it and another
// node does not.
func checkChosenNode(ctx context.Context) Result {
	const hint = "apply a pod named mine in namespace lab09 with nodeSelector kubernetes.io/hostname: node2 (or spec.nodeName: node2), see labs/09-api-and-scheduling"
	c, p, bad := connectPod(ctx, lab09NS, "mine", hint)
	if bad != nil {
		return *bad
	}
	nodes, _, err := c.api.Nodes().List(ctx, client.ListOptions{})
	if err != nil {
		return fail(hintNoCluster, err.Error())
	}
	events, _ := lab09PodEvents(ctx, c, lab09NS, "involvedObject.uid="+p.UID)
	evidence := []string{fmt.Sprintf("pod %s/mine: spec.nodeName %q, nodeSelector %v, phase %s, events %s", lab09NS, p.Spec.NodeName, p.Spec.NodeSelector, p.Status.Phase, lab09Reasons(events))}
	chosen := false
	switch {
	case len(p.Spec.NodeSelector) > 0:
		only := true
		for _, n := range nodes {
			if n.Name != "node2" && lab09Selects(p.Spec.NodeSelector, n) {
				only = false
			}
		}
		chosen = only && slices.ContainsFunc(nodes, func(n *api.Node) bool { return n.Name == "node2" && lab09Selects(p.Spec.NodeSelector, n) })
		evidence = append(evidence, fmt.Sprintf("the nodeSelector matches node2 alone: %v", chosen))
	case events["Scheduled"] == nil:
		chosen = true
		evidence = append(evidence, "no Scheduled event: spec.nodeName was set in the manifest, the scheduler skipped it")
	default:
		evidence = append(evidence, "the scheduler chose the node, not the pod's spec")
	}
	if p.Spec.NodeName != "node2" || p.Status.Phase != api.PodRunning || !chosen {
		return fail(hint, evidence...)
	}
	ins, err := c.inspect(ctx, p)
	if err != nil {
		return fail(hint, append(evidence, err.Error())...)
	}
	evidence = append(evidence, fmt.Sprintf("node2 inspects it: pause pid %d alive %v", ins.Sandbox.PID, ins.Sandbox.Alive))
	return passIf(ins.Sandbox.Alive, hint, evidence...)
}
