package spool

// No link in a mailbox is followed. A mailbox whose directory, or whose
// tmp/, new/ or cur/, is anything but a real directory is refused when an
// operation holds it (held.refused in dirs.go): a symbolic link there
// would make a reader list, read and rename another mailbox's files (or
// any directory's), and a sender deliver into them. Missing parts are
// fine (the mailbox is created on delivery). A link swapped in after the
// directories were held is not followed either: every operation is made
// relative to the held directories, never by path (dirs.go).
