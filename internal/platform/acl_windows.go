package platform

import (
	"fmt"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Windows has no mode bits: a directory's owner and who may use it are in
// its security descriptor, an owner SID and a DACL of allow and deny
// entries. The spool is private when its owner is the user (or, for an
// administrator's files, Administrators) and no entry allows anyone but
// the user, SYSTEM, Administrators or CREATOR OWNER to list, read, write
// or re-permission it (an entry inherited only by what is created inside
// counts too: it would open the mail).

// trustedSIDs may hold any right on the spool besides its user.
var trustedSIDs = map[string]bool{
	"S-1-5-18":     true, // SYSTEM
	"S-1-5-32-544": true, // Administrators
	"S-1-3-0":      true, // CREATOR OWNER: stands for the user on what the user creates
}

// openRights are the access bits that let someone see or change the mail:
// on a directory FILE_LIST_DIRECTORY (1), FILE_ADD_FILE (2),
// FILE_ADD_SUBDIRECTORY (4), FILE_TRAVERSE (0x20), FILE_DELETE_CHILD
// (0x40); on the files inside, the same bits read and write data; and the
// rights to change the permissions or take the directory.
const openRights = 0x1 | 0x2 | 0x4 | 0x20 | 0x40 | windows.WRITE_DAC | windows.WRITE_OWNER |
	windows.GENERIC_ALL | windows.GENERIC_READ | windows.GENERIC_WRITE

// Exposed says who besides the user may get at dir: its owner when that
// is another account, and every other account an allow entry of its DACL
// lets in ("Everyone", "BUILTIN\Users" or a SID), or nil when it is
// private. A directory without a DACL is open to everyone.
func Exposed(dir string) (who []string, err error) {
	sd, err := windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return nil, fmt.Errorf("security of %s: %w", dir, err)
	}
	me, err := currentUser()
	if err != nil {
		return nil, err
	}
	if owner, _, err := sd.Owner(); err == nil && owner != nil && !owner.Equals(me) && !trustedSIDs[owner.String()] {
		who = append(who, "owner "+sidName(owner))
	}
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		return append(who, "Everyone (no access list)"), nil
	}
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if windows.GetAce(dacl, i, &ace) != nil || ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE ||
			ace.Mask&openRights == 0 {
			continue // deny entries only take rights away
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if !sid.Equals(me) && !trustedSIDs[sid.String()] {
			who = append(who, sidName(sid))
		}
	}
	return who, nil
}

// RestrictHint is the command that makes dir private by hand.
func RestrictHint(dir string) string {
	return fmt.Sprintf(`icacls "%s" /inheritance:r /grant:r "%%USERNAME%%:(OI)(CI)F" SYSTEM:(OI)(CI)F Administrators:(OI)(CI)F`, dir)
}

func currentUser() (*windows.SID, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("current user: %w", err)
	}
	return u.User.Sid, nil
}

// sidName is an account's name where Windows knows it, else its SID.
func sidName(sid *windows.SID) string {
	account, domain, _, err := sid.LookupAccount("")
	switch {
	case err != nil:
		return sid.String()
	case domain != "" && !strings.EqualFold(domain, "NT AUTHORITY"):
		return domain + `\` + account
	}
	return account
}
