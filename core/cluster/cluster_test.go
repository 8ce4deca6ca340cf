package cluster

import (
	"bytes"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestResolveDefaults(t *testing.T) {
	c, err := Config{}.resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Nodes: 2, Underlay: netip.MustParsePrefix("172.30.0.0/24"), PodCIDR: netip.MustParsePrefix("10.244.0.0/16"),
		Prefix: "podlab", Bridge: "podlab-underlay", Backend: "vxlan", EtcdClientURL: "http://127.0.0.1:2379", EtcdPeerURL: "http://127.0.0.1:2380"}
	if c != want {
		t.Errorf("defaults %+v, want %+v", c, want)
	}
	// The names and addresses of DESIGN.md.
	for _, tc := range [][2]string{
		{c.nodeName(1), "node1"}, {c.netnsName(2), "podlab-node2"}, {c.hostVeth(1), "podlab-n1"},
		{c.hostAddr().String(), "172.30.0.1/24"}, {c.nodeAddr(1).String(), "172.30.0.11/24"},
		{c.nodeAddr(2).String(), "172.30.0.12/24"}, {c.serverURL(), "http://172.30.0.1:6443"},
	} {
		if tc[0] != tc[1] {
			t.Errorf("got %q, want %q", tc[0], tc[1])
		}
	}
}

// On a running cluster a zero field is what the cluster has, and another
// value is an error that says to take it down first.
func TestResolveRunning(t *testing.T) {
	running, _ := Config{Nodes: 3, Prefix: "podlabt", Bridge: "podlabt-ul"}.resolve(nil)
	c, err := Config{}.resolve(&running)
	if err != nil || c != running {
		t.Fatalf("resolve against the running cluster: %+v, %v", c, err)
	}
	if c, err := (Config{Nodes: 3, Underlay: running.Underlay}).resolve(&running); err != nil || c != running {
		t.Errorf("the same values: %+v, %v", c, err)
	}
	_, err = Config{Nodes: 2, PodCIDR: netip.MustParsePrefix("10.245.0.0/16")}.resolve(&running)
	if err == nil || !strings.Contains(err.Error(), "--nodes 2 (the cluster has 3)") ||
		!strings.Contains(err.Error(), "--pod-cidr 10.245.0.0/16 (the cluster has 10.244.0.0/16)") ||
		!strings.Contains(err.Error(), "podlab down") {
		t.Errorf("another shape: %v", err)
	}
	// The backend may change on a running cluster; an old state without
	// one has vxlan.
	if c, err := (Config{Backend: "host-gw"}).resolve(&running); err != nil || c.Backend != "host-gw" {
		t.Errorf("--backend host-gw on a running cluster: %+v, %v", c, err)
	}
	old := running
	old.Backend = ""
	if c, err := (Config{}).resolve(&old); err != nil || c.Backend != "vxlan" {
		t.Errorf("a state from before backends: %+v, %v", c, err)
	}
	if _, err := (Config{Backend: "udp"}).resolve(nil); err == nil || !strings.Contains(err.Error(), `--backend: unknown overlay backend "udp"`) {
		t.Errorf("--backend udp: %v", err)
	}
}

func TestValidate(t *testing.T) {
	p := netip.MustParsePrefix
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{Prefix: "kind"}, `--prefix "kind": must be "podlab"`},
		{Config{Prefix: "podlab-x"}, `--prefix "podlab-x"`},
		{Config{Prefix: "podlabtesting1"}, `--bridge "podlabtesting1-ul"`},
		{Config{Bridge: "br0"}, `--bridge "br0"`},
		{Config{Prefix: "podlabtesting", Bridge: "podlabtesting", Nodes: 10}, "the veth of node 10 would be \"podlabtesting-n10\""},
		{Config{Underlay: p("172.30.0.0/28"), Nodes: 5}, "too small for 5 nodes"},
		{Config{PodCIDR: p("10.244.0.0/23"), Nodes: 3}, "fewer /24 ranges than the 3 nodes"},
		{Config{Underlay: p("10.244.5.0/24")}, "overlaps --pod-cidr 10.244.0.0/16"},
		{Config{Underlay: p("10.96.0.0/24")}, "overlaps the service range"},
		{Config{PodCIDR: p("10.96.0.0/12")}, "--pod-cidr 10.96.0.0/12 overlaps the service range"},
		{Config{Underlay: p("fd00::/64")}, "only IPv4"},
	} {
		_, err := tc.c.resolve(nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
	if _, err := (Config{Underlay: p("172.30.0.0/28"), Nodes: 4}).resolve(nil); err != nil {
		t.Errorf("a /28 holds 4 nodes (.11-.14): %v", err)
	}
	if _, err := ParsePrefix("underlay", "172.30.0.1/24"); err == nil || !strings.Contains(err.Error(), "did you mean 172.30.0.0/24?") {
		t.Errorf("ParsePrefix: %v", err)
	}
	if _, err := ParsePrefix("underlay", "nonsense"); err == nil || !strings.Contains(err.Error(), "not a CIDR") {
		t.Errorf("ParsePrefix: %v", err)
	}
}

func TestStateSaveLoad(t *testing.T) {
	t.Setenv("PODLAB_RUN", t.TempDir())
	if st, err := Load(); st != nil || err != nil {
		t.Fatalf("no cluster: %v %v", st, err)
	}
	cfg, _ := Config{}.resolve(nil)
	st := newState(cfg)
	if st.Dir != Dir() || st.Nodes[1].NetNS != "podlab-node2" || st.Nodes[1].HostVeth != "podlab-n2" ||
		st.Nodes[1].Addr != "172.30.0.12/24" || st.Nodes[0].TokenFile != filepath.Join(Dir(), "node1.token") ||
		st.Nodes[0].StateDir != filepath.Join(os.Getenv("PODLAB_RUN"), "nodes", "node1") ||
		st.Nodes[0].Log != filepath.Join(Dir(), "podlet-node1.log") || st.Server.URL != "http://172.30.0.1:6443" {
		t.Errorf("state %+v", st)
	}
	if got := st.nodeNet(st.Nodes[0]); got != (NodeNet{Name: "node1", NetNS: "/run/netns/podlab-node1", HostVeth: "podlab-n1",
		Addr: netip.MustParsePrefix("172.30.0.11/24"), Gateway: netip.MustParseAddr("172.30.0.1")}) {
		t.Errorf("nodeNet %+v", got)
	}
	if err := st.mkdirAll(st.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	st.Server.Process = &Process{PID: 42, StartTime: 7, Exe: "/bin/podlab-server"}
	if err := st.save(); err != nil {
		t.Fatal(err)
	}
	got, err := Load()
	if err != nil || !reflect.DeepEqual(got, st) {
		t.Errorf("loaded %+v, %v\nwant %+v", got, err, st)
	}
	if info, err := os.Stat(stateFile(st.Dir)); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v %v", info, err)
	}
	os.WriteFile(stateFile(st.Dir), []byte("{"), 0o600)
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "remove it by hand") {
		t.Errorf("a broken state: %v", err)
	}
}

// mkdirAll records what it creates; removeMadeDirs removes those that are
// empty, deepest first, and leaves the rest.
func TestMadeDirs(t *testing.T) {
	base := t.TempDir()
	st := &State{}
	a, ab, abc := filepath.Join(base, "a"), filepath.Join(base, "a", "b"), filepath.Join(base, "a", "b", "c")
	if err := st.mkdirAll(abc, 0o700); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(base, "a", "other")
	os.Mkdir(other, 0o700)
	if err := st.mkdirAll(ab, 0o700); err != nil { // exists: nothing new
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st.MadeDirs, []string{abc, ab, a}) {
		t.Errorf("made %v", st.MadeDirs)
	}
	removed := st.removeMadeDirs()
	if !reflect.DeepEqual(removed, []string{abc, ab}) {
		t.Errorf("removed %v", removed)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a directory up did not make is gone: %v", err)
	}
}

func TestTokens(t *testing.T) {
	t.Setenv("PODLAB_RUN", t.TempDir())
	cfg, _ := Config{}.resolve(nil)
	st := newState(cfg)
	os.MkdirAll(st.Dir, 0o700)
	admin, made, err := st.ensureTokens()
	if err != nil || len(made) != 3 || len(admin) != 64 {
		t.Fatalf("first: %q %v %v", admin, made, err)
	}
	data, _ := os.ReadFile(st.TokenFile)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "#") || lines[1] != admin+",admin,admin" ||
		!strings.HasSuffix(lines[2], ",system:node:node1,node1") || !strings.HasSuffix(lines[3], ",system:node:node2,node2") {
		t.Errorf("token file:\n%s", data)
	}
	node1, _ := os.ReadFile(st.Nodes[0].TokenFile)
	if !strings.HasPrefix(lines[2], strings.TrimSpace(string(node1))+",") {
		t.Errorf("node1.token %q does not match %q", node1, lines[2])
	}
	for _, f := range []string{st.TokenFile, st.Nodes[0].TokenFile} {
		if info, _ := os.Stat(f); info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v: a token is a password", f, info.Mode())
		}
	}
	// Again: kept.
	if again, made, err := st.ensureTokens(); again != admin || len(made) != 0 || err != nil {
		t.Errorf("again: %v %v", made, err)
	}
	if got, err := st.adminToken(); got != admin || err != nil {
		t.Errorf("adminToken: %q %v", got, err)
	}
	// A node's file lost: that node gets a new token, the others keep theirs.
	os.Remove(st.Nodes[1].TokenFile)
	if again, made, err := st.ensureTokens(); again != admin || !maps.Equal(made, map[string]bool{"system:node:node2": true}) || err != nil {
		t.Errorf("after a loss: %v %v", made, err)
	}
	// A node added: only it gets a token.
	st.Nodes = append(st.Nodes, st.newNode(3))
	if again, made, err := st.ensureTokens(); again != admin || !maps.Equal(made, map[string]bool{"system:node:node3": true}) || err != nil {
		t.Errorf("after adding node3: %v %v", made, err)
	}
	if tokens, _ := readTokenFile(st.TokenFile); len(tokens) != 4 {
		t.Errorf("token file after adding node3: %v", tokens)
	}
}

func TestProgress(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(&out, false)
	p.Title("podlab up: %d", 2)
	p.Done("", "made %s", "x")
	p.Done("there already", "y")
	p.Failed("z")
	want := "podlab up: 2\n  ✓ made x\n  ✓ y (there already)\n  ✗ z\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	out.Reset()
	NewProgress(&out, true).Done("note", "x")
	if !strings.Contains(out.String(), "\x1b[32m✓\x1b[0m") {
		t.Errorf("colour: %q", out.String())
	}
	var nilProgress *Progress
	nilProgress.Done("", "nothing") // says nothing, does not panic
}
