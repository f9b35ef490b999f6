// Command ipc-bare is the bare operation ipc's benchmarks measure ipc
// against: the same file work a per-message ipc process does, in the
// smallest Go program that can do it (the standard library and package
// bareop only, no flags package, nothing initialised that the work does
// not need).
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

	"github.com/claude-ipc/ipc/internal/bench/bareop"
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
		err = bareop.Deliver(dir, os.Args[3], message)
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

// claim claims the oldest message of dir and prints it.
func claim(dir string) error {
	_, data, err := bareop.Claim(dir)
	if err == nil {
		_, err = os.Stdout.Write(data)
	}
	return err
}

func count(dir string) (int, error) {
	names, err := bareop.Names(dir)
	return len(names), err
}
