// Command ipc-bare is the bare operation ipc's benchmarks measure ipc
// against: the same file work a per-message ipc process does, in the
// smallest Go program that can do it (the standard library only, no
// flags package, nothing initialised that the work does not need).
//
//	ipc-bare deliver DIR NAME   write DIR/tmp/NAME, fsync, rename to DIR/new/NAME, fsync DIR/new
//	ipc-bare claim DIR          read the oldest file of DIR/new, print it, rename it to DIR/cur/NAME:2,S, fsync both
//	ipc-bare count DIR          list DIR and print how many names it holds
//	ipc-bare hold DIR           list DIR, print the count, then wait for standard input to close
//	ipc-bare watch DIR          print "ready", then the name of every file renamed or written into DIR
//
// It is a benchmark's yardstick, not a mail tool: it takes no locks and
// checks nothing.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// message is what deliver writes: the size of a short ipc message.
var message = []byte("From: alice@bench\nTo: bob@bench\nSubject: build finished\n" +
	"Message-ID: <000000000000@bench>\nDate: Tue, 1 Dec 2026 00:00:00 +0000\n\nbuild finished: all green\n")

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: ipc-bare deliver|claim|count|hold|watch DIR [NAME]")
		os.Exit(2)
	}
	dir := os.Args[2]
	var err error
	switch os.Args[1] {
	case "deliver":
		if len(os.Args) < 4 {
			err = fmt.Errorf("deliver: no NAME")
			break
		}
		err = deliver(dir, os.Args[3])
	case "claim":
		err = claim(dir)
	case "count":
		var n int
		if n, err = count(dir); err == nil {
			fmt.Println(n)
		}
	case "hold":
		var n int
		if n, err = count(dir); err == nil {
			fmt.Println(n)
			_, err = io.Copy(io.Discard, os.Stdin)
		}
	case "watch":
		err = watch(dir, os.Stdout)
	default:
		err = fmt.Errorf("unknown operation %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ipc-bare:", err)
		os.Exit(1)
	}
}

// deliver is a durable Maildir delivery: write, fsync, rename, fsync.
func deliver(dir, name string) error {
	tmp := filepath.Join(dir, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(message); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "new", name)); err != nil {
		return err
	}
	return syncDir(filepath.Join(dir, "new"))
}

// claim is a durable Maildir read of the oldest message: list new/, read
// the first name, rename it into cur/ with the S flag, fsync both.
func claim(dir string) error {
	names, err := readNames(filepath.Join(dir, "new"))
	if err != nil || len(names) == 0 {
		return err
	}
	sort.Strings(names)
	src := filepath.Join(dir, "new", names[0])
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if _, err := os.Stdout.Write(b); err != nil {
		return err
	}
	if err := os.Rename(src, filepath.Join(dir, "cur", names[0]+":2,S")); err != nil {
		return err
	}
	if err := syncDir(filepath.Join(dir, "cur")); err != nil {
		return err
	}
	return syncDir(filepath.Join(dir, "new"))
}

func count(dir string) (int, error) {
	names, err := readNames(dir)
	return len(names), err
}

func readNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
