package hooks

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/podlab/podlab/core/api"
)

func TestRunExecHook(t *testing.T) {
	c := &api.Container{Name: "app"}
	exec := newFakeExec(func(argv []string, n int) (string, int) {
		if argv[len(argv)-1] == "exit 2" {
			return "bye\n", 2
		}
		return "", 0
	})
	target := Target{Exec: exec.exec}
	ok := &api.LifecycleHandler{Exec: &api.ExecAction{Command: []string{"sh", "-c", "echo hi > /tmp/started"}}}
	if err := Run(t.Context(), ok, c, target); err != nil {
		t.Errorf("Run: %v", err)
	}
	failing := &api.LifecycleHandler{Exec: &api.ExecAction{Command: []string{"sh", "-c", "exit 2"}}}
	err := Run(t.Context(), failing, c, target)
	if want := `command "sh -c exit 2" exited with code 2: "bye"`; err == nil || err.Error() != want {
		t.Errorf("Run = %v, want %s", err, want)
	}
	if exec.count("sh") != 2 {
		t.Errorf("ran %d commands, want 2", exec.count("sh"))
	}
	broken := Target{Exec: func(context.Context, []string) (string, int, error) {
		return "", -1, errors.New(`container "app" is not running`)
	}}
	if err := Run(t.Context(), ok, c, broken); err == nil || err.Error() != `container "app" is not running` {
		t.Errorf("Run in a stopped container = %v", err)
	}
}

// An httpGet hook fails only when the request cannot be made: the
// kubelet does not look at the status.
func TestRunHTTPHook(t *testing.T) {
	var calls atomic.Int32
	c, target := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/quit" || r.UserAgent() != "podlab-lifecycle" {
			t.Errorf("request %s with User-Agent %q", r.URL, r.UserAgent())
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	h := &api.LifecycleHandler{HTTPGet: &api.HTTPGetAction{Path: "/quit", Port: api.FromString("http"), Scheme: api.URISchemeHTTP}}
	if err := Run(t.Context(), h, c, target); err != nil {
		t.Errorf("Run = %v, want nil: a 500 is no hook failure", err)
	}
	if calls.Load() != 1 {
		t.Errorf("server got %d requests, want 1", calls.Load())
	}

	h.HTTPGet.Port = api.FromInt32(freePort(t))
	if err := Run(t.Context(), h, c, target); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Run = %v, want connection refused", err)
	}
	h.HTTPGet.Port = api.FromString("admin")
	if err := Run(t.Context(), h, c, target); err == nil || err.Error() != `port "admin" not found in the ports of container "app"` {
		t.Errorf("Run on a missing named port = %v", err)
	}
}

func TestRunSleepHook(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &api.LifecycleHandler{Sleep: &api.SleepAction{Seconds: 5}}
		start := time.Now()
		if err := Run(t.Context(), h, &api.Container{Name: "app"}, Target{}); err != nil {
			t.Errorf("Run: %v", err)
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Errorf("slept %v, want 5s", d)
		}

		// The grace period ends first.
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		start = time.Now()
		err := Run(ctx, h, &api.Container{Name: "app"}, Target{})
		if want := "sleep of 5s cut short: context deadline exceeded"; err == nil || err.Error() != want {
			t.Errorf("Run = %v, want %s", err, want)
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("slept %v, want 2s", d)
		}
	})
}

func TestRunBadHooks(t *testing.T) {
	c := &api.Container{Name: "app"}
	for _, tt := range []struct {
		name string
		h    *api.LifecycleHandler
		want string
	}{
		{"tcpSocket", &api.LifecycleHandler{TCPSocket: &api.TCPSocketAction{Port: api.FromInt32(80)}},
			"tcpSocket is not supported as a lifecycle hook"},
		{"no handler", &api.LifecycleHandler{}, "the hook has no handler: set exec, httpGet or sleep"},
		{"no command", &api.LifecycleHandler{Exec: &api.ExecAction{}}, "exec hook has no command"},
		{"no Exec in the target", &api.LifecycleHandler{Exec: &api.ExecAction{Command: []string{"true"}}},
			"cannot run commands in the container: no Exec in the target"},
		{"https", &api.LifecycleHandler{HTTPGet: &api.HTTPGetAction{Port: api.FromInt32(443), Scheme: api.URISchemeHTTPS}},
			`scheme "HTTPS" is not supported: use HTTP`},
	} {
		if err := Run(t.Context(), tt.h, c, Target{PodIP: "127.0.0.1"}); err == nil || err.Error() != tt.want {
			t.Errorf("%s: Run = %v, want %s", tt.name, err, tt.want)
		}
	}
	if err := Run(t.Context(), nil, c, Target{}); err != nil {
		t.Errorf("no hook: Run = %v", err)
	}
}
