// Package manifests holds the YAML the labs run, embedded in the lab
// binaries so that they work from anywhere. Every file here decodes and
// validates (a test in core/api checks each); the pods are also valid
// manifests for "podlab pod run -f". examples/ has one manifest of each
// kind podlab understands.
package manifests

import (
	"embed"
	"fmt"

	"github.com/podlab/podlab/core/api"
)

//go:embed */*.yaml
var files embed.FS

// Pod decodes the Pod in one of the files, e.g. "lab05/pod.yaml".
func Pod(name string) (*api.Pod, error) {
	data, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("manifest %q: %w", name, err)
	}
	pod, err := api.DecodePod(data)
	if err != nil {
		return nil, fmt.Errorf("manifest %q: %w", name, err)
	}
	return pod, nil
}

// Text returns a manifest as written, to show it to the student.
func Text(name string) string {
	data, _ := files.ReadFile(name)
	return string(data)
}
