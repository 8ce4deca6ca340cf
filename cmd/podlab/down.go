package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/cluster"
	"github.com/podlab/podlab/core/paths"
	"github.com/podlab/podlab/core/steps"
)

var downCommand = &cli.Command{
	Name:  "down",
	Usage: "remove the local cluster: its pods, processes, network namespaces, links, state and client config (as root)",
	ArgsUsage: " \n\n" +
		"   example: sudo podlab down\n\n" +
		"   It removes what \"podlab up\" recorded, and works on a cluster that is half up or half broken.\n" +
		"   A stopped podlet leaves its pods running, so down runs \"podlet reset\" on every node (the\n" +
		"   node's \"kubeadm reset\") before it deletes the node, or removes the pods from the host itself.\n" +
		"   First it runs \"--cleanup\" of every cluster lab (08 and up) that left something, like the\n" +
		"   host-gw nodes of lab 08, which live beside the cluster.",
	Category: localClusterCategory,
	Action: func(c *cli.Context) error {
		if c.Args().Present() {
			return usagef("down takes no arguments")
		}
		p := progress(c)
		if err := cleanupClusterLabs(p); err != nil {
			return err
		}
		return cluster.Down(cluster.Options{Progress: p})
	},
}

// firstClusterLab is the number of the first lab that runs on the
// cluster: its leftovers go with the cluster.
const firstClusterLab = "08"

// cleanupClusterLabs runs "labNN-name --cleanup --auto" for every lab
// from 08 on whose record says it left something (steps.Recording), with
// the lab binaries next to this podlab, where make build puts them.
func cleanupClusterLabs(p *cluster.Progress) error {
	entries, err := os.ReadDir(paths.Labs())
	if err != nil {
		return nil // no lab ever ran
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this program: %w", err)
	}
	var left []*steps.Recording
	for _, e := range entries {
		number, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || len(number) != 2 || number < firstClusterLab {
			continue
		}
		if rec, err := steps.Record(number); err == nil && len(rec.Resources) > 0 {
			left = append(left, rec)
		}
	}
	if len(left) > 0 {
		p.Title("podlab down: first what the labs on the cluster left")
	}
	for _, rec := range left {
		number := rec.Lab
		bin := filepath.Join(filepath.Dir(self), "lab"+number+"-"+rec.Name)
		if _, err := os.Stat(bin); err != nil {
			p.Failed("lab %s left %d thing(s), but %s is not here to remove them: run it with --cleanup", number, len(rec.Resources), bin)
			continue
		}
		out, err := exec.Command(bin, "--cleanup", "--auto").CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s --cleanup: %w\n%s", bin, err, out)
		}
		p.Done("", "lab %s: removed what it left (%s --cleanup)", number, filepath.Base(bin))
	}
	return nil
}
