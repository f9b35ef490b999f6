// Package dovecot serves a spool's mailboxes over IMAP by writing a
// configuration for Dovecot and running it: each mailbox mail/NAME (a
// Maildir) is the IMAP folder NAME of one login, on 127.0.0.1.
//
// Guarantees: Dovecot reads and writes the Maildirs themselves, so flags
// agree both ways with no copy to keep in step: a message read by ipc is
// \Seen over IMAP, a message a person marks \Seen is read for ipc, and one
// marked unseen again is unread again (ipc's rule: unread means no S
// flag, in new/ or cur/). Everything of Dovecot's own (configuration,
// password, indexes, uid lists, sockets) lives in the spool's state/imap/:
// nothing is put in a Maildir's tmp/, new/ or cur/, nor in a directory of
// mail/ that ipc would take for a mailbox. Folders cannot be created,
// deleted or renamed over IMAP (a global ACL grants every right but those),
// so a mail client cannot remove a mailbox, or the lock files in it, from
// under a live agent.
//
// Dovecot runs as the user who runs ipc, without root (Dovecot's own
// "rootless" set-up: that user as its internal and login user, no chroot,
// a port above 1023). As root it is refused: Dovecot does not give IMAP
// access to mail owned by uid 0.
//
// The configuration is written for Dovecot 2.3, whose syntax 2.4 changed;
// another version is refused with a message that says so.
//
// dovecot stands on spool alone (ARCHITECTURE.md): it takes the spool's
// root and its mailbox names, and knows nothing of cobra or of the other
// front ends.
package dovecot
