//go:build !linux

package main

import (
	"errors"
	"io"
)

// watch needs inotify: the bare wake-up is measured on Linux only.
func watch(string, io.Writer) error {
	return errors.New("watch: the bare watcher uses inotify (Linux only)")
}
