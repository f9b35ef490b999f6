package bench

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/claude-ipc/ipc/internal/bench/bareop"
	"github.com/claude-ipc/ipc/spool"
)

// listMailboxes is how many mailboxes the list figures list.
const listMailboxes = 1000

// lists measures listing every name (Spool.List, "ipc list") in a spool
// of 1,000 mailboxes with one unread message each, against a readdir of
// mail/.
func (e *env) lists() []Figure {
	root := filepath.Join(e.dir, "list")
	if err := e.listSpool(root); err != nil {
		return []Figure{failed("list", "setup", err)}
	}
	mail := filepath.Join(root, "mail")
	sp, err := spool.Open(root)
	if err != nil {
		return []Figure{failed("list", "setup", err)}
	}
	readdir := func() (time.Duration, error) {
		t0 := time.Now()
		names, err := bareop.Names(mail)
		if err == nil && len(names) != listMailboxes {
			err = fmt.Errorf("mail/ holds %d names, want %d", len(names), listMailboxes)
		}
		return time.Since(t0), err
	}
	list := func() (time.Duration, error) {
		t0 := time.Now()
		infos, err := sp.List()
		if err == nil && len(infos) < listMailboxes {
			err = fmt.Errorf("spool.List gave %d names, want %d", len(infos), listMailboxes)
		}
		return time.Since(t0), err
	}
	name := fmt.Sprintf("Spool.List, %d mailboxes", listMailboxes)
	var out []Figure
	if bare, ipc, err := durations(e.scale.Samples, e.scale.Budget, readdir, list); err != nil {
		out = append(out, failed("list", name, err))
	} else {
		out = append(out, took("list", name, ipc.P50, bare.P50, "readdir of mail/, in process (p50)"))
	}
	r := e.runner(root)
	name = fmt.Sprintf("ipc list, %d mailboxes", listMailboxes)
	bareProc := func() (time.Duration, error) { return r.run("", r.bare, []string{"count", mail}) }
	ipcProc := func() (time.Duration, error) { return r.run("", r.ipc, []string{"list"}) }
	if bare, ipc, err := durations(e.scale.Samples/2, e.scale.Budget, bareProc, ipcProc); err != nil {
		out = append(out, failed("list", name, err))
	} else {
		out = append(out, took("list", name, ipc.P50, bare.P50, "ipc-bare count mail/, a process (p50)"))
	}
	return out
}

// listSpool makes a spool of listMailboxes mailboxes (plain mkdir, no
// fsync), each holding one unread message.
func (e *env) listSpool(root string) error {
	if err := openSpool(root); err != nil {
		return err
	}
	for i := range listMailboxes {
		name := fmt.Sprintf("agent%04d", i)
		dir := filepath.Join(root, "mail", name)
		if err := maildir(dir); err != nil {
			return err
		}
		if _, err := fill(filepath.Join(dir, "new"), 1, dropIn(name, "hello"), "bench", ""); err != nil {
			return err
		}
	}
	return nil
}
