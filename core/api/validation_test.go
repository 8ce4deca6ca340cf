package api

import (
	"reflect"
	"strings"
	"testing"
)

// validPod returns a defaulted pod that passes validation; each test case
// breaks one thing.
func validPod() *Pod {
	p := &Pod{
		ObjectMeta: ObjectMeta{Name: "web", Labels: map[string]string{"app": "web"}},
		Spec: PodSpec{
			Volumes: []Volume{{Name: "data", EmptyDir: &EmptyDirVolumeSource{}}},
			Containers: []Container{{
				Name:         "app",
				Image:        "busybox",
				Ports:        []ContainerPort{{Name: "http", ContainerPort: 8080}},
				VolumeMounts: []VolumeMount{{Name: "data", MountPath: "/data"}},
			}},
		},
	}
	SetDefaults(p)
	return p
}

const (
	labelMsg     = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
	subdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
)

func TestValidatePod(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name   string
		change func(p *Pod)
		want   []string // every error, in order
	}{
		{"valid", func(p *Pod) {}, nil},

		// metadata
		{"no name", func(p *Pod) { p.Name = "" },
			[]string{"metadata.name: Required value: name or generateName is required"}},
		{"upper-case name", func(p *Pod) { p.Name = "Web" },
			[]string{`metadata.name: Invalid value: "Web": ` + subdomainMsg}},
		{"underscore in name", func(p *Pod) { p.Name = "a_b" },
			[]string{`metadata.name: Invalid value: "a_b": ` + subdomainMsg}},
		{"dots in name", func(p *Pod) { p.Name = "web.v1" }, nil},
		{"64-character name is a fine subdomain", func(p *Pod) { p.Name = long }, nil},
		{"254-character name", func(p *Pod) { p.Name = strings.Repeat("a", 254) },
			[]string{`metadata.name: Invalid value: "` + strings.Repeat("a", 254) + `": must be no more than 253 characters`}},
		{"generateName prefix", func(p *Pod) { p.GenerateName = "web-" }, nil},
		{"bad generateName", func(p *Pod) { p.GenerateName = "Web-" },
			[]string{`metadata.generateName: Invalid value: "Web-": ` + subdomainMsg}},
		{"no namespace", func(p *Pod) { p.Namespace = "" },
			[]string{"metadata.namespace: Required value"}},
		{"bad namespace", func(p *Pod) { p.Namespace = "a.b" },
			[]string{`metadata.namespace: Invalid value: "a.b": ` + labelMsg}},
		{"good labels", func(p *Pod) {
			p.Labels = map[string]string{"podlab.io/lab": "04", "App_Name": "My.App", "empty": ""}
		}, nil},
		{"bad labels", func(p *Pod) {
			p.Labels = map[string]string{"-app": "x", "tier": "front end", "long": long, "Bad.Prefix/x": "y", "/x": "y"}
		}, []string{
			`metadata.labels: Invalid value: "-app": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
			`metadata.labels: Invalid value: "/x": prefix part must be non-empty`,
			`metadata.labels: Invalid value: "Bad.Prefix/x": prefix part ` + subdomainMsg,
			`metadata.labels[long]: Invalid value: "` + long + `": must be no more than 63 characters`,
			`metadata.labels[tier]: Invalid value: "front end": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
		}},
		{"64-character label key", func(p *Pod) { p.Labels = map[string]string{long: "x"} },
			[]string{`metadata.labels: Invalid value: "` + long + `": name part must be no more than 63 characters`}},
		{"annotations", func(p *Pod) { p.Annotations = map[string]string{"Example.com/note": "any text at all", "a b": ""} },
			[]string{`metadata.annotations: Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`}},

		// containers
		{"no containers", func(p *Pod) { p.Spec.Containers = nil },
			[]string{"spec.containers: Required value"}},
		{"no container name", func(p *Pod) { p.Spec.Containers = append(p.Spec.Containers, Container{Image: "busybox"}) },
			[]string{"spec.containers[1].name: Required value"}},
		{"upper-case container name", func(p *Pod) { p.Spec.Containers[0].Name = "Web" },
			[]string{`spec.containers[0].name: Invalid value: "Web": ` + labelMsg}},
		{"underscore in container name", func(p *Pod) { p.Spec.Containers[0].Name = "a_b" },
			[]string{`spec.containers[0].name: Invalid value: "a_b": ` + labelMsg}},
		{"dot in container name", func(p *Pod) { p.Spec.Containers[0].Name = "a.b" },
			[]string{`spec.containers[0].name: Invalid value: "a.b": ` + labelMsg}},
		{"64-character container name", func(p *Pod) { p.Spec.Containers[0].Name = long },
			[]string{`spec.containers[0].name: Invalid value: "` + long + `": must be no more than 63 characters`}},
		{"duplicate container names", func(p *Pod) {
			p.Spec.Containers = append(p.Spec.Containers, Container{Name: "app", Image: "hello"})
		}, []string{`spec.containers[1].name: Duplicate value: "app"`}},
		{"init and app container with one name", func(p *Pod) {
			p.Spec.InitContainers = []Container{{Name: "app", Image: "busybox"}}
		}, []string{`spec.containers[0].name: Duplicate value: "app"`}},
		{"no image", func(p *Pod) { p.Spec.Containers[0].Image = "" },
			[]string{"spec.containers[0].image: Required value"}},
		{"init container without image", func(p *Pod) { p.Spec.InitContainers = []Container{{Name: "setup"}} },
			[]string{"spec.initContainers[0].image: Required value"}},
		{"native sidecar", func(p *Pod) {
			p.Spec.InitContainers = []Container{{Name: "proxy", Image: "busybox", RestartPolicy: new(ContainerRestartPolicyAlways)}}
		}, nil},
		{"init restartPolicy other than Always", func(p *Pod) {
			p.Spec.InitContainers = []Container{{Name: "setup", Image: "busybox", RestartPolicy: new(ContainerRestartPolicy("OnFailure"))}}
		}, []string{`spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"`}},
		{"restartPolicy on an app container", func(p *Pod) { p.Spec.Containers[0].RestartPolicy = new(ContainerRestartPolicyAlways) },
			[]string{"spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"}},
		{"env", func(p *Pod) { p.Spec.Containers[0].Env = []EnvVar{{Name: "", Value: "x"}, {Name: "A=B"}, {Name: "OK"}} },
			[]string{"spec.containers[0].env[0].name: Required value",
				`spec.containers[0].env[1].name: Invalid value: "A=B": must not contain '='`}},

		// ports
		{"port 0", func(p *Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = 0 },
			[]string{"spec.containers[0].ports[0].containerPort: Required value"}},
		{"port 70000", func(p *Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = 70000 },
			[]string{"spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"}},
		{"bad protocol", func(p *Pod) { p.Spec.Containers[0].Ports[0].Protocol = "HTTP" },
			[]string{`spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "TCP", "UDP", "SCTP"`}},
		{"bad port names", func(p *Pod) {
			p.Spec.Containers[0].Ports = []ContainerPort{{Name: "HTTP", ContainerPort: 80, Protocol: ProtocolTCP},
				{Name: "a--b", ContainerPort: 81, Protocol: ProtocolTCP}, {Name: "8080", ContainerPort: 82, Protocol: ProtocolUDP},
				{Name: "a--b", ContainerPort: 83, Protocol: ProtocolTCP}}
		}, []string{
			`spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
			`spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)`,
			`spec.containers[0].ports[1].name: Invalid value: "a--b": must not contain consecutive hyphens`,
			`spec.containers[0].ports[2].name: Invalid value: "8080": must contain at least one letter (a-z)`,
			`spec.containers[0].ports[3].name: Duplicate value: "a--b"`,
			`spec.containers[0].ports[3].name: Invalid value: "a--b": must not contain consecutive hyphens`,
		}},
		{"two containers with one port", func(p *Pod) {
			// Kubernetes accepts it; the second container fails to bind.
			p.Spec.Containers = append(p.Spec.Containers, Container{Name: "twin", Image: "hello",
				Ports: []ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: ProtocolTCP}}})
		}, nil},

		// resources
		{"good resources", func(p *Pod) {
			p.Spec.Containers[0].Resources = ResourceRequirements{
				LimitList: ResourceList{"cpu": "1", "memory": "128Mi"}, RequestList: ResourceList{"cpu": "1000m", "memory": "64Mi"}}
		}, nil},
		{"bad quantities", func(p *Pod) {
			p.Spec.Containers[0].Resources = ResourceRequirements{
				LimitList: ResourceList{"cpu": "lots", "memory": "64MB"}, RequestList: ResourceList{"gpu": "1"}}
		}, []string{
			`spec.containers[0].resources.limits[cpu]: Invalid value: "lots": must be a CPU quantity, like "500m" or "0.5"`,
			`spec.containers[0].resources.limits[memory]: Invalid value: "64MB": must be a memory quantity, like "64Mi" or "1Gi"`,
			`spec.containers[0].resources.requests[gpu]: Unsupported value: "gpu": supported values: "cpu", "memory"`,
		}},
		{"request above limit", func(p *Pod) {
			p.Spec.Containers[0].Resources = ResourceRequirements{
				LimitList: ResourceList{"cpu": "1", "memory": "64Mi"}, RequestList: ResourceList{"cpu": "2", "memory": "65Mi"}}
		}, []string{
			`spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1`,
			`spec.containers[0].resources.requests: Invalid value: "65Mi": must be less than or equal to memory limit of 64Mi`,
		}},

		// volumes and mounts
		{"hostPath with ..", func(p *Pod) {
			p.Spec.Volumes = []Volume{{Name: "data", HostPath: &HostPathVolumeSource{Path: "/data/../etc"}}}
		}, []string{`spec.volumes[0].hostPath.path: Invalid value: "/data/../etc": must not contain '..'`}},
		{"relative hostPath", func(p *Pod) {
			p.Spec.Volumes = []Volume{{Name: "data", HostPath: &HostPathVolumeSource{Path: "data"}}}
		}, []string{`spec.volumes[0].hostPath.path: Invalid value: "data": must be an absolute path`}},
		{"unclean hostPath", func(p *Pod) {
			p.Spec.Volumes = []Volume{{Name: "data", HostPath: &HostPathVolumeSource{Path: "/srv//www/"}}}
		}, []string{`spec.volumes[0].hostPath.path: Invalid value: "/srv//www/": must be a clean path, like "/srv/www"`}},
		{"hostPath without path, bad type", func(p *Pod) {
			p.Spec.Volumes = []Volume{{Name: "data", HostPath: &HostPathVolumeSource{Type: "Dir"}}}
		}, []string{"spec.volumes[0].hostPath.path: Required value",
			`spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"`}},
		{"emptyDir", func(p *Pod) {
			p.Spec.Volumes[0].EmptyDir = &EmptyDirVolumeSource{Medium: "Disk", SizeLimit: "big"}
		}, []string{`spec.volumes[0].emptyDir.medium: Unsupported value: "Disk": supported values: "", "Memory"`,
			`spec.volumes[0].emptyDir.sizeLimit: Invalid value: "big": must be a memory quantity, like "64Mi" or "1Gi"`}},
		{"no volume source", func(p *Pod) { p.Spec.Volumes[0].EmptyDir = nil },
			[]string{"spec.volumes[0]: Required value: must specify a volume type: emptyDir or hostPath"}},
		{"two volume sources", func(p *Pod) { p.Spec.Volumes[0].HostPath = &HostPathVolumeSource{Path: "/srv"} },
			[]string{"spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type"}},
		{"duplicate and bad volume names", func(p *Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, Volume{Name: "data", EmptyDir: &EmptyDirVolumeSource{}},
				Volume{Name: "Cache", EmptyDir: &EmptyDirVolumeSource{}}, Volume{EmptyDir: &EmptyDirVolumeSource{}})
		}, []string{`spec.volumes[1].name: Duplicate value: "data"`,
			`spec.volumes[2].name: Invalid value: "Cache": ` + labelMsg,
			"spec.volumes[3].name: Required value"}},
		{"emptyDir mounted twice at one path", func(p *Pod) {
			c := &p.Spec.Containers[0]
			c.VolumeMounts = append(c.VolumeMounts, VolumeMount{Name: "data", MountPath: "/data"})
		}, []string{`spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique`}},
		{"one path written two ways", func(p *Pod) {
			c := &p.Spec.Containers[0]
			c.VolumeMounts = append(c.VolumeMounts, VolumeMount{Name: "data", MountPath: "/data/"})
		}, []string{`spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data/": must be unique`}},
		{"one volume at two paths, and in two containers", func(p *Pod) {
			c := &p.Spec.Containers[0]
			c.VolumeMounts = append(c.VolumeMounts, VolumeMount{Name: "data", MountPath: "/copy", ReadOnly: true})
			p.Spec.Containers = append(p.Spec.Containers, Container{Name: "reader", Image: "busybox",
				VolumeMounts: []VolumeMount{{Name: "data", MountPath: "/data", ReadOnly: true}}})
		}, nil},
		{"mount of an undeclared volume", func(p *Pod) { p.Spec.Containers[0].VolumeMounts[0].Name = "cache" },
			[]string{`spec.containers[0].volumeMounts[0].name: Not found: "cache"`}},
		{"bad mount paths", func(p *Pod) {
			p.Spec.InitContainers = []Container{{Name: "setup", Image: "busybox", VolumeMounts: []VolumeMount{
				{Name: "data", MountPath: "data"}, {Name: "data", MountPath: "/data/../etc"}, {Name: "data"}, {MountPath: "/x"}}}}
		}, []string{
			`spec.initContainers[0].volumeMounts[0].mountPath: Invalid value: "data": must be an absolute path`,
			`spec.initContainers[0].volumeMounts[1].mountPath: Invalid value: "/data/../etc": must not contain '..'`,
			"spec.initContainers[0].volumeMounts[2].mountPath: Required value",
			"spec.initContainers[0].volumeMounts[3].name: Required value",
		}},

		// the rest of the spec
		{"bad restartPolicy", func(p *Pod) { p.Spec.RestartPolicy = "Sometimes" },
			[]string{`spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`}},
		{"no restartPolicy", func(p *Pod) { p.Spec.RestartPolicy = "" },
			[]string{"spec.restartPolicy: Required value"}},
		{"negative grace period", func(p *Pod) { p.Spec.TerminationGracePeriodSeconds = new(int64(-1)) },
			[]string{"spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0"}},
		{"zero grace period", func(p *Pod) { p.Spec.TerminationGracePeriodSeconds = new(int64(0)) }, nil},
		{"node name, hostname, nodeSelector", func(p *Pod) {
			p.Spec.NodeName = "Node1"
			p.Spec.Hostname = "my.host"
			p.Spec.NodeSelector = map[string]string{"disk": "ssd", "zone": "eu west"}
		}, []string{
			`spec.nodeSelector[zone]: Invalid value: "eu west": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
			`spec.nodeName: Invalid value: "Node1": ` + subdomainMsg,
			`spec.hostname: Invalid value: "my.host": ` + labelMsg,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPod()
			tt.change(p)
			var got []string
			for _, e := range ValidatePod(p) {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// A pod with many mistakes gets all of them, in field order, in one error.
func TestValidatePodAllErrors(t *testing.T) {
	p := &Pod{Spec: PodSpec{Containers: []Container{{Name: "a"}, {Name: "a", Image: "x"}}}}
	err := ValidatePod(p).ToAggregate()
	want := "metadata.name: Required value: name or generateName is required\n" +
		"metadata.namespace: Required value\n" +
		"spec.containers[0].image: Required value\n" +
		`spec.containers[1].name: Duplicate value: "a"` + "\n" +
		"spec.restartPolicy: Required value"
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
	if err := ValidatePod(validPod()).ToAggregate(); err != nil {
		t.Errorf("valid pod: %v", err)
	}
}

func TestUIDMustBeAUUID(t *testing.T) {
	for uid, ok := range map[string]bool{
		"9b2e7f0c-3c1d-4e5f-8a6b-1c2d3e4f5a6b":  true,
		"../../canary":                          false,
		"ABC":                                   false,
		"9b2e7f0c-3c1d-4e5f-8a6b-1c2d3e4f5a6b/": false,
	} {
		p := &Pod{ObjectMeta: ObjectMeta{Name: "x", UID: uid}, Spec: PodSpec{Containers: []Container{{Name: "c", Image: "busybox"}}}}
		SetDefaults(p)
		errs := ValidatePod(p)
		if got := len(errs) == 0; got != ok {
			t.Errorf("uid %q: errors %v, want valid=%v", uid, errs, ok)
		}
		if !ok && !strings.Contains(errs.Error(), "metadata.uid: Invalid value") {
			t.Errorf("uid %q: %v", uid, errs)
		}
	}
}
