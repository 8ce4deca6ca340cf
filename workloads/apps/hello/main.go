// Command hello is the web server of the pod and cluster labs (05 onwards).
// It answers with its version, hostname and IP addresses, so a student can
// see which pod served a request, and which version during the rolling
// update of lab 13 (deployment).
//
//	GET /         version: v1 / hostname: web-1 / ip: 10.244.1.2 (eth0)
//	GET /healthz  ok  (for liveness and readiness probes)
//
// Usage: hello [-listen :8080], with VERSION=v2 in the environment to
// change the version it reports.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", ":8080", "address to serve HTTP on")
	flag.Parse()
	version := os.Getenv("VERSION")
	if version == "" {
		version = "v1"
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		hostname, _ := os.Hostname()
		fmt.Fprintf(w, "version: %s\nhostname: %s\n", version, hostname)
		for _, ip := range addresses() {
			fmt.Fprintf(w, "ip: %s\n", ip)
		}
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
	// As PID 1 of a container, the kernel drops any signal PID 1 has no
	// handler for. Without this handler SIGTERM would do nothing and the
	// runtime would SIGKILL us after the grace period.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	// The real address, so "-listen :0" shows which port it got.
	fmt.Printf("hello %s listening on %s\n", version, ln.Addr())
	srv := &http.Server{Handler: mux}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	case <-ctx.Done():
	}
	// Graceful shutdown: stop accepting, let requests in flight finish.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "hello: shutdown:", err)
		os.Exit(1)
	}
	fmt.Println("hello: terminated, shut down cleanly")
}

// addresses lists this network namespace's IP addresses as "IP (interface)":
// the pod IP on eth0, or only the loopback addresses if there is no other.
func addresses() []string {
	var ips, loopback []string
	ifaces, _ := net.Interfaces()
	for _, iface := range ifaces {
		addrs, _ := iface.Addrs()
		for _, a := range addrs {
			ipnet, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			s := fmt.Sprintf("%s (%s)", ipnet.IP, iface.Name)
			if ipnet.IP.IsLoopback() {
				loopback = append(loopback, s)
			} else {
				ips = append(ips, s)
			}
		}
	}
	if len(ips) == 0 {
		return loopback
	}
	return ips
}
