package rules

import (
	"encoding/json"
	"fmt"

	"github.com/claude-ipc/ipc/spool"
)

// UnknownSender is how a message without a sender (a file dropped by a
// script) names its sender to people and models.
const UnknownSender = "unknown sender"

// Sender returns the name to show for a message's sender, given its From
// (Message.From, Summary.From): the name, or UnknownSender when it has none.
func Sender(from string) string {
	if from == "" {
		return UnknownSender
	}
	return from
}

// Rules applies the rules of mail to one spool.
type Rules struct {
	sp *spool.Spool
}

// New returns the rules for sp.
func New(sp *spool.Spool) *Rules { return &Rules{sp: sp} }

// Spool returns the spool the rules apply to.
func (r *Rules) Spool() *spool.Spool { return r.sp }

// Send delivers d (spool.Send) and records its sender as active when
// any copy went out.
func (r *Rules) Send(d spool.Draft) (spool.Receipt, error) {
	rc, err := r.sp.Send(d)
	if len(rc.Delivered) > 0 && d.From != "" {
		r.sp.Touch(d.From)
	}
	return rc, err
}

// Broadcast delivers one copy to every mailbox but from's
// (spool.Broadcast) and records from as active when any copy went out.
func (r *Rules) Broadcast(from, body string, data json.RawMessage) (spool.Receipt, error) {
	return r.BroadcastDraft(spool.Draft{From: from, Body: body, Data: data})
}

// BroadcastDraft is Broadcast of a draft whose text may stream
// (spool.BroadcastDraft).
func (r *Rules) BroadcastDraft(d spool.Draft) (spool.Receipt, error) {
	rc, err := r.sp.BroadcastDraft(d)
	if len(rc.Delivered) > 0 {
		r.sp.Touch(d.From)
	}
	return rc, err
}

// Reply answers the message id in from's mailbox (spool.Reply) and
// records from as active when it went out.
func (r *Rules) Reply(from, id, body string, data json.RawMessage) (spool.Receipt, error) {
	return r.ReplyDraft(id, spool.Draft{From: from, Body: body, Data: data})
}

// ReplyDraft is Reply of a draft whose text may stream (spool.ReplyDraft).
func (r *Rules) ReplyDraft(id string, d spool.Draft) (spool.Receipt, error) {
	rc, err := r.sp.ReplyDraft(id, d)
	if len(rc.Delivered) > 0 {
		r.sp.Touch(d.From)
	}
	return rc, err
}

// Active records that name did something (last seen), for a front end
// action that sends nothing (register, a hook).
func (r *Rules) Active(name string) { r.sp.Touch(name) }

// Receipt is one read receipt Read sent, or failed to send (Err).
type Receipt struct {
	To        string // the sender of the message read
	MessageID string // the message read
	Err       error  // why it was not sent; nil when it was
}

func (rc Receipt) String() string {
	if rc.Err != nil {
		return fmt.Sprintf("no read receipt sent to %s for %s: %v", rc.To, rc.MessageID, rc.Err)
	}
	return fmt.Sprintf("Read receipt sent to %s for %s (they asked for one).", rc.To, rc.MessageID)
}

// WantsReceipt reports whether m's data asks for a read receipt
// ({"receipt": true}).
func WantsReceipt(m *spool.Message) bool {
	if len(m.Data) == 0 {
		return false
	}
	var d struct {
		Receipt bool `json:"receipt"`
	}
	return json.Unmarshal(m.Data, &d) == nil && d.Receipt
}

// Read records that reader was given msgs (shown, returned to its model):
// it sends the read receipts their senders asked for and returns what
// became of each. Call it once the messages were shown, never for a peek.
func (r *Rules) Read(reader string, msgs []*spool.Message) []Receipt {
	var out []Receipt
	done := map[string]bool{}
	for _, m := range msgs {
		if !WantsReceipt(m) || m.From == "" || m.From == reader || done[m.ID] {
			continue
		}
		done[m.ID] = true
		data, _ := json.Marshal(map[string]string{"type": "receipt", "message_id": m.ID, "read_by": reader})
		body := fmt.Sprintf("Read receipt: %s has read your message %s (%q).", reader, m.ID, m.Subject)
		to := r.sp.ReplyAddress(m) // NAME@HOST for a sender on another host
		_, err := r.sp.Send(spool.Draft{From: reader, To: []string{to}, Body: body, Data: data, ReplyTo: m})
		if err == nil {
			r.Mark(reader, spool.Acknowledged, m.ID)
		}
		out = append(out, Receipt{To: to, MessageID: m.ID, Err: err})
	}
	return out
}
