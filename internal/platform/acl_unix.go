//go:build unix

package platform

// Exposed answers nil: on Unix the spool's mode bits and owner say who may
// get at it (OwnedByOther, and the spool's mode check).
func Exposed(dir string) (who []string, err error) { return nil, nil }

// RestrictHint is the command that makes dir private by hand.
func RestrictHint(dir string) string { return "chmod 700 " + dir }
