package mcp

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/spool"
)

// errNotRegistered is what a tool says when the agent has no name yet.
var errNotRegistered = errors.New(`not registered: call register(instance_id) first ("register this instance as NAME")`)

// identity is the name the server holds, read without locks by the event
// loop. A new identity replaces it on register and rename.
type identity struct {
	name string
	mb   *spool.Mailbox
	dir  string // mb's new/
}

// agent is who the server is and which mailboxes it watches.
type agent struct {
	mu    sync.Mutex // serializes register, rename and release
	owner *spool.Owner
	cur   atomic.Pointer[identity]

	arrivalMu sync.Mutex
	arrival   chan struct{} // closed and replaced whenever mail lands in the agent's new/

	waitMu  sync.Mutex
	waiters int           // wait calls running
	idle    chan struct{} // closed when waiters drops back to 0
}

func (a *agent) init() {
	a.arrival = make(chan struct{})
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

// beginWait records a wait call that may block; endWait its end.
func (a *agent) beginWait() {
	a.waitMu.Lock()
	defer a.waitMu.Unlock()
	if a.waiters == 0 {
		a.idle = make(chan struct{})
	}
	a.waiters++
}

func (a *agent) endWait() {
	a.waitMu.Lock()
	defer a.waitMu.Unlock()
	if a.waiters--; a.waiters == 0 {
		close(a.idle)
	}
}

// waiting returns how many wait calls run.
func (a *agent) waiting() int {
	a.waitMu.Lock()
	defer a.waitMu.Unlock()
	return a.waiters
}

// waitIdle returns a channel closed when no wait call runs any more; nil
// when none runs now.
func (a *agent) waitIdle() <-chan struct{} {
	a.waitMu.Lock()
	defer a.waitMu.Unlock()
	if a.waiters == 0 {
		return nil
	}
	return a.idle
}

// registered is what register did.
type registered struct {
	Name     string `json:"name"`
	Waiting  int    `json:"waiting"`            // unread messages in the mailbox
	Already  bool   `json:"already,omitempty"`  // the server held the name already
	Released string `json:"released,omitempty"` // the name held before, now given up
	// EndedForward is where mail to the name was forwarded (it had been
	// renamed) until this register ended the forward.
	EndedForward string `json:"ended_forward,omitempty"`
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
	if cur := a.who(); cur != nil && strings.EqualFold(cur.name, name) {
		name = cur.name
		n, err := cur.mb.Unread()
		return registered{Name: name, Waiting: n, Already: true}, err
	}
	o, err := s.sp.Claim(name)
	if err != nil {
		return registered{}, err
	}
	name = o.Name // the spelling the spool knows
	mb, err := s.sp.Mailbox(name)
	if err != nil {
		o.Release()
		return registered{}, err
	}
	r := registered{Name: name}
	if fw := o.EndedForward; fw != nil {
		r.EndedForward = fw.To
	}
	if prev := a.who(); prev != nil {
		r.Released = prev.name
		s.unwatch(prev.name)
		if err := a.owner.Release(); err != nil {
			s.log.Warn("release name", "name", prev.name, "err", err)
		}
	}
	a.owner = o
	r.Waiting = s.become(mb)
	s.rules.Active(name)
	return r, nil
}

// become makes mb the agent's mailbox: it is watched for arrivals, then
// the ready sessions catch up on its unread mail (Options.Backlog
// applies): in this order, mail landing in between is seen by one or the
// other (each session's known set drops the repeats). It returns the
// unread count.
func (s *Server) become(mb *spool.Mailbox) int {
	id := &identity{name: mb.Name, mb: mb, dir: filepath.Clean(mb.NewDir())}
	// Stored first: a session joining during the loop catches up on this
	// identity by itself.
	s.agent.cur.Store(id)
	s.watch(id.name)
	unread := 0
	for _, ss := range s.hub.sessions() {
		unread = s.catchUp(ss, id)
	}
	if len(s.hub.sessions()) == 0 {
		unread, _ = mb.Unread()
	}
	return unread
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
	s.unwatch(cur.name)
	r.Waiting = s.become(mb) // the mail moved along keeps its ids: sessions that had it get nothing again
	return r, nil
}

// watch follows the mailbox name on the server's feed: mail that becomes
// unread there from now on is pushed (the agent's own) or told to
// subscribers; what is unread already catch-up reads itself. The feed
// counts references (the agent's own name, subscriptions). A mailbox that
// does not exist yet is followed all the same.
func (s *Server) watch(name string) {
	fd := s.feed()
	if fd == nil {
		return
	}
	if err := fd.Follow(name); err != nil && !errors.Is(err, follow.ErrClosed) {
		s.log.Warn("follow", "name", name, "err", err)
	}
}

// unwatch drops one reference to name.
func (s *Server) unwatch(name string) {
	if fd := s.feed(); fd != nil {
		fd.Unfollow(name)
	}
}

// feed returns the server's feed, nil before Start.
func (s *Server) feed() *follow.Feed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fd
}

// follower returns the follower the server's feed comes from, nil before
// Start.
func (s *Server) follower() *follow.Follower {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fol
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

// me returns the agent's identity, checking the name the caller gave in
// argument param (from_id, instance_id, old_id; "" when the tool takes
// none). A caller not registered, or naming someone else, gets an error
// saying so.
func (s *Server) me(param, given string) (*identity, error) {
	cur := s.agent.who()
	if cur == nil {
		return nil, errNotRegistered
	}
	if given != "" && !strings.EqualFold(given, cur.name) { // names differ by more than case

		if err := spool.ValidName(given); err != nil {
			return nil, fmt.Errorf("argument %s: %w", param, err)
		}
		return nil, fmt.Errorf("you are registered as %s, not %s: pass %q (or register %s first)", cur.name, given, cur.name, given)
	}
	return cur, nil
}
