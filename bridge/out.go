package bridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/claude-ipc/ipc/spool"
)

// Headers the bridge adds to what it publishes.
const (
	hdrObject      = "Ipc-Object"       // the whole message is this object-store entry
	hdrLargeObject = "Ipc-Large-Object" // the full text of its large/ file is this entry
	hdrLargeName   = "Ipc-Large-Name"   // the base name of that large/ file
)

// publishBatch bounds how many publishes are in flight at once.
const publishBatch = 256

// payloadMargin is left of the server's max payload for headers.
const payloadMargin = 8 << 10

// sendLoop drains remote/new/ whenever kicked, and every RetryEvery while
// anything waits.
func (b *Bridge) sendLoop(ctx context.Context) {
	tick := time.NewTicker(b.cfg.RetryEvery)
	defer tick.Stop()
	b.nudge()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.kick:
		case <-tick.C:
		}
		if err := b.drain(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("bridge: outgoing mail waits", "err", err)
			b.setError(err)
		}
	}
}

// outgoing is one queued file, ready to publish.
type outgoing struct {
	path string
	msg  *nats.Msg
	id   string
}

// drain publishes everything in remote/new/, oldest first, removing each
// file once its publish is acknowledged.
func (b *Bridge) drain(ctx context.Context) error {
	dir := filepath.Join(b.sp.RemoteDir(), "new")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("bridge: read %s: %w", dir, err)
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names) // Maildir names start with the time
	for len(names) > 0 {
		n := min(len(names), publishBatch)
		if err := b.publishFiles(ctx, dir, names[:n]); err != nil {
			return err
		}
		names = names[n:]
	}
	return nil
}

// publishFiles publishes one batch and removes what was acknowledged.
func (b *Bridge) publishFiles(ctx context.Context, dir string, names []string) error {
	var batch []outgoing
	var futures []jetstream.PubAckFuture
	var firstErr error
	for _, name := range names {
		o, err := b.prepare(ctx, filepath.Join(dir, name))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // sent and removed by another bridge on this spool
			}
			if errors.Is(err, errBadQueued) {
				b.quarantine(filepath.Join(dir, name), err)
				continue
			}
			firstErr = err
			break
		}
		f, err := b.js.PublishMsgAsync(o.msg, jetstream.WithMsgID(o.id), jetstream.WithExpectStream(StreamName))
		if err != nil {
			firstErr = classify("publish "+o.msg.Subject, err)
			break
		}
		batch, futures = append(batch, o), append(futures, f)
	}
	sent := 0
	timeout := time.After(10 * time.Second)
	for i, f := range futures {
		select {
		case <-f.Ok():
			if err := os.Remove(batch[i].path); err != nil && !errors.Is(err, os.ErrNotExist) {
				firstErr = cmpErr(firstErr, fmt.Errorf("bridge: remove sent %s: %w", batch[i].path, err))
				continue
			}
			sent++
		case err := <-f.Err():
			firstErr = cmpErr(firstErr, b.publishError(batch[i], err))
		case <-timeout:
			firstErr = cmpErr(firstErr, fmt.Errorf("%w: no acknowledgement within 10s", ErrUnreachable))
		case <-ctx.Done():
			return nil
		}
	}
	if sent > 0 {
		b.count(sent, 0)
		if err := syncDir(dir); err != nil {
			firstErr = cmpErr(firstErr, err)
		}
	}
	if firstErr == nil && len(futures) > 0 {
		b.setError(nil)
	}
	return firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// publishError explains a refused publish.
func (b *Bridge) publishError(o outgoing, err error) error {
	if errors.Is(err, nats.ErrMaxPayload) {
		return fmt.Errorf("%w: %s (%d bytes): %v", ErrTooLarge, o.path, len(o.msg.Data), err)
	}
	return classify("publish "+o.msg.Subject+" ("+o.path+")", err)
}

// errBadQueued marks a queued file that can never be sent: quarantined.
var errBadQueued = errors.New("bridge: not a queued message")

// prepare reads a queued file and builds its publish: the subject from
// the envelope, the sender's host set to this bridge's, and the message or
// its large body moved to the object store when it would not fit.
func (b *Bridge) prepare(ctx context.Context, path string) (outgoing, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return outgoing{}, err
	}
	to, body, err := splitEnvelope(raw)
	if err != nil {
		return outgoing{}, fmt.Errorf("%w: %s: %v", errBadQueued, path, err)
	}
	m, err := spool.ParseMessage(bytes.NewReader(body), filepath.Base(path), time.Now())
	if err != nil {
		return outgoing{}, fmt.Errorf("%w: %s: %v", errBadQueued, path, err)
	}
	subject := "ipc.bcast." + b.cfg.Host
	if to != spool.EnvelopeAllHosts {
		name, host, err := spool.SplitAddress(to)
		if err != nil || host == "" {
			return outgoing{}, fmt.Errorf("%w: %s: envelope %q", errBadQueued, path, to)
		}
		subject = "ipc.mail." + host + "." + name + "." + b.cfg.Host
	}
	msg := nats.NewMsg(subject)
	msg.Data = setFromHost(body, b.cfg.Host)
	id := m.ID + "@" + b.cfg.Host + " " + to
	if err := b.attachLarge(ctx, msg, m, id); err != nil {
		return outgoing{}, err
	}
	if len(msg.Data) > int(b.nc.MaxPayload())-payloadMargin {
		if err := b.putObject(ctx, msg, hdrObject, id, msg.Data); err != nil {
			return outgoing{}, err
		}
		msg.Data = nil
	}
	return outgoing{path: path, msg: msg, id: id}, nil
}

// attachLarge puts the full text of a large message (its large/ file) in
// the object store, so the other host can keep its own copy.
func (b *Bridge) attachLarge(ctx context.Context, msg *nats.Msg, m *spool.Message, id string) error {
	if m.LargeFile == "" || filepath.Dir(m.LargeFile) != b.sp.LargeDir() {
		return nil
	}
	full, err := os.ReadFile(m.LargeFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil // gone: the summary travels alone
	}
	if err != nil {
		return fmt.Errorf("bridge: read large body %s: %w", m.LargeFile, err)
	}
	msg.Header.Set(hdrLargeName, filepath.Base(m.LargeFile))
	return b.putObject(ctx, msg, hdrLargeObject, id+" large", full)
}

// putObject stores data under a name derived from key and names it in
// msg's header hdr.
func (b *Bridge) putObject(ctx context.Context, msg *nats.Msg, hdr, key string, data []byte) error {
	name := objectName(key)
	pctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	// Chunks must fit the server's max payload too.
	chunk := min(128<<10, int(b.nc.MaxPayload())-payloadMargin/2)
	meta := jetstream.ObjectMeta{Name: name, Opts: &jetstream.ObjectMetaOptions{ChunkSize: uint32(max(chunk, 1024))}}
	if _, err := b.obs.Put(pctx, meta, bytes.NewReader(data)); err != nil {
		return classify("object store put "+name, err)
	}
	msg.Header.Set(hdr, name)
	return nil
}

// objectName turns a key into an object name of safe characters.
func objectName(key string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, key)
}

// splitEnvelope takes the X-IPC-Envelope-To line off a queued file.
func splitEnvelope(raw []byte) (to string, body []byte, err error) {
	line, rest, ok := bytes.Cut(raw, []byte("\n"))
	if !ok {
		return "", nil, errors.New("no envelope line")
	}
	k, v, ok := strings.Cut(string(line), ":")
	if !ok || !strings.EqualFold(k, spool.EnvelopeHeader) {
		return "", nil, fmt.Errorf("first line is not %s", spool.EnvelopeHeader)
	}
	return strings.TrimSpace(v), rest, nil
}

// setFromHost rewrites the host of the From header to host, so the
// receiving side can check it against the subject (which the server's
// permissions hold to this host). The signature covers the sender's name
// only, so it still verifies.
func setFromHost(msg []byte, host string) []byte {
	head := msg
	if i := bytes.Index(msg, []byte("\n\n")); i >= 0 {
		head = msg[:i+1]
	}
	for off := 0; off < len(head); {
		end := bytes.IndexByte(head[off:], '\n')
		if end < 0 {
			end = len(head) - off
		}
		line := head[off : off+end]
		if len(line) > 5 && strings.EqualFold(string(line[:5]), "from:") {
			at := bytes.LastIndexByte(line, '@')
			if at < 0 {
				return msg
			}
			stop := at + 1
			for stop < len(line) && !bytes.ContainsRune([]byte("> \r\t"), rune(line[stop])) {
				stop++
			}
			var out bytes.Buffer
			out.Write(msg[:off+at+1])
			out.WriteString(host)
			out.Write(msg[off+stop:])
			return out.Bytes()
		}
		off += end + 1
	}
	return msg
}

// quarantine moves a file that can never be sent (or delivered) aside.
func (b *Bridge) quarantine(path string, why error) {
	b.log.Warn("bridge: quarantined", "path", path, "why", why)
	if err := b.sp.Quarantine(path, why.Error()); err != nil {
		b.log.Error("bridge: quarantine", "err", err)
	}
}
