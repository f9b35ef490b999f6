package bridge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Sentinel errors callers (and ipc status) branch on.
var (
	// ErrUnreachable reports a NATS server that could not be reached.
	ErrUnreachable = errors.New("bridge: NATS server unreachable")
	// ErrAuth reports credentials the server refused.
	ErrAuth = errors.New("bridge: NATS server refused the credentials")
	// ErrSettings reports a stream or bucket that exists with other settings.
	ErrSettings = errors.New("bridge: exists on the server with other settings")
	// ErrTooLarge reports a message the server refuses for its size even
	// through the object store.
	ErrTooLarge = errors.New("bridge: message too large for the server")
	// ErrForged reports a message whose sender's host is not the host that
	// published it.
	ErrForged = errors.New("bridge: forged sender host")
	// ErrPermission reports a publish or subscribe the server's permissions
	// refuse (a host publishing as another).
	ErrPermission = errors.New("bridge: refused by the server's permissions")
)

// options returns the nats.go options for c.
func (c Config) options() []nats.Option {
	opts := []nats.Option{
		nats.Name("ipc bridge " + c.Host),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(false),
	}
	if c.Creds != "" {
		opts = append(opts, nats.UserCredentials(c.Creds))
	}
	if c.NKey != "" {
		if o, err := nats.NkeyOptionFromSeed(c.NKey); err == nil {
			opts = append(opts, o)
		}
	}
	if c.TLSCA != "" {
		opts = append(opts, nats.RootCAs(c.TLSCA))
	}
	if c.TLSCert != "" {
		opts = append(opts, nats.ClientCert(c.TLSCert, c.TLSKey))
	}
	return opts
}

// dial connects to the server, classifying the failure.
func (c Config) dial(extra ...nats.Option) (*nats.Conn, error) {
	if c.NKey != "" {
		if _, err := nats.NkeyOptionFromSeed(c.NKey); err != nil {
			return nil, fmt.Errorf("%w: --nkey %s: %v", ErrConfig, c.NKey, err)
		}
	}
	nc, err := nats.Connect(c.URL, append(c.options(), extra...)...)
	if err != nil {
		return nil, classify(fmt.Sprintf("connect to %s", c.RedactedURL()), err)
	}
	return nc, nil
}

// classify wraps err from talking to the server with the sentinel it means.
func classify(op string, err error) error {
	switch {
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired),
		errors.Is(err, nats.ErrAuthRevoked), errors.Is(err, nats.ErrAccountAuthExpired),
		strings.Contains(strings.ToLower(err.Error()), "authorization violation"):
		return fmt.Errorf("%w: %s: %v", ErrAuth, op, err)
	case errors.Is(err, nats.ErrPermissionViolation):
		return fmt.Errorf("%w: %s: %v", ErrPermission, op, err)
	case errors.Is(err, nats.ErrNoServers), errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, nats.ErrConnectionReconnecting), errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, jetstream.ErrNoStreamResponse):
		return fmt.Errorf("%w: %s: %v", ErrUnreachable, op, err)
	}
	return fmt.Errorf("bridge: %s: %w", op, err)
}

// streamConfig is the stream the bridge expects.
func (c Config) streamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName,
		Description: "ipc mail between hosts",
		Subjects:    []string{"ipc.mail.>", "ipc.bcast.>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      c.MaxAge,
		Duplicates:  c.DedupWindow,
		Discard:     jetstream.DiscardOld,
	}
}

// consumers are this host's two durable pull consumers: its mail, and
// every host's broadcasts.
func (c Config) consumers() []jetstream.ConsumerConfig {
	mk := func(durable, desc, filter string) jetstream.ConsumerConfig {
		return jetstream.ConsumerConfig{
			Durable: durable, Description: desc, FilterSubject: filter,
			AckPolicy: jetstream.AckExplicitPolicy, AckWait: c.AckWait,
			DeliverPolicy: jetstream.DeliverAllPolicy, MaxAckPending: 1024,
		}
	}
	return []jetstream.ConsumerConfig{
		mk(mailConsumer(c.Host), "ipc mail for host "+c.Host, "ipc.mail."+c.Host+".>"),
		mk(bcastConsumer(c.Host), "ipc broadcasts for host "+c.Host, "ipc.bcast.*"),
	}
}

func mailConsumer(host string) string  { return "host_" + host }
func bcastConsumer(host string) string { return "host_" + host + "_bcast" }

// ensureStream creates the mail stream or checks the one that exists.
func (c Config) ensureStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	want := c.streamConfig()
	st, err := js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = js.CreateStream(ctx, want)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another bridge was quicker
			st, err = js.Stream(ctx, StreamName)
		}
	}
	if err != nil {
		return nil, classify("stream "+StreamName, err)
	}
	if diff := streamDiff(st.CachedInfo().Config, want); diff != "" {
		return nil, fmt.Errorf("%w: stream %s: %s; delete it (nats stream rm %s) or fix it to match", ErrSettings, StreamName, diff, StreamName)
	}
	return st, nil
}

// streamDiff names the settings of have that the bridge cannot work with.
func streamDiff(have, want jetstream.StreamConfig) string {
	var d []string
	for _, s := range want.Subjects {
		if !slices.Contains(have.Subjects, s) {
			d = append(d, fmt.Sprintf("subjects %v lack %s", have.Subjects, s))
		}
	}
	if have.Retention != want.Retention {
		d = append(d, fmt.Sprintf("retention is %s, want %s", have.Retention, want.Retention))
	}
	if have.Duplicates <= 0 {
		d = append(d, "no de-duplication window")
	}
	if have.MaxMsgs > 0 || have.MaxBytes > 0 || have.MaxMsgsPerSubject > 0 {
		d = append(d, "limits on messages or bytes would drop undelivered mail")
	}
	if have.Discard != want.Discard && (have.MaxMsgs > 0 || have.MaxBytes > 0) {
		d = append(d, "discard policy")
	}
	return strings.Join(d, ", ")
}

// ensureKV creates the presence bucket or opens the one that exists,
// refusing one whose entries never expire.
func (c Config) ensureKV(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, PresenceBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: PresenceBucket, Description: "ipc names on each host", TTL: c.PresenceTTL, History: 1,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, PresenceBucket)
		}
	}
	if err != nil {
		return nil, classify("bucket "+PresenceBucket, err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, classify("bucket "+PresenceBucket, err)
	}
	if st.TTL() <= 0 || st.TTL() > 24*time.Hour {
		return nil, fmt.Errorf("%w: bucket %s: entries expire after %v, want a TTL (the bridge makes one of %v); delete it (nats kv rm %s)",
			ErrSettings, PresenceBucket, st.TTL(), c.PresenceTTL, PresenceBucket)
	}
	return kv, nil
}

// ensureObjects creates the object store for large messages or opens it.
func (c Config) ensureObjects(ctx context.Context, js jetstream.JetStream) (jetstream.ObjectStore, error) {
	obs, err := js.ObjectStore(ctx, ObjectBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket: ObjectBucket, Description: "ipc messages over the max payload", TTL: c.MaxAge, Storage: jetstream.FileStorage,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			obs, err = js.ObjectStore(ctx, ObjectBucket)
		}
	}
	if err != nil {
		return nil, classify("object store "+ObjectBucket, err)
	}
	return obs, nil
}
