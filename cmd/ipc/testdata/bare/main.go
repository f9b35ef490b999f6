// Command bare does the file work of one ipc command and nothing else: the
// floor the start-up benchmarks of cmd/ipc measure ipc against, a process
// started the same way in the same run. It imports only the standard
// library.
//
//	bare hook MAILDIR   list new/, read the head of each of its newest 5 files, print how many
//	bare send MAILDIR   deliver one message: write tmp/X, fsync it, rename it into new/, fsync new/
//	bare start          nothing: start and exit
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bare hook|send MAILDIR, or bare start")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "hook":
		err = hook(os.Args[2])
	case "send":
		err = send(os.Args[2])
	case "start":
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
}

func hook(dir string) error {
	ents, err := os.ReadDir(filepath.Join(dir, "new"))
	if err != nil {
		return err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	slices.Sort(names)
	buf := make([]byte, 4096)
	for _, n := range names[max(0, len(names)-5):] {
		f, err := os.Open(filepath.Join(dir, "new", n))
		if err != nil {
			return err
		}
		_, err = f.Read(buf)
		f.Close()
		if err != nil && err != io.EOF {
			return err
		}
	}
	fmt.Printf("%d new messages\n", len(names))
	return nil
}

func send(dir string) error {
	name := strconv.FormatInt(time.Now().UnixNano(), 10) + ".P" + strconv.Itoa(os.Getpid()) + ".bare"
	tmp := filepath.Join(dir, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "From: alice@h\nTo: bob@h\nSubject: hi\nMessage-ID: <%s@h>\n\nhi\n", name)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "new", name)); err != nil {
		return err
	}
	d, err := os.Open(filepath.Join(dir, "new"))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
