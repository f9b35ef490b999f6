package spool

// infoSep begins the info of a Maildir name in cur/ ("!2,FLAGS"): ':' is
// illegal in Windows file names. Names with ':' are read too (infoIndex).
const infoSep = "!"
