package bench

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/claude-ipc/ipc/internal/bench/bareop"
	"github.com/claude-ipc/ipc/spool"
)

// quotaSends measures Spool.Send into the biggest unread mailbox with the
// unread quota on (set above its size, so every send is checked and
// accepted), against the bare durable write: the quota's cost per send
// must not grow with the mailbox. What a turn sends is removed after it.
func (e *env) quotaSends(f *fixtures) Figure {
	box := f.unread[len(f.unread)-1]
	var size int
	if _, err := fmt.Sscan(box[1:], &size); err != nil {
		return failed("send", box, err)
	}
	name := fmt.Sprintf("spool API send into %s unread, quota on", count(box[1:]))
	cfg := spool.DefaultConfig()
	cfg.RatePerMinute, cfg.MaxUnread = 0, 2*size+1000
	sp, err := spool.Open(f.root, spool.WithConfig(cfg))
	if err != nil {
		return failed("send", name, err)
	}
	bareDir := filepath.Join(e.dir, "quota-bare")
	if err := maildir(bareDir); err != nil {
		return failed("send", name, err)
	}
	var sent []string
	data := dropIn(box, "quota")
	bare := workers(1, func(_ int, seq int64) error {
		return bareop.Deliver(bareDir, fmt.Sprintf("%d.bare", seq), data)
	})
	ipc := workers(1, func(int, int64) error {
		rc, err := sp.Send(spool.Draft{From: "alice", To: []string{box}, Body: sendBody})
		if err == nil {
			sent = append(sent, rc.Delivered[0].Path)
		}
		return err
	})
	reset := func() error {
		for _, p := range sent {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
		sent = sent[:0]
		return emptyDir(filepath.Join(bareDir, "new"))
	}
	c, err := rates(e.pace, bare, ipc, reset)
	if err != nil {
		return failed("send", name, err)
	}
	return c.figure("send", name, bareSendYard)
}
