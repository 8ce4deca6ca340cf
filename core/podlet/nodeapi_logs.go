package podlet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/podlab/podlab/core/runtime"
)

// GET /containerLogs/{namespace}/{pod}/{container}: the file in which the
// runtime keeps what the current instance of the container wrote to
// stdout and stderr, as it is (the kubelet's CRI log files add a
// timestamp and the stream to every line; podlab's do not).
//
//	follow=true   then keep sending what the container writes, until the
//	              client goes away, or the instance has exited and all it
//	              wrote is sent
//	tailLines=N   only the last N lines
//	previous=true the instance before the current one: the runtime removes
//	              it when it starts the next, so there never is one
//
// The log is polled, not watched: a read every logPoll is cheap and
// easy to follow (inotify would be the kubelet's way).

func (a *NodeAPIServer) containerLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	follow, err1 := boolParam(q, "follow")
	previous, err2 := boolParam(q, "previous")
	tail, err3 := tailParam(q.Get("tailLines"))
	if err := errors.Join(err1, err2, err3); err != nil {
		writeStatus(w, http.StatusBadRequest, "%v", err)
		return
	}
	ps, st, ok := a.lookup(w, r)
	if !ok {
		return
	}
	if previous {
		writeStatus(w, http.StatusBadRequest, "previous terminated container %q in pod %q not found: the runtime keeps only the current instance of a container", r.PathValue("container"), ps.Pod.Name)
		return
	}
	f, err := os.Open(a.cfg.Runtime.LogPath(st.Spec.Name))
	if errors.Is(err, fs.ErrNotExist) { // a container that has written nothing yet
		f, err = os.Open(os.DevNull)
	}
	if err != nil {
		writeStatus(w, http.StatusInternalServerError, "%v", err)
		return
	}
	defer f.Close()
	if tail >= 0 {
		if err := seekTail(f, tail); err != nil {
			writeStatus(w, http.StatusInternalServerError, "%v", err)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !follow {
		io.Copy(w, f)
		return
	}
	a.followLog(r.Context(), w, f, ps, r.PathValue("container"), st)
}

// followLog sends the log as it grows, flushing each piece, until ctx ends
// (the client went away) or instance st of container name is no longer
// running: then what is left in the file, and the answer ends.
func (a *NodeAPIServer) followLog(ctx context.Context, w http.ResponseWriter, f *os.File, ps *runtime.PodState, name string, st *runtime.State) {
	rc := http.NewResponseController(w)
	for {
		if _, err := io.Copy(w, f); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
		// Checked after the copy: a process that exited wrote its last
		// line before, so the copy below has it.
		if !a.stillRunning(ps, name, st) {
			io.Copy(w, f)
			rc.Flush()
			return
		}
		sleepCtx(ctx, a.logPoll)
		if ctx.Err() != nil {
			return
		}
	}
}

// stillRunning tells whether instance st is still the current one of
// container name, and running: a restart makes another instance, with
// another log.
func (a *NodeAPIServer) stillRunning(ps *runtime.PodState, name string, st *runtime.State) bool {
	now, err := a.cfg.Runtime.ContainerState(ps, name)
	return err == nil && now.Status == runtime.Running && now.CreatedAt.Equal(st.CreatedAt)
}

// seekTail moves f to where its last n lines begin. A last line without
// its newline counts as a line.
func seekTail(f *os.File, n int) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	off, err := tailOffset(f, fi.Size(), n)
	if err != nil {
		return err
	}
	_, err = f.Seek(off, io.SeekStart)
	return err
}

// tailOffset finds the start of the last n lines of the first size bytes
// of r, reading backwards a block at a time: a tail of a large log reads
// only its end.
func tailOffset(r io.ReaderAt, size int64, n int) (int64, error) {
	if n == 0 {
		return size, nil
	}
	const block = 4096
	buf := make([]byte, block)
	lines := 0
	for end := size; end > 0; {
		start := max(end-block, 0)
		chunk := buf[:end-start]
		if _, err := r.ReadAt(chunk, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		for i := len(chunk) - 1; i >= 0; i-- {
			// The newline that ends the file ends the last line; every
			// other one starts the line after it.
			if chunk[i] != '\n' || start+int64(i) == size-1 {
				continue
			}
			if lines++; lines == n {
				return start + int64(i) + 1, nil
			}
		}
		end = start
	}
	return 0, nil
}

// boolParam reads the true/false query parameter name; none is false.
func boolParam(q url.Values, name string) (bool, error) {
	s := q.Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%s: want true or false, not %q", name, s)
	}
	return b, nil
}

// tailParam reads tailLines: -1 (all) when not given.
func tailParam(s string) (int, error) {
	if s == "" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("tailLines: want a number of lines, 0 or more, not %q", s)
	}
	return n, nil
}
