package main

import (
	"os"
	"syscall"
)

// signalPID ends process pid: Windows has no signals to send to another
// process, so every sig kills it.
func signalPID(pid int, sig syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

// inode is not available from a path on Windows.
func inode(path string) (uint64, bool) { return 0, false }
