package mcp

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/spool"
)

// pushedIDs returns the message ids of the channel events so far.
func pushedIDs(t *testing.T, n *notes) map[string]int {
	t.Helper()
	ids := map[string]int{}
	for _, x := range n.Of(ChannelMethod) {
		ids[decodeChannel(t, x).Meta["message_id"]]++
	}
	return ids
}

// awaitPush waits for a channel event carrying message id.
func awaitPush(t *testing.T, n *notes, id string) {
	t.Helper()
	n.Await(t, ChannelMethod, "the push of "+id, func(l []mcpgo.JSONRPCNotification) bool {
		for _, x := range l {
			if decodeChannel(t, x).Meta["message_id"] == id {
				return true
			}
		}
		return false
	})
}

// TestRegisterBackAndForthKeepsWatching registers a, b, then a again, in
// quick succession, many times: a's mailbox must still be watched after
// each round (the unwatch of a's first registration must not undo the
// watch of its second).
func TestRegisterBackAndForthKeepsWatching(t *testing.T) {
	// One P runs the goroutines a register starts in the order the
	// scheduler picks, not the order they were started: the order in which
	// a watch and an unwatch reach the watcher must not depend on it.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	c := testConfig()
	c.RatePerMinute = 0
	sp := openSpool(t, c)
	srv := startServer(t, sp, Options{})
	cl, n := connect(t, srv)
	mustOK(t, cl, "list_instances", nil) // ready
	mb, err := sp.Mailbox("a")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		for _, name := range []string{"a", "b", "a"} {
			if _, err := srv.register(name); err != nil {
				t.Fatal(err)
			}
		}
		rc := send(t, sp.Root, "bob", "a", fmt.Sprintf("round %d", i), "")
		awaitPush(t, n, rc.ID)
		if _, err := mb.Check(spool.CheckOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMailWaitingPushedWhenInboxWasSubscribed subscribes to an inbox, then
// registers its name: the mail already waiting there is pushed, though the
// directory was watched before.
func TestMailWaitingPushedWhenInboxWasSubscribed(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{})
	c, n := connect(t, srv)
	waiting := send(t, sp.Root, "carol", "bob", "waiting for bob", "")
	//lint:ignore SA1019 resources/subscribe is how legacy-protocol clients subscribe
	if err := c.Subscribe(context.Background(), mcpgo.SubscribeRequest{Params: mcpgo.SubscribeParams{URI: inboxURI("bob")}}); err != nil {
		t.Fatal(err)
	}
	// Subscribe has returned: bob's mailbox is followed, for arrivals.
	mustOK(t, c, "register", map[string]any{"instance_id": "bob"})
	awaitPush(t, n, waiting.ID)
}
