package webui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/claude-ipc/ipc/spool"
)

// maxForm bounds what one form may post: a message body and a little more.
const maxForm = 16 << 20

// form parses a posted form within maxForm.
func form(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	return r.ParseForm()
}

// back sends the browser to where it came from (a path of ours) with a
// notice or a problem to show.
func back(w http.ResponseWriter, r *http.Request, to, key, text string) {
	u, err := url.Parse(to)
	if err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		u = &url.URL{Path: "/"}
	}
	q := u.Query()
	q.Del("notice")
	q.Del("problem")
	q.Set(key, text)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
}

// names splits a comma- or space-separated list of recipients and checks
// each.
func names(list string) ([]string, error) {
	var out []string
	for _, n := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		if err := spool.ValidName(n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("say who the message is for")
	}
	return out, nil
}

// handleSend sends a new message, or a broadcast, as the page's name.
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	ret := r.PostForm.Get("return")
	body := r.PostForm.Get("body")
	var rc spool.Receipt
	var err error
	if r.PostForm.Get("everyone") != "" {
		rc, err = s.rules.Broadcast(s.opts.Name, body, nil)
	} else {
		var to []string
		if to, err = names(r.PostForm.Get("to")); err == nil {
			rc, err = s.rules.Send(spool.Draft{From: s.opts.Name, To: to, Subject: r.PostForm.Get("subject"), Body: body})
		}
	}
	s.reportSent(w, r, ret, rc, err)
}

// handleReply answers a message in its thread.
func (s *Server) handleReply(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	ret := r.PostForm.Get("return")
	orig, err := s.find(r.PostForm.Get("box"), r.PostForm.Get("id"))
	if err != nil {
		back(w, r, ret, "problem", "The message to answer is gone: "+err.Error())
		return
	}
	to, err := names(r.PostForm.Get("to"))
	if err != nil {
		back(w, r, ret, "problem", "Not sent: "+err.Error())
		return
	}
	rc, err := s.rules.Send(spool.Draft{From: s.opts.Name, To: to, Body: r.PostForm.Get("body"), ReplyTo: orig})
	s.reportSent(w, r, ret, rc, err)
}

// reportSent tells the person what became of a message.
func (s *Server) reportSent(w http.ResponseWriter, r *http.Request, ret string, rc spool.Receipt, err error) {
	if err != nil {
		msg := "Not sent: " + err.Error()
		if len(rc.Delivered) > 0 {
			msg = fmt.Sprintf("Sent to %d, but: %v", len(rc.Delivered), err)
		}
		back(w, r, ret, "problem", msg)
		return
	}
	var to []string
	for _, d := range rc.Delivered {
		switch {
		case d.Forwarded:
			to = append(to, d.To+" (forwarded to "+d.Mailbox+")")
		case d.Queued:
			to = append(to, d.Mailbox+" (not yet registered)")
		default:
			to = append(to, d.Mailbox)
		}
	}
	back(w, r, ret, "notice", "Sent to "+strings.Join(to, ", ")+" (id "+rc.ID+").")
}

// handleMark marks a message read or unread the way every Maildir client
// does: by the S flag.
func (s *Server) handleMark(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	ret := r.PostForm.Get("return")
	box := r.PostForm.Get("box")
	mb, err := s.sp.Mailbox(box)
	if err != nil {
		back(w, r, ret, "problem", err.Error())
		return
	}
	m, err := mb.Find(r.PostForm.Get("id"))
	if err != nil {
		back(w, r, ret, "problem", "No such message: "+err.Error())
		return
	}
	read := r.PostForm.Get("read") == "1"
	if err := markSeen(mb, m, read); err != nil {
		back(w, r, ret, "problem", "Could not mark it: "+err.Error())
		return
	}
	state := "unread"
	if read {
		state = "read"
		if box == s.opts.Name { // the person has read their own mail: receipts as any reader sends
			s.rules.Read(box, []*spool.Message{m})
		}
	}
	back(w, r, ret, "notice", fmt.Sprintf("Marked %s in %s's mailbox as %s.", m.ID, box, state))
}
