package platform

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// OpenForWriting reports whether another process has f's file open for
// writing: opening it again while denying write sharing fails with a
// sharing violation exactly then. (ipc's own handles share writing.)
func OpenForWriting(f *os.File) (open, known bool) {
	name, err := windows.UTF16PtrFromString(f.Name())
	if err != nil {
		return false, false
	}
	h, err := windows.CreateFile(name, windows.GENERIC_READ, windows.FILE_SHARE_READ|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if errors.Is(err, windows.ERROR_SHARING_VIOLATION) {
		return true, true
	}
	if err != nil {
		return false, false
	}
	windows.CloseHandle(h)
	return false, true
}
