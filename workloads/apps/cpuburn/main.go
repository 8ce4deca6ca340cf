// Command cpuburn is the CPU workload of lab 02 (resource limits) and lab
// 14 (hpa). It keeps a chosen amount of CPU busy, so a cgroup CPU quota
// visibly caps it ("-cpus 2" under a 0.5 CPU quota gets 0.5 CPU) and an
// autoscaler sees the load.
//
// Usage: cpuburn [-cpus 1.0] [-for 0]. "-cpus 1.5" is two busy loops, each
// busy 75% of every 100ms; "-for 0" burns until SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

// period is the duty cycle: a loop at share 0.3 spins 30ms of every 100ms,
// the same period as the kernel's default CFS quota period.
const period = 100 * time.Millisecond

func main() {
	cpus := flag.Float64("cpus", 1.0, "CPUs to keep busy, e.g. 0.3, 1 or 2.5")
	duration := flag.Duration("for", 0, "how long to burn (0: until SIGTERM)")
	flag.Parse()
	if *cpus <= 0 || *cpus > 1024 {
		fmt.Fprintf(os.Stderr, "cpuburn: -cpus must be above 0 and at most 1024, got %g\n", *cpus)
		os.Exit(2)
	}

	// One busy loop per CPU needed, each busy for its share of the period,
	// and as many Go threads running at once as there are loops.
	loops := int(math.Ceil(*cpus))
	share := *cpus / float64(loops)
	runtime.GOMAXPROCS(loops)

	// PID 1 of a container gets SIGTERM only if it handles it.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	fmt.Printf("cpuburn: using %g CPU: %d loops, each busy %.0f%% of every %s (GOMAXPROCS=%d)\n",
		*cpus, loops, share*100, period, loops)
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	for range loops {
		go burn(ctx, share)
	}
	<-ctx.Done()
	fmt.Println("cpuburn: done")
}

// burn spins for share of every period and sleeps for the rest, until ctx
// is done.
func burn(ctx context.Context, share float64) {
	busy := time.Duration(share * float64(period))
	for {
		start := time.Now()
		for time.Since(start) < busy {
			// spin: this is the CPU use
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(period - busy):
		}
	}
}
