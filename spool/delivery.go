package spool

import (
	"errors"
	"fmt"
	"path/filepath"
)

// Delivery is a message being written into a Maildir. Write the message,
// then Close publishes it; Abort (or a failed Close) leaves nothing behind.
//
// Close returns only once the message is durable: the file is fsynced,
// renamed from tmp/ into new/ and new/ is fsynced by an fsync that began
// after the rename (concurrent deliveries share one: see syncNew). Until the rename nothing
// is visible in new/, so a crash at any instant leaves either no message or
// a whole one.
type Delivery struct {
	sp      *Spool
	dir     string // the Maildir (holding tmp/ and new/)
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
	if _, _, err := mb.sp.ensureMailbox(mb.Name); err != nil {
		return nil, err
	}
	return mb.sp.newDelivery(mb.Dir, id)
}

// newDelivery starts a delivery into the Maildir at dir for the message
// with the given id.
func (s *Spool) newDelivery(dir, id string) (*Delivery, error) {
	key := s.uniqueName(id)
	tmp := filepath.Join(dir, "tmp", key)
	f, err := s.fs.Create(tmp, 0o600)
	if err != nil {
		return nil, fmt.Errorf("deliver to %s: %w", dir, err)
	}
	return &Delivery{sp: s, dir: dir, key: key, tmpPath: tmp, f: f}, nil
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
	defer func() {
		if err != nil {
			_ = d.sp.fs.Remove(d.tmpPath)
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
	path = filepath.Join(d.dir, "new", fmt.Sprintf("%s,S=%d", d.key, d.size))
	if err := d.sp.fs.RenameNoReplace(d.tmpPath, path); err != nil {
		return "", fmt.Errorf("deliver to %s: %w", d.dir, err)
	}
	d.path = path
	if err := d.sp.syncNew(filepath.Join(d.dir, "new")); err != nil {
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
	_ = d.sp.fs.Remove(d.tmpPath)
}

// deliverBytes writes data as one message into the Maildir at dir.
func (s *Spool) deliverBytes(dir, id string, data []byte) (string, error) {
	d, err := s.newDelivery(dir, id)
	if err != nil {
		return "", err
	}
	if _, err := d.Write(data); err != nil {
		d.Abort()
		return "", err
	}
	return d.close()
}
