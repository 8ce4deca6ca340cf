package runtime

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/proc"
)

// openPidfd returns a pidfd for pid if it is still the process that started
// at start.
func openPidfd(pid int, start uint64) (int, error) {
	if pid <= 0 {
		return -1, fmt.Errorf("no pid")
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, err
	}
	// Checked after opening: from now on the fd pins the process we verified.
	if !proc.Alive(pid, start) {
		unix.Close(fd)
		return -1, fmt.Errorf("pid %d is not the recorded process", pid)
	}
	return fd, nil
}

// waitPidfd waits up to d for the process to exit; a pidfd becomes readable
// when it does.
func waitPidfd(ctx context.Context, fd int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if exitedPidfd(fd) {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			return false
		}
		ms := min(int(left/time.Millisecond)+1, 100)
		unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, ms)
	}
}

func exitedPidfd(fd int) bool {
	n, _ := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 0)
	return n > 0
}
