// Command pause is the infra process of every Pod, as Kubernetes'
// registry.k8s.io/pause. It holds the Pod's namespaces (the runtime starts
// it in new network, IPC and UTS namespaces, and PID ones with
// shareProcessNamespace) so that containers can join them and can come and
// go while the Pod's IP stays. It does almost nothing, on purpose:
//
//   - sets the Pod's hostname (-hostname), in its own UTS namespace;
//   - says "ok" on -ready-fd when it is set up;
//   - reaps every exited child: as PID 1 of a shared PID namespace it
//     inherits the Pod's orphans, which would otherwise stay zombies;
//   - exits 0 on SIGTERM or SIGINT;
//   - prints its version on -v.
//
// It imports only syscall and os/signal: it runs once per Pod, so its
// memory and start-up time are multiplied by the number of Pods.
package main

import (
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

const version = "3.10-podlab"

func main() {
	hostname, readyFD := "", -1
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		switch {
		case strings.EqualFold(args[i], "-v"):
			say(1, "pause.go "+version+"\n")
			os.Exit(0)
		case args[i] == "-hostname" && i+1 < len(args):
			i++
			hostname = args[i]
		case args[i] == "-ready-fd" && i+1 < len(args):
			i++
			readyFD, _ = strconv.Atoi(args[i])
		}
	}
	if os.Getpid() != 1 {
		say(2, "pause: warning: not PID 1 (the Pod does not share one PID namespace)\n")
	}
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	if hostname != "" {
		if err := syscall.Sethostname([]byte(hostname)); err != nil {
			ready(readyFD, "error: set hostname: "+err.Error()+"\n")
			os.Exit(1)
		}
	}
	ready(readyFD, "ok\n")

	for sig := range signals {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		name := "SIGTERM"
		if sig == syscall.SIGINT {
			name = "SIGINT"
		}
		say(2, "pause: shutting down on "+name+"\n")
		os.Exit(0)
	}
}

// reap waits for every child that has exited, without blocking.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// ready tells the runtime that the sandbox is set up (or why not).
func ready(fd int, msg string) {
	if fd >= 0 {
		say(fd, msg)
		syscall.Close(fd)
	}
}

func say(fd int, msg string) { syscall.Write(fd, []byte(msg)) }
