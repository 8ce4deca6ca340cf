package hooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/podlab/podlab/core/api"
)

// Target is the container a hook or a probe acts on, as the podlet
// reaches it.
type Target struct {
	// PodIP is where httpGet and tcpSocket handlers connect, unless they
	// name a host.
	PodIP string
	// Exec runs argv inside the container and returns what it printed
	// (stdout and stderr) and its exit code; err is for a command that
	// could not run at all. The podlet passes a closure over
	// core/runtime's ExecOutput. Exec should end the command when ctx
	// ends; if it does not, the hook or probe stops waiting for it anyway.
	Exec func(ctx context.Context, argv []string) (output string, exitCode int, err error)
	// Dial, if set, opens the connections of httpGet and tcpSocket
	// handlers; nil dials from the podlet's own network namespace. A
	// podlet that runs outside its node's network namespace (a test's)
	// dials from inside it.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// execIn runs argv in the container of t and waits for it, or for ctx to
// end (then err wraps ctx.Err()).
func execIn(ctx context.Context, t Target, argv []string) (output string, exitCode int, err error) {
	if t.Exec == nil {
		return "", -1, errors.New("cannot run commands in the container: no Exec in the target")
	}
	type result struct {
		output string
		code   int
		err    error
	}
	done := make(chan result, 1) // buffered: a command that outlives ctx does not block forever
	go func() {
		output, code, err := t.Exec(ctx, argv)
		done <- result{output, code, err}
	}()
	select {
	case r := <-done:
		return r.output, r.code, r.err
	case <-ctx.Done():
		return "", -1, fmt.Errorf("command %q: %w", commandLine(argv), ctx.Err())
	}
}

// exitMessage says how a command ended, with what it printed, like
// `command "cat /tmp/healthy" exited with code 1: "cat: can't open '/tmp/healthy'"`.
func exitMessage(argv []string, code int, output string) string {
	msg := fmt.Sprintf("command %q exited with code %d", commandLine(argv), code)
	if output = strings.TrimSpace(output); output != "" {
		msg += fmt.Sprintf(": %q", output)
	}
	return msg
}

// commandLine shows argv in messages, like "cat /tmp/healthy".
func commandLine(argv []string) string { return strings.Join(argv, " ") }

// resolvePort returns the port number of a handler: the number itself,
// or that of the container's port of that name.
func resolvePort(port api.IntOrString, c *api.Container) (int, error) {
	if port.Type == api.String {
		n, ok := c.PortByName(port.StrVal)
		if !ok {
			return 0, fmt.Errorf("port %q not found in the ports of container %q", port.StrVal, c.Name)
		}
		return int(n), nil
	}
	if port.IntVal < 1 || port.IntVal > 65535 {
		return 0, fmt.Errorf("invalid port number %d", port.IntVal)
	}
	return int(port.IntVal), nil
}

// address returns host:port of an httpGet or tcpSocket handler: its host,
// or the pod's IP.
func address(host string, port api.IntOrString, c *api.Container, t Target) (string, error) {
	n, err := resolvePort(port, c)
	if err != nil {
		return "", err
	}
	if host == "" {
		host = t.PodIP
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

// newHTTPRequest builds the GET of handler h, as the kubelet does: the
// path may carry a query; a "Host" header sets the request's host. agent
// names the caller in the User-Agent header, unless h sets one.
func newHTTPRequest(ctx context.Context, h *api.HTTPGetAction, c *api.Container, t Target, agent string) (*http.Request, error) {
	if h.Scheme != "" && h.Scheme != api.URISchemeHTTP {
		return nil, fmt.Errorf("scheme %q is not supported: use HTTP", h.Scheme)
	}
	addr, err := address(h.Host, h.Port, c, t)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(h.Path)
	if err != nil {
		return nil, fmt.Errorf("parse path %q: %w", h.Path, err)
	}
	u.Scheme, u.Host = "http", addr
	if u.Path == "" {
		u.Path = "/"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", agent)
	req.Header.Set("Accept", "*/*")
	for _, header := range h.HTTPHeaders {
		if strings.EqualFold(header.Name, "Host") {
			req.Host = header.Value
			continue
		}
		req.Header.Set(header.Name, header.Value) // the first set replaces the default
	}
	return req, nil
}

// httpClient sends the GETs of probes and hooks: a new connection each
// time, no proxy from the environment, and redirects followed only on
// the same host; a redirect elsewhere is taken as the answer (a 3xx,
// which is a success), as the kubelet does.
var httpClient = &http.Client{
	Transport: &http.Transport{DisableKeepAlives: true},
	CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Hostname() != via[0].URL.Hostname() {
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	},
}

// maxBodyRead is how much of a response body is read before the
// connection is closed: the status is what counts.
const maxBodyRead = 10 << 10

// httpGet sends req from t and returns the response's status code.
func httpGet(req *http.Request, t Target) (int, error) {
	c := httpClient
	if t.Dial != nil {
		c = &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DialContext: t.Dial}, CheckRedirect: c.CheckRedirect}
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyRead))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// tcpConnect opens a TCP connection from t to addr and closes it at once.
func tcpConnect(ctx context.Context, addr string, t Target) error {
	dial := (&net.Dialer{}).DialContext
	if t.Dial != nil {
		dial = t.Dial
	}
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}
