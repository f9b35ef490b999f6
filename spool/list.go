package spool

import (
	"errors"
	"time"
)

// NameInfo is one line of "ipc list".
type NameInfo struct {
	Name       string    `json:"name"`
	Online     bool      `json:"online"`
	PID        int       `json:"pid,omitempty"`
	Unread     int       `json:"unread"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	Registered bool      `json:"registered"`
	Forward    *Forward  `json:"forward,omitempty"`
	// Error says why the mailbox could not be looked at (permission
	// denied, say); Unread and Registered then mean nothing.
	Error string `json:"error,omitempty"`
}

// List describes every name in the spool. A mailbox that cannot be looked
// at is listed with its Error set, and List's error joins those errors: a
// mailbox one cannot read is not an empty or unregistered one.
func (s *Spool) List() ([]NameInfo, error) {
	names, err := s.Names()
	if err != nil {
		return nil, err
	}
	out := make([]NameInfo, 0, len(names))
	var errs []error
	for _, n := range names {
		mb, _ := s.Mailbox(n)
		unread, uerr := mb.Unread()
		registered, rerr := mb.registered()
		p := s.Presence(n)
		ni := NameInfo{Name: n, Online: p.Online, PID: p.PID, Unread: unread, LastSeen: p.LastSeen, Registered: registered}
		if err := errors.Join(uerr, rerr); err != nil {
			ni.Error = firstError(uerr, rerr).Error()
			errs = append(errs, firstError(uerr, rerr))
		}
		if f, ok := s.Forward(n); ok && s.clock().Before(f.Until) {
			ni.Forward = &f
		}
		out = append(out, ni)
	}
	return out, errors.Join(errs...)
}

// firstError returns the first of errs that is not nil.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
