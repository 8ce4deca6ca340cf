// Lab 11: the patterns of a pod's containers: init containers that run in
// order before the app (the war into Tomcat), a sidecar log collector, an
// ambassador on localhost and an adapter, on the local cluster.
package main

import (
	"fmt"
	"strings"

	"github.com/podlab/podlab/core/api"
	. "github.com/podlab/podlab/core/steps"
)

func main() {
	c := mustConnect()
	var backend *api.Pod
	Main(Lab{
		Number: "11",
		Name:   "container-patterns",
		Title:  T("Container patterns: init containers, sidecar, ambassador, adapter", "容器设计模式：Init 容器、边车（Sidecar）、大使（Ambassador）、适配器（Adapter）"),
		Undo:   map[string]Undo{"pod": undo},
		After: T("Check it: sudo bin/checker run 11. Exercise: an init container that prepares the config the app reads (see labs/11-container-patterns).",
			"检查：sudo bin/checker run 11。练习：用 Init 容器准备应用要读的配置（见 labs/11-container-patterns）。"),
		Steps: []Step{{
			Title:   T("Init containers run one at a time, in order, before the app", "Init 容器一个接一个、按顺序、在应用之前运行"),
			Command: "podlab apply -f workloads/manifests/lab11/war.yaml; podlab get pod lab11-war -o yaml",
			Why: T("The war into Tomcat: the server image knows nothing of the application. fetch puts sample.war into an emptyDir, deploy unpacks it into the web root, and only then does the server start. deploy needs what fetch made: each init container must exit 0 before the next one starts, and the pod stays Pending (Init:0/2, Init:1/2) until all have.",
				"把 war 包放进 Tomcat：服务器镜像对应用一无所知。fetch 把 sample.war 放进 emptyDir，deploy 把它解压到网站根目录，然后服务器才启动。deploy 依赖 fetch 的产物：每个 Init 容器必须以 0 退出，下一个才会启动；在它们全部完成之前 Pod 一直是 Pending（Init:0/2、Init:1/2）。"),
			Run: func(r *Run) error {
				war, err := c.start(r, "lab11/war.yaml", nil)
				if err != nil {
					return err
				}
				for _, s := range war.Status.InitContainerStatuses {
					r.Value("init container "+s.Name, state(s))
				}
				server := war.Status.ContainerStatuses[0]
				r.Value("container "+server.Name, state(server))
				return nil
			},
		}, {
			Title:   T("The server serves what the init containers left", "服务器提供 Init 容器留下的内容"),
			Command: "podlab logs lab11-war -c deploy; podlab exec lab11-war -c server -- wget -qO- http://localhost:8080/sample/index.html",
			Why: T("An init container's log stays after it exits. The server mounts the webapps volume read-only and serves it: the artifact came in through the shared volume, so the server's image stays generic and the application can change without rebuilding it.",
				"Init 容器退出后，它的日志还在。服务器以只读方式挂载 webapps 卷并提供其中的内容：制品是通过共享卷进来的，所以服务器镜像保持通用，应用变了也不用重新构建它。"),
			Run: func(r *Run) error {
				deployed, err := c.logs(r.Ctx, "lab11-war", "deploy", -1)
				r.Value("podlab logs lab11-war -c deploy", strings.ReplaceAll(deployed, "\n", " | "))
				if err != nil {
					return err
				}
				page, err := c.execRetry(r.Ctx, "lab11-war", "server", "wget", "-qO-", "http://localhost:8080/sample/index.html")
				r.Value("GET http://localhost:8080/sample/index.html", page)
				return err
			},
		}, {
			Title:   T("A sidecar log collector: an init container with restartPolicy: Always", "边车日志收集器：restartPolicy: Always 的 Init 容器"),
			Command: "podlab apply -f workloads/manifests/lab11/sidecar.yaml; podlab logs lab11-sidecar -c collector",
			Why: T("The app writes its log to a file in an emptyDir, not to stdout. The collector, a native sidecar, starts before the app (the next container does not wait for it to exit, only for it to start), tails the file and prints it: its stdout is the log the node keeps. It runs as long as the pod, and is restarted whatever the pod's restartPolicy.",
				"应用把日志写进 emptyDir 里的文件，而不是标准输出。收集器是原生边车（Sidecar）：它在应用之前启动（下一个容器不等它退出，只等它启动），tail 这个文件并打印出来：它的标准输出就是节点保存的日志。它和 Pod 同生共死，不论 Pod 的重启策略是什么都会被重启。"),
			Run: func(r *Run) error {
				p, err := c.start(r, "lab11/sidecar.yaml", nil)
				if err != nil {
					return err
				}
				r.Value("collector (restartPolicy: "+string(*p.Spec.InitContainers[0].RestartPolicy)+")", state(p.Status.InitContainerStatuses[0]))
				r.Value("app", state(p.Status.ContainerStatuses[0]))
				last, err := c.execRetry(r.Ctx, "lab11-sidecar", "app", "tail", "-n", "1", "/var/log/app/app.log")
				r.Value("the app's file /var/log/app/app.log, last line", last)
				if err != nil {
					return err
				}
				out, err := c.logsWith(r.Ctx, "lab11-sidecar", "collector", last)
				r.Value("podlab logs lab11-sidecar -c collector --tail 3", strings.ReplaceAll(out, "\n", " | "))
				return err
			},
		}, {
			Title:   T("An ambassador: the app talks to localhost, the ambassador to the backend", "大使模式：应用只和 localhost 说话，大使和后端说话"),
			Command: "podlab apply -f workloads/manifests/lab11/backend.yaml; podlab apply -f workloads/manifests/lab11/ambassador.yaml; podlab exec lab11-ambassador -c app -- wget -qO- http://localhost:9000/",
			Why: T("All the pod's containers share the pause's network namespace: one IP, one localhost. The ambassador listens on localhost:9000 and forwards each connection to the backend, whose address only it knows. The app stays simple; moving the backend, adding TLS or retries changes the ambassador only.",
				"Pod 的所有容器共享 pause 的网络命名空间（Network Namespace）：同一个 IP，同一个 localhost。大使容器在 localhost:9000 监听，把每个连接转发给后端，只有它知道后端的地址。应用保持简单；后端搬家、加 TLS 或重试，都只需改大使。"),
			Run: func(r *Run) (err error) {
				if backend, err = c.start(r, "lab11/backend.yaml", nil); err != nil {
					return err
				}
				r.Value("backend", fmt.Sprintf("lab11-backend at %s:8080 on %s", backend.Status.PodIP, backend.Spec.NodeName))
				amb, err := c.start(r, "lab11/ambassador.yaml", func(p *api.Pod) {
					p.Spec.Containers[1].Env[0].Value = backend.Status.PodIP
					p.Spec.NodeSelector["kubernetes.io/hostname"] = backend.Spec.NodeName
				})
				if err != nil {
					return err
				}
				if in, err := c.inspect(r.Ctx, amb.Name); err == nil {
					for _, ctr := range in.Containers {
						r.Value("net namespace of "+ctr.Name, fmt.Sprintf("%d (the pause's: %d)", ctr.Namespaces["net"], in.Sandbox.Namespaces["net"]))
					}
				}
				answer, err := c.execRetry(r.Ctx, amb.Name, "app", "wget", "-qO-", "http://localhost:9000/")
				r.Value("GET http://localhost:9000/ in the app container", strings.ReplaceAll(answer, "\n", " | "))
				return err
			},
		}, {
			Title:   T("An adapter: the app's format in, Prometheus text out", "适配器模式：读入应用自己的格式，输出 Prometheus 文本"),
			Command: "podlab apply -f workloads/manifests/lab11/adapter.yaml; podlab exec lab11-adapter -c app -- cat /status/status; podlab exec lab11-adapter -c app -- wget -qO- http://localhost:9100/metrics",
			Why: T("The app keeps its counters as name=value lines; monitoring wants one format from every app. The adapter reads the app's file from the shared volume and serves it converted on :9100: the outside sees a standard interface, and the app does not change.",
				"应用用 name=value 行记录计数；监控系统希望所有应用都用同一种格式。适配器从共享卷读取应用的文件，转换后在 :9100 上提供：外界看到的是标准接口，应用本身不用改。"),
			Run: func(r *Run) error {
				if _, err := c.start(r, "lab11/adapter.yaml", nil); err != nil {
					return err
				}
				metrics, err := c.execRetry(r.Ctx, "lab11-adapter", "app", "wget", "-qO-", "http://localhost:9100/metrics")
				status, _ := c.exec(r.Ctx, "lab11-adapter", "app", "cat", "/status/status")
				r.Value("the app's /status/status", strings.ReplaceAll(status, "\n", " | "))
				r.Value("GET http://localhost:9100/metrics", strings.ReplaceAll(metrics, "\n", " | "))
				return err
			},
		}},
	})
}
