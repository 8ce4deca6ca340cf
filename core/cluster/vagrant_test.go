package cluster

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podlab/podlab/core/client"
)

// vagrantTokens runs vagrant/tokens.sh, what "make vagrant" runs on the
// host, with args.
func vagrantTokens(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("sh", append([]string{"../../vagrant/tokens.sh"}, args...)...).CombinedOutput()
	return string(out), err
}

// The tokens of the Vagrant cluster are in the formats podlab up writes
// and its readers read: the token file of podlab-server, a podlet's
// token file, the client config. They stay when it runs again; a node
// added gets one, a node gone loses its own.
func TestVagrantTokens(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tokens")
	const server = "http://192.168.56.10:6443"
	if out, err := vagrantTokens(t, dir, "2", server); err != nil {
		t.Fatalf("tokens.sh: %v\n%s", err, out)
	}
	tokens, err := readTokenFile(filepath.Join(dir, "tokens.csv"))
	if err != nil {
		t.Fatal(err)
	}
	hex := regexp.MustCompile(`^[0-9a-f]{64}$`)
	seen := map[string]bool{}
	for _, user := range []string{adminUser, nodeUser("node1"), nodeUser("node2")} {
		if !hex.MatchString(tokens[user]) || seen[tokens[user]] {
			t.Errorf("token of %s: %q, want 64 hex digits of its own", user, tokens[user])
		}
		seen[tokens[user]] = true
	}
	if len(tokens) != 3 {
		t.Errorf("users %v, want admin, node1 and node2", tokens)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "tokens.csv"))
	if !strings.Contains(string(data), ","+nodeUser("node2")+",node2\n") {
		t.Errorf("a node's line is not token,system:node:<node>,<node>:\n%s", data)
	}
	checkNodeToken := func(node string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, node+".token"))
		if err != nil || string(data) != tokens[nodeUser(node)]+"\n" {
			t.Errorf("%s.token: %q, %v; want its token alone on a line", node, data, err)
		}
	}
	checkNodeToken("node1")
	checkNodeToken("node2")
	cfg, err := client.LoadConfig(filepath.Join(dir, "admin.conf"))
	if err != nil || cfg != (client.Config{Server: server, Token: tokens[adminUser]}) {
		t.Errorf("admin.conf: %+v, %v", cfg, err)
	}
	for _, f := range []string{"tokens.csv", "node1.token", "admin.conf"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want mode 0600: it holds a secret", f, st.Mode(), err)
		}
	}

	// Again, with a third node: the tokens of before stay.
	if out, err := vagrantTokens(t, dir, "3", server); err != nil {
		t.Fatalf("tokens.sh again: %v\n%s", err, out)
	}
	again, err := readTokenFile(filepath.Join(dir, "tokens.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for user, token := range tokens {
		if again[user] != token {
			t.Errorf("the token of %s changed", user)
		}
	}
	if !hex.MatchString(again[nodeUser("node3")]) {
		t.Errorf("node3 got no token: %v", again)
	}
	tokens = again
	checkNodeToken("node3")

	// With one node: node2 and node3 lose theirs.
	if out, err := vagrantTokens(t, dir, "1", server); err != nil {
		t.Fatalf("tokens.sh with 1 node: %v\n%s", err, out)
	}
	if again, _ = readTokenFile(filepath.Join(dir, "tokens.csv")); len(again) != 2 || again[nodeUser("node1")] != tokens[nodeUser("node1")] {
		t.Errorf("with one node: %v", again)
	}
	for _, node := range []string{"node2", "node3"} {
		if _, err := os.Stat(filepath.Join(dir, node+".token")); !os.IsNotExist(err) {
			t.Errorf("%s.token stays: %v", node, err)
		}
	}
}

func TestVagrantTokensUsage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tokens")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{dir, "2"}, "usage: "},
		{[]string{dir, "two", "http://192.168.56.10:6443"}, `NODES "two": want a whole number`},
	} {
		out, err := vagrantTokens(t, tc.args...)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(out, tc.want) {
			t.Errorf("tokens.sh %q: %v, %q; want exit 2 and %q", tc.args, err, out, tc.want)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a usage error made %s: %v", dir, err)
	}
}

// The control VM's podlab-server, as its unit starts it, with the tokens
// "make vagrant" made: the real binary, run from the unit's ExecStart,
// serves, takes the admin token of every VM's client config and a node's
// token, and refuses another. Only the address is this machine's
// loopback instead of 192.168.56.10.
func TestVagrantServerUnitServes(t *testing.T) {
	dir := t.TempDir()
	build := exec.Command("go", "build", "-tags=urfave_cli_no_docs", "-o", dir+"/", "github.com/podlab/podlab/cmd/podlab-server")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build podlab-server: %v\n%s", err, out)
	}
	listen := unusedAddr(t)
	server := "http://" + listen
	tokens := filepath.Join(dir, "tokens")
	if out, err := vagrantTokens(t, tokens, "2", server); err != nil {
		t.Fatalf("tokens.sh: %v\n%s", err, out)
	}
	f := UnitServerFlags(listen)
	f.DataDir, f.TokenFile = filepath.Join(dir, "server"), filepath.Join(tokens, "tokens.csv")
	f.EtcdClientURL, f.EtcdPeerURL = "http://"+unusedAddr(t), "http://"+unusedAddr(t)
	unit, err := ServerUnit(filepath.Join(dir, "podlab-server"), f)
	if err != nil {
		t.Fatal(err)
	}
	argv := execStart(t, unit)
	cmd := exec.Command(argv[0], argv[1:]...)
	log, err := os.Create(filepath.Join(dir, "podlab-server.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM) // as systemctl stop does
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("podlab-server did not stop cleanly on SIGTERM: %v", err)
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Error("podlab-server still ran 20 s after SIGTERM")
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		resp, err := http.Get(server + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			data, _ := os.ReadFile(log.Name())
			t.Fatalf("podlab-server exited: %v\n%s", err, data)
		case <-ctx.Done():
			data, _ := os.ReadFile(log.Name())
			t.Fatalf("podlab-server is not healthy after 60 s:\n%s", data)
		case <-time.After(100 * time.Millisecond):
		}
	}

	admin, err := client.LoadConfig(filepath.Join(tokens, "admin.conf"))
	if err != nil {
		t.Fatal(err)
	}
	node1, err := os.ReadFile(filepath.Join(tokens, "node1.token"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who   string
		token string
		ok    bool
	}{
		{"admin, from admin.conf", admin.Token, true},
		{"node1, from node1.token", strings.TrimSpace(string(node1)), true},
		{"a stranger", strings.Repeat("0", 64), false},
	} {
		c, err := client.New(client.Config{Server: admin.Server, Token: tc.token})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Nodes().Get(ctx, "node1") // no node registered yet: 404 to a user it knows
		if tc.ok != client.IsNotFound(err) || !tc.ok && !client.IsUnauthorized(err) {
			t.Errorf("%s: %v", tc.who, err)
		}
	}
	// The server's own admin.conf, which it writes to its data directory,
	// says the same as the one every VM gets.
	own, err := client.LoadConfig(filepath.Join(f.DataDir, "admin.conf"))
	if err != nil || own != admin {
		t.Errorf("the server's admin.conf %+v (%v), the VMs' %+v", own, err, admin)
	}
}

// unusedAddr returns a loopback address with a port nothing listens on.
func unusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
