package spool

import (
	"bytes"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"
)

// Submission says how 'ipc sendmail' was called.
type Submission struct {
	From        string   // -f: the envelope sender; "" takes the From header, then Fallback
	Fallback    string   // the sender when neither -f nor a From header gives one (the login name)
	Recipients  []string // the addresses given as arguments
	FromHeaders bool     // -t: the To, Cc and Bcc headers name recipients too
}

// SubmissionDraft turns an RFC 5322 message (as mutt, mail, cron or git
// send-email hand it to sendmail) into a Draft for the agents it names:
// the recipients are the local parts of the addresses given, and with -t
// those of To, Cc and Bcc; the sender is the local part of -f, the From
// header or the fallback, made into a valid name (other characters become
// '-') so that the agent can reply to it and the person read the reply in
// that mailbox. Subject, text (MIME decoded) and thread (In-Reply-To,
// References) are kept.
func SubmissionDraft(r io.Reader, sub Submission) (Draft, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxMessage+1))
	if err != nil {
		return Draft{}, fmt.Errorf("sendmail: read the message: %w", err)
	}
	if len(raw) > MaxMessage {
		return Draft{}, fmt.Errorf("%w: the message is over %d MiB", ErrTooLarge, MaxMessage>>20)
	}
	m, err := ParseMessage(bytes.NewReader(raw), "", time.Now())
	if err != nil {
		return Draft{}, fmt.Errorf("sendmail: %w", err)
	}
	hdr := mail.Header{}
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		hdr = msg.Header
	}
	to, err := submissionRecipients(sub, hdr)
	if err != nil {
		return Draft{}, err
	}
	from := sub.From
	if from == "" {
		if a, err := mail.ParseAddress(hdr.Get("From")); err == nil {
			from = a.Address
		}
	}
	if from == "" {
		from = sub.Fallback
	}
	d := Draft{From: senderName(from), To: to, Subject: m.Subject, Body: m.Body, Via: ProvSendmail}
	if m.InReplyTo != "" {
		refs := m.References
		if n := len(refs); n > 0 && refs[n-1] == m.InReplyTo {
			refs = refs[:n-1]
		}
		d.ReplyTo = &Message{ID: m.InReplyTo, References: refs}
	}
	return d, nil
}

// submissionRecipients returns the names the message goes to, each once.
func submissionRecipients(sub Submission, hdr mail.Header) ([]string, error) {
	addrs := append([]string(nil), sub.Recipients...)
	if sub.FromHeaders {
		for _, h := range []string{"To", "Cc", "Bcc"} {
			v := hdr.Get(h)
			if v == "" {
				continue
			}
			list, err := mail.ParseAddressList(v)
			if err != nil {
				// Bare local names ("To: bob, carol") are fine for sendmail:
				// each part is looked at below.
				addrs = append(addrs, v)
				continue
			}
			for _, a := range list {
				addrs = append(addrs, a.Address)
			}
		}
	}
	var names []string
	seen := map[string]bool{}
	for _, a := range addrs {
		for _, one := range strings.Split(a, ",") { // "a, b" given as one argument
			one = strings.TrimSpace(one)
			if one == "" {
				continue
			}
			if p, err := mail.ParseAddress(one); err == nil {
				one = p.Address
			}
			name := localPart(one)
			if err := ValidName(name); err != nil {
				return nil, fmt.Errorf("sendmail: recipient %q: %w", one, err)
			}
			if key := strings.ToLower(name); !seen[key] {
				seen[key] = true
				names = append(names, name)
			}
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: sendmail: no recipients (give them as arguments, or -t to take To, Cc and Bcc)", ErrBadName)
	}
	return names, nil
}

// senderName makes the local part of addr a valid name: characters outside
// [A-Za-z0-9_-] become '-', and it is cut to 32. "" stays "" (an unknown
// sender).
func senderName(addr string) string {
	l := localPart(strings.TrimSpace(addr))
	b := []byte(l)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	if len(b) > 32 {
		b = b[:32]
	}
	return string(b)
}
