package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/podlab/podlab/core/api"
)

// requestTimeout bounds every request but a watch, when the caller's
// context has no deadline of its own: a server that does not answer must
// not hang a controller or a student's terminal.
const requestTimeout = 30 * time.Second

// maxResponse bounds what the client reads of one answer (a list of a
// few thousand pods fits easily).
const maxResponse = 64 << 20

// Client talks to the podlab API server over HTTP, the way client-go talks
// to kube-apiserver: JSON bodies, Kubernetes paths, a bearer token.
//
// Use the typed accessors, one per kind:
//
//	c, err := client.New(client.Config{Server: "http://127.0.0.1:6443", Token: token})
//	pod, err := c.Pods("default").Get(ctx, "web")
//	nodes, _, err := c.Nodes().List(ctx, client.ListOptions{})
//
// or Resource for a kind known only at run time, as "podlab apply" does.
type Client struct {
	server string // base URL without a trailing slash
	token  string
	http   *http.Client
}

// New returns a client for the server of cfg. It does not connect yet.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server %q is not an http:// or https:// URL, like http://127.0.0.1:6443", cfg.Server)
	}
	// No overall timeout on the http.Client: a watch stays open for as long
	// as its context; other requests get requestTimeout in do.
	return &Client{server: strings.TrimRight(cfg.Server, "/"), token: cfg.Token, http: &http.Client{}}, nil
}

// Server returns the URL of the API server.
func (c *Client) Server() string { return c.server }

// The typed accessors. A namespaced kind takes the namespace its calls
// work in; "" means every namespace for List and Watch (like "-A"), and
// the object's own namespace for Create and Update.
func (c *Client) Pods(ns string) *Resource[*api.Pod] { return typed[*api.Pod](c, api.KindPod, ns) }
func (c *Client) Nodes() *Resource[*api.Node]        { return typed[*api.Node](c, api.KindNode, "") }
func (c *Client) Namespaces() *Resource[*api.Namespace] {
	return typed[*api.Namespace](c, api.KindNamespace, "")
}
func (c *Client) Events(ns string) *Resource[*api.Event] {
	return typed[*api.Event](c, api.KindEvent, ns)
}
func (c *Client) Services(ns string) *Resource[*api.Service] {
	return typed[*api.Service](c, api.KindService, ns)
}
func (c *Client) Endpoints(ns string) *Resource[*api.Endpoints] {
	return typed[*api.Endpoints](c, api.KindEndpoints, ns)
}
func (c *Client) ReplicationControllers(ns string) *Resource[*api.ReplicationController] {
	return typed[*api.ReplicationController](c, api.KindReplicationController, ns)
}
func (c *Client) PersistentVolumeClaims(ns string) *Resource[*api.PersistentVolumeClaim] {
	return typed[*api.PersistentVolumeClaim](c, api.KindPersistentVolumeClaim, ns)
}
func (c *Client) ReplicaSets(ns string) *Resource[*api.ReplicaSet] {
	return typed[*api.ReplicaSet](c, api.KindReplicaSet, ns)
}
func (c *Client) Deployments(ns string) *Resource[*api.Deployment] {
	return typed[*api.Deployment](c, api.KindDeployment, ns)
}
func (c *Client) StatefulSets(ns string) *Resource[*api.StatefulSet] {
	return typed[*api.StatefulSet](c, api.KindStatefulSet, ns)
}
func (c *Client) DaemonSets(ns string) *Resource[*api.DaemonSet] {
	return typed[*api.DaemonSet](c, api.KindDaemonSet, ns)
}
func (c *Client) Jobs(ns string) *Resource[*api.Job] { return typed[*api.Job](c, api.KindJob, ns) }
func (c *Client) CronJobs(ns string) *Resource[*api.CronJob] {
	return typed[*api.CronJob](c, api.KindCronJob, ns)
}
func (c *Client) HorizontalPodAutoscalers(ns string) *Resource[*api.HorizontalPodAutoscaler] {
	return typed[*api.HorizontalPodAutoscaler](c, api.KindHorizontalPodAutoscaler, ns)
}

// Resource returns an accessor for objects of kind, for code that learns
// the kind at run time from a manifest. Its objects are the kind's Go type
// behind the api.Object interface, like *api.Deployment.
func (c *Client) Resource(kind api.TypeMeta, ns string) (*Resource[api.Object], error) {
	if _, err := api.New(kind); err != nil {
		return nil, err
	}
	return typed[api.Object](c, kind, ns), nil
}

// do sends one request and decodes a JSON answer into out (if not nil). A
// non-2xx answer becomes a *StatusError.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, contentType string, body []byte, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, requestTimeout)
		defer cancel()
	}
	resp, err := c.send(ctx, method, path, query, contentType, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return statusError(resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
	}
	return nil
}

// send starts a request and returns the response, whatever its status.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, contentType string, body []byte) (*http.Response, error) {
	u := c.server + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var unreachable *url.Error
		if errors.As(err, &unreachable) && ctx.Err() == nil {
			return nil, fmt.Errorf("cannot reach the API server at %s: %w (is it running? \"podlab up\" starts a local cluster)", c.server, unreachable.Err)
		}
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp, nil
}
