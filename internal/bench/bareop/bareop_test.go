package bareop

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDeliverThenClaim(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"tmp", "new", "cur"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"2", "1", "3"} {
		if err := Deliver(dir, name, []byte("mail "+name)); err != nil {
			t.Fatal(err)
		}
	}
	if tmp, _ := Names(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Errorf("tmp/ holds %v after delivering", tmp)
	}
	path, data, err := Claim(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "cur", "1:2,S"); path != want || string(data) != "mail 1" {
		t.Errorf("claimed %s holding %q, want the oldest, %s holding \"mail 1\"", path, data, want)
	}
	if left, _ := Names(filepath.Join(dir, "new")); len(left) != 2 {
		t.Errorf("new/ holds %v, want the two unclaimed", left)
	}
}

func TestClaimEmpty(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "new"), 0o700)
	if path, data, err := Claim(dir); path != "" || data != nil || err != nil {
		t.Errorf("Claim of an empty new/ = %q, %q, %v", path, data, err)
	}
}

func TestWriteSynced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := WriteSynced(path, []byte("data")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "data" {
		t.Errorf("read back %q, %v", b, err)
	}
	if err := WriteSynced(path, []byte("other")); err == nil {
		t.Error("WriteSynced replaced a file that existed")
	}
}
