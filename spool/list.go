package spool

import "time"

// NameInfo is one line of "ipc list".
type NameInfo struct {
	Name       string    `json:"name"`
	Online     bool      `json:"online"`
	PID        int       `json:"pid,omitempty"`
	Unread     int       `json:"unread"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	Registered bool      `json:"registered"`
	Forward    *Forward  `json:"forward,omitempty"`
}

// List describes every name in the spool.
func (s *Spool) List() ([]NameInfo, error) {
	names, err := s.Names()
	if err != nil {
		return nil, err
	}
	out := make([]NameInfo, 0, len(names))
	for _, n := range names {
		mb, _ := s.Mailbox(n)
		unread, _ := mb.Unread()
		p := s.Presence(n)
		ni := NameInfo{Name: n, Online: p.Online, PID: p.PID, Unread: unread, LastSeen: p.LastSeen, Registered: mb.Registered()}
		if f, ok := s.Forward(n); ok && s.clock().Before(f.Until) {
			ni.Forward = &f
		}
		out = append(out, ni)
	}
	return out, nil
}
