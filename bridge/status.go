package bridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/claude-ipc/ipc/spool"
)

// Status is what the bridge last reported about itself, kept in
// remote/bridge.json for ipc status.
type Status struct {
	PID       int       `json:"pid"`
	Host      string    `json:"host"`
	URL       string    `json:"url"`
	Running   bool      `json:"running"`
	Connected bool      `json:"connected"`
	Error     string    `json:"error,omitempty"` // why mail is not moving, when it is not
	ErrorAt   time.Time `json:"error_at,omitzero"`
	Sent      int64     `json:"sent"`     // messages published since start
	Received  int64     `json:"received"` // messages delivered here since start
	Updated   time.Time `json:"updated"`
	Queued    int       `json:"queued"` // filled in by ReadStatus: messages waiting in remote/new/
}

func statusPath(sp *spool.Spool) string { return filepath.Join(sp.RemoteDir(), "bridge.json") }

// ReadStatus returns the bridge's last status and how much mail waits for
// it. ok is false when no bridge ever ran on this spool (Queued is still
// filled in).
func ReadStatus(sp *spool.Spool) (st Status, ok bool, err error) {
	b, rerr := os.ReadFile(statusPath(sp))
	if rerr == nil && json.Unmarshal(b, &st) == nil {
		ok = true
	} else if rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = fmt.Errorf("bridge: read status: %w", rerr)
	}
	st.Queued, _ = sp.RemoteQueued()
	if ok && st.Running && !processAlive(st.PID) {
		st.Running, st.Connected = false, false
		if st.Error == "" {
			st.Error = "the bridge is not running"
		}
	}
	return st, ok, err
}

// setError records err (nil: all is well, connected) and saves the status.
func (b *Bridge) setError(err error) {
	b.mu.Lock()
	if err == nil && b.status.Error == "" && b.status.Connected {
		b.mu.Unlock()
		return
	}
	if err != nil {
		b.status.Error, b.status.ErrorAt = err.Error(), time.Now()
		// Still connected when only one message or delivery failed.
		b.status.Connected = b.status.Connected && !errors.Is(err, ErrUnreachable) && !errors.Is(err, ErrAuth) &&
			!errors.Is(err, ErrSettings) && !errors.Is(err, ErrConfig)
	} else {
		b.status.Error, b.status.Connected = "", true
	}
	b.mu.Unlock()
	b.saveStatus()
}

// count adds to the sent and received totals.
func (b *Bridge) count(sent, received int) {
	b.mu.Lock()
	b.status.Sent += int64(sent)
	b.status.Received += int64(received)
	b.mu.Unlock()
}

// Status returns the bridge's status now.
func (b *Bridge) Status() Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.status
	st.Queued, _ = b.sp.RemoteQueued()
	return st
}

// saveStatus writes the status file; a failure is logged, never fatal.
func (b *Bridge) saveStatus() {
	b.mu.Lock()
	b.status.PID, b.status.Updated = os.Getpid(), time.Now()
	data, _ := json.Marshal(b.status)
	b.mu.Unlock()
	if err := writeAtomic(statusPath(b.sp), append(data, '\n')); err != nil {
		b.log.Warn("bridge: write status", "err", err)
	}
}

// writeAtomic writes data to path durably: a temporary file beside it,
// fsynced, renamed over path, the directory fsynced.
func writeAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err = os.Chmod(f.Name(), 0o600); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
