package podlet

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Authentication of the node API, delegated to the API server: the
// kubelet's webhook token authentication, where the kubelet sends each
// token it does not know in a TokenReview and caches the verdict. podlab's
// API server has no TokenReview; a GET of /version with the token asks the
// same question: 200 means the server accepts the token, 401 that it does
// not.
//
//	client ── Bearer T ──> podlet  (T in the cache? use the verdict)
//	                         └── GET /version, Bearer T ──> podlab-server
//	                                200: good   401: bad   else: no verdict
//
// A verdict is kept for a minute, so a token the server stops accepting
// still opens the node API for up to that long, as with the kubelet's
// cache. The cache is bounded: a client that sends many made-up tokens
// costs the API server requests, never the podlet its memory.

// TokenReviewer tells whether the cluster accepts a bearer token.
type TokenReviewer interface {
	// Review returns true for a good token, false for a bad one, and an
	// error when it cannot tell (the API server does not answer).
	Review(ctx context.Context, token string) (bool, error)
}

// Defaults of APIServerReviewer.
const (
	DefaultReviewTTL     = time.Minute
	DefaultReviewEntries = 1024
	reviewTimeout        = 5 * time.Second
)

// APIServerReviewer reviews tokens by asking the API server, and caches
// the verdicts.
type APIServerReviewer struct {
	url  string // the API server's /version
	http *http.Client
	ttl  time.Duration
	max  int
	now  func() time.Time

	mu    sync.Mutex
	cache map[[sha256.Size]byte]verdict // by hash: no token is kept in memory
}

type verdict struct {
	good    bool
	expires time.Time
}

// NewAPIServerReviewer returns a reviewer that asks the API server at
// server (like http://172.30.0.1:6443), caching each verdict for
// DefaultReviewTTL, at most DefaultReviewEntries of them.
func NewAPIServerReviewer(server string) *APIServerReviewer {
	return &APIServerReviewer{
		url:   strings.TrimRight(server, "/") + "/version",
		http:  &http.Client{Timeout: reviewTimeout},
		ttl:   DefaultReviewTTL,
		max:   DefaultReviewEntries,
		now:   time.Now,
		cache: map[[sha256.Size]byte]verdict{},
	}
}

// Review answers from the cache, or asks the API server. A failure to ask
// is not cached: the next request asks again.
func (r *APIServerReviewer) Review(ctx context.Context, token string) (bool, error) {
	key := sha256.Sum256([]byte(token))
	if good, ok := r.cached(key); ok {
		return good, nil
	}
	good, err := r.ask(ctx, token)
	if err != nil {
		return false, err
	}
	r.remember(key, good)
	return good, nil
}

// ask sends the token to the API server with a GET of /version.
func (r *APIServerReviewer) ask(ctx context.Context, token string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := r.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("review a token with the API server: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusUnauthorized:
		return false, nil
	}
	return false, fmt.Errorf("review a token with the API server: GET %s answered %s", r.url, resp.Status)
}

func (r *APIServerReviewer) cached(key [sha256.Size]byte) (good, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.cache[key]
	if !ok || !r.now().Before(v.expires) {
		return false, false
	}
	return v.good, true
}

// remember caches a verdict. When the cache is full, the expired verdicts
// go, and if none had, the one that would expire first.
func (r *APIServerReviewer) remember(key [sha256.Size]byte, good bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if _, ok := r.cache[key]; !ok && len(r.cache) >= r.max {
		var oldest [sha256.Size]byte
		first := true
		for k, v := range r.cache {
			if !now.Before(v.expires) {
				delete(r.cache, k)
			} else if first || v.expires.Before(r.cache[oldest].expires) {
				oldest, first = k, false
			}
		}
		if len(r.cache) >= r.max {
			delete(r.cache, oldest)
		}
	}
	r.cache[key] = verdict{good: good, expires: now.Add(r.ttl)}
}

// authenticate lets through only requests whose bearer token the
// reviewer accepts; /healthz needs none. Every other request gets 401 and
// never reaches next.
func (a *NodeAPIServer) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		token := bearerToken(r)
		if token == "" {
			writeStatus(w, http.StatusUnauthorized, "Unauthorized: send the token you use with the API server, as \"Authorization: Bearer <token>\"")
			return
		}
		good, err := a.cfg.Reviewer.Review(r.Context(), token)
		if err != nil {
			a.log.Warn("cannot check a token: refusing the request", "method", r.Method, "path", r.URL.Path, "err", err)
			writeStatus(w, http.StatusUnauthorized, "Unauthorized: the node could not check the token with the API server (see the podlet's log)")
			return
		}
		if !good {
			writeStatus(w, http.StatusUnauthorized, "Unauthorized")
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
