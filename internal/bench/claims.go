package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/claude-ipc/ipc/internal/bench/bareop"
	"github.com/claude-ipc/ipc/spool"
)

// readUnread is how many unread messages wait beside the read ones in
// the mailbox of read mail.
const readUnread = 1000

// fixtures is the spool of big mailboxes: one with each unread size of
// the scale, and one holding the scale's read messages and a few unread.
type fixtures struct {
	root   string
	unread []string // mailbox names, smallest first
	read   string
	oldest map[string]string // each mailbox's oldest unread file name
	built  time.Duration
}

// dir is where the fixture mailbox name lives.
func (f *fixtures) dir(name string) string { return filepath.Join(f.root, "mail", name) }

// fixtures builds the big mailboxes once per run.
func (e *env) fixtures() (*fixtures, error) {
	if e.fix != nil {
		return e.fix, nil
	}
	t0 := time.Now()
	f := &fixtures{root: filepath.Join(e.dir, "big"), oldest: map[string]string{}}
	if err := openSpool(f.root); err != nil {
		return nil, err
	}
	for _, n := range e.scale.Unread {
		name := fmt.Sprintf("u%d", n)
		if err := maildir(f.dir(name)); err != nil {
			return nil, err
		}
		names, err := fill(filepath.Join(f.dir(name), "new"), n, dropIn(name, "unread"), "bench", "")
		if err != nil {
			return nil, err
		}
		f.unread, f.oldest[name] = append(f.unread, name), names[0]
	}
	f.read = fmt.Sprintf("r%d", e.scale.Read)
	cur := filepath.Join(f.dir(f.read), "cur")
	if err := maildir(f.dir(f.read)); err != nil {
		return nil, err
	}
	if _, err := fill(cur, e.scale.Read, dropIn(f.read, "read"), "benchread", ":2,S"); err != nil {
		return nil, err
	}
	names, err := fill(filepath.Join(f.dir(f.read), "new"), readUnread, dropIn(f.read, "unread"), "bench", "")
	if err != nil {
		return nil, err
	}
	f.oldest[f.read] = names[0]
	// cur/ untouched for a while, as a long-lived agent's is.
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(cur, old, old); err != nil {
		return nil, err
	}
	f.built = time.Since(t0)
	e.fix = f
	e.logf("fixtures: %v unread, %d read + %d unread, built in %.1f s", e.scale.Unread, e.scale.Read, readUnread, f.built.Seconds())
	return f, nil
}

// claims measures claiming one message at a time at every size: in
// process (Mailbox.Check with limit 1) and as an "ipc check --limit 1"
// process, against the bare claim by rename.
func (e *env) claims() []Figure {
	f, err := e.fixtures()
	if err != nil {
		return []Figure{failed("claim", "setup", err)}
	}
	sp, err := spool.Open(f.root)
	if err != nil {
		return []Figure{failed("claim", "setup", err)}
	}
	var out []Figure
	boxes := append(append([]string(nil), f.unread...), f.read)
	for _, name := range boxes {
		what := fmt.Sprintf("%s unread", count(name[1:]))
		if name == f.read {
			what = fmt.Sprintf("%s read + %s unread", count(name[1:]), count(fmt.Sprint(readUnread)))
		}
		mb, err := sp.Mailbox(name)
		if err != nil {
			out = append(out, failed("claim", what, err))
			continue
		}
		out = append(out, e.apiClaims(mb, what), e.processClaims(f, mb, what))
	}
	return append(out, e.quotaSends(f))
}

// claimed collects the files claimed in a turn, to put back after it.
type claimed struct {
	mu    sync.Mutex
	paths []string
}

func (c *claimed) add(p string) {
	c.mu.Lock()
	c.paths = append(c.paths, p)
	c.mu.Unlock()
}

// putBack returns every claimed file to new/.
func (c *claimed) putBack() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := unclaim(c.paths)
	c.paths = c.paths[:0]
	return err
}

func (e *env) apiClaims(mb *spool.Mailbox, what string) Figure {
	name := "claims/s (Mailbox.Check, limit 1), " + what
	var back claimed
	bare := workers(1, func(int, int64) error {
		p, _, err := bareop.Claim(mb.Dir)
		back.add(p)
		return err
	})
	ipc := workers(1, func(int, int64) error {
		msgs, err := mb.Check(spool.CheckOptions{Limit: 1})
		if err == nil && len(msgs) != 1 {
			err = fmt.Errorf("check gave %d messages, want 1", len(msgs))
		}
		for _, m := range msgs {
			back.add(m.Path)
		}
		return err
	})
	c, err := rates(e.pace, bare, ipc, back.putBack)
	if err != nil {
		return failed("claim", name, err)
	}
	f := c.figure("claim", name, "readdir new/ + read + rename + fsync cur/, new/")
	f.Unit = "claims/s"
	return f
}

func (e *env) processClaims(f *fixtures, mb *spool.Mailbox, what string) Figure {
	name := "ipc check --limit 1, " + what
	r := e.runner(f.root)
	var back claimed
	// ipc-bare claims the oldest file, put back after every claim.
	oldest := filepath.Join(mb.Dir, "cur", f.oldest[mb.Name]+":2,S")
	bare := func() (time.Duration, error) {
		d, err := r.run("", r.bare, []string{"claim", mb.Dir})
		if err == nil {
			err = unclaim([]string{oldest})
		}
		return d, err
	}
	ipc := func() (time.Duration, error) {
		var out []byte
		d, err := r.output(&out, r.ipc, "--as", mb.Name, "check", "--limit", "1", "--json")
		if err != nil {
			return d, err
		}
		var msgs []struct {
			Path string `json:"path"`
		}
		if err := json.Unmarshal(out, &msgs); err != nil || len(msgs) != 1 {
			return d, fmt.Errorf("ipc check --limit 1 --json printed %.200q: %v", out, err)
		}
		back.add(msgs[0].Path)
		return d, back.putBack()
	}
	bd, id, err := durations(e.scale.Samples/2, e.scale.Budget, bare, ipc)
	if err != nil {
		return failed("claim", name, err)
	}
	fig := took("claim", name, id.P50, bd.P50, "ipc-bare claim, a process (p50)")
	fig.Note = samples(id.N)
	return fig
}

// count prints a mailbox size with thousands separators.
func count(digits string) string {
	for i := len(digits) - 3; i > 0; i -= 3 {
		digits = digits[:i] + "," + digits[i:]
	}
	return digits
}
