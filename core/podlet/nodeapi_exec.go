package podlet

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/podlab/podlab/core/runtime"
)

// POST /exec/{namespace}/{pod}/{container}?command=sh&command=-c&command=date
// runs a command in a running container, one command= per word of it, as
// "kubectl exec" asks the kubelet. What the command prints comes back in
// frames, so that stdout, stderr and the exit code can share one stream:
//
//	frame = channel (1 byte) | length (4 bytes, big-endian) | payload
//
//	channel 0  stdin   client → node; an empty payload closes stdin
//	channel 1  stdout  node → client
//	channel 2  stderr  node → client
//	channel 3  exit    node → client, the last frame: the exit code in
//	                   decimal, like "3" (128+N when signal N killed it)
//	channel 4  error   node → client, the last frame instead of exit: why
//	                   the command could not run, like "exec \"vim\": not
//	                   found in container ..."
//	channel 5  resize  client → node, with tty=true: the terminal's new
//	                   size, like {"width":132,"height":43}
//
// Channels 0 to 2 are numbered as in Kubernetes' channel protocol; a
// frame is Docker's attach header, shorter. Two ways to send stdin:
//
//   - plain (what curl can do): the request body is stdin, with
//     stdin=true; the answer, 200, is the frames from the node;
//   - interactive ("podlab exec -i"): the request carries "Connection:
//     Upgrade" and "Upgrade: podlab-exec"; the node answers 101 Switching
//     Protocols and the connection then carries frames both ways: stdin
//     (channel 0) as the user types, the output back. Kubernetes upgrades
//     to SPDY or WebSocket for the same reason: stdin and output must
//     flow at once, for as long as the command runs.
//
// With tty=true ("podlab exec -it", interactive only) the command runs on
// a terminal of its own (runtime.ExecTTY): stdin frames are typed into it,
// width= and height= give its size at start, resize frames the later
// ones, and what the command prints to stdout and stderr comes back as
// one stream on channel 1, as a terminal has one screen (Kubernetes does
// the same). The end of stdin is a ^D; a connection that breaks hangs the
// terminal up (SIGHUP). Errors found before the command starts (no such
// pod, a container that does not run, no command) are ordinary Status
// answers; once it starts, everything is a frame.

// Channels of the exec protocol.
const (
	StreamStdin  byte = 0
	StreamStdout byte = 1
	StreamStderr byte = 2
	StreamExit   byte = 3
	StreamError  byte = 4
	StreamResize byte = 5
)

// ExecProtocol is the protocol of an upgraded exec connection.
const ExecProtocol = "podlab-exec"

// ExecContentType is the media type of a plain exec answer: frames.
const ExecContentType = "application/vnd.podlab.exec-frames"

// maxFrame bounds a frame's payload: a peer cannot make us allocate more.
const maxFrame = 1 << 20

// WriteFrame writes one frame of channel ch.
func WriteFrame(w io.Writer, ch byte, payload []byte) error {
	if len(payload) > maxFrame {
		return fmt.Errorf("exec frame of %d bytes: at most %d", len(payload), maxFrame)
	}
	var header [5]byte
	header[0] = ch
	binary.BigEndian.PutUint32(header[1:], uint32(len(payload)))
	if _, err := w.Write(header[:]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// ResizePayload is the payload of a resize frame: the size as JSON.
func ResizePayload(size runtime.TerminalSize) []byte {
	b, _ := json.Marshal(size)
	return b
}

// ParseResize reads the payload of a resize frame.
func ParseResize(payload []byte) (runtime.TerminalSize, error) {
	var size runtime.TerminalSize
	if err := json.Unmarshal(payload, &size); err != nil {
		return size, fmt.Errorf("resize frame %q: want {\"width\":COLUMNS,\"height\":ROWS}: %w", payload, err)
	}
	return size, nil
}

// ReadFrame reads one frame. At a clean end of the stream, between two
// frames, the error is io.EOF.
func ReadFrame(r io.Reader) (ch byte, payload []byte, err error) {
	var header [5]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(header[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("exec frame of %d bytes: at most %d", n, maxFrame)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, fmt.Errorf("exec frame cut short: %w", io.ErrUnexpectedEOF)
	}
	return header[0], payload, nil
}

func (a *NodeAPIServer) exec(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	argv := q["command"]
	stdin, err1 := boolParam(q, "stdin")
	tty, err2 := boolParam(q, "tty")
	size, err3 := sizeParams(q)
	switch err := errors.Join(err1, err2, err3); {
	case err != nil:
		writeStatus(w, http.StatusBadRequest, "%v", err)
		return
	case len(argv) == 0 || argv[0] == "":
		writeStatus(w, http.StatusBadRequest, "no command: give it one word per parameter, like ?command=ls&command=-l")
		return
	case tty && (!stdin || !isUpgrade(r)):
		writeStatus(w, http.StatusBadRequest, "tty=true needs stdin=true on an upgraded connection (Upgrade: %s): a terminal's typing and resizes come as frames", ExecProtocol)
		return
	}
	ps, st, ok := a.lookup(w, r)
	if !ok {
		return
	}
	if st.Status != runtime.Running {
		writeStatus(w, http.StatusBadRequest, "container %q in pod %q is not running (%s)", r.PathValue("container"), ps.Pod.Name, st.Status)
		return
	}
	a.log.Info("exec", "pod", ps.Pod.Namespace+"/"+ps.Pod.Name, "container", r.PathValue("container"), "command", argv, "tty", tty)
	if isUpgrade(r) {
		a.execUpgraded(w, r, st, argv, stdin, tty, size)
		return
	}
	var in io.Reader
	if stdin {
		in = r.Body
		// Read the body (stdin) while the answer (output) is being
		// written: an HTTP/1 server would otherwise drain it first.
		http.NewResponseController(w).EnableFullDuplex()
	}
	w.Header().Set("Content-Type", ExecContentType)
	w.WriteHeader(http.StatusOK)
	flusher := http.NewResponseController(w)
	a.runExec(r.Context(), st, argv, in, &frameWriter{w: w, flush: flusher.Flush})
}

// sizeParams reads width= and height=, the size of a terminal at start;
// either may be left out.
func sizeParams(q url.Values) (runtime.TerminalSize, error) {
	var size runtime.TerminalSize
	for _, p := range []struct {
		name  string
		field *uint16
	}{{"width", &size.Width}, {"height", &size.Height}} {
		if s := q.Get(p.name); s != "" {
			n, err := strconv.ParseUint(s, 10, 16)
			if err != nil {
				return size, fmt.Errorf("%s: want a number of characters, 0 to 65535, not %q", p.name, s)
			}
			*p.field = uint16(n)
		}
	}
	return size, nil
}

// isUpgrade tells whether the request asks for an upgraded exec connection.
func isUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Connection") {
		for _, opt := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(opt), "upgrade") {
				return strings.EqualFold(r.Header.Get("Upgrade"), ExecProtocol)
			}
		}
	}
	return false
}

// execUpgraded takes the connection over from the HTTP server, answers 101
// and then speaks frames on it both ways.
func (a *NodeAPIServer) execUpgraded(w http.ResponseWriter, r *http.Request, st *runtime.State, argv []string, stdin, tty bool, size runtime.TerminalSize) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		writeStatus(w, http.StatusInternalServerError, "cannot upgrade the connection: %v", err)
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Time{}) // the server's timeouts were for the request
	// The podlet stopping ends the connection too (the server no longer
	// knows it).
	stop := context.AfterFunc(r.Context(), func() { conn.Close() })
	defer stop()
	rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + ExecProtocol + "\r\n\r\n")
	if rw.Flush() != nil {
		return
	}
	out := &frameWriter{w: rw.Writer, flush: rw.Flush}
	if tty {
		a.runExecTTY(r.Context(), st, argv, rw.Reader, size, out)
		return
	}
	var in io.Reader
	if stdin {
		in = &frameStdin{r: rw.Reader}
	}
	a.runExec(r.Context(), st, argv, in, out)
}

// runExecTTY runs argv on a terminal of its own: stdin frames from conn
// are typed into it, resize frames resize it, and what it prints goes
// out as stdout frames; then its exit code, or why it could not run.
func (a *NodeAPIServer) runExecTTY(ctx context.Context, st *runtime.State, argv []string, conn *bufio.Reader, size runtime.TerminalSize, out *frameWriter) {
	resize := make(chan runtime.TerminalSize)
	exited := make(chan struct{})
	in := &frameStdin{r: conn, resize: resize, exited: exited}
	code, err := a.cfg.Runtime.ExecTTY(ctx, st, argv, runtime.TTY{
		Stdin: in, Output: frameStream{out, StreamStdout}, Size: size, Resize: resize})
	close(exited) // a resize frame after the end is dropped
	if err != nil {
		out.write(StreamError, []byte(err.Error()))
		return
	}
	out.write(StreamExit, []byte(strconv.Itoa(code)))
}

// runExec runs argv in the container with stdin read from in (nil: none),
// sends what it prints to out, then its exit code, or why it could not run.
func (a *NodeAPIServer) runExec(ctx context.Context, st *runtime.State, argv []string, in io.Reader, out *frameWriter) {
	code, err := a.execStreams(ctx, st, argv, in, out)
	if err != nil {
		out.write(StreamError, []byte(err.Error()))
		return
	}
	out.write(StreamExit, []byte(strconv.Itoa(code)))
}

// execStreams connects the command to pipes, the runtime takes files: its
// stdin comes from in (through a pipe), its stdout and stderr go out as
// frames of their channels.
func (a *NodeAPIServer) execStreams(ctx context.Context, st *runtime.State, argv []string, in io.Reader, out *frameWriter) (int, error) {
	stdin, err := stdinFile(in)
	if err != nil {
		return -1, err
	}
	defer stdin.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		return -1, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return -1, err
	}
	var copying sync.WaitGroup
	copying.Go(func() { out.copyFrom(StreamStdout, outR) })
	copying.Go(func() { out.copyFrom(StreamStderr, errR) })
	code, err := a.cfg.Runtime.Exec(ctx, st, argv, stdin, outW, errW)
	outW.Close()
	errW.Close()
	// What the command printed before it exited is still in the pipes. A
	// process it left running in the background may hold them open: the
	// output gets execDrain to end, then the reading stops.
	drained := make(chan struct{})
	go func() { copying.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(a.execDrain):
		outR.SetReadDeadline(time.Now())
		errR.SetReadDeadline(time.Now())
		<-drained
	}
	return code, err
}

// stdinFile is the command's stdin: /dev/null without in, else the read
// end of a pipe that a goroutine fills from in and closes at its end.
func stdinFile(in io.Reader) (*os.File, error) {
	if in == nil {
		return os.Open(os.DevNull)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	go func() {
		io.Copy(w, in) // ends at the end of in, or when the command is gone (EPIPE)
		w.Close()
	}()
	return r, nil
}

// frameWriter sends frames to one client, from several goroutines (stdout
// and stderr), flushing each. After the first error (the client went
// away) it sends nothing more.
type frameWriter struct {
	mu    sync.Mutex
	w     io.Writer
	flush func() error
	err   error
}

func (f *frameWriter) write(ch byte, p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.err = WriteFrame(f.w, ch, p)
	if f.err == nil {
		f.err = f.flush()
	}
	return f.err
}

// copyFrom sends what r yields as frames of channel ch, until r ends or the
// client is gone, and closes r. Closing it when the client is gone makes
// the command's next write fail (EPIPE) instead of blocking for ever.
func (f *frameWriter) copyFrom(ch byte, r *os.File) {
	defer r.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 && f.write(ch, buf[:n]) != nil {
			return
		}
		if err != nil {
			return
		}
	}
}

// frameStream writes what it is given as frames of one channel.
type frameStream struct {
	f  *frameWriter
	ch byte
}

func (s frameStream) Write(p []byte) (int, error) {
	for n := 0; n < len(p); {
		chunk := min(len(p)-n, maxFrame)
		if err := s.f.write(s.ch, p[n:n+chunk]); err != nil {
			return n, err
		}
		n += chunk
	}
	return len(p), nil
}

// frameStdin reads stdin from the channel-0 frames of an upgraded
// connection. An empty frame ends it (io.EOF); a connection that ends
// first is an error. With resize set, resize frames are sent there
// until exited is closed; else they are skipped, as frames of any other
// channel are.
type frameStdin struct {
	r      *bufio.Reader
	rest   []byte
	done   bool
	resize chan<- runtime.TerminalSize
	exited <-chan struct{}
}

func (s *frameStdin) Read(p []byte) (int, error) {
	for len(s.rest) == 0 {
		if s.done {
			return 0, io.EOF
		}
		ch, payload, err := ReadFrame(s.r)
		if errors.Is(err, io.EOF) {
			return 0, errors.New("exec: the connection ended without closing stdin")
		}
		if err != nil {
			return 0, err
		}
		switch {
		case ch == StreamResize && s.resize != nil:
			size, err := ParseResize(payload)
			if err != nil {
				return 0, err
			}
			select {
			case s.resize <- size:
			case <-s.exited:
			}
		case ch == StreamStdin:
			s.rest, s.done = payload, len(payload) == 0
		}
	}
	n := copy(p, s.rest)
	s.rest = s.rest[n:]
	return n, nil
}
