package platform

import (
	"os"
	"testing"

	"github.com/claude-ipc/ipc/internal/testkit"
)

// TestFileSystemKinds asks statfs about file systems every Linux has.
func TestFileSystemKinds(t *testing.T) {
	if _, err := os.Stat("/dev/shm"); err != nil {
		testkit.SkipEnv(t, "no /dev/shm: %v", err)
	}
	if fi, err := FileSystem("/dev/shm"); err != nil || fi != (FSInfo{Name: "tmpfs", Known: true}) {
		t.Errorf("FileSystem(/dev/shm) = %+v, %v; want tmpfs, known", fi, err)
	}
	if fi, err := FileSystem("/proc"); err != nil || fi.Known || fi.Remote || fi.Name != "0x9fa0" {
		t.Errorf("FileSystem(/proc) = %+v, %v; want unknown 0x9fa0, to be probed", fi, err)
	}
	if _, err := FileSystem("/nonexistent/dir"); err == nil {
		t.Errorf("FileSystem of a missing path succeeded")
	}
}
