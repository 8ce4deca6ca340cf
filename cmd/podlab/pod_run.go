package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/runtime"
)

var podRunCommand = &cli.Command{
	Name:      "run",
	Usage:     "run the Pod of a manifest: pause first, then its containers in its namespaces",
	ArgsUsage: "\n\n   example: podlab pod run -f workloads/manifests/pods/two-containers.yaml",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "filename", Aliases: []string{"f"}, Usage: "the Pod manifest (YAML or JSON; - reads standard input)"},
		&cli.BoolFlag{Name: "no-network", Usage: "give the Pod only a loopback interface (no veth on the bridge)"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() > 0 || c.String("filename") == "" {
			return usagef("pod run: give the manifest with -f FILE, e.g. \"podlab pod run -f pod.yaml\"")
		}
		data, err := readManifest(c.String("filename"))
		if err != nil {
			return err
		}
		pod, err := api.DecodePod(data)
		if err != nil {
			return fmt.Errorf("%s: %w", c.String("filename"), err)
		}
		rt, err := newRuntime()
		if err != nil {
			return err
		}
		net := runtime.DefaultNetwork()
		if c.Bool("no-network") {
			net = nil
		}
		// Ctrl-C while the pod starts: RunPod removes what it made so far.
		ctx, cancel := signal.NotifyContext(c.Context, os.Interrupt, unix.SIGTERM)
		defer cancel()
		ps, err := rt.RunPod(ctx, pod, net)
		if err != nil {
			return err
		}
		fmt.Printf("pod/%s running: pause pid %d, IP %s\n", ps.Pod.Name, ps.Pause.Pid, orDash(ps.IP()))
		return nil
	},
}

func readManifest(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
