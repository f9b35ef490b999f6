// Package platform is ipc's one seam to the operating system: the few
// operations whose system calls differ between Linux, macOS, FreeBSD and
// Windows, each behind one function with per-OS files (*_linux.go,
// *_darwin.go, *_freebsd.go, *_unix.go, *_windows.go). Nothing outside this
// package names a system-specific identifier, but for the change
// notifications the watcher package owns (its kqueue on directories, in
// per-OS files of its own).
//
//   - RenameNoReplace: rename that fails with fs.ErrExist instead of
//     replacing (renameat2 RENAME_NOREPLACE, renamex_np RENAME_EXCL,
//     MoveFileEx without MOVEFILE_REPLACE_EXISTING, else link+unlink).
//   - OpenNoFollow: open without following a final symbolic link (a link is
//     refused with an error matching syscall.ELOOP on every system).
//   - Dir: a directory held open, with the operations on the names in it
//     made relative to the descriptor (openat O_NOFOLLOW, renameat2
//     RENAME_NOREPLACE, renameatx_np RENAME_EXCL, linkat, unlinkat, fsync),
//     so a link swapped into its path after it was opened is never
//     followed. On Windows a Dir is its path, checked not to be a link when
//     opened, and each operation is made by path: the check-then-act gap
//     remains there (DirHeld is false; making a link needs a privilege).
//   - TryLock: flock(2) (LockFileEx on Windows) of an open file, as
//     gofrs/flock takes it. SetModTime: futimes (SetFileTime) of an open
//     file, never of whatever its path names now.
//   - OpenForWriting: whether another process has a file open for writing,
//     where the system can tell (a Linux read lease, a Windows share mode).
//   - ChangeTime, FileID, StatIno, OwnedByOther: what a stat says beyond os.FileInfo.
//   - Alive, Parent: whether a process exists; its parent and command name.
//   - Group: a command and everything it starts, killed as one (a process
//     group on Unix, a job object on Windows).
//   - IsTerminal, DupNonblock: terminal detection; a non-blocking duplicate
//     of a pipe for pollable writes.
//   - FileSystem, CanSyncDir: what file system holds a path (local and
//     known, remote, or to be probed) and whether it fsyncs directories.
//   - BrokenPipe: a write whose reader is gone (EPIPE; ERROR_NO_DATA or
//     ERROR_BROKEN_PIPE on Windows).
//
// Each function documents what it answers where the system cannot tell.
// This package imports only the standard library and golang.org/x/sys.
//
// platform must not import any other package of ipc: every layer may stand
// on it (ARCHITECTURE.md).
package platform
