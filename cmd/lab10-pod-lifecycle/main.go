// Lab 10: the life of a pod: phases, the restart policy, CrashLoopBackOff,
// lifecycle hooks, graceful termination, liveness and readiness probes,
// all run by the podlet of the local cluster ("podlab up").
package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	. "github.com/podlab/podlab/core/steps"
)

func main() {
	var c *client.Client
	var crash runs // the runs of lab10-always-exit3, followed from the start
	Main(Lab{
		Number: "10",
		Name:   "pod-lifecycle",
		Title:  T("The life of a pod: phases, restart policy, back-off, hooks, termination, probes", "Pod 的一生：状态、重启策略、退避、生命周期钩子、优雅退出与探针"),
		Undo:   undo,
		After: T("Check it: sudo bin/checker run 10. Exercise: a pod whose preStop hook writes a file before shutdown (see labs/10-pod-lifecycle).",
			"检查：sudo bin/checker run 10。练习：写一个在退出前由 preStop 钩子写下文件的 Pod（见 labs/10-pod-lifecycle）。"),
		Steps: []Step{{
			Title:   T("Every row of the restart-policy table at once, in the namespace lab10", "一次创建重启策略表的每一行，放在命名空间 lab10 里"),
			Command: "podlab create namespace lab10; podlab apply -f restart-policy.yaml -f termination.yaml -f liveness.yaml",
			Why: T("A new pod is Pending: stored, but no node runs its containers yet. The scheduler binds it, the node's podlet starts it, and from then on the podlet alone decides, from the restartPolicy, what happens when a container ends.",
				"新建的 Pod 处于 Pending：已经保存，但还没有节点运行它的容器。调度器绑定它，节点上的 podlet 启动它；此后容器结束时怎么办，只由 podlet 根据 restartPolicy（重启策略）决定。"),
			Run: func(r *Run) (err error) {
				if c, err = connect(r.Ctx); err != nil {
					return err
				}
				if err := r.Created("namespace", ns); err != nil {
					return err
				}
				if err := r.Created("dir", hostDir()); err != nil {
					return err
				}
				if _, err := c.Namespaces().Create(r.Ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: ns}}); err != nil {
					return err
				}
				var all []*api.Pod
				for _, f := range []string{"restart-policy.yaml", "termination.yaml", "liveness.yaml"} {
					list, err := pods(f)
					if err != nil {
						return err
					}
					all = append(all, list...)
				}
				go crash.follow(context.Background(), c, "lab10-always-exit3")
				for _, p := range all {
					made, err := c.Pods(ns).Create(r.Ctx, p)
					if err != nil {
						return err
					}
					r.Value(made.Name, fmt.Sprintf("phase %q, node %q", made.Status.Phase, made.Spec.NodeName))
				}
				return nil
			},
		}, {
			Title:   T("Pending, Running, Succeeded, Failed: what each row becomes", "Pending、Running、Succeeded、Failed：每一行的结果"),
			Command: "podlab get pods -n lab10 -l lab10=restart-policy",
			Why: T("Always restarts every container that ends, so its pod never ends: Running, however often it crashes. OnFailure restarts only failures (an OOM kill, exit 137, is one). Never restarts nothing: the pod is Succeeded if every container exited 0, Failed if one did not, and Running while one still runs. Unknown is the phase of a pod whose node stopped reporting: lab 19 cuts a node off to show it.",
				"Always 会重启每个结束的容器，所以 Pod 永远不会结束：无论崩溃多少次都是 Running。OnFailure 只重启失败的容器（OOM 被杀、退出码 137 也算失败）。Never 什么都不重启：所有容器都以 0 退出则 Pod 为 Succeeded，有一个不是则为 Failed，还有容器在运行时为 Running。Unknown 是节点不再报告时 Pod 的状态：第 19 课会切断一个节点来演示。"),
			Run: func(r *Run) error {
				seen := make([]*api.Pod, len(table))
				errs := make([]error, len(table))
				var wg sync.WaitGroup
				for i, w := range table {
					wg.Go(func() { seen[i], errs[i] = wait(r.Ctx, c, w.pod, 60*time.Second, w.settled) })
				}
				wg.Wait()
				r.Value("policy, containers, exits", "phase seen | restarts per container")
				for i, w := range table {
					p := seen[i]
					if p == nil {
						return errs[i]
					}
					var restarts []string
					for _, s := range p.Status.ContainerStatuses {
						restarts = append(restarts, s.Summary())
					}
					r.Value(fmt.Sprintf("%-9s %d container(s), %s", p.Spec.RestartPolicy, len(p.Spec.Containers), w.exits),
						fmt.Sprintf("%s | %s", p.Status.Phase, strings.Join(restarts, "; ")))
					if errs[i] != nil {
						return errs[i]
					}
				}
				return nil
			},
		}, {
			Title:   T("postStart and preStop hooks", "postStart 与 preStop 钩子"),
			Command: "podlab apply -f hooks.yaml; podlab delete pod -n lab10 lab10-hooks; cat /run/podlab/lab10/hooks/order",
			Why: T("postStart runs next to the app, in no set order with it: an app that needs the hook's work must wait for it. preStop runs when the node stops the container (a delete, a failed liveness probe), before SIGTERM and within the grace period; it is not run when the container exits by itself.",
				"postStart 与应用同时运行，两者没有固定顺序：需要钩子结果的应用必须等它。preStop 在节点停止容器时（删除、存活探针失败）运行，在 SIGTERM 之前，并计入宽限期；容器自己退出时不会运行。"),
			Run: func(r *Run) error { return hooks(r, c) },
		}, {
			Title:   T("Graceful termination: SIGTERM, then SIGKILL after the grace period", "优雅退出：先 SIGTERM，宽限期后 SIGKILL"),
			Command: "podlab delete pod -n lab10 lab10-term-trap lab10-term-ignore; podlab get pod -n lab10 lab10-term-ignore -o yaml",
			Why: T("A delete only sets deletionTimestamp: the node sends SIGTERM and waits terminationGracePeriodSeconds (default 30) for the container to exit, then sends SIGKILL. A process that handles SIGTERM ends cleanly at once; one that ignores it dies after the grace period with exit code 137 (128 + 9). The finalizer keeps these two pods in the API so that their last status can be read.",
				"删除只是设置 deletionTimestamp：节点发送 SIGTERM，等待 terminationGracePeriodSeconds（默认 30 秒）让容器退出，然后发送 SIGKILL。处理 SIGTERM 的进程会立刻干净地退出；忽略它的进程在宽限期后被杀，退出码 137（128 + 9）。finalizer 让这两个 Pod 留在 API 中，以便读取它们最后的状态。"),
			Run: func(r *Run) error { return terminate(r, c) },
		}, {
			Title:   T("A liveness probe restarts a container that stopped being healthy", "存活探针（liveness）重启不再健康的容器"),
			Command: "podlab describe pod -n lab10 lab10-liveness; podlab events -n lab10",
			Why: T("After failureThreshold failed probes in a row the node kills the container (event Unhealthy, then Killing) and restarts it as restartPolicy says: restartCount goes up, lastState keeps the killed run.",
				"连续 failureThreshold 次探测失败后，节点杀掉容器（先有 Unhealthy 事件，再有 Killing 事件），并按 restartPolicy 重启它：restartCount 增加，lastState 记录被杀的那次运行。"),
			Run: func(r *Run) error {
				p, err := wait(r.Ctx, c, "lab10-liveness", 45*time.Second, func(p *api.Pod) bool {
					return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1
				})
				if p != nil && len(p.Status.ContainerStatuses) == 1 {
					r.Value("lab10-liveness", p.Status.ContainerStatuses[0].Summary())
				}
				for _, e := range events(r.Ctx, c, "lab10-liveness", "Unhealthy", "Killing") {
					r.Value("event", e)
				}
				return err
			},
		}, {
			Title:   T("A readiness probe gates the Ready condition", "就绪探针（readiness）控制 Ready 条件"),
			Command: "podlab apply -f readiness.yaml; podlab get pod -n lab10 lab10-readiness -w",
			Why: T("Until its readiness probe succeeds, a running container is not ready, and the pod's Ready condition is False: a Service sends it no traffic (lab 18). A failing readiness probe restarts nothing.",
				"在就绪探针成功之前，运行中的容器并不就绪，Pod 的 Ready 条件为 False：Service 不会把流量发给它（第 18 课）。就绪探针失败不会重启任何东西。"),
			Run: func(r *Run) error { return readiness(r, c) },
		}, {
			Title:   T("CrashLoopBackOff: the wait before each restart doubles", "CrashLoopBackOff：每次重启前的等待时间翻倍"),
			Command: "podlab get pod -n lab10 lab10-always-exit3 -w; podlab events -n lab10",
			Why: T("The first exit is restarted at once; after that the node waits 10 s, 20 s, 40 s ... up to 5 minutes (the podlet's --backoff-base and --backoff-max; podlab up keeps the kubelet's 10 s and 300 s), and shows the container as Waiting, reason CrashLoopBackOff. Ten minutes without a crash reset the curve.",
				"第一次退出会立即重启；之后节点依次等待 10 秒、20 秒、40 秒……最长 5 分钟（podlet 的 --backoff-base 与 --backoff-max；podlab up 沿用 kubelet 的 10 秒和 300 秒），期间容器显示为 Waiting，原因 CrashLoopBackOff。十分钟不再崩溃则曲线重新开始。"),
			Run: func(r *Run) error {
				p, err := wait(r.Ctx, c, "lab10-always-exit3", 60*time.Second, func(p *api.Pod) bool {
					s := p.Status.ContainerStatuses
					return len(s) == 1 && s[0].RestartCount >= 3 && s[0].State.Waiting != nil
				})
				if p != nil {
					crash.observe(p) // the last run, which the follower may not have seen yet
				}
				for _, line := range crash.report() {
					r.Value("lab10-always-exit3", line)
				}
				if p != nil && len(p.Status.ContainerStatuses) == 1 {
					s := p.Status.ContainerStatuses[0]
					r.Value("now", s.Summary())
					if s.State.Waiting != nil {
						r.Value("waiting", s.State.Waiting.Message)
					}
				}
				for _, e := range events(r.Ctx, c, "lab10-always-exit3", "BackOff") {
					r.Value("event", e)
				}
				return err
			},
		}},
	})
}
