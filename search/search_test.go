package search

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/testkit"
	"github.com/claude-ipc/ipc/spool"
)

// testSpool opens a spool with no limits in a temporary directory.
func testSpool(t testing.TB) *spool.Spool {
	cfg := spool.DefaultConfig()
	cfg.RatePerMinute, cfg.MaxUnread = 0, 0
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), spool.WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func send(t *testing.T, sp *spool.Spool, d spool.Draft) string {
	t.Helper()
	rc, err := sp.Send(d)
	if err != nil {
		t.Fatal(err)
	}
	return rc.ID
}

// conversation fills sp with a small conversation: a thread between alice
// and bob, a broadcast, mail read and unread, a script's plain drop-in.
func conversation(t *testing.T, sp *spool.Spool) (root, answer string) {
	root = send(t, sp, spool.Draft{From: "alice", To: []string{"bob"}, Body: "Deploy v1.2 to staging please"})
	bob, _ := sp.Mailbox("bob")
	orig, err := bob.Find(root)
	if err != nil {
		t.Fatal(err)
	}
	answer = send(t, sp, spool.Draft{From: "bob", To: []string{"alice"}, Body: "deployed, all green", ReplyTo: orig})
	alice, _ := sp.Mailbox("alice")
	a, err := alice.Find(answer)
	if err != nil {
		t.Fatal(err)
	}
	send(t, sp, spool.Draft{From: "alice", To: []string{"bob"}, Body: "thanks!", ReplyTo: a})
	send(t, sp, spool.Draft{From: "carol", To: []string{"alice", "bob"}, Body: "lunch at noon <script>alert(1)</script>"})
	if _, err := bob.Check(spool.CheckOptions{}); err != nil { // bob reads all his mail
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sp.MailDir(), "alice", "new", "script-drop"), []byte("plain text from cron: disk 91% full\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute) // past the settle time for in-place writes
	os.Chtimes(filepath.Join(sp.MailDir(), "alice", "new", "script-drop"), old, old)
	return root, answer
}

// ids returns "mailbox/id" for each hit, sorted.
func ids(r Result) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.Mailbox+"/"+h.Message.ID)
	}
	slices.Sort(out)
	return out
}

func TestScan(t *testing.T) {
	sp := testSpool(t)
	root, answer := conversation(t, sp)
	s := New(sp)
	tests := []struct {
		q    string
		want []string // mailbox/subject-word of each hit
	}{
		{"deploy", []string{"alice/" + answer, "bob/" + root, "bob/*"}}, // bob's "thanks" is "Re: Deploy…"
		{"from:carol", []string{"alice/*", "bob/*"}},
		{"to:bob is:unread", nil},
		{"to:alice is:unread", []string{"alice/*", "alice/*", "alice/script-drop"}},
		{"is:read from:alice", []string{"bob/*", "bob/" + root}},
		{"thread:" + root, []string{"alice/" + answer, "bob/*", "bob/" + root}},
		{"disk full", []string{"alice/script-drop"}},
		{"<script>", []string{"alice/*", "bob/*"}},
		{"id:" + root[:6], []string{"bob/" + root}},
		{"after:1h deploy", []string{"alice/" + answer, "bob/" + root, "bob/*"}},
		{"before:1h", nil},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			q, err := Parse(tt.q, time.Now(), time.Local)
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Search(context.Background(), q, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Engine != EngineScan {
				t.Errorf("engine %s, want scan (no index built)", res.Engine)
			}
			got := ids(res)
			if !matchIDs(got, tt.want) {
				t.Errorf("hits %v, want %v", got, tt.want)
			}
		})
	}
}

// matchIDs compares sorted "mailbox/id" lists where "mailbox/*" in want
// stands for any id.
func matchIDs(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	left := slices.Clone(got)
	want = slices.Clone(want)
	slices.SortStableFunc(want, func(a, b string) int { // exact ids first, then wildcards
		return strings.Compare(fmt.Sprint(strings.HasSuffix(a, "/*")), fmt.Sprint(strings.HasSuffix(b, "/*")))
	})
	for _, w := range want {
		i := slices.IndexFunc(left, func(g string) bool {
			return g == w || (strings.HasSuffix(w, "/*") && strings.HasPrefix(g, strings.TrimSuffix(w, "*")))
		})
		if i < 0 {
			return false
		}
		left = slices.Delete(left, i, i+1)
	}
	return true
}

func TestPaging(t *testing.T) {
	sp := testSpool(t)
	for i := range 25 {
		send(t, sp, spool.Draft{From: "alice", To: []string{"bob"}, Body: fmt.Sprintf("report %02d", i)})
	}
	s := New(sp)
	q, _ := Parse("report", time.Now(), time.Local)
	var all []string
	for off := 0; ; off += 10 {
		res, err := s.Search(context.Background(), q, Options{Limit: 10, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			all = append(all, h.Message.Body)
		}
		if !res.More {
			break
		}
	}
	if len(all) != 25 || !strings.HasPrefix(all[0], "report 24") || !strings.HasPrefix(all[24], "report 00") {
		t.Errorf("paged hits %q, want report 24 … report 00", all)
	}
}

// TestNotmuchAgreesWithScan builds the notmuch index over a spool and checks
// that every query gives the same hits from both engines, and that a
// change to the spool makes the index stale until it is updated.
func TestNotmuchAgreesWithScan(t *testing.T) {
	if _, err := exec.LookPath("notmuch"); err != nil {
		testkit.SkipEnv(t, "notmuch is not installed (apt-get install notmuch)")
	}
	sp := testSpool(t)
	root, _ := conversation(t, sp)
	s := New(sp)
	if s.Index().Fresh() {
		t.Fatal("index fresh before it was built")
	}
	time.Sleep(20 * time.Millisecond) // past the index stamp's safety margin
	if err := s.Index().Update(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !s.Index().Fresh() {
		t.Fatal("index stale right after an update")
	}
	for _, in := range []string{"deploy", "from:carol", "from:alice is:read", "DEPLOYED green",
		"lunch noon", "disk", "from:bob thread:" + root, "thread:" + root, "deploy after:1h", "from:alice before:1h", "v1.2"} {
		t.Run(in, func(t *testing.T) {
			q, idx, sc := bothEngines(t, s, sp, in)
			if want := map[bool]Engine{true: EngineNotmuch, false: EngineScan}[q.byContent() && hasIndexTerms(q)]; idx.Engine != want {
				t.Errorf("engine %s, want %s", idx.Engine, want)
			}
			if a, b := ids(idx), ids(sc); !slices.Equal(a, b) {
				t.Errorf("%s: %v; scan: %v", idx.Engine, a, b)
			}
		})
	}
	time.Sleep(20 * time.Millisecond) // past the index stamp's safety margin
	send(t, sp, spool.Draft{From: "dave", To: []string{"alice"}, Body: "deploy again"})
	if s.Index().Fresh() {
		t.Error("index fresh after new mail")
	}
	q, _ := Parse("deploy again", time.Now(), time.Local)
	if res, _ := s.Search(context.Background(), q, Options{}); res.Engine != EngineScan || len(res.Hits) != 1 {
		t.Errorf("stale index: engine %s, %d hits; want the scan's 1", res.Engine, len(res.Hits))
	}
}

// bothEngines parses in and runs it through s (the index, when usable)
// and through the scan of sp.
func bothEngines(t *testing.T, s *Searcher, sp *spool.Spool, in string) (q Query, idx, sc Result) {
	t.Helper()
	q, err := Parse(in, time.Now(), time.Local)
	if err != nil {
		t.Fatal(err)
	}
	if idx, err = s.Search(context.Background(), q, Options{}); err != nil {
		t.Fatal(err)
	}
	if sc, err = scan(context.Background(), sp, q, Options{Limit: DefaultLimit}); err != nil {
		t.Fatal(err)
	}
	return q, idx, sc
}

func hasIndexTerms(q Query) bool { _, err := notmuchQuery(q, "host"); return err == nil }

// TestNotmuchPagesLikeScan asks for more hits than one batch of
// candidates gives, with a filter (unread) the index does not apply.
func TestNotmuchPagesLikeScan(t *testing.T) {
	if _, err := exec.LookPath("notmuch"); err != nil {
		testkit.SkipEnv(t, "notmuch is not installed (apt-get install notmuch)")
	}
	cfg := spool.DefaultConfig()
	cfg.RatePerMinute, cfg.MaxUnread = 0, 0
	var mu sync.Mutex
	tick := time.Now().Add(-time.Hour)
	clock := func() time.Time { // a second per message: the Date header orders them as arrival does
		mu.Lock()
		defer mu.Unlock()
		tick = tick.Add(time.Second)
		return tick
	}
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), spool.WithConfig(cfg), spool.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 240 { // one in five stays unread, in its own mailbox
		to := fmt.Sprintf("agent%d", i%3)
		if i%5 == 0 {
			to = "unreadbox"
		}
		send(t, sp, spool.Draft{From: "alice", To: []string{to}, Body: fmt.Sprintf("status %d", i)})
	}
	for i := range 3 {
		mb, _ := sp.Mailbox(fmt.Sprintf("agent%d", i))
		if _, err := mb.Check(spool.CheckOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond)
	s := New(sp)
	if err := s.Index().Update(context.Background()); err != nil {
		t.Fatal(err)
	}
	q, _ := Parse("from:alice status is:unread", time.Now(), time.Local)
	for _, o := range []Options{{Limit: 10}, {Limit: 30, Offset: 5}, {Limit: 200}} {
		idx, err := s.Search(context.Background(), q, o)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := scan(context.Background(), sp, q, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(sc.Hits) != min(o.Limit, 48-o.Offset) {
			t.Errorf("%+v: scan found %d", o, len(sc.Hits))
		}
		if idx.Engine != EngineNotmuch || !slices.Equal(ids(idx), ids(sc)) || idx.More != sc.More {
			t.Errorf("%+v: %s %d hits more=%v; scan %d hits more=%v", o, idx.Engine, len(idx.Hits), idx.More, len(sc.Hits), sc.More)
		}
	}
}

// TestEncodedTextFound checks that words are found in text the file holds
// encoded (quoted-printable with a soft line break in the word, an RFC 2047
// subject, base64) and in a folded subject, where the bytes of the file do
// not hold the word as it reads.
func TestEncodedTextFound(t *testing.T) {
	sp := testSpool(t)
	send(t, sp, spool.Draft{From: "alice", To: []string{"bob"}, Body: "make the mailbox"})
	files := map[string]string{
		"qp":     "From: a@h\nTo: bob@h\nSubject: x\nContent-Transfer-Encoding: quoted-printable\n\nthe deplo=\nyment is done\n",
		"b64":    "From: a@h\nTo: bob@h\nSubject: y\nContent-Transfer-Encoding: base64\n\ndGhlIGRlcGxveW1lbnQgaXMgZG9uZQo=\n",
		"word":   "From: a@h\nTo: bob@h\nSubject: =?utf-8?q?deployment_=C3=A9t=C3=A9?=\n\nnothing\n",
		"folded": "From: a@h\nTo: bob@h\nSubject: the big\n deployment plan\n\nnothing\n",
		"plain":  "From: a@h\nTo: bob@h\nSubject: z\n\nno such word here\n",
	}
	old := time.Now().Add(-time.Minute)
	for name, text := range files {
		p := filepath.Join(sp.MailDir(), "bob", "new", name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	for query, want := range map[string][]string{
		"deployment":         {"bob/b64", "bob/folded", "bob/qp", "bob/word"},
		`"big deployment"`:   {"bob/folded"},
		"deployment été":     {"bob/word"},
		"no such word here":  {"bob/plain"},
		"nowhere-to-be-seen": nil,
	} {
		q, err := Parse(query, time.Now(), time.Local)
		if err != nil {
			t.Fatal(err)
		}
		res, err := New(sp).Search(context.Background(), q, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(res); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
	}
}

// TestIndexRemadeAfterUnfinishedCreation: a notmuch killed while it
// creates the database leaves its Xapian directory without the revision
// file (seen with SIGKILL a few milliseconds into the first `notmuch new`),
// which every later notmuch refuses to open. Update must make the index
// again from the mail rather than fail on every turn from then on.
func TestIndexRemadeAfterUnfinishedCreation(t *testing.T) {
	if _, err := exec.LookPath("notmuch"); err != nil {
		testkit.SkipEnv(t, "notmuch is not installed (apt-get install notmuch)")
	}
	sp := testSpool(t)
	conversation(t, sp)
	s := New(sp)
	if err := s.Index().Update(context.Background()); err != nil {
		t.Fatal(err)
	}
	rev := filepath.Join(sp.Root, "state", "notmuch", "db", "xapian", "iamglass")
	if err := os.Remove(rev); err != nil {
		t.Fatalf("the index's Xapian revision file: %v", err)
	}
	time.Sleep(20 * time.Millisecond) // past the index stamp's safety margin
	send(t, sp, spool.Draft{From: "dave", To: []string{"alice"}, Body: "deploy again"})
	time.Sleep(20 * time.Millisecond)
	if err := s.Index().Update(context.Background()); err != nil {
		t.Fatalf("update over an unfinished database: %v", err)
	}
	_, idx, sc := bothEngines(t, s, sp, "deploy")
	if idx.Engine != EngineNotmuch || !slices.Equal(ids(idx), ids(sc)) {
		t.Errorf("%s: %v; scan: %v", idx.Engine, ids(idx), ids(sc))
	}
}
