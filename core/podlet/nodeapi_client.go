package podlet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/podlab/podlab/core/client"
	"github.com/podlab/podlab/core/runtime"
)

// NodeClient calls the node API of one node, with the token the caller
// uses for the API server: what "podlab logs", "exec" and "top" do.
//
//	nc := podlet.NewNodeClient("172.30.0.11:10250", token)
//	err := nc.Logs(ctx, "default", "web", "app", podlet.LogOptions{TailLines: -1}, os.Stdout)
//
// A refusal comes back as a *client.StatusError, as from the API server.
type NodeClient struct {
	base  string // http://172.30.0.11:10250
	token string
	http  *http.Client
}

// nodeRequestTimeout bounds the requests that are not streams (stats,
// inspect) when the caller's context has no deadline.
const nodeRequestTimeout = 30 * time.Second

// nodeTransport is shared by every NodeClient: a Transport of its own per
// client would keep its idle connection to the node (and two goroutines)
// open for as long as the process lives, one more for each "podlab logs"
// or check of the checker. No proxy: nodes are reached directly.
var nodeTransport = &http.Transport{
	DialContext:     (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	IdleConnTimeout: 90 * time.Second,
}

// NewNodeClient returns a client of the node API at addr, a host:port.
func NewNodeClient(addr, token string) *NodeClient {
	return &NodeClient{
		base:  "http://" + addr,
		token: token,
		// No overall timeout: a followed log or an exec lasts.
		http: &http.Client{Transport: nodeTransport},
	}
}

// LogOptions choose what Logs prints.
type LogOptions struct {
	Follow    bool // keep printing until the container exits
	TailLines int  // only the last lines; -1 for all
	Previous  bool // the instance before the current one
}

// Logs copies the log of a container to w.
func (c *NodeClient) Logs(ctx context.Context, namespace, pod, container string, o LogOptions, w io.Writer) error {
	q := url.Values{}
	if o.Follow {
		q.Set("follow", "true")
	}
	if o.TailLines >= 0 {
		q.Set("tailLines", strconv.Itoa(o.TailLines))
	}
	if o.Previous {
		q.Set("previous", "true")
	}
	resp, err := c.send(ctx, http.MethodGet, podPath("containerLogs", namespace, pod, container), q, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil && ctx.Err() == nil {
		return fmt.Errorf("read the logs from %s: %w", c.base, err)
	}
	return nil
}

// ExecOptions are the command of Exec and where its streams go.
type ExecOptions struct {
	Command []string
	// Stdin, if not nil, is sent to the command on an upgraded connection
	// as it comes: interactive use, "exec -i".
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// TTY runs the command on a terminal of its own, "exec -it"; it needs
	// Stdin. What the command prints to stdout and stderr comes as one
	// stream, to Stdout. Size is the terminal's size at start; each size
	// that comes on Resize is sent on, until Exec returns.
	TTY    bool
	Size   runtime.TerminalSize
	Resize <-chan runtime.TerminalSize
}

// ExecOutput runs a command in a container without stdin and returns what
// it printed to stdout, trimmed; a non-zero exit code is an error that
// has it and what the command printed to stderr.
func (c *NodeClient) ExecOutput(ctx context.Context, namespace, pod, container string, command ...string) (string, error) {
	var out, errOut bytes.Buffer
	code, err := c.Exec(ctx, namespace, pod, container, ExecOptions{Command: command, Stdout: &out, Stderr: &errOut})
	if err == nil && code != 0 {
		err = fmt.Errorf("exec %q in %s/%s: exit code %d: %s", strings.Join(command, " "), pod, container, code, strings.TrimSpace(errOut.String()))
	}
	return strings.TrimSpace(out.String()), err
}

// Exec runs a command in a container and returns its exit code once it
// has exited and all its output is written. An error means the command
// did not run, or the connection broke, or ctx ended first.
func (c *NodeClient) Exec(ctx context.Context, namespace, pod, container string, o ExecOptions) (int, error) {
	if o.TTY && o.Stdin == nil {
		return -1, errors.New("exec: a terminal needs stdin: set ExecOptions.Stdin")
	}
	q := url.Values{"command": o.Command}
	header := http.Header{}
	if o.Stdin != nil {
		q.Set("stdin", "true")
		header.Set("Connection", "Upgrade")
		header.Set("Upgrade", ExecProtocol)
	}
	if o.TTY {
		q.Set("tty", "true")
		if o.Size != (runtime.TerminalSize{}) {
			q.Set("width", strconv.Itoa(int(o.Size.Width)))
			q.Set("height", strconv.Itoa(int(o.Size.Height)))
		}
	}
	resp, err := c.send(ctx, http.MethodPost, podPath("exec", namespace, pod, container), q, header)
	if err != nil {
		return -1, err
	}
	defer resp.Body.Close()
	if o.Stdin == nil {
		return readExecFrames(resp.Body, o.Stdout, o.Stderr)
	}
	conn, ok := resp.Body.(io.ReadWriteCloser)
	if resp.StatusCode != http.StatusSwitchingProtocols || !ok {
		return -1, fmt.Errorf("exec at %s: the node did not upgrade the connection (%s)", c.base, resp.Status)
	}
	// Once upgraded, the connection is ours: nothing else closes it when
	// ctx ends.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	out := &frameSender{w: conn}
	go sendStdin(out, o.Stdin)
	if o.Resize != nil {
		done := make(chan struct{})
		defer close(done)
		go sendResizes(out, o.Resize, done)
	}
	code, err := readExecFrames(conn, o.Stdout, o.Stderr)
	if err != nil && ctx.Err() != nil {
		return -1, fmt.Errorf("exec: %w", context.Cause(ctx))
	}
	return code, err
}

// frameSender writes whole frames from several goroutines: stdin and
// resizes.
type frameSender struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *frameSender) send(ch byte, payload []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return WriteFrame(s.w, ch, payload)
}

// sendStdin sends r as stdin frames, then the empty frame that closes it.
func sendStdin(s *frameSender, r io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 && s.send(StreamStdin, buf[:n]) != nil {
			return
		}
		if err != nil {
			s.send(StreamStdin, nil)
			return
		}
	}
}

// sendResizes sends each size that comes as a resize frame, until done.
func sendResizes(s *frameSender, sizes <-chan runtime.TerminalSize, done <-chan struct{}) {
	for {
		select {
		case size := <-sizes:
			if s.send(StreamResize, ResizePayload(size)) != nil {
				return
			}
		case <-done:
			return
		}
	}
}

// readExecFrames writes the output frames to stdout and stderr until the
// exit frame, or the error frame.
func readExecFrames(r io.Reader, stdout, stderr io.Writer) (int, error) {
	for {
		ch, payload, err := ReadFrame(r)
		if errors.Is(err, io.EOF) {
			return -1, errors.New("exec: the connection ended before the command's exit code came")
		}
		if err != nil {
			return -1, fmt.Errorf("exec: %w", err)
		}
		switch ch {
		case StreamStdout:
			stdout.Write(payload)
		case StreamStderr:
			stderr.Write(payload)
		case StreamExit:
			code, err := strconv.Atoi(string(payload))
			if err != nil {
				return -1, fmt.Errorf("exec: exit frame %q is not a number", payload)
			}
			return code, nil
		case StreamError:
			return -1, errors.New(string(payload))
		}
	}
}

// Summary reads the node's /stats/summary.
func (c *NodeClient) Summary(ctx context.Context) (*Summary, error) {
	var s Summary
	return &s, c.getJSON(ctx, "/stats/summary", &s)
}

// Inspect reads /inspect of a pod.
func (c *NodeClient) Inspect(ctx context.Context, namespace, pod string) (*PodInspection, error) {
	var in PodInspection
	return &in, c.getJSON(ctx, podPath("inspect", namespace, pod), &in)
}

func (c *NodeClient) getJSON(ctx context.Context, path string, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, nodeRequestTimeout)
		defer cancel()
	}
	resp, err := c.send(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("GET %s%s: decode the answer: %w", c.base, path, err)
	}
	return nil
}

// send sends a request with the token and returns the answer if it is a
// success (2xx, or 101 for an upgrade); a refusal becomes an error.
func (c *NodeClient) send(ctx context.Context, method, path string, q url.Values, header http.Header) (*http.Response, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ctx.Err() == nil {
			return nil, fmt.Errorf("cannot reach the node API at %s: %w (is the node's podlet running? \"podlab status\" tells)", c.base, ue.Err)
		}
		return nil, err
	}
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusSwitchingProtocols {
		return resp, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return nil, nodeStatusError(resp.StatusCode, data)
}

// nodeStatusError decodes a Status answer into a client.StatusError.
func nodeStatusError(code int, body []byte) error {
	var st status
	if json.Unmarshal(body, &st) == nil && st.Kind == "Status" && st.Message != "" {
		return &client.StatusError{Code: code, Reason: st.Reason, Message: st.Message}
	}
	msg := strings.TrimSpace(string(body))
	if msg == "" {
		msg = http.StatusText(code)
	}
	return &client.StatusError{Code: code, Reason: http.StatusText(code), Message: fmt.Sprintf("the node answered %d: %s", code, msg)}
}

// podPath is /<what>/<namespace>/<pod>[/<container>], each name escaped.
func podPath(what string, names ...string) string {
	p := "/" + what
	for _, n := range names {
		p += "/" + url.PathEscape(n)
	}
	return p
}
