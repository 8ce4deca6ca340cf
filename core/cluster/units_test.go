package cluster

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The podlet unit runs exactly the command line "podlab up" starts a
// podlet with: the program, then PodletFlags.Args of the flags up
// computes for the node.
func TestPodletUnitRunsWhatUpRuns(t *testing.T) {
	cfg, err := Config{}.resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	st := newState(cfg)
	const exe = "/usr/local/bin/podlet"
	for _, n := range st.Nodes {
		f := st.podletFlags(n) // what ensurePodlet starts
		text, err := PodletUnit(exe, f)
		if err != nil {
			t.Fatalf("%s: %v", n.Name, err)
		}
		got := execStart(t, text)
		if want := append([]string{exe}, f.Args()...); !slices.Equal(got, want) {
			t.Errorf("%s: ExecStart %q\nwant %q", n.Name, got, want)
		}
	}

	// A unit's defaults are the local cluster's: the same overlay, pod
	// range and state directory; only the address, the server and the
	// token's file are the machine's own.
	up := st.podletFlags(st.Nodes[0])
	vm := UnitPodletFlags("node1", "192.168.56.11", "http://192.168.56.10:6443")
	if vm.Backend != up.Backend || vm.ClusterCIDR != up.ClusterCIDR || vm.StateDir != up.StateDir || vm.NodeName != up.NodeName {
		t.Errorf("unit defaults %+v differ from podlab up's %+v", vm, up)
	}
	if vm.Backend != "vxlan" || vm.ClusterCIDR != "10.244.0.0/16" || vm.TokenFile != UnitNodeTokenFile {
		t.Errorf("unit defaults %+v", vm)
	}
}

// The server unit runs the program with ServerFlags.Args, and its
// defaults are the cluster's.
func TestServerUnitRunsServerFlags(t *testing.T) {
	cfg, err := Config{}.resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	f := UnitServerFlags("192.168.56.10:6443")
	if f.PodCIDR != cfg.PodCIDR.String() || f.EtcdClientURL != cfg.EtcdClientURL || f.EtcdPeerURL != cfg.EtcdPeerURL {
		t.Errorf("unit defaults %+v differ from the cluster's %+v", f, cfg)
	}
	const exe = "/usr/local/bin/podlab-server"
	text, err := ServerUnit(exe, f)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := execStart(t, text), append([]string{exe}, f.Args()...); !slices.Equal(got, want) {
		t.Errorf("ExecStart %q\nwant %q", got, want)
	}
	want := []string{"[Unit]\n", "After=network-online.target\n", "[Service]\n", "Restart=always\n", "[Install]\nWantedBy=multi-user.target\n",
		"--listen 192.168.56.10:6443", "--data-dir /var/lib/podlab/server", "--token-file /etc/podlab/tokens.csv"}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("the server unit lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "KillMode") {
		t.Errorf("the server unit stops all of itself, no KillMode:\n%s", text)
	}
}

// Stopping or restarting the podlet unit stops the podlet alone, not the
// pods it runs: they are in its cgroup.
func TestPodletUnitKeepsPods(t *testing.T) {
	text, err := PodletUnit("/usr/local/bin/podlet", UnitPodletFlags("node1", "192.168.56.11", "http://192.168.56.10:6443"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"\nKillMode=process\n", "\nRestart=always\n", "Description=podlab node agent (podlet) of node node1"} {
		if !strings.Contains(text, w) {
			t.Errorf("the podlet unit lacks %q:\n%s", w, text)
		}
	}
}

// Words with blanks, quotes, backslashes, % and $ come back from an
// ExecStart line as they went in.
func TestExecQuoteRoundTrip(t *testing.T) {
	words := []string{"/opt/pod lab/bin/podlet", "plain", "", "a b", `say "hi"`, `back\slash`, "100%", "$HOME", "${X}", ";", "it's", "tab\there"}
	line := make([]string, len(words))
	for i, w := range words {
		line[i] = execQuote(w)
	}
	got := splitExecStart(t, strings.Join(line, " "))
	if !slices.Equal(got, words) {
		t.Errorf("round trip of %q\ngave %q\nthrough %s", words, got, strings.Join(line, " "))
	}
	if execQuote("/usr/local/bin/podlet") != "/usr/local/bin/podlet" || execQuote("10.244.0.0/16") != "10.244.0.0/16" {
		t.Error("a plain word is quoted")
	}
}

func TestUnitFlagErrors(t *testing.T) {
	server := UnitServerFlags("192.168.56.10:6443")
	node := UnitPodletFlags("node1", "192.168.56.11", "http://192.168.56.10:6443")
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"relative program", func() error { _, err := ServerUnit("bin/podlab-server", server); return err }, `must be an absolute path, not "bin/podlab-server"`},
		{"listen without port", func() error { f := server; f.Listen = "192.168.56.10"; _, err := ServerUnit("/x", f); return err }, `--listen "192.168.56.10"`},
		{"pod cidr", func() error { f := server; f.PodCIDR = "10.244.0.1/16"; _, err := ServerUnit("/x", f); return err }, `--pod-cidr "10.244.0.1/16"`},
		{"relative data dir", func() error { f := server; f.DataDir = "data"; _, err := ServerUnit("/x", f); return err }, `--data-dir "data": want an absolute path`},
		{"etcd url", func() error { f := server; f.EtcdPeerURL = "127.0.0.1:2380"; _, err := ServerUnit("/x", f); return err }, `--etcd-peer-url "127.0.0.1:2380"`},
		{"node name", func() error { f := node; f.NodeName = "Node_1"; _, err := PodletUnit("/x", f); return err }, `--node-name "Node_1"`},
		{"node ip", func() error { f := node; f.NodeIP = "fe80::1"; _, err := PodletUnit("/x", f); return err }, `--node-ip "fe80::1"`},
		{"server", func() error { f := node; f.Server = "192.168.56.10:6443"; _, err := PodletUnit("/x", f); return err }, `--server "192.168.56.10:6443"`},
		{"backend", func() error { f := node; f.Backend = "udp"; _, err := PodletUnit("/x", f); return err }, `--backend: unknown overlay backend "udp"`},
		{"cluster cidr", func() error { f := node; f.ClusterCIDR = ""; _, err := PodletUnit("/x", f); return err }, `--cluster-cidr ""`},
	} {
		if err := tc.err(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// systemd itself reads both units without a complaint, where
// systemd-analyze is installed.
func TestUnitsVerifiedBySystemd(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: the units' syntax is checked by systemd on the VMs only")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "bin", "podlab server") // a blank must survive the quoting
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	server, err := ServerUnit(exe, UnitServerFlags("192.168.56.10:6443"))
	if err != nil {
		t.Fatal(err)
	}
	podlet, err := PodletUnit(exe, UnitPodletFlags("node1", "192.168.56.11", "http://192.168.56.10:6443"))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for name, text := range map[string]string{ServerUnitName: server, PodletUnitName: podlet} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	cmd := exec.Command(analyze, append([]string{"verify", "--man=no"}, paths...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	// It has no manager to ask without systemd as PID 1, and says so on
	// some versions; anything about our files is a mistake.
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, dir) {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
	if err != nil && !strings.Contains(out.String(), dir) {
		t.Logf("systemd-analyze verify exited %v without naming our units:\n%s", err, out.String())
	}
}

// execStart returns the words of the ExecStart line of a unit.
func execStart(t *testing.T, unit string) []string {
	t.Helper()
	var lines []string
	for _, line := range strings.Split(unit, "\n") {
		if rest, ok := strings.CutPrefix(line, "ExecStart="); ok {
			lines = append(lines, rest)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("want one ExecStart line, have %d:\n%s", len(lines), unit)
	}
	return splitExecStart(t, lines[0])
}

// splitExecStart reads an ExecStart line as systemd.service(5) says:
// words split at blanks, double quotes, backslash escapes, %% and $$.
func splitExecStart(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			quoted, inWord = !quoted, true
		case c == '\\' && i+1 < len(line):
			i++
			switch line[i] {
			case 'n':
				w.WriteByte('\n')
			case 't':
				w.WriteByte('\t')
			default:
				w.WriteByte(line[i])
			}
			inWord = true
		case (c == '%' || c == '$') && i+1 < len(line) && line[i+1] == c:
			i++
			w.WriteByte(c)
		case c == '%' || c == '$':
			t.Fatalf("an unescaped %c in %q: systemd would expand it", c, line)
		case c == ' ' && !quoted:
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("an open quote in %q", line)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}
