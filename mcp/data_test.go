package mcp

import (
	"context"
	"encoding/json"
	"testing"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/claude-ipc/ipc/spool"
)

// The data argument arrives byte for byte: a 2^53+1 order id is not
// rounded through float64 and the keys keep the sender's order.
func TestSendDataByteForByte(t *testing.T) {
	sp, _, c, _ := asAlice(t)
	const data = `{"order_id":9007199254740993,"z":1,"a":[1.50,2]}`
	args := json.RawMessage(`{"from_id":"alice","to_id":"bob","content":"order","data":` + data + `}`)
	res, err := c.CallTool(context.Background(), mcpgo.CallToolRequest{Params: mcpgo.CallToolParams{Name: "send", Arguments: args}})
	if err != nil || res.IsError {
		t.Fatalf("send: %v %s", err, text(res))
	}
	mb, _ := sp.Mailbox("bob")
	msgs, err := mb.Check(spool.CheckOptions{})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("bob has %d messages (%v), want 1", len(msgs), err)
	}
	if got := string(msgs[0].Data); got != data {
		t.Errorf("data sent as %s arrived as %s", data, got)
	}
}
