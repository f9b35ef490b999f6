package platform

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// Where sys/user.h's struct kinfo_proc (KINFO_PROC_SIZE 1088 on amd64 and
// arm64) keeps what Parent needs: ki_structsize first, ki_pid and ki_ppid
// after the header's eight pointers, ki_comm (COMMLEN+1 bytes) after the
// thread, wait, login and lock names. golang.org/x/sys has no KinfoProc
// for FreeBSD, so the fields are read at their offsets, and a record of
// any other size goes to ps(1) instead.
const (
	kinfoProcSize = 1088
	kiPid         = 72
	kiPpid        = 76
	kiComm        = 447
	commLen       = 20
)

// Parent returns the parent pid and command name of process pid, from
// sysctl kern.proc.pid (the name is cut at 19 bytes, as ps shows it).
func Parent(pid int) (ppid int, comm string, err error) {
	b, err := unix.SysctlRaw("kern.proc.pid", pid)
	if err != nil {
		return 0, "", fmt.Errorf("sysctl kern.proc.pid.%d: %w", pid, err)
	}
	return parseKinfoProc(b, pid)
}

// parseKinfoProc reads the parent and the name from one kinfo_proc.
func parseKinfoProc(b []byte, pid int) (ppid int, comm string, err error) {
	if len(b) == 0 {
		return 0, "", fmt.Errorf("sysctl kern.proc.pid.%d: no such process", pid)
	}
	if len(b) < kinfoProcSize || binary.LittleEndian.Uint32(b) != kinfoProcSize {
		return parentPS(pid) // a layout this code does not know
	}
	if got := int(int32(binary.LittleEndian.Uint32(b[kiPid:]))); got != pid {
		return 0, "", fmt.Errorf("sysctl kern.proc.pid.%d: record of pid %d", pid, got)
	}
	ppid = int(int32(binary.LittleEndian.Uint32(b[kiPpid:])))
	return ppid, unix.ByteSliceToString(b[kiComm : kiComm+commLen]), nil
}
