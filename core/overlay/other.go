//go:build !linux

package overlay

import "errors"

// The backends program Linux's netlink: elsewhere they only say so, and
// the package's leases and documentation still build.

var errLinuxOnly = errors.New("the overlay programs Linux's network stack: run podlab on Linux")

func newVXLAN(Config) (Network, error)  { return nil, errLinuxOnly }
func newHostGW(Config) (Network, error) { return nil, errLinuxOnly }
