package platform

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Parent returns the parent pid and command name of process pid, from
// sysctl kern.proc.pid (the name is cut at 16 bytes, as ps shows it).
func Parent(pid int) (ppid int, comm string, err error) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil {
		return 0, "", fmt.Errorf("sysctl kern.proc.pid.%d: %w", pid, err)
	}
	if kp.Proc.P_pid != int32(pid) {
		return 0, "", fmt.Errorf("sysctl kern.proc.pid.%d: no such process", pid)
	}
	return int(kp.Eproc.Ppid), unix.ByteSliceToString(kp.Proc.P_comm[:]), nil
}
