package spool

// checkDirs refuses a mailbox whose directory, or whose tmp/, new/ or cur/,
// is anything but a real directory: a symbolic link there would make a
// reader list, read and rename another mailbox's files (or any directory's),
// and a sender deliver into them. Missing parts are fine (the mailbox is
// created on delivery). The check runs before every listing and delivery.
//
// It closes the case of a link put in place beforehand; a link swapped in
// between this check and the operation that follows is not caught here.
//
// lookDirs (durable.go) does the looking, as it also reads what it needs
// to know whether the directories are durable.
func (mb *Mailbox) checkDirs() error {
	_, err := mb.lookDirs()
	return err
}
