//go:build ignore

// zip writes a .zip of a directory, for make dist's Windows archive: Go's
// archive/zip, so no zip program is needed.
//
//	go run build/zip.go OUT.zip DIR
package main

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go run build/zip.go OUT.zip DIR")
		os.Exit(2)
	}
	if err := zipDir(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "zip:", err)
		os.Exit(1)
	}
}

// zipDir stores every file under dir in out, named from dir's parent
// (DIR/ipc.exe, DIR/README.md), as zip -r does.
func zipDir(out, dir string) (err error) {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	zw := zip.NewWriter(f)
	parent := filepath.Dir(filepath.Clean(dir))
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return addFile(zw, parent, path)
	})
	if err != nil {
		return err
	}
	return zw.Close()
}

func addFile(zw *zip.Writer, parent, path string) error {
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	fi, err := src.Stat() // of the file copied below, not of what the path names later
	if err != nil {
		return err
	}
	h, err := zip.FileInfoHeader(fi)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(parent, path)
	if err != nil {
		return err
	}
	h.Name, h.Method = filepath.ToSlash(rel), zip.Deflate
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, src)
	return err
}
