package cli

import (
	"context"
	"io"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// taken returns once what was written to w has been read by the other end:
// at once unless w is a pipe, and for a pipe when it is empty again
// (FIONREAD). A pipe whose reader is gone with bytes still in it ('ipc
// check | head -3' after head exits) gives EPIPE: those bytes were never
// read. A signal (ctx) ends the wait with its cause.
func taken(ctx context.Context, w io.Writer) error {
	f, ok := underlying(w).(*os.File)
	if !ok {
		return nil
	}
	fd := int(f.Fd())
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return nil
	}
	pause := 20 * time.Microsecond
	for {
		n, err := unix.IoctlGetInt(fd, unix.TIOCINQ) // FIONREAD
		if err != nil || n == 0 {
			return nil // cannot tell: the write is all there is to go by
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		if _, err := unix.Poll(fds, 0); err == nil && fds[0].Revents&unix.POLLERR != 0 {
			return &os.PathError{Op: "write", Path: f.Name(), Err: syscall.EPIPE}
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Millisecond)
	}
}
