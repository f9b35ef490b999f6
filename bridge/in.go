package bridge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/claude-ipc/ipc/spool"
)

// receiveWorkers is how many messages are delivered at once. A message's
// redeliveries always go to the same worker (chosen by its Message-ID), so
// two copies of one message are never delivered side by side.
const receiveWorkers = 4

// receiveLoop delivers what cons holds for this host until ctx ends.
// nats.go's iterator keeps pulling across reconnects.
func (b *Bridge) receiveLoop(ctx context.Context, cons jetstream.Consumer) {
	for ctx.Err() == nil {
		it, err := cons.Messages(jetstream.PullMaxMessages(256))
		if err != nil {
			b.setError(classify("consume", err))
			sleep(ctx, b.cfg.RetryEvery)
			continue
		}
		stop := context.AfterFunc(ctx, it.Stop)
		b.dispatch(ctx, it)
		stop()
		it.Stop()
		sleep(ctx, b.cfg.RetryEvery)
	}
}

// dispatch hands each message of it to its worker until it ends.
func (b *Bridge) dispatch(ctx context.Context, it jetstream.MessagesContext) {
	var wg sync.WaitGroup
	work := make([]chan jetstream.Msg, receiveWorkers)
	for i := range work {
		work[i] = make(chan jetstream.Msg, 64)
		wg.Go(func() {
			for msg := range work[i] {
				b.receive(ctx, msg)
			}
		})
	}
	defer wg.Wait()
	for {
		msg, err := it.Next()
		if err != nil {
			if !errors.Is(err, jetstream.ErrMsgIteratorClosed) && ctx.Err() == nil {
				b.setError(classify("consume", err))
			}
			break
		}
		h := fnv.New32a()
		h.Write([]byte(msg.Headers().Get(jetstream.MsgIDHeader)))
		work[h.Sum32()%receiveWorkers] <- msg
	}
	for _, w := range work {
		close(w)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// receive delivers one stream message and acknowledges it once it is
// durable here (or quarantined). A failure to deliver leaves it
// unacknowledged: the server offers it again.
func (b *Bridge) receive(ctx context.Context, msg jetstream.Msg) {
	n, err := b.deliver(ctx, msg)
	switch {
	case err == nil:
		if err := msg.Ack(); err != nil {
			b.log.Warn("bridge: ack (the message will be offered again and recognised)", "err", err)
		}
		if n > 0 {
			b.count(0, 1)
		}
	case errors.Is(err, ErrForged), errors.Is(err, errUnsigned), errors.Is(err, errBadQueued):
		b.quarantineRaw(msg, err)
		_ = msg.Term()
	default:
		b.log.Warn("bridge: cannot deliver yet", "subject", msg.Subject(), "err", err)
		b.setError(err)
		_ = msg.NakWithDelay(b.cfg.RetryEvery)
	}
}

// errUnsigned reports a message whose signature does not verify.
var errUnsigned = errors.New("bridge: signature does not verify")

// deliver puts msg into its mailboxes and returns how many got a copy.
func (b *Bridge) deliver(ctx context.Context, msg jetstream.Msg) (int, error) {
	src, names, err := b.route(msg.Subject())
	if err != nil {
		return 0, err
	}
	if src == b.cfg.Host && names == nil {
		return 0, nil // our own broadcast
	}
	raw, err := b.payload(ctx, msg)
	if err != nil {
		return 0, err
	}
	m, err := spool.ParseMessage(bytes.NewReader(raw), "remote", time.Now())
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errBadQueued, err)
	}
	if !strings.EqualFold(m.FromHost, src) {
		return 0, fmt.Errorf("%w: published by host %s but From says %s@%s", ErrForged, src, m.From, m.FromHost)
	}
	if secret := b.sp.Config.Secret; secret != "" && !m.Verify(secret) {
		return 0, fmt.Errorf("%w: message %s from %s@%s", errUnsigned, m.ID, m.From, src)
	}
	if err = b.keepLarge(ctx, msg, m); err != nil {
		return 0, err
	}
	if raw, err = b.sp.Carried(m, src); err != nil {
		return 0, err
	}
	if names == nil {
		if names, err = b.broadcastNames(); err != nil {
			return 0, err
		}
	}
	id := localID(m.ID)
	n := 0
	for _, name := range names {
		fresh, err := b.deliverOnce(b.sp.Resolve(name), m.ID+"@"+src, id, raw)
		if err != nil {
			return n, err
		}
		if fresh {
			n++
		}
	}
	return n, nil
}

// route reads a subject: the sending host and the recipients (nil for a
// broadcast: every name here).
func (b *Bridge) route(subject string) (src string, names []string, err error) {
	t := strings.Split(subject, ".")
	switch {
	case len(t) == 5 && t[1] == "mail" && t[2] == b.cfg.Host && spool.ValidName(t[3]) == nil && spool.ValidHost(t[4]) == nil:
		return t[4], []string{t[3]}, nil
	case len(t) == 3 && t[1] == "bcast" && spool.ValidHost(t[2]) == nil:
		return t[2], nil, nil
	}
	return "", nil, fmt.Errorf("%w: subject %q", errBadQueued, subject)
}

// broadcastNames returns every mailbox here that has not been renamed.
func (b *Bridge) broadcastNames() ([]string, error) {
	all, err := b.sp.Names()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range all {
		if b.sp.Resolve(n) == n {
			out = append(out, n)
		}
	}
	return out, nil
}

// payload returns the message bytes, fetched from the object store when
// the stream message only names them.
func (b *Bridge) payload(ctx context.Context, msg jetstream.Msg) ([]byte, error) {
	name := msg.Headers().Get(hdrObject)
	if name == "" {
		return msg.Data(), nil
	}
	return b.getObject(ctx, name)
}

func (b *Bridge) getObject(ctx context.Context, name string) ([]byte, error) {
	gctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	data, err := b.obs.GetBytes(gctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("%w: object %s is gone from the store", errBadQueued, name)
	}
	if err != nil {
		return nil, classify("object store get "+name, err)
	}
	return data, nil
}

// keepLarge writes the full text of a large message to this spool's
// large/ and points the message at it (Carried signs it again).
func (b *Bridge) keepLarge(ctx context.Context, msg jetstream.Msg, m *spool.Message) error {
	obj, base := msg.Headers().Get(hdrLargeObject), filepath.Base(msg.Headers().Get(hdrLargeName))
	if obj == "" || m.LargeFile == "" {
		return nil
	}
	if base == "." || base == "/" || strings.HasPrefix(base, ".") {
		return fmt.Errorf("%w: large file name %q", errBadQueued, msg.Headers().Get(hdrLargeName))
	}
	full, err := b.getObject(ctx, obj)
	if err != nil {
		return err
	}
	path := filepath.Join(b.sp.LargeDir(), base)
	if err := writeAtomic(path, full); err != nil {
		return fmt.Errorf("bridge: keep large body %s: %w", path, err)
	}
	m.Body = strings.ReplaceAll(m.Body, m.LargeFile, path)
	m.LargeFile = path
	return nil
}

// localID returns the id a remote message is filed under: its own when it
// is a plain token, else a digest of it.
func localID(id string) string {
	if spool.IsToken(id, 64) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:6])
}

// deliverOnce delivers raw into name's mailbox unless the message with
// key (Message-ID@host) was delivered there before: by the ledger in
// remote/seen/, or, for a crash between the delivery and the ledger
// entry, by a file filed under its id in the mailbox. That look is by
// names alone (Mailbox.Holds): every message not yet delivered comes
// this way, and reading the headers of the whole mailbox for each made
// delivery slow enough, under load, to outlast the ack wait.
func (b *Bridge) deliverOnce(name, key, id string, raw []byte) (bool, error) {
	mark := filepath.Join(b.sp.RemoteDir(), "seen", objectName(key)+"."+name)
	if _, err := os.Lstat(mark); err == nil {
		return false, nil
	}
	mb, err := b.sp.EnsureMailbox(name)
	if err != nil {
		return false, err
	}
	if had, err := mb.Holds(id); err != nil {
		return false, err
	} else if had {
		return false, b.record(mark)
	}
	d, err := mb.Deliver(id)
	if err != nil {
		return false, err
	}
	if _, err := d.Write(raw); err != nil {
		d.Abort()
		return false, err
	}
	if err := d.Close(); err != nil && d.Path() == "" {
		return false, err
	}
	return true, b.record(mark)
}

// record writes a ledger entry. It is not fsynced: it spares the search
// of the mailbox, and a power cut that loses it leaves the message in the
// mailbox where deliverOnce finds it.
func (b *Bridge) record(mark string) error {
	dir := filepath.Dir(mark)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("bridge: ledger: %w", err)
	}
	f, err := os.OpenFile(mark, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("bridge: ledger: %w", err)
	}
	return f.Close()
}

// quarantineRaw keeps a stream message that must not be delivered in
// quarantine/ with the reason.
func (b *Bridge) quarantineRaw(msg jetstream.Msg, why error) {
	dir := filepath.Join(b.sp.RemoteDir(), "tmp")
	f, err := os.CreateTemp(dir, "refused-*")
	if err != nil {
		b.log.Error("bridge: quarantine", "err", err, "why", why)
		return
	}
	_, err = f.Write(msg.Data())
	if err == nil {
		err = f.Sync()
	}
	f.Close()
	if err != nil {
		os.Remove(f.Name())
		b.log.Error("bridge: quarantine", "err", err, "why", why)
		return
	}
	b.quarantine(f.Name(), fmt.Errorf("%v (subject %s)", why, msg.Subject()))
}
