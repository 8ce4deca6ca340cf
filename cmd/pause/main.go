// Command pause is the infra process of every Pod, as Kubernetes'
// registry.k8s.io/pause (build/pause/linux/pause.c). The runtime starts it
// in new network, IPC and UTS namespaces (and PID, if the Pod shares one),
// and the containers join them: pause holds them, so containers can come and
// go while the Pod keeps its IP. It does almost nothing, on purpose:
//
//   - sets the Pod's hostname (-hostname) in its UTS namespace; by hand, run
//     it in a new one (sudo unshare -u pause -hostname x) or it renames the host;
//   - says "ok" on -ready-fd when set up (or "error: ..." and exits 1);
//   - reaps every exited child: as PID 1 of a shared PID namespace it
//     inherits the Pod's orphans, which would otherwise stay zombies;
//   - exits 0 on SIGTERM or SIGINT, and prints its version on -v.
//
// One runs per Pod, so its memory counts: no fmt, no flag, only os/signal
// and syscall. Nearly all of its ~2 MiB is the Go runtime itself.
package main

import (
	"errors"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

const version = "3.10-podlab"

func main() {
	// As pause.c: any argument equal to -v, in any case, prints the version.
	for _, arg := range os.Args[1:] {
		if strings.EqualFold(arg, "-v") {
			say(1, "pause.go podlab "+version+"\n")
			os.Exit(0)
		}
	}
	// As pause.c: warn, but run. Pause is PID 1 only if the Pod shares one
	// PID namespace; otherwise each container has its own PID 1.
	if os.Getpid() != 1 {
		say(2, "pause: warning: not PID 1, will not reap the Pod's orphans\n")
	}

	// Handle signals before saying "ok": until then SIGTERM would kill pause
	// with Go's default action instead of a clean exit 0. Two channels: many
	// SIGCHLDs may merge into one (reap collects every exited child), but
	// they must never fill the channel that SIGTERM needs.
	stop := make(chan os.Signal, 1)
	child := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	signal.Notify(child, syscall.SIGCHLD)

	readyFD, err := setup(os.Args[1:])
	if err != nil {
		say(2, "pause: "+err.Error()+"\n")
		ready(readyFD, "error: "+err.Error()+"\n")
		os.Exit(1)
	}
	ready(readyFD, "ok\n") // the runtime starts the containers only now

	for {
		select {
		case <-child:
			reap()
		case sig := <-stop:
			// As pause.c's sigdown(): name the signal and exit 0, so that
			// stopping a Pod is not a failure. When PID 1 of a PID namespace
			// exits, the kernel kills everything left in it.
			name := "SIGTERM"
			if sig == syscall.SIGINT {
				name = "SIGINT"
			}
			say(2, "pause: terminated by "+name+"\n")
			os.Exit(0)
		}
	}
}

// setup reads -hostname NAME and -ready-fd N and sets the hostname. It
// returns the ready fd (-1 if none) also on failure, to report it there.
func setup(args []string) (readyFD int, err error) {
	readyFD, hostname, badArgs := -1, "", false
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "-hostname" && i+1 < len(args):
			i++
			hostname = args[i]
		case args[i] == "-ready-fd" && i+1 < len(args):
			i++
			if readyFD, err = strconv.Atoi(args[i]); err != nil {
				return -1, errors.New("-ready-fd: not a number: " + strconv.Quote(args[i]))
			}
		default:
			badArgs = true // read on: the -ready-fd to report it on may follow
		}
	}
	if badArgs {
		return readyFD, errors.New("usage: pause [-hostname NAME] [-ready-fd N] | -v")
	}
	// This renames only the UTS namespace that the runtime made for the Pod
	// (CLONE_NEWUTS); every container of the Pod joins it.
	if hostname != "" {
		if err := syscall.Sethostname([]byte(hostname)); err != nil {
			return readyFD, errors.New("set hostname " + strconv.Quote(hostname) + ": " + err.Error())
		}
	}
	return readyFD, nil
}

// reap collects every exited child, as pause.c's sigreap(): wait4 until it
// returns 0 (children left, none exited) or fails with ECHILD (none left).
func reap() {
	for {
		pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 {
			return
		}
	}
}

// ready tells the runtime, waiting on the pipe's other end, that the sandbox
// is set up (or why not), and closes the pipe.
func ready(fd int, msg string) {
	if fd >= 0 {
		say(fd, msg)
		syscall.Close(fd)
	}
}

func say(fd int, msg string) { syscall.Write(fd, []byte(msg)) }
