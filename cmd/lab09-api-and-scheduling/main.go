// Lab 09: the control plane at work. A Pod applied is a JSON value in
// etcd; the scheduler binds it to a node that has room for the whole pod;
// that node's podlet runs it; nothing brings a bare pod back.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	. "github.com/podlab/podlab/core/steps"
	"github.com/podlab/podlab/workloads/manifests"
)

const ns = "lab09" // the lab's namespace: --cleanup deletes it and what is in it

func main() {
	var c *client.Client
	var nodes []*api.Node
	// create records a pod of the lab's manifests, then creates it.
	create := func(r *Run, manifest string, change func(*api.Pod)) (*api.Pod, error) {
		pod, err := manifests.Pod(manifest)
		if err == nil {
			change(pod)
			err = r.Created("pod", ns+"/"+pod.Name) // before it exists: a crash leaves nothing unrecorded
		}
		if err != nil {
			return nil, err
		}
		return c.Pods(ns).Create(r.Ctx, pod)
	}
	wait := func(r *Run, name string, cond func(*api.Pod) bool) (*api.Pod, error) {
		ctx, cancel := context.WithTimeout(r.Ctx, time.Minute)
		defer cancel()
		return client.WaitFor(ctx, c.Pods(ns), name, cond)
	}
	Main(Lab{
		Number: "09",
		Name:   "api-and-scheduling",
		Title:  T("The API server, etcd, the scheduler and the podlet: a Pod's way to a node", "API Server、etcd、调度器与 podlet：Pod 如何到达节点"),
		Undo:   undo,
		After: T("Check it: sudo bin/checker run 09. Exercise: a pod \"mine\" in namespace lab09 that lands on node2 (see labs/09-api-and-scheduling).",
			"检查：sudo bin/checker run 09。练习：在命名空间 lab09 里写一个落在 node2 上的 Pod \"mine\"（见 labs/09-api-and-scheduling）。"),
		Steps: []Step{{
			Title:   T("The nodes: capacity, allocatable and the Ready condition", "节点：容量（capacity）、可分配量（allocatable）与 Ready 状况"),
			Command: "podlab get nodes -o yaml",
			Why: T("Each podlet registers its Node and reports what it can offer: allocatable is what the scheduler may hand out (here all of the capacity: one CPU per host CPU), Ready=True with a fresh heartbeat says the node takes pods.",
				"每个 podlet 注册自己的 Node 并报告它能提供什么：allocatable 是调度器可以分配的量（这里等于全部容量：主机有几个 CPU 就是几个 CPU），Ready=True 且心跳新鲜，说明这个节点可以接收 Pod。"),
			Run: func(r *Run) (err error) {
				if c, err = connect(r.Ctx); err != nil {
					return err
				}
				if nodes, _, err = c.Nodes().List(r.Ctx, client.ListOptions{}); err == nil && len(nodes) < 2 {
					err = fmt.Errorf("this lab needs two nodes, the cluster has %d: sudo podlab down; sudo podlab up --nodes 2", len(nodes))
				}
				for _, n := range nodes {
					r.Value(n.Name, nodeLine(n))
				}
				return err
			},
		}, {
			Title:   T("Apply a Pod: the API server writes it into etcd", "提交一个 Pod：API Server 把它写进 etcd"),
			Command: "podlab apply -f namespace.yaml -f first.yaml",
			Why: T("The API server validated the Pod, set its uid and defaults, and stored it as JSON under /registry/pods/<namespace>/<name>. The revision of that write is the Pod's resourceVersion. At that revision nobody has acted yet: no spec.nodeName, phase Pending.",
				"API Server 校验了这个 Pod，给它分配 uid、填上默认值，再以 JSON 存到 /registry/pods/<命名空间>/<名字> 下。这次写入的 revision 就是 Pod 的 resourceVersion。在这个 revision 上还没有任何组件动过它：没有 spec.nodeName，状态 Pending。"),
			Run: func(r *Run) error {
				if err := r.Created("namespace", ns); err != nil {
					return err
				}
				_, err := c.Namespaces().Create(r.Ctx, &api.Namespace{TypeMeta: api.KindNamespace, ObjectMeta: api.ObjectMeta{Name: ns}})
				if err != nil && !client.IsAlreadyExists(err) {
					return err
				}
				pod, err := create(r, "lab09/first.yaml", func(*api.Pod) {})
				if err != nil {
					return err
				}
				r.Value("created", fmt.Sprintf("pod %s/%s, uid %s, resourceVersion %s", ns, pod.Name, pod.UID, pod.ResourceVersion))
				return showStored(r, ns, pod)
			},
		}, {
			Title:   T("The scheduler binds it, the podlet runs it", "调度器绑定它，podlet 运行它"),
			Command: "podlab get pod first -n lab09 -o wide; podlab describe pod first -n lab09",
			Why: T("Nobody sends the pod anywhere: the scheduler watches for pods without a node and writes a binding (spec.nodeName); the podlet of that node watches for pods bound to it, starts the sandbox and the containers, and writes the status. Each write is a new revision of the same etcd key.",
				"没有谁把 Pod \"发送\" 到节点：调度器监听（watch）没有节点的 Pod，写下绑定（spec.nodeName）；该节点的 podlet 监听绑定到自己的 Pod，启动沙箱和容器，再写回状态。每次写入都是同一个 etcd 键的一个新 revision。"),
			Run: func(r *Run) error {
				pod, err := wait(r, "first", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
				if err != nil {
					return fmt.Errorf("pod first is not Running: %w", err)
				}
				r.Value("pod first", fmt.Sprintf("spec.nodeName %s, phase %s, podIP %s", pod.Spec.NodeName, pod.Status.Phase, pod.Status.PodIP))
				showHistory(r, ns, pod)
				for _, e := range events(r.Ctx, c, ns, "first", "Started") {
					r.Value("event", e)
				}
				return nil
			},
		}, {
			Title:   T("The pod is the unit of scheduling: its containers' requests add up", "Pod 是原子调度单位：容器的 requests 要加起来算"),
			Command: "podlab apply -f too-big.yaml; podlab describe pod too-big -n lab09",
			Why: T("Each container alone would fit on any node, but a pod's containers all go to one node, so the scheduler needs a node with room for their sum. There is none: the pod stays Pending, PodScheduled=False (Unschedulable), and the FailedScheduling event says why for each node. It is tried again when the nodes change.",
				"每个容器单独都能放进任何一个节点，但一个 Pod 的所有容器必须去同一个节点，所以调度器要找能放下它们总和的节点。没有这样的节点：Pod 一直是 Pending，PodScheduled=False（Unschedulable），FailedScheduling 事件逐个节点说明原因。节点有变化时会再试。"),
			Run: func(r *Run) error {
				each := perContainer(nodes)
				pod, err := create(r, "lab09/too-big.yaml", func(p *api.Pod) {
					for i := range p.Spec.Containers {
						p.Spec.Containers[i].Resources.RequestList[api.ResourceCPU] = fmt.Sprintf("%dm", each)
					}
				})
				if err != nil {
					return err
				}
				r.Value("requests", fmt.Sprintf("containers a and b: cpu %dm each, %dm for the pod", each, 2*each))
				pod, err = wait(r, pod.Name, func(p *api.Pod) bool { return unschedulable(p) != nil })
				if err != nil {
					return fmt.Errorf("pod too-big has no PodScheduled=False condition: %w", err)
				}
				cond := unschedulable(pod)
				r.Value("pod too-big", fmt.Sprintf("phase %s, spec.nodeName %q, PodScheduled=%s %s: %s", pod.Status.Phase, pod.Spec.NodeName, cond.Status, cond.Reason, cond.Message))
				for _, e := range events(r.Ctx, c, ns, "too-big", "FailedScheduling") {
					r.Value("event", e)
				}
				return nil
			},
		}, {
			Title:   T("nodeSelector: a pod for the nodes with a label", "nodeSelector：只去带某个标签的节点"),
			Command: "podlab label node node2 disktype=ssd; podlab apply -f ssd.yaml",
			Why: T("nodeSelector is a filter: every key=value in it must equal a label of the node. Only node2 carries disktype=ssd, so the scheduler left node1 out and bound the pod to node2.",
				"nodeSelector 是一个过滤条件：其中每个 key=value 都必须与节点的某个标签完全相等。只有 node2 带着 disktype=ssd，所以调度器排除了 node1，把 Pod 绑定到 node2。"),
			Run: func(r *Run) error {
				node2, err := c.Nodes().Get(r.Ctx, "node2")
				if err == nil {
					err = label(r, c, r.Ctx, node2, "disktype", "ssd")
				}
				if err != nil {
					return err
				}
				if _, err := create(r, "lab09/ssd.yaml", func(*api.Pod) {}); err != nil {
					return err
				}
				pod, err := wait(r, "ssd", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
				if err != nil {
					return fmt.Errorf("pod ssd is not Running: %w", err)
				}
				if node2, err = c.Nodes().Get(r.Ctx, "node2"); err == nil {
					r.Value("node2", "labels "+fmt.Sprint(node2.Labels))
				}
				r.Value("pod ssd", fmt.Sprintf("nodeSelector %v, spec.nodeName %s, phase %s", pod.Spec.NodeSelector, pod.Spec.NodeName, pod.Status.Phase))
				r.Command("podlab get nodes -l disktype=ssd; podlab get pods -n lab09 -o wide")
				return nil
			},
		}, {
			Title:   T("A bare pod is not recreated", "裸 Pod 删除后不会被重建"),
			Command: "podlab delete pod first -n lab09; podlab get pods -n lab09",
			Why: T("The podlet stopped the containers (Killing) and removed the pod; the API server deleted its key. No controller owns a bare pod, so nothing makes it again: the same is true when its node dies. A ReplicaSet (lab 12) is what keeps pods coming back.",
				"podlet 停止了容器（Killing）并移除了 Pod；API Server 删除了它的键。裸 Pod 没有控制器管理，所以没有谁会重建它：节点宕机时也一样。让 Pod 回来的是 ReplicaSet（第 12 课）。"),
			Run: func(r *Run) error { return deleteAndWatch(r, c, "first") },
		}},
	})
}

// perContainer is the CPU request, in millicores, that one container of
// too-big asks for: three quarters of the largest node's allocatable CPU
// (1500m of 2000m), so one fits anywhere and two fit nowhere.
func perContainer(nodes []*api.Node) int64 {
	var most int64
	for _, n := range nodes {
		cpu, _ := api.ParseCPU(n.Status.Allocatable[api.ResourceCPU])
		most = max(most, cpu)
	}
	return most * 3 / 4 / 100 * 100
}

// unschedulable is the pod's PodScheduled=False condition, or nil.
func unschedulable(p *api.Pod) *api.PodCondition {
	for i, cond := range p.Status.Conditions {
		if cond.Type == api.PodScheduled && cond.Status == api.ConditionFalse {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}
