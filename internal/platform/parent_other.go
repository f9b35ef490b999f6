//go:build unix && !linux && !darwin && !freebsd

package platform

// Parent returns the parent pid and command name of process pid, as ps(1)
// reports them: this system's kinfo_proc layout is not in golang.org/x/sys.
func Parent(pid int) (ppid int, comm string, err error) { return parentPS(pid) }
