package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claude-ipc/ipc/spool"
)

// TestSpoolAccessList checks a Windows spool's access list: under Wine
// every directory is open to Everyone (its access lists come from Unix
// modes), so the spool check must say so and give the icacls line.
// make test-windows runs it under Wine.
func TestSpoolAccessList(t *testing.T) {
	base, err := os.MkdirTemp("", "ipc-doctor-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) }) // may fail under Wine
	root := filepath.Join(base, "spool")
	if _, err := spool.Open(root); err != nil {
		t.Fatal(err)
	}
	_, rs := checkSpool(Env{Spool: root})
	r := rs[0]
	if r.OK || !strings.Contains(r.Detail, "is open to Everyone") || !strings.HasPrefix(r.Fix, "icacls ") {
		t.Errorf("spool check of a spool open to Everyone: %+v", r)
	}
}
