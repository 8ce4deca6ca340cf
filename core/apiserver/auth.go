package apiserver

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// LoadTokens reads a static token file, the format of kube-apiserver's
// --token-auth-file: one CSV line per token,
//
//	token,user,uid[,"group1,group2"]
//
// Blank lines and lines starting with # are skipped; the groups column is
// accepted and ignored for now. It returns a map from token to user name,
// and an error naming the line of the first malformed one.
func LoadTokens(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load tokens: %w", err)
	}
	defer f.Close()

	r := csv.NewReader(f)
	r.Comment = '#'
	r.FieldsPerRecord = -1 // checked below, with a better message
	r.TrimLeadingSpace = true
	tokens := map[string]string{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil { // a csv.ParseError names the line itself
			return nil, fmt.Errorf("load tokens from %q: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) < 3 || len(rec) > 4 || rec[0] == "" || rec[1] == "" || rec[2] == "" {
			return nil, fmt.Errorf("load tokens from %q: line %d: want \"token,user,uid\", got %d fields with an empty one or too few or too many",
				path, line, len(rec))
		}
		if _, dup := tokens[rec[0]]; dup {
			return nil, fmt.Errorf("load tokens from %q: line %d: duplicate token", path, line)
		}
		tokens[rec[0]] = rec[1]
	}
	if len(tokens) == 0 {
		return nil, fmt.Errorf("load tokens from %q: no tokens in the file", path)
	}
	return tokens, nil
}

// GenerateTokenFile writes a token file with one new admin token, readable
// by its owner only (mode 0600), and returns the token:
//
//	<64 hex digits>,admin,admin
//
// If the file already exists it is left alone and the token of its user
// "admin" is returned, so a restarted server keeps the token its clients
// already have.
func GenerateTokenFile(path string) (token string, err error) {
	if _, err := os.Stat(path); err == nil {
		return adminToken(path)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	token = hex.EncodeToString(b)

	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("write token file: %w", err)
	}
	// O_EXCL: if another process creates the file in between, keep theirs.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return adminToken(path)
	}
	if err != nil {
		return "", fmt.Errorf("write token file: %w", err)
	}
	_, err = fmt.Fprintf(f, "%s,admin,admin\n", token)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil { // leave no half-written file for the next start to trust
		os.Remove(path)
		return "", fmt.Errorf("write token file %q: %w", path, err)
	}
	return token, nil
}

// adminToken returns the token of user "admin" in an existing token file.
func adminToken(path string) (string, error) {
	tokens, err := LoadTokens(path)
	if err != nil {
		return "", err
	}
	for token, user := range tokens {
		if user == "admin" {
			return token, nil
		}
	}
	return "", fmt.Errorf("token file %q exists but has no token of user \"admin\"", path)
}

// publicPaths are answered without a token, so that a load balancer or
// `podlab up` can probe the server, as kube-apiserver allows for its health
// endpoints.
var publicPaths = map[string]bool{"/healthz": true, "/livez": true}

// Authenticate lets through only requests carrying
//
//	Authorization: Bearer <token>
//
// with a token of tokens (see LoadTokens); every other request gets
// 401 Unauthorized and never reaches next. /healthz and /livez need no token.
func Authenticate(tokens map[string]string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if publicPaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		if _, ok := lookupToken(tokens, bearerToken(r)); !ok {
			WriteStatus(w, http.StatusUnauthorized, ReasonUnauthorized, "Unauthorized", nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header, or "" if the header is missing or has another shape.
func bearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	token = strings.TrimSpace(token)
	if strings.ContainsAny(token, " \t") {
		return ""
	}
	return token
}

// lookupToken finds the user of token. It compares against every token in
// constant time instead of indexing the map, so the time of a failed request
// does not tell an attacker how much of a guess was right.
func lookupToken(tokens map[string]string, token string) (user string, ok bool) {
	if token == "" {
		return "", false
	}
	for t, u := range tokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
			user, ok = u, true
		}
	}
	return user, ok
}
