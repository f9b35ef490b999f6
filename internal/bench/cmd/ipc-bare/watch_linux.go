package main

import (
	"bufio"
	"bytes"
	"io"
	"syscall"
	"unsafe"
)

// watch reports every file renamed or written into dir, as inotify
// tells it: the bare wake-up a watching ipc process is measured against.
func watch(dir string, out io.Writer) error {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC)
	if err != nil {
		return err
	}
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_MOVED_TO|syscall.IN_CLOSE_WRITE); err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	if _, err := w.WriteString("ready\n"); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.Read(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
			if ev.Mask&syscall.IN_Q_OVERFLOW != 0 {
				name = []byte("overflow")
			}
			w.Write(bytes.TrimRight(name, "\x00"))
			w.WriteByte('\n')
			off += syscall.SizeofInotifyEvent + int(ev.Len)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
}
