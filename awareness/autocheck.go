package awareness

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// The auto-check interval bounds, in minutes.
const (
	DefaultAutoCheckMinutes = 5
	MinAutoCheckMinutes     = 1
	MaxAutoCheckMinutes     = 60
)

// AutoCheck is the auto-check state of one name.
type AutoCheck struct {
	Name            string    `json:"name"`
	Enabled         bool      `json:"enabled"`
	IntervalMinutes int       `json:"interval_minutes"`
	LastCheck       time.Time `json:"last_check,omitzero"` // the last check of the mailbox, by any reader
	LastBlock       time.Time `json:"last_block,omitzero"` // the last time the Stop hook held the agent back
}

// ErrBadInterval reports an auto-check interval outside 1–60 minutes.
var ErrBadInterval = errors.New("auto-check interval must be 1 to 60 minutes")

// Awareness is the awareness state of one spool.
type Awareness struct {
	sp        *spool.Spool
	autocheck *spool.Records // NAME.json, NAME.lock, NAME.surface.lock
	told      *spool.Records // NAME.DIGEST: the told marks
	wakers    *spool.Records // NAME.DIGEST: the waiting wakers
}

// New returns the awareness state kept in sp.
func New(sp *spool.Spool) *Awareness {
	a := &Awareness{sp: sp}
	a.autocheck, _ = sp.Records("autocheck") // constant kinds: never refused
	a.told, _ = sp.Records("hook")
	a.wakers, _ = sp.Records("wake")
	return a
}

// AutoCheck returns name's auto-check state; a name never configured has
// it off, every DefaultAutoCheckMinutes. LastCheck is the later of the
// recorded check and the mailbox's last read.
func (a *Awareness) AutoCheck(name string) (AutoCheck, error) {
	if err := spool.ValidName(name); err != nil {
		return AutoCheck{}, err
	}
	ac, err := a.readAutoCheck(name)
	if seen := a.sp.Activity(name); seen.After(ac.LastCheck) {
		ac.LastCheck = seen
	}
	return ac, err
}

func (a *Awareness) readAutoCheck(name string) (AutoCheck, error) {
	ac := AutoCheck{Name: name, IntervalMinutes: DefaultAutoCheckMinutes}
	b, err := a.autocheck.Read(name + ".json")
	if errors.Is(err, fs.ErrNotExist) {
		return ac, nil
	}
	if err != nil {
		return ac, fmt.Errorf("read auto-check state of %s: %w", name, err)
	}
	if err := json.Unmarshal(b, &ac); err != nil {
		return ac, fmt.Errorf("read auto-check state of %s: %w", name, err)
	}
	ac.Name = name
	if ac.IntervalMinutes < MinAutoCheckMinutes || ac.IntervalMinutes > MaxAutoCheckMinutes {
		ac.IntervalMinutes = DefaultAutoCheckMinutes
	}
	return ac, nil
}

// updateAutoCheck changes name's state under its lock, so a check recorded
// by one process cannot undo a stop made by another.
func (a *Awareness) updateAutoCheck(name string, change func(*AutoCheck)) (AutoCheck, error) {
	if err := spool.ValidName(name); err != nil {
		return AutoCheck{}, err
	}
	unlock, err := a.autocheck.Lock(name + ".lock")
	if err != nil {
		return AutoCheck{}, fmt.Errorf("auto-check of %s: %w", name, err)
	}
	defer unlock()
	ac, err := a.readAutoCheck(name)
	if err != nil {
		ac = AutoCheck{Name: name, IntervalMinutes: DefaultAutoCheckMinutes} // damaged: start afresh
	}
	change(&ac)
	b, _ := json.MarshalIndent(ac, "", "  ")
	if err := a.autocheck.Write(name+".json", append(b, '\n')); err != nil {
		return ac, fmt.Errorf("auto-check of %s: %w", name, err)
	}
	return ac, nil
}

// StartAutoCheck turns auto-check on for name every minutes minutes (0:
// DefaultAutoCheckMinutes); it fails with ErrBadInterval outside 1–60.
func (a *Awareness) StartAutoCheck(name string, minutes int) (AutoCheck, error) {
	if minutes == 0 {
		minutes = DefaultAutoCheckMinutes
	}
	if err := CheckInterval(minutes); err != nil {
		return AutoCheck{}, err
	}
	return a.updateAutoCheck(name, func(ac *AutoCheck) { ac.Enabled, ac.IntervalMinutes = true, minutes })
}

// CheckInterval fails with ErrBadInterval for minutes outside 1–60.
func CheckInterval(minutes int) error {
	if minutes < MinAutoCheckMinutes || minutes > MaxAutoCheckMinutes {
		return fmt.Errorf("%w (got %d)", ErrBadInterval, minutes)
	}
	return nil
}

// StopAutoCheck turns auto-check off for name, keeping its interval.
func (a *Awareness) StopAutoCheck(name string) (AutoCheck, error) {
	return a.updateAutoCheck(name, func(ac *AutoCheck) { ac.Enabled = false })
}

// RecordCheck notes that name's mail has just been checked automatically.
func (a *Awareness) RecordCheck(name string) error {
	now := a.sp.Now().UTC()
	_, err := a.updateAutoCheck(name, func(ac *AutoCheck) { ac.LastCheck = now })
	return err
}

// RecordBlock notes that the Stop hook held name's agent back at t because
// of the mail that had arrived by then.
func (a *Awareness) RecordBlock(name string, t time.Time) error {
	_, err := a.updateAutoCheck(name, func(ac *AutoCheck) { ac.LastBlock = t.UTC() })
	return err
}
