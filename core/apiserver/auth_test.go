package apiserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const unauthorizedBody = `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`

func TestAuthenticateRejects(t *testing.T) {
	tokens := map[string]string{"right-token": "admin"}
	for _, tc := range []struct{ name, header string }{
		{"no header", ""},
		{"wrong token", "Bearer wrong-token"},
		{"prefix of the token", "Bearer right"},
		{"basic auth", "Basic cmlnaHQtdG9rZW4="},
		{"scheme only", "Bearer"},
		{"empty token", "Bearer "},
		{"token without scheme", "right-token"},
		{"two tokens", "Bearer right-token right-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			h := Authenticate(tokens, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
			req := httptest.NewRequest("GET", "/api", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized || rec.Body.String() != unauthorizedBody {
				t.Errorf("Authorization %q: %d %s, want 401 %s", tc.header, rec.Code, rec.Body, unauthorizedBody)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if called {
				t.Errorf("Authorization %q reached the handler behind", tc.header)
			}
		})
	}
}

func TestAuthenticateAccepts(t *testing.T) {
	h := New(nil, map[string]string{"right-token": "admin"}).Handler()
	for _, header := range []string{"Bearer right-token", "bearer right-token"} {
		req := httptest.NewRequest("GET", "/version", nil)
		req.Header.Set("Authorization", header)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		want := `{"gitVersion":"podlab-dev","platform":"linux/amd64"}`
		if rec.Code != http.StatusOK || rec.Body.String() != want {
			t.Errorf("GET /version with %q: %d %s, want 200 %s", header, rec.Code, rec.Body, want)
		}
	}
}

func TestGenerateTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server", "tokens.csv")
	token, err := GenerateTokenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != 64 || strings.Trim(token, "0123456789abcdef") != "" {
		t.Errorf("token %q, want 64 hex digits", token)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if string(data) != token+",admin,admin\n" {
		t.Errorf("token file holds %q", data)
	}

	// A restart must not change the token clients already have.
	again, err := GenerateTokenFile(path)
	if err != nil || again != token {
		t.Errorf("second GenerateTokenFile = %q, %v; want the first token %q", again, err, token)
	}
	tokens, err := LoadTokens(path)
	if err != nil || len(tokens) != 1 || tokens[token] != "admin" {
		t.Errorf("LoadTokens = %v, %v", tokens, err)
	}
}

func TestLoadTokens(t *testing.T) {
	tokens, err := LoadTokens(writeFile(t, "# tokens of the lab cluster\n\nt1,admin,admin\nt2, alice, 1001, \"dev,ops\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 2 || tokens["t1"] != "admin" || tokens["t2"] != "alice" {
		t.Errorf("LoadTokens = %v", tokens)
	}

	for _, tc := range []struct{ content, want string }{
		{"t1,admin,admin\n\nt2,alice\n", "line 3"},
		{"# comment\nt1,,admin\n", "line 2"},
		{"t1,admin,admin\nt1,alice,1001\n", "line 2: duplicate token"},
		{"t1,admin,admin,g,extra\n", "line 1"},
		{"t1,\"admin,admin\n", "line 1"},
		{"# only a comment\n", "no tokens"},
	} {
		_, err := LoadTokens(writeFile(t, tc.content))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadTokens of %q: error %v, want one containing %q", tc.content, err, tc.want)
		}
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// get sends a GET to h, with a bearer token unless token is "".
func get(t *testing.T, h http.Handler, path, token string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}
