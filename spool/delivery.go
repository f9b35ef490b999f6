package spool

import (
	"errors"
	"fmt"
	"io/fs"
)

// Delivery is a message being written into a Maildir. Write the message,
// then Close publishes it; Abort (or a failed Close) leaves nothing behind.
//
// Close returns only once the message is durable: the file is fsynced,
// renamed from tmp/ into new/ and new/ is fsynced by an fsync that began
// after the rename (concurrent deliveries share one: see syncNew). Until the rename nothing
// is visible in new/, so a crash at any instant leaves either no message or
// a whole one.
//
// A Delivery holds the Maildir's tmp/ and new/ open from start to Close
// (dirs.go): the file is made in the held tmp/, renamed into the held
// new/ and the held new/ fsynced, so a link swapped into the mailbox's
// path meanwhile is never followed.
type Delivery struct {
	sp      *Spool
	dir     string // the Maildir (holding tmp/ and new/), for errors
	tmp     dir    // held
	new     dir    // held
	release func() // lets the held directories go
	key     string // unique name without ",S="
	tmpPath string
	path    string // in new/, once published
	f       File
	size    int64
	err     error
	done    bool
}

// Deliver starts a delivery of the message with the given id (see newID;
// it becomes part of the file name) into mb, creating the mailbox if needed.
// The caller writes an RFC 5322 message and calls Close, or Abort.
func (mb *Mailbox) Deliver(id string) (*Delivery, error) {
	held, release, _, err := mb.sp.ensureHeld(mb.Name)
	if err != nil {
		return nil, err
	}
	return mb.sp.newDelivery(held.held, mb.Dir, id, release)
}

// newDelivery starts a delivery into the held Maildir h (at dir) for the
// message with the given id; release is called once the delivery is
// done with h, and at once if it cannot start.
func (s *Spool) newDelivery(h *held, dir, id string, release func()) (*Delivery, error) {
	key := s.uniqueName(id)
	tmp, nw := h.at("tmp"), h.at("new")
	if tmp == nil || nw == nil {
		release()
		return nil, fmt.Errorf("deliver to %s: %w", dir, &fs.PathError{Op: "open", Path: dir, Err: fs.ErrNotExist})
	}
	f, err := tmp.create(key, 0o600)
	if err != nil {
		release()
		return nil, fmt.Errorf("deliver to %s: %w", dir, err)
	}
	return &Delivery{sp: s, dir: dir, tmp: tmp, new: nw, release: release, key: key, tmpPath: tmp.join(key), f: f}, nil
}

// Write appends p to the message.
func (d *Delivery) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.f.Write(p)
	d.size += int64(n)
	if err != nil {
		d.err = fmt.Errorf("deliver to %s: write: %w", d.dir, err)
	}
	return n, d.err
}

// Path returns where the message was published, "" before Close.
func (d *Delivery) Path() string { return d.path }

// Close makes the message durable and visible in new/. On an error before
// the rename the temporary file is removed and nothing is visible; an
// error after it (the fsync of new/ failed) leaves Path set: the message
// is visible but perhaps not durable, and must not be delivered again.
func (d *Delivery) Close() error {
	_, err := d.close()
	return err
}

func (d *Delivery) close() (path string, err error) {
	if d.done {
		return "", errors.New("spool: delivery already closed")
	}
	d.done = true
	defer d.release()
	defer func() {
		if err != nil {
			_ = d.tmp.remove(d.key)
		}
	}()
	if d.err != nil {
		d.f.Close()
		return "", d.err
	}
	if err := d.f.Sync(); err != nil {
		d.f.Close()
		return "", fmt.Errorf("deliver to %s: fsync: %w", d.dir, err)
	}
	if err := d.f.Close(); err != nil {
		return "", fmt.Errorf("deliver to %s: close: %w", d.dir, err)
	}
	name := fmt.Sprintf("%s,S=%d", d.key, d.size)
	if err := d.tmp.renameNoReplace(d.key, d.new, name); err != nil {
		return "", fmt.Errorf("deliver to %s: %w", d.dir, err)
	}
	path = d.new.join(name)
	d.path = path
	if err := d.sp.syncNew(d.new); err != nil {
		// The message is visible but may not survive a power cut; say so
		// rather than report a delivery we cannot vouch for.
		return path, fmt.Errorf("deliver to %s: fsync new/: %w", d.dir, err)
	}
	return path, nil
}

// Abort discards the message.
func (d *Delivery) Abort() {
	if d.done {
		return
	}
	d.done = true
	d.f.Close()
	_ = d.tmp.remove(d.key)
	d.release()
}

// deliverBytes writes data as one message into mb, creating it if needed.
func (mb *Mailbox) deliverBytes(id string, data []byte) (string, error) {
	held, release, _, err := mb.sp.ensureHeld(mb.Name)
	if err != nil {
		return "", err
	}
	defer release()
	return mb.sp.deliverHeld(held.held, mb.Dir, id, data)
}

// deliverHeld writes data as one message into the held Maildir h at dir.
func (s *Spool) deliverHeld(h *held, dir, id string, data []byte) (string, error) {
	d, err := s.newDelivery(h, dir, id, func() {})
	if err != nil {
		return "", err
	}
	if _, err := d.Write(data); err != nil {
		d.Abort()
		return "", err
	}
	return d.close()
}
