package mcptest_test

import (
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/internal/mcptest"
	"github.com/claude-ipc/ipc/mcp"
)

func TestChannelMethodIsTheServers(t *testing.T) {
	if mcptest.ChannelMethod != mcp.ChannelMethod {
		t.Errorf("mcptest waits for %q, the server pushes %q", mcptest.ChannelMethod, mcp.ChannelMethod)
	}
}

func note(method string, fields map[string]any) mcpgo.JSONRPCNotification {
	var x mcpgo.JSONRPCNotification
	x.Method = method
	x.Params.AdditionalFields = fields
	return x
}

func TestNotes(t *testing.T) {
	n := mcptest.NewNotes(5 * time.Second)
	n.Add(note("notifications/other", nil))
	go func() {
		time.Sleep(10 * time.Millisecond)
		n.Add(note(mcptest.ChannelMethod, map[string]any{"content": "hi", "meta": map[string]string{"message_id": "a"}}))
		n.Add(note(mcptest.ChannelMethod, map[string]any{"content": "again", "meta": map[string]string{"message_id": "b"}}))
	}()
	evs := n.Channel(t, 2)
	if len(evs) != 2 || evs[0].Content != "hi" || evs[1].Meta["message_id"] != "b" {
		t.Errorf("channel events %+v", evs)
	}
	if got := n.Of("notifications/other"); len(got) != 1 {
		t.Errorf("%d other notifications, want 1", len(got))
	}
	mcptest.ExactlyOnce(t, n, map[string]bool{"a": true, "b": true})
}
