//go:build unix && !linux && !darwin

package platform

// RenameNoReplace renames oldpath to newpath, failing with an error that
// matches fs.ErrExist rather than replace an existing newpath. This system
// has no no-replace rename, so it links then unlinks: link(2) refuses an
// existing name, and a crash between the two leaves both names, never none.
func RenameNoReplace(oldpath, newpath string) error { return linkUnlink(oldpath, newpath) }
