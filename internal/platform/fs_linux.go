package platform

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// linuxFS names the file systems of statfs(2)'s f_type that matter:
// known local ones, and remote ones. Any other (vfat, exfat, ntfs3, FUSE)
// is probed.
var linuxFS = map[int64]FSInfo{
	0xEF53:     {Name: "ext4", Known: true}, // ext2, ext3 and ext4 share it
	0x58465342: {Name: "xfs", Known: true},
	0x9123683E: {Name: "btrfs", Known: true},
	0x01021994: {Name: "tmpfs", Known: true},
	0x858458f6: {Name: "ramfs", Known: true},
	0x794c7630: {Name: "overlay", Known: true},
	0x2fc12fc1: {Name: "zfs", Known: true},
	0xF2F52010: {Name: "f2fs", Known: true},
	0xca451a4e: {Name: "bcachefs", Known: true},
	0x6969:     {Name: "nfs", Remote: true},
	0x517B:     {Name: "smb", Remote: true},
	0xFF534D42: {Name: "cifs", Remote: true},
	0xFE534D42: {Name: "smb2", Remote: true},
	0x01021997: {Name: "9p", Remote: true}, // WSL's /mnt/c and VM shares
	0x00c36400: {Name: "ceph", Remote: true},
	0x5346414F: {Name: "afs", Remote: true},
	0x0BD00BD0: {Name: "lustre", Remote: true},
	0x786f4256: {Name: "vboxsf", Remote: true},
	0x4d44:     {Name: "vfat"},
	0x2011BAB0: {Name: "exfat"},
	0x7366746e: {Name: "ntfs3"},
	0x65735546: {Name: "fuse"},
}

// FileSystem says what file system holds path, from statfs(2)'s magic
// number.
func FileSystem(path string) (FSInfo, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return FSInfo{}, fmt.Errorf("statfs %s: %w", path, err)
	}
	if fi, ok := linuxFS[int64(st.Type)]; ok {
		return fi, nil
	}
	return FSInfo{Name: fmt.Sprintf("0x%x", st.Type)}, nil
}
