package watcher

import "golang.org/x/sys/unix"

// dirOpenFlags opens a watched directory: FreeBSD has no O_EVTONLY.
const dirOpenFlags = unix.O_RDONLY
