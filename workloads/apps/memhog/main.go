// Command memhog is the memory workload of lab 02 (resource limits). It
// allocates memory and really uses it, so under a cgroup memory limit the
// kernel OOM-kills it (exit 137, OOMKilled) and the student sees the limit
// enforced; its last "allocated" line shows how far it got.
//
// Usage: memhog [-mb 100] [-hold 0] [MiB]. A positional MiB overrides -mb;
// -hold 0 holds the memory until SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

const mib = 1 << 20

func main() {
	mb := flag.Int("mb", 100, "MiB to allocate")
	hold := flag.Duration("hold", 0, "how long to hold the memory before exiting (0: until SIGTERM)")
	flag.Parse()
	if flag.NArg() > 0 {
		n, err := strconv.Atoi(flag.Arg(0))
		if err != nil {
			fmt.Fprintf(os.Stderr, "memhog: MiB must be a number, not %q\n", flag.Arg(0))
			os.Exit(2)
		}
		*mb = n
	}
	if *mb < 0 {
		fmt.Fprintf(os.Stderr, "memhog: MiB must not be negative, got %d\n", *mb)
		os.Exit(2)
	}

	// PID 1 of a container gets SIGTERM only if it handles it.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	fmt.Printf("memhog: allocating %d MiB\n", *mb)

	// The kernel hands out memory lazily: a fresh allocation costs nothing
	// until a page is first written. Writing one byte in every page makes
	// the memory resident, so it counts against the cgroup's limit.
	page := os.Getpagesize()
	chunks := make([][]byte, 0, *mb)
	for i := 1; i <= *mb; i++ {
		chunk := make([]byte, mib)
		for j := 0; j < len(chunk); j += page {
			chunk[j] = 1
		}
		chunks = append(chunks, chunk)
		// os.Stdout is unbuffered: each line is in the log before an OOM kill.
		if i%16 == 0 || i == *mb {
			fmt.Printf("allocated %d MiB\n", i)
		}
	}

	// Hold the memory.
	var timeout <-chan time.Time // nil: wait forever
	if *hold > 0 {
		timeout = time.After(*hold)
	}
	select {
	case <-ctx.Done():
		fmt.Println("memhog: terminated")
	case <-timeout:
		fmt.Printf("memhog: held %d MiB for %s\n", *mb, *hold)
	}
	runtime.KeepAlive(chunks) // the memory stays in use until here, not garbage
}
