package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

func TestFlagsFirst(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	tests := []struct {
		args, want []string
	}{
		// kubectl's order: flags after the arguments.
		{[]string{"podlab", "get", "pods", "-n", "kube-system"}, []string{"podlab", "get", "-n", "kube-system", "pods"}},
		{[]string{"podlab", "get", "pods", "web", "-o", "yaml", "-A", "--show-labels"},
			[]string{"podlab", "get", "-o", "yaml", "-A", "--show-labels", "pods", "web"}},
		{[]string{"podlab", "get", "pods", "--namespace=lab", "web"}, []string{"podlab", "get", "--namespace=lab", "pods", "web"}},
		{[]string{"podlab", "scale", "deploy/web", "--replicas", "3"}, []string{"podlab", "scale", "--replicas", "3", "deploy/web"}},
		// -f - : the - is the value of -f.
		{[]string{"podlab", "apply", "-f", "-", "-n", "lab"}, []string{"podlab", "apply", "-f", "-", "-n", "lab"}},
		// Bool flags take no value: "pods" stays an argument.
		{[]string{"podlab", "get", "-w", "pods"}, []string{"podlab", "get", "-w", "pods"}},
		// After "--", all are arguments; one that looks like a flag keeps its "--".
		{[]string{"podlab", "label", "pod", "web", "-n", "lab", "--", "-x=1"}, []string{"podlab", "label", "-n", "lab", "--", "pod", "web", "-x=1"}},
		// The completion flag stays last.
		{[]string{"podlab", "get", "pods", "-n", "lab", "--generate-bash-completion"},
			[]string{"podlab", "get", "-n", "lab", "pods", "--generate-bash-completion"}},
		// The commands of this machine are left alone.
		{[]string{"podlab", "container", "run", "busybox", "sh", "-c", "echo"}, []string{"podlab", "container", "run", "busybox", "sh", "-c", "echo"}},
		{[]string{"podlab", "get"}, []string{"podlab", "get"}},
	}
	for _, tt := range tests {
		if got := flagsFirst(app, tt.args); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("flagsFirst(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestParseTargets(t *testing.T) {
	tests := []struct {
		args []string
		want []target
		err  string
	}{
		{[]string{"pods"}, []target{{kind: api.KindPod}}, ""},
		{[]string{"deploy", "web", "db"}, []target{{api.KindDeployment, "web"}, {api.KindDeployment, "db"}}, ""},
		{[]string{"deploy/web", "svc/web"}, []target{{api.KindDeployment, "web"}, {api.KindService, "web"}}, ""},
		{[]string{"deployment.apps/web"}, []target{{api.KindDeployment, "web"}}, ""},
		{nil, nil, "give a resource type"},
		{[]string{"pdos"}, nil, `unknown resource type "pdos": podlab knows cronjobs, daemonsets`},
		{[]string{"deploy/web", "db"}, nil, `"db": give every object as KIND/NAME`},
		{[]string{"deploy", "svc/web"}, nil, `give names only, not "svc/web"`},
		{[]string{"deploy/"}, nil, "give every object as KIND/NAME"},
	}
	for _, tt := range tests {
		got, err := parseTargets(tt.args)
		if tt.err != "" {
			var usage usageError
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.As(err, &usage) {
				t.Errorf("parseTargets(%q) error = %v, want a usage error with %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseTargets(%q) = %v, %v; want %v", tt.args, got, err, tt.want)
		}
	}
}

func TestGetTargets(t *testing.T) {
	got, err := getTargets([]string{"pods,svc"})
	if err != nil || !reflect.DeepEqual(got, []target{{kind: api.KindPod}, {kind: api.KindService}}) {
		t.Errorf("pods,svc: %v, %v", got, err)
	}
	got, err = getTargets([]string{"all"})
	if err != nil || len(got) != len(allKinds) {
		t.Errorf("all: %v, %v", got, err)
	}
	if _, err := getTargets([]string{"pods,svc", "web"}); err == nil {
		t.Error("names with several kinds: no error")
	}
}

// The fields of an Invalid answer come one a line, without repeating
// them on the line of the message.
func TestErrorText(t *testing.T) {
	causes := []client.StatusCause{
		{Field: "spec.replicas", Message: "Invalid value: -1: must be greater than or equal to 0"},
		{Field: "spec.template.spec.containers[0].image", Message: "Required value"},
	}
	invalid := &client.StatusError{Code: 422, Reason: "Invalid", Details: &client.StatusDetails{Causes: causes},
		Message: `Deployment.apps "web" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.template.spec.containers[0].image: Required value]`}
	want := `Deployment.apps "web" is invalid:
  * spec.replicas: Invalid value: -1: must be greater than or equal to 0
  * spec.template.spec.containers[0].image: Required value`
	if got := errorText(fmt.Errorf("wrapped: %w", invalid)); got != "wrapped: "+want {
		t.Errorf("got\n%s\nwant\n%s", got, "wrapped: "+want)
	}
	// A message that does not repeat them is kept whole.
	invalid.Message = "the deployment is invalid"
	if got := errorText(invalid); !strings.HasPrefix(got, "the deployment is invalid:\n  * spec.replicas: Invalid") {
		t.Errorf("got %q", got)
	}
	if got := errorText(errors.New("plain")); got != "plain" {
		t.Errorf("got %q", got)
	}
}

// The flags win over the config file; --server needs no config file;
// without either, the error says how to get one.
func TestConnect(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	config := filepath.Join(dir, "config")
	if err := client.WriteConfig(config, client.Config{Server: "http://10.0.0.1:6443", Token: "secret"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env  string
		args []string
		want string // the server, or the start of the error
	}{
		{missing, nil, "no cluster config at " + missing + `: start a cluster with "podlab up", or give --server and --token`},
		{missing, []string{"--server", "http://127.0.0.1:6443"}, "http://127.0.0.1:6443"},
		{config, nil, "http://10.0.0.1:6443"},
		{config, []string{"--server", "http://127.0.0.1:7443"}, "http://127.0.0.1:7443"},
		{missing, []string{"--config", config}, "http://10.0.0.1:6443"},
		// A config file named on purpose must be there.
		{config, []string{"--config", missing, "--server", "http://127.0.0.1:6443"}, "no cluster config at " + missing},
	}
	for _, tt := range tests {
		t.Setenv(client.ConfigEnv, tt.env)
		var got string
		app := &cli.App{Flags: connectionFlags(), Writer: io.Discard, Action: func(c *cli.Context) error {
			cl, err := connect(c)
			if err != nil {
				return err
			}
			got = cl.Server()
			return nil
		}}
		if err := app.Run(append([]string{"podlab"}, tt.args...)); err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("env %s, flags %q: got %q, want %q", filepath.Base(tt.env), tt.args, got, tt.want)
		}
	}
}

func TestDeleteOptions(t *testing.T) {
	tests := []struct {
		grace   int
		force   bool
		cascade string
		want    client.DeleteOptions
		err     bool
	}{
		{-1, false, "background", client.DeleteOptions{PropagationPolicy: "Background"}, false},
		{5, false, "orphan", client.DeleteOptions{GracePeriodSeconds: new(int64(5)), PropagationPolicy: "Orphan"}, false},
		{-1, true, "foreground", client.DeleteOptions{GracePeriodSeconds: new(int64(0)), PropagationPolicy: "Foreground"}, false},
		{0, true, "background", client.DeleteOptions{GracePeriodSeconds: new(int64(0)), PropagationPolicy: "Background"}, false},
		{0, false, "background", client.DeleteOptions{GracePeriodSeconds: new(int64(1)), PropagationPolicy: "Background"}, false},
		{5, true, "background", client.DeleteOptions{}, true},
		{-1, false, "sideways", client.DeleteOptions{}, true},
	}
	for _, tt := range tests {
		got, err := deleteOptions(tt.grace, tt.force, tt.cascade)
		if (err != nil) != tt.err || !tt.err && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("deleteOptions(%d, %t, %q) = %+v, %v", tt.grace, tt.force, tt.cascade, got, err)
		}
	}
}
