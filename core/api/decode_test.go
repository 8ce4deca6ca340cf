package api

import (
	"reflect"
	"testing"
	"time"
)

const blockPod = `# a pod with one of everything
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
  creationTimestamp: 2024-05-01T12:00:00Z
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 5
  shareProcessNamespace: true
  volumes:
  - name: data
    emptyDir:
      medium: Memory
      sizeLimit: 64Mi
  - name: host
    hostPath:
      path: /srv/www
      type: Directory
  initContainers:
  - name: setup
    image: busybox
    command: [sh, -c, "echo hi > /data/index.html"]
    volumeMounts:
    - {name: data, mountPath: /data}
  containers:
  - name: server
    image: hello:v2
    args: ["-listen", ":8080"]
    workingDir: /srv
    env:
    - name: VERSION
      value: "v2"
    ports:
    - name: http
      containerPort: 8080
      protocol: TCP
    resources:
      limits: {cpu: 1, memory: 128Mi}
      requests:
        cpu: 0.5
    volumeMounts:
    - name: data
      mountPath: /data
      readOnly: true
`

func TestDecodeBlockYAML(t *testing.T) {
	pod, err := DecodePod([]byte(blockPod))
	if err != nil {
		t.Fatal(err)
	}
	want := &Pod{
		TypeMeta: TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: ObjectMeta{
			Name:              "web",
			Labels:            map[string]string{"app": "web"},
			CreationTimestamp: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		},
		Spec: PodSpec{
			RestartPolicy:                 RestartPolicyOnFailure,
			TerminationGracePeriodSeconds: new(int64(5)),
			ShareProcessNamespace:         new(true),
			Volumes: []Volume{
				{Name: "data", EmptyDir: &EmptyDirVolumeSource{Medium: StorageMediumMemory, SizeLimit: "64Mi"}},
				{Name: "host", HostPath: &HostPathVolumeSource{Path: "/srv/www", Type: HostPathDirectory}},
			},
			InitContainers: []Container{{
				Name: "setup", Image: "busybox",
				Command:      []string{"sh", "-c", "echo hi > /data/index.html"},
				VolumeMounts: []VolumeMount{{Name: "data", MountPath: "/data"}},
			}},
			Containers: []Container{{
				Name: "server", Image: "hello:v2",
				Args:       []string{"-listen", ":8080"},
				WorkingDir: "/srv",
				Env:        []EnvVar{{Name: "VERSION", Value: "v2"}},
				Ports:      []ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: ProtocolTCP}},
				Resources: ResourceRequirements{
					LimitList:   ResourceList{"cpu": "1", "memory": "128Mi"},
					RequestList: ResourceList{"cpu": "0.5"},
				},
				VolumeMounts: []VolumeMount{{Name: "data", MountPath: "/data", ReadOnly: true}},
			}},
		},
	}
	if !reflect.DeepEqual(pod, want) {
		t.Errorf("decoded\n%#v\nwant\n%#v", pod, want)
	}
}

func TestDecodeFormats(t *testing.T) {
	tests := []struct {
		name, in string
		pods     []string // names of the pods decoded, in order
	}{
		{"flow style", `{apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c, image: busybox}]}}`,
			[]string{"a"}},
		{"json", "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Pod\",\n\t\"metadata\": {\"name\": \"j\"},\n" +
			"\t\"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"busybox\", \"ports\": [{\"containerPort\": 80}]}]}\n}\n",
			[]string{"j"}},
		{"multi-document with empty documents", `
---
apiVersion: v1
kind: Pod
metadata: {name: first}
spec: {containers: [{name: c, image: busybox}]}
---
---
# only a comment
---
apiVersion: v1
kind: Pod
metadata: {name: second}
spec: {containers: [{name: c, image: busybox}]}
...
`, []string{"first", "second"}},
		{"empty input", "", nil},
		{"only comments", "# nothing here\n---\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, obj := range objs {
				pod := obj.(*Pod)
				if len(pod.Spec.Containers) != 1 || pod.Spec.Containers[0].Image != "busybox" {
					t.Errorf("pod %q: containers %+v", pod.Name, pod.Spec.Containers)
				}
				names = append(names, obj.GetObjectMeta().Name)
			}
			if !reflect.DeepEqual(names, tt.pods) {
				t.Errorf("decoded pods %q, want %q", names, tt.pods)
			}
		})
	}
}

const allKinds = "CronJob, DaemonSet, Deployment, Endpoints, Event, HorizontalPodAutoscaler, Job, List, Namespace, " +
	"Node, PersistentVolumeClaim, Pod, ReplicaSet, ReplicationController, Service, StatefulSet"

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // the whole error message
	}{
		{"unknown field with path and line", `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    imagee: busybox
`, `line 8: unknown field "imagee" in spec.containers[0] (did you mean "image"?)`},
		{"unknown top-level field", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspecs: {}\n",
			`line 4: unknown field "specs" (did you mean "spec"?)`},
		{"unknown field, wrong case", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: a\n    ports:\n    - containerport: 80\n",
			`line 8: unknown field "containerport" in spec.containers[0].ports[0] (did you mean "containerPort"?)`},
		{"unknown field, no hint", "apiVersion: v1\nkind: Pod\nmetadata: {name: a, colour: red}\n",
			`line 3: unknown field "colour" in metadata`},
		{"every unknown field at once", "apiVersion: v1\nkind: Pod\nmetadata: {name: a, x: 1}\nspec: {y: 2}\n",
			"line 3: unknown field \"x\" in metadata\nline 4: unknown field \"y\" in spec"},
		{"unknown field in json", "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"a\"},\n  \"spec\": {\"nodename\": \"n1\"}\n}",
			`line 5: unknown field "nodename" in spec (did you mean "nodeName"?)`},
		{"unknown field in second document", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nstatus: {phase: Running, podIp: 10.0.0.1}\n",
			`line 8: unknown field "podIp" in status (did you mean "podIP"?)`},
		{"syntax error", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web: x\n",
			"line 4: mapping values are not allowed in this context"},
		{"unclosed flow", "{apiVersion: v1, kind: Pod,\n metadata: {name: a}\n",
			"line 2: did not find expected ',' or '}'"},
		{"duplicate key", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
			`line 5: mapping key "name" already defined at line 4`},
		{"unknown kind", "apiVersion: v1\nkind: ConfigMap\n",
			`line 1: unsupported kind "ConfigMap" (podlab supports kinds ` + allKinds + `)`},
		{"wrong apiVersion", "apiVersion: v2\nkind: Pod\n",
			`line 1: unsupported apiVersion "v2" for kind "Pod": use apiVersion "v1"`},
		{"Deployment in v1", "apiVersion: v1\nkind: Deployment\n",
			`line 1: unsupported apiVersion "v1" for kind "Deployment": use apiVersion "apps/v1"`},
		{"no kind", "apiVersion: v1\nmetadata: {name: a}\n",
			"line 1: apiVersion and kind are required (podlab supports kinds " + allKinds + ")"},
		{"not a mapping", "- apiVersion: v1\n  kind: Pod\n",
			`line 1: a manifest must be a mapping with apiVersion and kind, not a list`},
		{"port as a string", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    ports: [{containerPort: http}]\n",
			`line 6: spec.containers[0].ports[0].containerPort: must be an integer (int32), not "http"`},
		{"port out of range for int32", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - ports: [{containerPort: 99999999999}]\n",
			`line 5: spec.containers[0].ports[0].containerPort: must be an integer (int32), not "99999999999"`},
		{"env value as a number", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - env:\n    - {name: PORT, value: 8080}\n",
			`line 6: spec.containers[0].env[0].value: must be a string, not "8080": quote it`},
		{"bool as a word", "apiVersion: v1\nkind: Pod\nspec:\n  shareProcessNamespace: yes\n",
			`line 4: spec.shareProcessNamespace: must be true or false, not "yes"`},
		{"list expected", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    name: a\n",
			`line 5: spec.containers: must be a list, not a mapping`},
		{"mapping expected", "apiVersion: v1\nkind: Pod\nmetadata: web\n",
			`line 3: metadata: must be a mapping (key: value), not "web"`},
		{"label value as a number", "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    tier: 1\n",
			`line 5: metadata.labels[tier]: must be a string, not "1": quote it`},
		{"label key as a number", "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    1: one\n",
			`line 5: metadata.labels: key "1" must be a string: quote it`},
		{"bad time", "apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: yesterday\n",
			`line 4: metadata.creationTimestamp: must be a time like 2024-05-01T12:00:00Z, not "yesterday"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("decoded %d objects, want error %q", len(objs), tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n%s\nwant\n%s", err, tt.want)
			}
		})
	}
}

func TestDecodePodCount(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n"
	for _, tt := range []struct{ in, want string }{
		{"", "expected one Pod, found 0 objects"},
		{pod + "---\n" + pod, "expected one Pod, found 2 objects"},
	} {
		if _, err := DecodePod([]byte(tt.in)); err == nil || err.Error() != tt.want {
			t.Errorf("DecodePod(%q) error %v, want %q", tt.in, err, tt.want)
		}
	}
}

// An alias to a node of the document is decoded like the node itself.
func TestDecodeAliases(t *testing.T) {
	in := `apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  containers:
  - name: a
    image: busybox
    env: &env
    - {name: MODE, value: demo}
  - name: b
    image: busybox
    env: *env
`
	pod, err := DecodePod([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := pod.Spec.Containers[1].Env; len(got) != 1 || got[0].Value != "demo" {
		t.Errorf("env of b = %+v", got)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"image", "imagee", 1}, {"imgae", "image", 2}, {"kitten", "sitting", 3}, {"", "abc", 3}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if got := similar("ab", []string{"args", "name"}); got != "" {
		t.Errorf("similar(ab) = %q, want no hint", got)
	}
}
