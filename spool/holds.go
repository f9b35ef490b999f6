package spool

import "strings"

// Holds reports whether a message delivered into mb with Deliver(id) is
// in its new/ or cur/: the file's name carries id (see uniqueName), and
// Maildir readers keep that part of a name when they move a file or set
// its flags. Only names are looked at, never the files, so it costs one
// listing whatever the mailbox holds: a deliverer that must not file one
// message twice (offered again after a crash) can ask before each
// delivery, where Find would read every message of a mailbox that does
// not have it.
func (mb *Mailbox) Holds(id string) (bool, error) {
	mb, release, err := mb.hold()
	if err != nil {
		return false, err
	}
	defer release()
	for _, sub := range []string{"new", "cur"} {
		found, err := mb.hasName(sub, func(n string) bool {
			return filedID(entry{dir: sub, name: n}.key()) == id
		})
		if err != nil || found {
			return found, err
		}
	}
	return false, nil
}

// filedID returns the id in a key made by uniqueName
// (secs.M<usec>P<pid>Q<n>R<id>.<host>), "" for a key made otherwise.
func filedID(key string) string {
	rest := key
	for _, sep := range []string{".M", "P", "Q", "R"} {
		i := digits(rest)
		if i == 0 || !strings.HasPrefix(rest[i:], sep) {
			return ""
		}
		rest = rest[i+len(sep):]
	}
	id, _, ok := strings.Cut(rest, ".")
	if !ok || !IsToken(id, 64) {
		return ""
	}
	return id
}

// digits returns how many ASCII digits s begins with.
func digits(s string) int {
	n := 0
	for n < len(s) && '0' <= s[n] && s[n] <= '9' {
		n++
	}
	return n
}
