//go:build !unix

package spool

// checkParents has nothing to check where directories have no Unix
// owners and modes; the platform's access lists rule.
func checkParents(root string) error { return nil }
