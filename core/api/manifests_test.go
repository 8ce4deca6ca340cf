package api

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// manifestsDir holds the example manifests of the labs.
const manifestsDir = "../../workloads/manifests"

// Every manifest a lab hands to students decodes and validates, so a
// change to the rules cannot break one unnoticed.
func TestManifests(t *testing.T) {
	var files []string
	err := filepath.WalkDir(manifestsDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && slices.Contains([]string{".yaml", ".yml", ".json"}, filepath.Ext(path)) {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d manifests under %s, want at least the 3 pod examples", len(files), manifestsDir)
	}
	for _, file := range files {
		t.Run(filepath.ToSlash(file[len(manifestsDir)+1:]), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) == 0 {
				t.Fatal("no objects")
			}
			for _, obj := range objs {
				Default(obj)
				if err := Validate(obj).ToAggregate(); err != nil {
					t.Errorf("%s %q:\n%v", obj.GetTypeMeta().Kind, obj.GetObjectMeta().Name, err)
				}
			}
		})
	}
}

// The pod examples say what their lessons say.
func TestPodExamples(t *testing.T) {
	read := func(name string) *Pod {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(manifestsDir, "pods", name))
		if err != nil {
			t.Fatal(err)
		}
		pod, err := DecodePod(data)
		if err != nil {
			t.Fatal(err)
		}
		return pod
	}
	web := read("two-containers.yaml")
	if c := web.Spec.Containers; web.Name != "web" || len(c) != 2 || c[0].Name != "server" || c[0].Image != "hello" ||
		c[1].Name != "client" || c[1].Image != "busybox" ||
		!slices.Equal(c[1].Command, []string{"sh", "-c", "while true; do wget -qO- localhost:8080; sleep 2; done"}) {
		t.Errorf("two-containers.yaml: %+v", web)
	}
	shared := read("shared-volume.yaml")
	if v := shared.Spec.Volumes; len(v) != 1 || v[0].EmptyDir == nil || len(shared.Spec.Containers) != 2 {
		t.Errorf("shared-volume.yaml: %+v", shared.Spec)
	}
	for _, c := range shared.Spec.Containers {
		if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].Name != shared.Spec.Volumes[0].Name {
			t.Errorf("shared-volume.yaml: container %q does not mount the volume", c.Name)
		}
	}
	pid := read("shared-pid.yaml")
	if !pid.SharesPID() || pid.Spec.Containers[0].Image != "orphans" {
		t.Errorf("shared-pid.yaml: %+v", pid.Spec)
	}
}
