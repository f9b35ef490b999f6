//go:build unix && !linux && !darwin

package platform

// renameAtNoReplace: this system has no no-replace rename, so the caller
// links then unlinks (linkat refuses an existing name).
func renameAtNoReplace(fromfd int, from string, tofd int, to string) error {
	return errNoReplaceUnsupported
}
