//go:build !linux && !darwin && !freebsd && !windows

package platform

// FileSystem cannot tell here: the spool probes what it needs.
func FileSystem(path string) (FSInfo, error) { return FSInfo{}, nil }
