package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/claude-ipc/ipc/spool"
)

// presence is one name's entry in the bucket, key HOST.NAME.
type presence struct {
	Online    bool      `json:"online"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	ForwardTo string    `json:"forward_to,omitempty"`
	Until     time.Time `json:"forward_until,omitzero"`
}

// presenceLoop writes this host's names and reads the others' every
// PresenceEvery.
func (b *Bridge) presenceLoop(ctx context.Context) {
	tick := time.NewTicker(b.cfg.PresenceEvery)
	defer tick.Stop()
	var pruned time.Time
	for {
		if err := b.syncPresence(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("bridge: presence", "err", err)
		}
		if time.Since(pruned) > time.Hour {
			b.pruneLedger(time.Now().Add(-(b.cfg.MaxAge + b.cfg.DedupWindow)))
			pruned = time.Now()
		}
		b.saveStatus()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// SyncPresence publishes this host's names and records the fleet now.
func (b *Bridge) syncPresence(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := b.publishPresence(pctx); err != nil {
		return err
	}
	fleet, err := b.readFleet(pctx)
	if err != nil {
		return err
	}
	return b.sp.WriteFleet(fleet)
}

// publishPresence writes one entry per local name. Entries of names gone
// from here age out with the bucket's TTL.
func (b *Bridge) publishPresence(ctx context.Context) error {
	infos, err := b.sp.List()
	if err != nil {
		return err
	}
	for _, ni := range infos {
		p := presence{Online: ni.Online, LastSeen: ni.LastSeen}
		if ni.Forward != nil {
			p.ForwardTo, p.Until = ni.Forward.To, ni.Forward.Until
		}
		v, _ := json.Marshal(p)
		if _, err := b.kv.Put(ctx, b.cfg.Host+"."+ni.Name, v); err != nil {
			return classify("presence put", err)
		}
	}
	return nil
}

// readFleet reads every other host's entries.
func (b *Bridge) readFleet(ctx context.Context) (spool.Fleet, error) {
	fleet := spool.Fleet{Updated: time.Now(), Hosts: map[string]spool.FleetHost{}}
	keys, err := b.kv.ListKeys(ctx)
	if err != nil {
		return fleet, classify("presence keys", err)
	}
	for key := range keys.Keys() {
		host, name, ok := strings.Cut(key, ".")
		if !ok || host == b.cfg.Host || spool.ValidHost(host) != nil || spool.ValidName(name) != nil {
			continue
		}
		e, err := b.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			continue
		}
		if err != nil {
			return fleet, classify("presence get", err)
		}
		var p presence
		if json.Unmarshal(e.Value(), &p) != nil {
			continue
		}
		fh, ok := fleet.Hosts[host]
		if !ok {
			fh = spool.FleetHost{Names: map[string]spool.FleetName{}}
			fleet.Hosts[host] = fh
		}
		fh.Names[name] = spool.FleetName{Online: p.Online, LastSeen: p.LastSeen, ForwardTo: p.ForwardTo, ForwardUntil: p.Until}
	}
	_ = keys.Stop() // the lister has ended; Stop only releases it
	return fleet, nil
}

// pruneLedger removes ledger entries older than before: the stream has
// dropped those messages, so they cannot be offered again.
func (b *Bridge) pruneLedger(before time.Time) {
	dir := filepath.Join(b.sp.RemoteDir(), "seen")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return // none yet
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && fi.ModTime().Before(before) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
