package platform

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/windows"
)

// TestExposed opens a directory to Everyone, as an access list inherited
// from a shared folder would, and expects Exposed to name them. make
// test-windows runs it under Wine, whose directories are open to Everyone
// anyway (it makes access lists from Unix modes, and ignores setting one).
func TestExposed(t *testing.T) {
	dir, err := os.MkdirTemp("", "ipc-acl-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(dir)
	sd, err := windows.SecurityDescriptorFromString("D:P(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;WD)")
	if err != nil {
		t.Fatal(err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		t.Fatal(err)
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		t.Fatal(err)
	}
	who, err := Exposed(dir)
	if err != nil || len(who) != 1 || !strings.Contains(who[0], "Everyone") && who[0] != "S-1-1-0" {
		t.Fatalf("Exposed(open to Everyone) = %q, %v; want Everyone", who, err)
	}
	if h := RestrictHint(dir); !strings.HasPrefix(h, "icacls ") {
		t.Errorf("RestrictHint = %q", h)
	}
}
