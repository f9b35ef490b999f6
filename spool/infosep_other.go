//go:build !windows

package spool

// infoSep begins the info of a Maildir name in cur/ (":2,FLAGS"), as
// Maildir specifies. Names with "!2," (Windows) are read too (infoIndex).
const infoSep = ":"
