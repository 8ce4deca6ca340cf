package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// The cluster's bearer tokens. podlab-server's --token-file lists every
// user, one "token,user,uid" line each, as kube-apiserver's
// --token-auth-file does:
//
//	# podlab cluster tokens: token,user,uid
//	3f1c...,admin,admin
//	9a2b...,system:node:node1,node1
//
// and each podlet gets its node's token alone in <node>.token. The node
// users are named as Kubernetes names them, system:node:<node>, so that a
// Node authorizer can later let each podlet write its own Node only.

// adminUser is the user of "podlab get" and the other cluster commands.
const adminUser = "admin"

// nodeUser is the user a node's podlet is.
func nodeUser(node string) string { return "system:node:" + node }

// ensureTokens makes the token file and every node's token file exist,
// with a token for admin and for each node. Tokens that are there already
// are kept, so a restarted podlab-server and the running podlets still
// agree; made lists the users that got a new one (all of them the first
// time; a node added since, later): what runs with the old file must
// restart. It returns the admin token.
func (st *State) ensureTokens() (admin string, made map[string]bool, err error) {
	tokens, err := readTokenFile(st.TokenFile)
	if err != nil {
		tokens = map[string]string{}
	}
	users := []string{adminUser}
	for _, n := range st.Nodes {
		users = append(users, nodeUser(n.Name))
	}
	made = map[string]bool{}
	for _, n := range st.Nodes {
		// A node whose own file does not match gets a new token.
		data, err := os.ReadFile(n.TokenFile)
		if u := nodeUser(n.Name); err != nil || strings.TrimSpace(string(data)) != tokens[u] {
			delete(tokens, u)
		}
	}
	var b strings.Builder
	b.WriteString("# podlab cluster tokens, podlab-server --token-file: token,user,uid\n")
	for _, user := range users {
		if tokens[user] == "" {
			t, err := newToken()
			if err != nil {
				return "", nil, err
			}
			tokens[user], made[user] = t, true
		}
		uid := strings.TrimPrefix(user, "system:node:")
		fmt.Fprintf(&b, "%s,%s,%s\n", tokens[user], user, uid)
	}
	if len(made) == 0 {
		return tokens[adminUser], made, nil
	}
	if err := os.WriteFile(st.TokenFile, []byte(b.String()), 0o600); err != nil {
		return "", nil, fmt.Errorf("write the token file: %w", err)
	}
	for _, n := range st.Nodes {
		if made[nodeUser(n.Name)] {
			if err := os.WriteFile(n.TokenFile, []byte(tokens[nodeUser(n.Name)]+"\n"), 0o600); err != nil {
				return "", nil, fmt.Errorf("write the token file of %s: %w", n.Name, err)
			}
		}
	}
	return tokens[adminUser], made, nil
}

// dropToken removes the line of user from the token file.
func (st *State) dropToken(user string) error {
	data, err := os.ReadFile(st.TokenFile)
	if err != nil {
		return fmt.Errorf("read the token file: %w", err)
	}
	var keep []string
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if f := strings.Split(strings.TrimSpace(line), ","); len(f) >= 3 && f[1] == user {
			continue
		}
		keep = append(keep, line)
	}
	if err := os.WriteFile(st.TokenFile, []byte(strings.Join(keep, "")), 0o600); err != nil {
		return fmt.Errorf("write the token file: %w", err)
	}
	return nil
}

// readTokenFile reads a "token,user,uid" file: user → token.
func readTokenFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tokens := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) < 3 {
			return nil, fmt.Errorf("%s: %q is not token,user,uid", path, line)
		}
		tokens[f[1]] = f[0]
	}
	return tokens, nil
}

// adminToken returns the token of user admin from the token file.
func (st *State) adminToken() (string, error) {
	tokens, err := readTokenFile(st.TokenFile)
	if err != nil {
		return "", fmt.Errorf("read the admin token: %w", err)
	}
	if tokens[adminUser] == "" {
		return "", fmt.Errorf("read the admin token: no user %q in %s", adminUser, st.TokenFile)
	}
	return tokens[adminUser], nil
}

// newToken returns 32 random bytes in hex, as podlab-server makes its own.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate a token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
