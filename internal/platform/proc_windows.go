package platform

import (
	"os/exec"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Alive reports whether a process with pid exists and has not exited.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return err == windows.ERROR_ACCESS_DENIED // exists, someone else's
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return true
	}
	return code == 259 // STILL_ACTIVE
}

// Group is a command and every process it starts, ended together: on
// Windows a job object that kills its processes when closed. A child the
// command starts in the instant before Started assigns it escapes the job.
type Group struct {
	cmd *exec.Cmd
	job windows.Handle
}

// Detach keeps c, not yet started, out of the console's Ctrl-C: a
// Ctrl-C typed at ipc reaches ipc alone, which then ends c itself. On
// Windows c starts in a new process group, which console control events
// for ipc's group do not reach.
func Detach(c *exec.Cmd) {
	if c.SysProcAttr == nil {
		c.SysProcAttr = &syscall.SysProcAttr{}
	}
	c.SysProcAttr.CreationFlags |= syscall.CREATE_NEW_PROCESS_GROUP
}

// StopGently bounds how long the cancelling of c, not yet started by
// exec.CommandContext, waits for its output once c is ended. On Windows
// there is no interrupt to send to a process in a group of its own, so c
// is killed at once, as exec.CommandContext does.
func StopGently(c *exec.Cmd, grace time.Duration) { c.WaitDelay = grace }

// NewGroup prepares c, not yet started.
func NewGroup(c *exec.Cmd) *Group { return &Group{cmd: c} }

// Started puts the started command into a new job object.
func (g *Group) Started() error {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return err
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return err
	}
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(g.cmd.Process.Pid))
	if err != nil {
		windows.CloseHandle(job)
		return err
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		windows.CloseHandle(job)
		return err
	}
	g.job = job
	return nil
}

// Kill ends every process in the job (or the command alone when it has
// none).
func (g *Group) Kill() error {
	if g.job != 0 {
		return windows.TerminateJobObject(g.job, 1)
	}
	if g.cmd.Process != nil {
		return g.cmd.Process.Kill()
	}
	return nil
}

// Close releases the job object, which ends what is still in it.
func (g *Group) Close() error {
	if g.job == 0 {
		return nil
	}
	err := windows.CloseHandle(g.job)
	g.job = 0
	return err
}
