package steps

import "golang.org/x/sys/unix"

// isTerminal reports whether f (os.Stdin, os.Stdout) is a terminal: only a
// terminal answers the TCGETS ioctl. A pipe, a file or a buffer is not.
func isTerminal(f any) bool {
	file, ok := f.(interface{ Fd() uintptr })
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(file.Fd()), unix.TCGETS)
	return err == nil
}
