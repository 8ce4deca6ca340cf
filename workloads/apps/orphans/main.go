// Command orphans is the workload of lab 04 (single-process model). Run as
// PID 1 of a container, it keeps making orphans and never reaps them, so
// they pile up as zombies (state Z in ps): reaping is the job of an init
// process such as pause, and an ordinary app does not do it.
//
// Every -every it starts an intermediate child, which starts a grandchild
// and exits at once. The grandchild is now an orphan, and the kernel makes
// PID 1 of its PID namespace its new parent. The grandchild exits after
// 100ms, and stays a zombie until its parent calls wait(): this program
// waits only for its own intermediate children, never wait(-1).
//
// Usage: orphans [-every 500ms] [-max 20]. After -max orphans it sleeps
// until SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	// The same binary plays all three roles, chosen by its first argument.
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "intermediate":
			intermediate()
			return
		case "grandchild":
			time.Sleep(100 * time.Millisecond)
			return
		}
	}

	every := flag.Duration("every", 500*time.Millisecond, "how often to make an orphan")
	limit := flag.Int("max", 20, "how many orphans to make")
	flag.Parse()

	// PID 1 of a container gets SIGTERM only if it handles it. Go's signal
	// handling never calls wait(), so the zombies stay.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	fmt.Printf("orphans: pid %d, making %d orphans, one every %s\n", os.Getpid(), *limit, *every)
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for n := 1; n <= *limit; n++ {
		select {
		case <-ctx.Done():
			fmt.Println("orphans: terminated")
			return
		case <-tick.C:
		}
		pid, err := spawnOrphan()
		if err != nil {
			fmt.Fprintln(os.Stderr, "orphans:", err)
			os.Exit(1)
		}
		fmt.Printf("spawned orphan %d (pid %d)\n", n, pid)
	}
	fmt.Printf("orphans: made %d orphans, now sleeping; see them with \"ps -o pid,ppid,stat,comm\"\n", *limit)
	<-ctx.Done()
	fmt.Println("orphans: terminated")
}

// self is this program, re-executed for the other two roles. The kernel
// names a process after the file it runs, so using the path behind the
// /proc/self/exe link makes the zombies "orphans" in ps, not "exe".
func self() string {
	path, err := os.Executable()
	if err != nil {
		return "/proc/self/exe"
	}
	return path
}

// spawnOrphan runs an intermediate child and returns the PID of the
// grandchild it left behind. Output() waits for the intermediate child:
// like any parent, we reap our own children.
func spawnOrphan() (int, error) {
	out, err := exec.Command(self(), "intermediate").Output()
	if err != nil {
		return 0, fmt.Errorf("run intermediate child: %w", err)
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

// intermediate starts a grandchild, prints its PID and exits without
// waiting for it, which makes the grandchild an orphan.
func intermediate() {
	grandchild := exec.Command(self(), "grandchild")
	if err := grandchild.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "orphans: start grandchild:", err)
		os.Exit(1)
	}
	fmt.Println(grandchild.Process.Pid)
}
