package watcher

import "golang.org/x/sys/unix"

// dirOpenFlags opens a watched directory for events only.
const dirOpenFlags = unix.O_EVTONLY
