package spool

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/claude-ipc/ipc/internal/platform"
)

// FileSystem is what Open found out about the file system under the
// spool: its kind from the system (statfs on every Open, one call), and,
// where that kind is not known to have what ipc needs, what a probe in
// outbox/tmp/ showed (once per spool and kind, kept in state/fs.json).
//
// What ipc does with it: a file system with neither a rename that refuses
// to replace nor hard links is refused (mail could replace mail; the
// outbox delivers to several mailboxes by hard link); a remote one
// (NFS, SMB, 9p) is watched by polling, as changes made on other machines
// raise no notifications here; one that cannot fsync a directory is used
// with weaker durability. Warning says which, in one line.
type FileSystem struct {
	Name      string    `json:"fs"`         // "ext4", "nfs", "apfs", "NTFS"; "" when the system cannot tell
	Remote    bool      `json:"remote"`     // a network file system
	Links     bool      `json:"links"`      // hard links work
	NoReplace bool      `json:"no_replace"` // a rename that refuses to replace works
	DirSync   bool      `json:"dir_sync"`   // a directory can be fsynced (on Windows as far as NTFS allows: README, Reliability)
	Probed    time.Time `json:"probed"`     // when the probe ran; zero: known by its kind, not probed
}

// fsProbe is the seam to the system's answers, for tests.
type fsProbe struct {
	info    func(path string) (platform.FSInfo, error)
	dirSync func(dir string) (bool, error)
}

var osProbe = fsProbe{info: platform.FileSystem, dirSync: platform.CanSyncDir}

// withFSProbe makes Open ask probe instead of the system.
func withFSProbe(p fsProbe) Option { return func(s *Spool) { s.probe = p } }

// FileSystem returns what Open found out about the spool's file system.
func (s *Spool) FileSystem() FileSystem { return s.fsys }

// Poll says mail must be noticed by polling here: a remote file system.
func (f FileSystem) Poll() bool { return f.Remote }

// Warning is the one line that says what ipc does differently on this
// file system, or "".
func (f FileSystem) Warning() string {
	name := f.Name
	if name == "" {
		name = "this file system"
	}
	switch {
	case f.Remote:
		return fmt.Sprintf("the spool is on %s, a network file system: mail is noticed by polling (changes made on other machines raise no notifications), and locks are as the server emulates them; keep the spool on a local disk", name)
	case !f.DirSync:
		return fmt.Sprintf("the spool is on %s, which cannot fsync a directory: weaker durability, a power cut may lose the newest deliveries and reads", name)
	}
	return ""
}

// refusal says why ipc cannot use this file system, or nil.
func (f FileSystem) refusal(root string) error {
	if f.Links && f.NoReplace {
		return nil
	}
	missing := "hard links"
	if !f.NoReplace {
		missing = "hard links nor a rename that refuses to replace"
	}
	name := f.Name
	if name == "" {
		name = "its file system"
	}
	return fmt.Errorf("%w: %s is on %s, which has no %s: mail could replace mail, and the outbox could not deliver; put the spool on a local disk (IPC_HOME)",
		ErrUnsafe, root, name, missing)
}

const fsCacheFile = "fs.json"

// checkFS finds out what the spool's file system can do: by its kind,
// else from the cache, else by a probe it then caches.
func (s *Spool) checkFS() error {
	info, err := s.probe.info(s.Root)
	if err != nil {
		info = platform.FSInfo{} // cannot tell: probe
	}
	f := FileSystem{Name: info.Name, Remote: info.Remote}
	if info.Known {
		f.Links, f.NoReplace, f.DirSync = true, true, true
		s.fsys = f
		return nil
	}
	cache := filepath.Join(s.Root, dirState, fsCacheFile)
	var old FileSystem
	if b, err := readNoFollow(cache); err == nil && json.Unmarshal(b, &old) == nil &&
		old.Name == f.Name && old.Remote == f.Remote && !old.Probed.IsZero() {
		s.fsys = old
		return old.refusal(s.Root)
	}
	if err := s.probeFS(&f); err != nil {
		return fmt.Errorf("%w: probe the file system of %s: %v", ErrUnavailable, s.Root, err)
	}
	s.fsys = f
	if b, err := json.Marshal(f); err == nil {
		_ = s.writeFileAtomic(cache, b, 0o600) // without a cache, the next Open probes again
	}
	return f.refusal(s.Root)
}

// probeFS tries, in outbox/tmp/ (dot names: no reader takes them), a hard
// link, a rename that refuses to replace, and a directory fsync.
func (s *Spool) probeFS(f *FileSystem) error {
	dir := filepath.Join(s.Root, dirOutbox, "tmp")
	base := filepath.Join(dir, fmt.Sprintf(".fsprobe-%d-%s", s.pid, newID()))
	file, err := s.fs.Create(base, 0o600)
	if err != nil {
		return err
	}
	if err := file.Close(); err != nil {
		return err
	}
	defer s.fs.Remove(base)
	f.Links = s.fs.Link(base, base+".link") == nil
	if f.Links {
		_ = s.fs.Remove(base + ".link")
	}
	moved := base + ".moved"
	f.NoReplace = s.fs.RenameNoReplace(base, moved) == nil
	if f.NoReplace {
		_ = s.fs.Remove(moved)
	}
	if f.DirSync, err = s.probe.dirSync(dir); err != nil {
		return err
	}
	f.Probed = s.clock()
	return nil
}
