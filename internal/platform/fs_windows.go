package platform

import (
	"fmt"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// FileSystem says what file system holds path (GetVolumeInformation) and
// whether its drive is a network drive (GetDriveType). NTFS and ReFS are
// known; FAT and exFAT, which have no hard links, are probed.
func FileSystem(path string) (FSInfo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return FSInfo{}, err
	}
	p, err := windows.UTF16PtrFromString(abs)
	if err != nil {
		return FSInfo{}, err
	}
	vol := make([]uint16, windows.MAX_PATH+1)
	if err := windows.GetVolumePathName(p, &vol[0], uint32(len(vol))); err != nil {
		return FSInfo{}, fmt.Errorf("volume of %s: %w", path, err)
	}
	remote := windows.GetDriveType(&vol[0]) == windows.DRIVE_REMOTE
	name := make([]uint16, windows.MAX_PATH+1)
	if err := windows.GetVolumeInformation(&vol[0], nil, 0, nil, nil, nil, &name[0], uint32(len(name))); err != nil {
		return FSInfo{Remote: remote}, nil // the spool probes what it needs
	}
	fs := windows.UTF16ToString(name)
	return FSInfo{Name: fs, Remote: remote, Known: !remote && (fs == "NTFS" || fs == "ReFS")}, nil
}
