package platform

// FSInfo says what kind of file system holds a path, as far as ipc cares.
type FSInfo struct {
	// Name is the file system's name as the system gives it ("ext4",
	// "nfs", "apfs", "NTFS"), or "" when it cannot tell.
	Name string
	// Remote is a network file system: changes made on other machines
	// raise no notifications here, and locks are the server's emulation.
	Remote bool
	// Known is a local file system known to have every operation ipc
	// needs (hard links, a rename that refuses to replace, a directory
	// fsync where the system has one): nothing to probe.
	Known bool
}
