//go:build unix

package platform

import (
	"errors"
	"os/exec"
	"syscall"
	"time"
)

// Alive reports whether a process with pid exists (signal 0; a process of
// another user counts).
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Group is a command and every process it starts, ended together: on Unix
// the command leads a process group of its own.
type Group struct{ cmd *exec.Cmd }

// NewGroup prepares c, not yet started, to lead its own group.
func NewGroup(c *exec.Cmd) *Group {
	if c.SysProcAttr == nil {
		c.SysProcAttr = &syscall.SysProcAttr{}
	}
	c.SysProcAttr.Setpgid = true
	return &Group{cmd: c}
}

// Detach keeps c, not yet started, out of the terminal's signals: a
// Ctrl-C typed at ipc reaches ipc alone, which then ends c itself (as
// exec.CommandContext does), so a helper such as notmuch never dies of it
// first and reports an error. On Unix c gets a process group of its own.
func Detach(c *exec.Cmd) {
	if c.SysProcAttr == nil {
		c.SysProcAttr = &syscall.SysProcAttr{}
	}
	c.SysProcAttr.Setpgid = true
}

// Started is called once c has started; on Unix there is nothing to do.
func (g *Group) Started() error { return nil }

// Kill sends SIGKILL to the whole group; what already ended is not an error.
func (g *Group) Kill() error {
	if g.cmd.Process == nil {
		return nil
	}
	err := syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// Close releases what the group holds (nothing on Unix).
func (g *Group) Close() error { return nil }

// StopGently makes the cancelling of c, not yet started by
// exec.CommandContext, an interrupt rather than a kill: c is sent SIGINT
// and killed only if it has not ended after grace. A program that keeps a
// database (notmuch) then stops between two steps instead of leaving one
// half-made.
func StopGently(c *exec.Cmd, grace time.Duration) {
	c.Cancel = func() error { return c.Process.Signal(syscall.SIGINT) }
	c.WaitDelay = grace
}
