package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/podlab/podlab/core/cluster"
)

// podlabOut runs podlab with args and returns its exit status, stdout and
// stderr.
func podlabOut(args ...string) (int, string, string) {
	var out, errw bytes.Buffer
	code := runApp(newApp(&out, &errw), append([]string{"podlab"}, args...))
	return code, out.String(), errw.String()
}

// The command prints the units of core/cluster, with the cluster's
// defaults for every flag not given.
func TestSystemdUnit(t *testing.T) {
	code, out, errw := podlabOut("systemd-unit", "podlet", "--node-name", "node1", "--node-ip", "192.168.56.11",
		"--server", "http://192.168.56.10:6443", "--exe", "/usr/local/bin/podlet")
	want, err := cluster.PodletUnit("/usr/local/bin/podlet", cluster.UnitPodletFlags("node1", "192.168.56.11", "http://192.168.56.10:6443"))
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || out != want {
		t.Errorf("podlet unit: exit %d, stderr %q\n%s\nwant\n%s", code, errw, out, want)
	}

	code, out, errw = podlabOut("systemd-unit", "server", "--listen", "192.168.56.10:6443", "--exe", "/usr/local/bin/podlab-server")
	if want, _ = cluster.ServerUnit("/usr/local/bin/podlab-server", cluster.UnitServerFlags("192.168.56.10:6443")); code != 0 || out != want {
		t.Errorf("server unit: exit %d, stderr %q\n%s\nwant\n%s", code, errw, out, want)
	}

	// A flag given wins over the default.
	code, out, _ = podlabOut("systemd-unit", "podlet", "--node-name", "node2", "--node-ip", "192.168.56.12",
		"--server", "http://192.168.56.10:6443", "--exe", "/opt/podlet", "--backend", "host-gw", "--state-dir", "/var/lib/podlet")
	for _, w := range []string{"ExecStart=/opt/podlet --node-name node2 --node-ip 192.168.56.12 ", "--backend host-gw", "--state-dir /var/lib/podlet"} {
		if code != 0 || !strings.Contains(out, w) {
			t.Errorf("exit %d, want %q in\n%s", code, w, out)
		}
	}
}

func TestSystemdUnitErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"podlet", "--node-name", "node1", "--server", "http://192.168.56.10:6443"}, 2, "systemd-unit podlet: --node-ip is required"},
		{[]string{"podlet", "--node-name", "node1", "--node-ip", "192.168.56", "--server", "http://192.168.56.10:6443", "--exe", "/x"}, 2, `--node-ip "192.168.56"`},
		{[]string{"podlet", "--node-name", "node1", "--node-ip", "192.168.56.11", "--server", "http://192.168.56.10:6443", "--exe", "/x", "--backend", "udp"}, 2, `unknown overlay backend "udp"`},
		{[]string{"server", "--listen", "192.168.56.10:6443", "now"}, 2, "systemd-unit server takes only flags"},
		{[]string{"server", "--listen", "192.168.56.10", "--exe", "/x"}, 2, `--listen "192.168.56.10": want the API's IP and port`},
		// The test binary has no podlab-server next to it.
		{[]string{"server", "--listen", "192.168.56.10:6443"}, 1, "podlab-server is not next to this podlab"},
	} {
		code, _, errw := podlabOut(append([]string{"systemd-unit"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errw, tc.want) {
			t.Errorf("%q: exit %d, %q; want %d and %q", tc.args, code, errw, tc.code, tc.want)
		}
	}
}
