package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/image"
	"github.com/podlab/podlab/core/runtime"
)

var imageCommand = &cli.Command{
	Name:  "image",
	Usage: "build, list and remove images in the local store",
	Subcommands: []*cli.Command{
		imageBuildCommand,
		imageLsCommand,
		imageRmCommand,
	},
}

var imageBuildCommand = &cli.Command{
	Name:  "build",
	Usage: "build the busybox base image, or an app image: the base plus one static binary",
	ArgsUsage: "NAME[:TAG]\n\n   examples: podlab image build busybox\n" +
		"             podlab image build --binary bin/apps/hello hello:v1",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "binary", Usage: "static binary to add on top of the base (app image)"},
		&cli.StringFlag{Name: "from", Value: "busybox:latest", Usage: "parent image of an app image"},
		&cli.StringFlag{Name: "busybox", Value: image.DefaultBusybox, Usage: "host busybox-static binary for the base image"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() != 1 {
			return usagef("image build: give exactly one image name, like \"busybox\" or \"hello:v1\"")
		}
		ref, err := image.ParseRef(c.Args().First())
		if err != nil {
			return usageError{err}
		}
		rt, err := newRuntime()
		if err != nil {
			return err
		}
		// Rebuilding replaces the image's layer: not under running containers.
		if users, err := rt.ImageUsers(ref); err == nil && len(users) > 0 {
			return fmt.Errorf("image %q is in use by running containers %s: remove them first", ref, strings.Join(users, ", "))
		}
		store := rt.Images
		var img *image.Image
		if bin := c.String("binary"); bin != "" {
			parent, perr := image.ParseRef(c.String("from"))
			if perr != nil {
				return usageError{perr}
			}
			img, err = store.BuildApp(ref, parent, bin)
		} else {
			img, err = store.BuildBase(ref, c.String("busybox"))
		}
		if err != nil {
			return err
		}
		fmt.Printf("built %s (%d bytes in its own layer)\n", img.Ref, img.Size)
		return nil
	},
}

var imageLsCommand = &cli.Command{
	Name:    "ls",
	Aliases: []string{"list"},
	Usage:   "list images",
	Action: func(c *cli.Context) error {
		images, err := image.Default().List()
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(w, "IMAGE\tPARENT\tSIZE\tCREATED")
		for _, img := range images {
			parent := img.Parent
			if parent == "" {
				parent = "-"
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", img.Ref, parent, img.Size, img.Created.Format("2006-01-02 15:04"))
		}
		return w.Flush()
	},
}

var imageRmCommand = &cli.Command{
	Name:      "rm",
	Usage:     "remove images",
	ArgsUsage: "NAME[:TAG]...",
	Action: func(c *cli.Context) error {
		if c.NArg() == 0 {
			return usagef("image rm: give at least one image name")
		}
		rt, err := newRuntime()
		if err != nil {
			return err
		}
		var errs []error
		for _, arg := range c.Args().Slice() {
			ref, err := image.ParseRef(arg)
			if err != nil {
				return usageError{err}
			}
			if err := removeImage(rt, ref); err != nil {
				errs = append(errs, err)
				continue
			}
			fmt.Println(ref)
		}
		return errors.Join(errs...)
	},
}

// removeImage removes an image unless a running container uses it.
func removeImage(rt *runtime.Runtime, ref image.Ref) error {
	users, err := rt.ImageUsers(ref)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return fmt.Errorf("image %q is in use by running containers %s: remove them first", ref, strings.Join(users, ", "))
	}
	return rt.Images.Remove(ref)
}
