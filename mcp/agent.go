package mcp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/claude-ipc/ipc/spool"
	"github.com/claude-ipc/ipc/watcher"
)

// errNotRegistered is what a tool says when the agent has no name yet.
var errNotRegistered = errors.New(`not registered: call register(instance_id) first ("register this instance as NAME")`)

// identity is the name the server holds, read without locks by the event
// loop. A new identity replaces it on register and rename.
type identity struct {
	name string
	mb   *spool.Mailbox
	dir  string          // mb's new/
	skip map[string]bool // files in new/ at registration, announced by one notice instead of one push each
}

// agent is who the server is and which mailboxes it watches.
type agent struct {
	mu    sync.Mutex // serializes register, rename and release
	owner *spool.Owner
	cur   atomic.Pointer[identity]

	arrivalMu sync.Mutex
	arrival   chan struct{} // closed and replaced whenever mail lands in the agent's new/

	watchMu sync.Mutex
	watches map[string]int  // new/ directories → references (the agent's own, subscriptions)
	missing map[string]bool // of those, the ones that do not exist yet
}

func (a *agent) init() {
	a.arrival = make(chan struct{})
	a.watches = map[string]int{}
	a.missing = map[string]bool{}
}

// who returns the current identity, nil before register.
func (a *agent) who() *identity { return a.cur.Load() }

// release gives the name up (it goes offline).
func (a *agent) release() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	o := a.owner
	a.owner = nil
	a.cur.Store(nil)
	return o.Release()
}

// arrivalChan returns a channel closed at the next arrival.
func (a *agent) arrivalChan() <-chan struct{} {
	a.arrivalMu.Lock()
	defer a.arrivalMu.Unlock()
	return a.arrival
}

// signal wakes everyone waiting for mail.
func (a *agent) signal() {
	a.arrivalMu.Lock()
	close(a.arrival)
	a.arrival = make(chan struct{})
	a.arrivalMu.Unlock()
}

// registered is what register did.
type registered struct {
	Name     string `json:"name"`
	Waiting  int    `json:"waiting"`            // unread messages in the mailbox
	Already  bool   `json:"already,omitempty"`  // the server held the name already
	Released string `json:"released,omitempty"` // the name held before, now given up
}

// register claims name for this server, giving up the name it held
// before, and starts watching its mailbox.
func (s *Server) register(name string) (registered, error) {
	if err := spool.ValidName(name); err != nil {
		return registered{}, err
	}
	a := &s.agent
	a.mu.Lock()
	defer a.mu.Unlock()
	if cur := a.who(); cur != nil && cur.name == name {
		n, err := cur.mb.Unread()
		return registered{Name: name, Waiting: n, Already: true}, err
	}
	o, err := s.sp.Claim(name)
	if err != nil {
		return registered{}, err
	}
	mb, err := s.sp.Mailbox(name)
	if err != nil {
		o.Release()
		return registered{}, err
	}
	r := registered{Name: name}
	if prev := a.who(); prev != nil {
		r.Released = prev.name
		s.unwatch(prev.dir)
		if err := a.owner.Release(); err != nil {
			s.log.Warn("release name", "name", prev.name, "err", err)
		}
	}
	a.owner = o
	r.Waiting = s.become(mb, nil, true)
	s.sp.Touch(name)
	return r, nil
}

// become makes mb the agent's mailbox and watches it. The files in skip are
// not pushed (they were announced already). With backlog set, a mailbox
// holding more unread mail than Options.Backlog is announced by one notice
// instead of one push per message. It returns the unread count.
func (s *Server) become(mb *spool.Mailbox, skip map[string]bool, backlog bool) int {
	id := &identity{name: mb.Name, mb: mb, dir: filepath.Clean(mb.NewDir()), skip: skip}
	names, _ := readNames(id.dir)
	if backlog && len(names) > s.opts.Backlog {
		id.skip = make(map[string]bool, len(names))
		for _, n := range names {
			id.skip[n] = true
		}
		s.hub.offer(backlogNotice(mb.Name, len(names), s.sp.Now()))
	}
	s.agent.cur.Store(id)
	s.watch(id.dir)
	return len(names)
}

// renamed is what rename did.
type renamed struct {
	Old          string    `json:"old"`
	New          string    `json:"new"`
	ForwardUntil time.Time `json:"forward_until"`
	Waiting      int       `json:"waiting"`
}

// rename moves the agent's name to newName (spool.Rename: forward, notice
// to everyone, once an hour) and follows its mailbox.
func (s *Server) rename(newName string) (renamed, error) {
	a := &s.agent
	a.mu.Lock()
	defer a.mu.Unlock()
	cur := a.who()
	if cur == nil {
		return renamed{}, errNotRegistered
	}
	o, err := s.sp.Rename(a.owner, newName)
	if err != nil {
		return renamed{}, err
	}
	mb, err := s.sp.Mailbox(newName)
	if err != nil {
		return renamed{}, err
	}
	a.owner = o
	r := renamed{Old: cur.name, New: newName}
	if f, ok := s.sp.Forward(cur.name); ok {
		r.ForwardUntil = f.Until
	}
	s.unwatch(cur.dir)
	r.Waiting = s.become(mb, cur.skip, false) // Rename keeps file names
	return r, nil
}

// readNames lists the message files in a new/ directory.
func readNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		if n := e.Name(); n[0] != '.' && !e.IsDir() {
			out = append(out, n)
		}
	}
	return out, nil
}

// watch adds a reference to dir and watches it. It runs the watcher's Add
// on its own goroutine: Add waits for the watcher, which may be waiting for
// the event loop, which must never wait for us.
func (s *Server) watch(dir string) {
	a := &s.agent
	a.watchMu.Lock()
	a.watches[dir]++
	first := a.watches[dir] == 1
	a.watchMu.Unlock()
	if first {
		s.async(func() { s.addWatch(dir) })
	}
}

// unwatch drops a reference to dir and stops watching it at the last.
func (s *Server) unwatch(dir string) {
	a := &s.agent
	a.watchMu.Lock()
	a.watches[dir]--
	last := a.watches[dir] <= 0
	if last {
		delete(a.watches, dir)
		delete(a.missing, dir)
	}
	a.watchMu.Unlock()
	if last {
		s.async(func() {
			if err := s.w.Remove(dir); err != nil && !errors.Is(err, watcher.ErrNotWatched) && !errors.Is(err, watcher.ErrClosed) {
				s.log.Warn("unwatch", "dir", dir, "err", err)
			}
		})
	}
}

// addWatch watches dir if it is still wanted; a directory that does not
// exist yet (a subscription to a name nobody has used) is retried.
func (s *Server) addWatch(dir string) {
	a := &s.agent
	a.watchMu.Lock()
	wanted := a.watches[dir] > 0
	a.watchMu.Unlock()
	if !wanted {
		return
	}
	err := s.w.Add(dir)
	a.watchMu.Lock()
	defer a.watchMu.Unlock()
	switch {
	case err == nil || errors.Is(err, watcher.ErrClosed):
		delete(a.missing, dir)
	case a.watches[dir] > 0:
		a.missing[dir] = true
		if !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("watch", "dir", dir, "err", err)
		}
	}
}

// retryWatches tries again to watch the directories that did not exist.
func (s *Server) retryWatches() {
	a := &s.agent
	a.watchMu.Lock()
	var dirs []string
	for d := range a.missing {
		dirs = append(dirs, d)
	}
	a.watchMu.Unlock()
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			s.async(func() { s.addWatch(d) })
		}
	}
}

// async runs f on a goroutine the server waits for at Close.
func (s *Server) async(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil || s.ctx.Err() != nil {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// me returns the agent's name, checking the one the caller gave (from_id,
// instance_id, old_id). A caller not registered, or naming someone else,
// gets an error saying so.
func (s *Server) me(given string) (*identity, error) {
	cur := s.agent.who()
	if cur == nil {
		return nil, errNotRegistered
	}
	if given != "" && given != cur.name {
		if err := spool.ValidName(given); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("you are registered as %s, not %s: pass %q (or register %s first)", cur.name, given, cur.name, given)
	}
	return cur, nil
}
