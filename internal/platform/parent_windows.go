package platform

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Parent returns the parent pid and executable name (claude.exe) of
// process pid, from a Toolhelp32 snapshot of every process.
func Parent(pid int) (ppid int, comm string, err error) {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return 0, "", fmt.Errorf("process snapshot: %w", err)
	}
	defer windows.CloseHandle(snap)
	e := windows.ProcessEntry32{Size: uint32(unsafe.Sizeof(windows.ProcessEntry32{}))}
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		if int(e.ProcessID) == pid {
			return int(e.ParentProcessID), windows.UTF16ToString(e.ExeFile[:]), nil
		}
	}
	return 0, "", fmt.Errorf("process %d: not found", pid)
}
