package checker

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/ns"
	"github.com/podlab/podlab/core/podlet"
)

// Lab 11: container patterns. Init containers that run in order before
// the app (the war into Tomcat), a native sidecar that collects a log
// file, an ambassador on localhost, an adapter. Each check reads the
// pod's status from the API server, what runs from the node's /inspect,
// and asks the containers themselves through the node API (exec, logs),
// as "podlab exec" and "podlab logs" do.

const (
	lab11NS   = "default"
	hintLab11 = "run the lab: sudo bin/lab11-container-patterns (on a cluster: sudo podlab up)"
)

func lab11() []Check {
	return []Check{
		{ID: "11.init-order", Lab: "11", Points: 3,
			Title: "lab11-war: its init containers terminated Completed one after the other, in spec order, before the server started",
			Run:   checkInitOrder},
		{ID: "11.init-artifact-served", Lab: "11", Points: 2,
			Title: "lab11-war: the server serves the application the init containers put into the shared volume",
			Run:   checkArtifactServed},
		{ID: "11.sidecar-log-collector", Lab: "11", Points: 3,
			Title: "lab11-sidecar: a native sidecar, started before the app, prints the log file the app writes into a shared emptyDir",
			Run:   checkLogCollector},
		{ID: "11.ambassador-localhost", Lab: "11", Points: 3,
			Title: "lab11-ambassador: the app reaches lab11-backend through localhost:9000, the ambassador in the same network namespace",
			Run:   checkAmbassador},
		{ID: "11.adapter", Lab: "11", Points: 2,
			Title: "lab11-adapter: the adapter serves the app's name=value status file as Prometheus text on localhost:9100",
			Run:   checkAdapter},
		{ID: "11.exercise-init-config", Lab: "11", Points: 2, Exercise: true,
			Title: "a pod of your own: an init container writes a config file into an emptyDir, and the app, started after it completed, prints or serves it",
			Run:   checkInitConfig},
	}
}

// lab11Exec runs a command in a container through the node API and
// returns its standard output.
func lab11Exec(ctx context.Context, c *cluster, namespace, pod, container string, command ...string) (string, error) {
	_, nc, err := podlet.LocatePod(ctx, c.api, podlet.DefaultNodeAPIPort, c.token, namespace, pod)
	if err != nil {
		return "", err
	}
	return nc.ExecOutput(ctx, namespace, pod, container, command...)
}

// lab11Logs returns the whole log of a container from its node.
func lab11Logs(ctx context.Context, c *cluster, namespace, pod, container string) (string, error) {
	_, nc, err := podlet.LocatePod(ctx, c.api, podlet.DefaultNodeAPIPort, c.token, namespace, pod)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	err = nc.Logs(ctx, namespace, pod, container, podlet.LogOptions{TailLines: -1}, &out)
	return out.String(), err
}

// hasLine tells whether text has line as one of its lines.
func hasLine(text, line string) bool {
	return line != "" && slices.Contains(strings.Split(text, "\n"), line)
}

// statusOf finds the status of container name among statuses.
func statusOf(statuses []api.ContainerStatus, name string) *api.ContainerStatus {
	i := slices.IndexFunc(statuses, func(s api.ContainerStatus) bool { return s.Name == name })
	if i < 0 {
		return nil
	}
	return &statuses[i]
}

// completed tells whether s terminated with exit code 0, reason Completed.
func completed(s *api.ContainerStatus) bool {
	t := s.State.Terminated
	return t != nil && t.ExitCode == 0 && t.Reason == "Completed"
}

const clock11 = "15:04:05.000000"

func describeState(name string, s *api.ContainerStatus) string {
	switch {
	case s == nil:
		return name + ": no status"
	case s.State.Terminated != nil:
		t := s.State.Terminated
		return fmt.Sprintf("%s: terminated %s (exit %d), %s → %s", name, t.Reason, t.ExitCode, t.StartedAt.Format(clock11), t.FinishedAt.Format(clock11))
	case s.State.Running != nil:
		return fmt.Sprintf("%s: running since %s", name, s.State.Running.StartedAt.Format(clock11))
	case s.State.Waiting != nil:
		return fmt.Sprintf("%s: waiting (%s)", name, s.State.Waiting.Reason)
	}
	return name + ": no state"
}

// aliveIn tells whether the node's /inspect shows container name running.
func aliveIn(in *podlet.PodInspection, name string) bool {
	return slices.ContainsFunc(in.Containers, func(c podlet.ContainerInspection) bool { return c.Name == name && c.Alive })
}

func checkInitOrder(ctx context.Context) Result {
	c, p, r := connectPod(ctx, lab11NS, "lab11-war", hintLab11)
	if r != nil {
		return *r
	}
	var evidence []string
	if len(p.Spec.InitContainers) < 2 || len(p.Spec.Containers) == 0 {
		return fail(hintLab11, fmt.Sprintf("lab11-war has %d init containers and %d containers; the lab's has 2 and 1", len(p.Spec.InitContainers), len(p.Spec.Containers)))
	}
	ok := true
	var prevEnd time.Time
	for _, ic := range p.Spec.InitContainers {
		s := statusOf(p.Status.InitContainerStatuses, ic.Name)
		evidence = append(evidence, describeState("init "+ic.Name, s))
		if s == nil || !completed(s) {
			ok = false
			continue
		}
		t := s.State.Terminated
		if t.StartedAt.Before(prevEnd) {
			ok = false
			evidence = append(evidence, fmt.Sprintf("%s started before the init container before it finished", ic.Name))
		}
		prevEnd = t.FinishedAt
	}
	server := p.Spec.Containers[0].Name
	s := statusOf(p.Status.ContainerStatuses, server)
	evidence = append(evidence, describeState(server, s))
	if s == nil || s.State.Running == nil || s.State.Running.StartedAt.Before(prevEnd) {
		ok = false
		evidence = append(evidence, "the server must run, started after the last init container finished")
	}
	if in, err := c.inspect(ctx, p); err != nil || !aliveIn(in, server) {
		ok = false
		evidence = append(evidence, fmt.Sprintf("the node does not show %s alive (%v)", server, err))
	} else {
		evidence = append(evidence, fmt.Sprintf("node %s: %s is alive", p.Spec.NodeName, server))
	}
	return passIf(ok, hintLab11, evidence...)
}

func checkArtifactServed(ctx context.Context) Result {
	c, p, r := connectPod(ctx, lab11NS, "lab11-war", hintLab11)
	if r != nil {
		return *r
	}
	page, err := lab11Exec(ctx, c, p.Namespace, p.Name, "server", "wget", "-qO-", "http://localhost:8080/sample/index.html")
	evidence := []string{fmt.Sprintf("exec in lab11-war/server: wget http://localhost:8080/sample/index.html: %q (%v)", page, err)}
	if err != nil || !strings.Contains(page, "sample.war") {
		return fail(hintLab11, evidence...)
	}
	files, err := lab11Exec(ctx, c, p.Namespace, p.Name, "deploy", "true")
	evidence = append(evidence, fmt.Sprintf("exec in the init container deploy: %q (%v): it has exited", files, err))
	if err == nil {
		return fail(hintLab11, append(evidence, "the init container deploy still runs")...)
	}
	return pass(evidence...)
}

func checkLogCollector(ctx context.Context) Result {
	c, p, r := connectPod(ctx, lab11NS, "lab11-sidecar", hintLab11)
	if r != nil {
		return *r
	}
	i := slices.IndexFunc(p.Spec.InitContainers, func(ic api.Container) bool { return ic.Name == "collector" })
	if i < 0 || !p.Spec.InitContainers[i].IsSidecar() {
		return fail(hintLab11, "lab11-sidecar has no init container collector with restartPolicy: Always")
	}
	collector := statusOf(p.Status.InitContainerStatuses, "collector")
	app := statusOf(p.Status.ContainerStatuses, "app")
	evidence := []string{"collector: restartPolicy Always (a native sidecar)", describeState("collector", collector), describeState("app", app)}
	if collector == nil || app == nil || collector.State.Running == nil || app.State.Running == nil ||
		collector.Started == nil || !*collector.Started || app.State.Running.StartedAt.Before(collector.State.Running.StartedAt) {
		return fail(hintLab11, append(evidence, "both must run, the collector started first")...)
	}
	last, err := lab11Exec(ctx, c, p.Namespace, p.Name, "app", "tail", "-n", "1", "/var/log/app/app.log")
	evidence = append(evidence, fmt.Sprintf("exec in app: last line of /var/log/app/app.log: %q (%v)", last, err))
	if err != nil || last == "" {
		return fail(hintLab11, evidence...)
	}
	var logs string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		if logs, err = lab11Logs(ctx, c, p.Namespace, p.Name, "collector"); err == nil && hasLine(logs, last) || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || !hasLine(logs, last) {
		return fail(hintLab11, append(evidence, fmt.Sprintf("the collector's log lacks that line within 5s (%v)", err))...)
	}
	evidence = append(evidence, "the collector's log (node API) has that line")
	appLogs, err := lab11Logs(ctx, c, p.Namespace, p.Name, "app")
	if err != nil || hasLine(appLogs, last) {
		return fail(hintLab11, append(evidence, fmt.Sprintf("the app's own stdout has it too, or cannot be read (%v): the collector must be what prints the file", err))...)
	}
	return pass(append(evidence, "the app's own log does not: the line reached the node through the collector")...)
}

func checkAmbassador(ctx context.Context) Result {
	c, backend, r := connectPod(ctx, lab11NS, "lab11-backend", hintLab11)
	if r != nil {
		return *r
	}
	p, r := c.pod(ctx, lab11NS, "lab11-ambassador", hintLab11)
	if r != nil {
		return *r
	}
	in, err := c.inspect(ctx, p)
	if err != nil {
		return fail(hintLab11, fmt.Sprintf("inspect lab11-ambassador on its node: %v", err))
	}
	net := in.Sandbox.Namespaces[ns.Net]
	evidence := []string{fmt.Sprintf("pause pid %d: net namespace %d", in.Sandbox.PID, net)}
	for _, name := range []string{"app", "ambassador"} {
		i := slices.IndexFunc(in.Containers, func(ci podlet.ContainerInspection) bool { return ci.Name == name && ci.Alive })
		if i < 0 || net == 0 || in.Containers[i].Namespaces[ns.Net] != net {
			return fail(hintLab11, append(evidence, fmt.Sprintf("container %s does not run in the pause's network namespace", name))...)
		}
		evidence = append(evidence, fmt.Sprintf("%s (pid %d): net namespace %d, the pause's", name, in.Containers[i].PID, in.Containers[i].Namespaces[ns.Net]))
	}
	answer, err := lab11Exec(ctx, c, p.Namespace, p.Name, "app", "wget", "-qO-", "http://localhost:9000/")
	evidence = append(evidence, fmt.Sprintf("exec in app: wget http://localhost:9000/: %q (%v)", strings.ReplaceAll(answer, "\n", " | "), err))
	if err != nil || !hasLine(answer, "hostname: lab11-backend") || backend.Status.PodIP == "" ||
		!strings.Contains(answer, "ip: "+backend.Status.PodIP+" ") {
		return fail(hintLab11, append(evidence, fmt.Sprintf("the answer must come from lab11-backend (%s)", backend.Status.PodIP))...)
	}
	return pass(append(evidence, fmt.Sprintf("answered by lab11-backend at %s, another pod", backend.Status.PodIP))...)
}

func checkAdapter(ctx context.Context) Result {
	c, p, r := connectPod(ctx, lab11NS, "lab11-adapter", hintLab11)
	if r != nil {
		return *r
	}
	metrics, err := lab11Exec(ctx, c, p.Namespace, p.Name, "app", "wget", "-qO-", "http://localhost:9100/metrics")
	evidence := []string{fmt.Sprintf("exec in app: wget http://localhost:9100/metrics: %q (%v)", strings.ReplaceAll(metrics, "\n", " | "), err)}
	status, err2 := lab11Exec(ctx, c, p.Namespace, p.Name, "app", "cat", "/status/status")
	evidence = append(evidence, fmt.Sprintf("exec in app: cat /status/status: %q (%v)", strings.ReplaceAll(status, "\n", " | "), err2))
	if err != nil || err2 != nil || status == "" {
		return fail(hintLab11, evidence...)
	}
	served := map[string]int{}
	for line := range strings.Lines(metrics) {
		if name, value, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			served[name], _ = strconv.Atoi(value)
		}
	}
	for line := range strings.Lines(status) {
		name, value, _ := strings.Cut(strings.TrimSpace(line), "=")
		n, err := strconv.Atoi(value)
		metric := "app_" + name + "_total"
		got, ok := served[metric]
		// The app counts on while the adapter converts once a second.
		if err != nil || !ok || got > n || n-got > 3 {
			return fail(hintLab11, append(evidence, fmt.Sprintf("%s=%s should be served as %s, now %d or up to 3 less", name, value, metric, n))...)
		}
	}
	return pass(append(evidence, "every name=value of the app is served as app_<name>_total")...)
}

// checkInitConfig grades the exercise: a running pod, not named like a
// lab's, with an init container that completed and an app container
// started after it; both mount one emptyDir; a file there was last
// written before the init container finished, and a line of it is in the
// app's log or in what the app serves on one of its containerPorts.
func checkInitConfig(ctx context.Context) Result {
	const hint = "run a pod whose init container writes a config file into an emptyDir that the app mounts and prints (or serves): see labs/11-container-patterns, solution.sh"
	c, r := connectCluster()
	if r != nil {
		return *r
	}
	pods, _, err := c.api.Pods("").List(ctx, client.ListOptions{})
	if err != nil {
		return fail(hintNoCluster, err.Error())
	}
	var evidence []string
	for _, p := range pods {
		if isLabContainer(p.Name) || p.Status.Phase != api.PodRunning || p.DeletionTimestamp != nil {
			continue
		}
		for _, ic := range p.Spec.InitContainers {
			if ic.IsSidecar() {
				continue
			}
			is := statusOf(p.Status.InitContainerStatuses, ic.Name)
			if is == nil || !completed(is) {
				evidence = append(evidence, fmt.Sprintf("pod %s/%s: %s", p.Namespace, p.Name, describeState("init "+ic.Name, is)))
				continue
			}
			for _, app := range p.Spec.Containers {
				as := statusOf(p.Status.ContainerStatuses, app.Name)
				if as == nil || as.State.Running == nil || as.State.Running.StartedAt.Before(is.State.Terminated.FinishedAt) {
					evidence = append(evidence, fmt.Sprintf("pod %s/%s: %s; %s", p.Namespace, p.Name, describeState("init "+ic.Name, is), describeState(app.Name, as)))
					continue
				}
				if line, why := configSeen(ctx, c, p, ic, app, is.State.Terminated.FinishedAt); line != "" {
					return pass(fmt.Sprintf("pod %s/%s: %s", p.Namespace, p.Name, describeState("init "+ic.Name, is)),
						fmt.Sprintf("%s, started after it", describeState(app.Name, as)), why)
				} else {
					evidence = append(evidence, fmt.Sprintf("pod %s/%s: %s", p.Namespace, p.Name, why))
				}
			}
		}
	}
	if len(evidence) == 0 {
		evidence = []string{"no running pod of yours (not named labNN-...) with an init container"}
	}
	return fail(hint, evidence...)
}

// configSeen looks, in each emptyDir that init container ic and app
// container app of pod p both mount, for a file last written before ic
// finished whose one line the app printed or serves. It returns the line
// and how it was found, or "" and why not.
func configSeen(ctx context.Context, c *cluster, p *api.Pod, ic, app api.Container, finished time.Time) (string, string) {
	emptyDirs := map[string]bool{}
	for _, v := range p.Spec.Volumes {
		if v.EmptyDir != nil {
			emptyDirs[v.Name] = true
		}
	}
	why := fmt.Sprintf("no emptyDir mounted by both %s and %s", ic.Name, app.Name)
	for _, m := range app.VolumeMounts {
		if !emptyDirs[m.Name] || !slices.ContainsFunc(ic.VolumeMounts, func(im api.VolumeMount) bool { return im.Name == m.Name && !im.ReadOnly }) {
			continue
		}
		// Each file with its mtime, as the app container sees it.
		listing, err := lab11Exec(ctx, c, p.Namespace, p.Name, app.Name, "find", m.MountPath, "-type", "f", "-exec", "stat", "-c", "%Y %n", "{}", ";")
		if err != nil {
			return "", fmt.Sprintf("exec find in %s: %v", app.Name, err)
		}
		why = fmt.Sprintf("%s sees no file in %s written by %s", app.Name, m.MountPath, ic.Name)
		for line := range strings.Lines(listing) {
			mtime, file, _ := strings.Cut(strings.TrimSpace(line), " ")
			sec, err := strconv.ParseInt(mtime, 10, 64)
			if err != nil || sec > finished.Unix() {
				continue // written after the init container finished: not its
			}
			content, err := lab11Exec(ctx, c, p.Namespace, p.Name, app.Name, "cat", file)
			if err != nil {
				continue
			}
			shown, where := appOutput(ctx, c, p, app)
			for cl := range strings.Lines(content) {
				if cl = strings.TrimSpace(cl); cl != "" && strings.Contains(shown, cl) {
					return cl, fmt.Sprintf("%s (written %s, before %s finished) has %q, and the %s of %s has it too",
						file, time.Unix(sec, 0).UTC().Format(time.TimeOnly), ic.Name, cl, where, app.Name)
				}
			}
			why = fmt.Sprintf("no line of %s (written by %s) is in the %s of %s", file, ic.Name, where, app.Name)
		}
	}
	return "", why
}

// appOutput is what container app of pod p printed (its log) and what it
// serves on "/" of each of its containerPorts, asked from inside it.
func appOutput(ctx context.Context, c *cluster, p *api.Pod, app api.Container) (string, string) {
	out, _ := lab11Logs(ctx, c, p.Namespace, p.Name, app.Name)
	where := "log"
	for _, port := range app.Ports {
		page, _ := lab11Exec(ctx, c, p.Namespace, p.Name, app.Name, "wget", "-qO-", fmt.Sprintf("http://localhost:%d/", port.ContainerPort))
		out += "\n" + page
		where = "log or what it serves"
	}
	return out, where
}
