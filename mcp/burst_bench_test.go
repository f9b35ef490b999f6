package mcp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/internal/mcptest"
	"github.com/claude-ipc/ipc/spool"
)

// burstSize is how many messages land at once in BenchmarkBurstPush.
const burstSize = 10000

// BenchmarkBurstPush lands 10,000 complete messages in alice's new/ at
// once (written to tmp/ beforehand, then renamed in one tight loop) while
// a client is connected over the stdio transport, and measures until the
// client has the channel event of the last one. Every message must come,
// once and in the order it landed, unless a backlog notice stands for
// the rest. Reported: messages/s pushed, and the renames' own rate in the
// same run (the bare operation: how fast mail can land at all).
func BenchmarkBurstPush(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		pushed, renamed := burstOnce(b)
		b.StartTimer()
		b.ReportMetric(burstSize/pushed.Seconds(), "pushed-msgs/s")
		b.ReportMetric(burstSize/renamed.Seconds(), "renamed-msgs/s")
		b.ReportMetric(renamed.Seconds()/pushed.Seconds(), "push/rename-rate")
	}
}

// burstOnce runs one burst and returns how long the pushes took from
// the first rename and how long the renames took.
func burstOnce(b *testing.B) (pushed, renamed time.Duration) {
	sp := openSpool(b, testConfig())
	srv := startServer(b, sp, Options{Name: "alice", ReadyAfter: time.Millisecond})
	c := inProcess(b, srv)
	var mu sync.Mutex
	var got []string
	notices := 0
	all := make(chan time.Time, 1)
	c.OnNotification(func(n mcpgo.JSONRPCNotification) {
		if n.Method != ChannelMethod {
			return
		}
		meta, _ := n.Params.AdditionalFields["meta"].(map[string]any)
		id, _ := meta["message_id"].(string)
		mu.Lock()
		defer mu.Unlock()
		if id == "" {
			notices++
		} else {
			got = append(got, id)
		}
		if len(got) == burstSize || notices > 0 {
			select {
			case all <- time.Now():
			default:
			}
		}
	})
	if err := c.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	mcptest.Initialize(b, c, mcpgo.Implementation{Name: "bench", Version: "1"}, wait)
	if _, err := c.ListTools(context.Background(), mcpgo.ListToolsRequest{}); err != nil {
		b.Fatal(err)
	}
	mb, _ := sp.Mailbox("alice")
	ids, tmps, news := burstFiles(b, sp, mb)
	time.Sleep(50 * time.Millisecond) // the session's catch-up is done: it found nothing
	start := time.Now()
	for i := range tmps {
		if err := os.Rename(tmps[i], news[i]); err != nil {
			b.Fatal(err)
		}
	}
	renamed = time.Since(start)
	select {
	case at := <-all:
		pushed = at.Sub(start)
	case <-time.After(120 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		b.Fatalf("%d of %d pushed after 120 s", len(got), burstSize)
	}
	mu.Lock()
	defer mu.Unlock()
	if notices > 0 {
		b.Logf("%d pushed one by one, then a backlog notice", len(got))
	}
	for i, id := range got {
		if id != ids[i] {
			b.Fatalf("push %d is %s, landed %s: out of order or doubled", i, id, ids[i])
		}
	}
	return pushed, renamed
}

// burstFiles writes burstSize messages to alice into tmp/ and returns
// their ids and where each is to be renamed, in the order they land.
func burstFiles(b *testing.B, sp *spool.Spool, mb *spool.Mailbox) (ids, tmps, news []string) {
	base := time.Now()
	for i := range burstSize {
		id := fmt.Sprintf("%012x", 0xb0000000+i)
		at := base.Add(time.Duration(i) * time.Microsecond)
		m := &spool.Message{ID: id, From: "bob", To: []string{"alice"}, Date: at, Subject: "burst", Body: fmt.Sprintf("burst %d", i)}
		data := m.Format(sp.Host())
		name := fmt.Sprintf("%d.M%06dP1Q%dR%s.%s", at.Unix(), at.Nanosecond()/1000, i, id, sp.Host())
		tmp := filepath.Join(mb.Dir, "tmp", name)
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
		tmps = append(tmps, tmp)
		news = append(news, filepath.Join(mb.Dir, "new", fmt.Sprintf("%s,S=%d", name, len(data))))
	}
	return ids, tmps, news
}
