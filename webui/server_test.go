package webui

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/follow"
	"github.com/claude-ipc/ipc/internal/testkit"
	"github.com/claude-ipc/ipc/spool"
)

func testSpool(t testing.TB) *spool.Spool {
	cfg := spool.DefaultConfig()
	cfg.RatePerMinute, cfg.MaxUnread = 0, 0
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), spool.WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// inbox is a running Server and a browser-like client that has opened
// its URL (so it holds the cookie).
type inbox struct {
	t      *testing.T
	sp     *spool.Spool
	srv    *Server
	base   string // http://127.0.0.1:PORT
	client *http.Client
}

func startInbox(t *testing.T, sp *spool.Spool, opts Options) *inbox {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f, err := follow.New(ctx, sp, follow.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts.Follower = f
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(sp, ln, opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		f.Close()
	})
	jar, _ := cookiejar.New(nil)
	ib := &inbox{t: t, sp: sp, srv: srv, base: "http://" + ln.Addr().String(), client: &http.Client{Jar: jar}}
	resp, err := ib.client.Get(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.RawQuery != "" {
		t.Fatalf("opening the URL: %d at %s, want 200 at / without the token", resp.StatusCode, resp.Request.URL)
	}
	return ib
}

// get fetches path with the inbox's cookie and returns status and body.
func (ib *inbox) get(path string) (int, string) {
	ib.t.Helper()
	resp, err := ib.client.Get(ib.base + path)
	if err != nil {
		ib.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post submits a form as the page does (same Origin) and returns the
// status and where it was sent back to.
func (ib *inbox) post(path string, form url.Values) (int, string) {
	ib.t.Helper()
	req, _ := http.NewRequest("POST", ib.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", ib.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	c := *ib.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		ib.t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.QueryUnescape(resp.Header.Get("Location"))
	return resp.StatusCode, loc
}

func send(t *testing.T, sp *spool.Spool, d spool.Draft) string {
	t.Helper()
	rc, err := sp.Send(d)
	if err != nil {
		t.Fatal(err)
	}
	return rc.ID
}

func TestTokenRequired(t *testing.T) {
	sp := testSpool(t)
	ib := startInbox(t, sp, Options{Token: "s3cret-token"})
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		name   string
		path   string
		header map[string]string
		want   int
	}{
		{"no token", "/", nil, 401},
		{"wrong token", "/?token=s3cret-tokem", nil, 401},
		{"token prefix", "/?token=s3cret", nil, 401},
		{"wrong cookie", "/", map[string]string{"Cookie": ib.srv.cookieName() + "=nope"}, 401},
		{"cookie of another port", "/", map[string]string{"Cookie": "ipc_ui_1=s3cret-token"}, 401},
		{"events without token", "/events", nil, 401},
		{"static without token", "/static/app.js", nil, 401},
		{"bearer", "/", map[string]string{"Authorization": "Bearer s3cret-token"}, 200},
		{"right cookie", "/", map[string]string{"Cookie": ib.srv.cookieName() + "=s3cret-token"}, 200},
		{"token in URL", "/?token=s3cret-token", nil, 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", ib.base+tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := plain.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			switch tt.want {
			case 401:
				if string(b) != "unauthorized\n" {
					t.Errorf("401 body %q: want no detail", b)
				}
			case 303:
				if loc := resp.Header.Get("Location"); strings.Contains(loc, "token") {
					t.Errorf("redirect to %q keeps the token", loc)
				}
				if c := resp.Cookies(); len(c) != 1 || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
					t.Errorf("cookies %+v, want one HttpOnly SameSite=Strict", c)
				}
			}
		})
	}
}

func TestHostAndOriginChecked(t *testing.T) {
	sp := testSpool(t)
	ib := startInbox(t, sp, Options{})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(ib.base, "http://"))
	for host, want := range map[string]int{
		"127.0.0.1:" + port:       200,
		"localhost:" + port:       200,
		"evil.example:" + port:    403, // a DNS rebinding
		"127.0.0.1:1":             403,
		"127.0.0.1":               403,
		"localhost.evil:" + port:  403,
		"[::1]:" + port:           200,
		"attacker.localhost:9999": 403,
	} {
		req, _ := http.NewRequest("GET", ib.base+"/", nil)
		req.Host = host
		req.Header.Set("Authorization", "Bearer "+ib.srv.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %q: %d, want %d", host, resp.StatusCode, want)
		}
	}
	form := url.Values{"to": {"bob"}, "body": {"forged"}}
	for name, hdr := range map[string]map[string]string{
		"other origin":     {"Origin": "http://evil.example"},
		"other port":       {"Origin": "http://127.0.0.1:1"},
		"null origin":      {"Origin": "null"},
		"null cross-site":  {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
		"none fetch":       {"Sec-Fetch-Site": "none"},
		"cross-site fetch": {"Sec-Fetch-Site": "cross-site"},
		"same-site fetch":  {"Sec-Fetch-Site": "same-site", "Origin": ib.base},
	} {
		req, _ := http.NewRequest("POST", ib.base+"/send", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := ib.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("%s: %d, want 403", name, resp.StatusCode)
		}
	}
	if mb, _ := sp.Mailbox("bob"); mb.Exists() {
		t.Error("a refused post delivered mail")
	}
}

// TestUntrustedContentIsText sends messages full of markup and checks that
// the page carries it escaped, with the strict policy and no inline script.
func TestUntrustedContentIsText(t *testing.T) {
	sp := testSpool(t)
	ib := startInbox(t, sp, Options{})
	evil := `<script>alert(1)</script> <img src=x onerror=alert(2)> <a href="javascript:alert(3)">click</a> "><svg onload=alert(4)>`
	id := send(t, sp, spool.Draft{From: "mallory", To: []string{"bob"}, Subject: `<b>bold</b>`, Body: evil,
		Data: []byte(`{"html":"<script>x()</script>"}`)})
	for _, path := range []string{"/", "/thread/" + id, "/?q=script"} {
		resp, err := ib.client.Get(ib.base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(b)
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		for _, raw := range []string{"<script>alert", "<img src=x", "<svg", `href="javascript:`, "<b>bold", "<script>x()"} {
			if strings.Contains(page, raw) {
				t.Errorf("%s: page holds %q unescaped", path, raw)
			}
		}
		if strings.Count(page, "<script") != 1 || !strings.Contains(page, `<script src="/static/app.js" defer></script>`) {
			t.Errorf("%s: a script other than /static/app.js", path)
		}
		if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the text is not shown escaped", path)
		}
	}
}

func TestLargeFileNoTraversal(t *testing.T) {
	sp := testSpool(t)
	ib := startInbox(t, sp, Options{})
	big := strings.Repeat("all the details\n", 2000)
	id := send(t, sp, spool.Draft{From: "alice", To: []string{"bob"}, Body: big})
	if code, body := ib.get("/large/bob/" + id); code != 200 || !strings.Contains(body, big) {
		t.Fatalf("large file: %d, %d bytes", code, len(body))
	}
	secret := filepath.Join(sp.Root, "secret.txt")
	os.WriteFile(secret, []byte("not for the page"), 0o600)
	os.Symlink(secret, filepath.Join(sp.LargeDir(), "link.md"))
	for i, forged := range []string{"/etc/passwd", secret, sp.LargeDir() + "/../secret.txt",
		filepath.Join(sp.LargeDir(), "link.md"), sp.LargeDir(), "relative.md", filepath.Join(sp.LargeDir(), ".hidden")} {
		// A message any sender could write by hand, naming a file it wants read.
		key := fmt.Sprintf("%d.M1P1Q%dR%012x.host", time.Now().Unix(), i, i+1)
		msg := fmt.Sprintf("From: mallory@host\nTo: bob@host\nSubject: forged\nMessage-ID: <%012x@host>\nX-IPC-Large-File: %s\n\nhi\n", i+1, forged)
		if err := os.WriteFile(filepath.Join(sp.MailDir(), "bob", "new", key), []byte(msg), 0o600); err != nil {
			t.Fatal(err)
		}
		code, body := ib.get(fmt.Sprintf("/large/bob/%012x", i+1))
		if code != 404 || strings.Contains(body, "not for the page") || strings.Contains(body, "root:") {
			t.Errorf("forged path %q: %d %q", forged, code, body)
		}
	}
	for _, p := range []string{"/large/bob/..%2f..%2fsecret.txt", "/large/..%2f/x", "/text/bob/..%2fcur"} {
		if code, body := ib.get(p); code == 200 || strings.Contains(body, "not for the page") {
			t.Errorf("%s: %d %q", p, code, body)
		}
	}
}

// TestHugeBodyIsCut drops a message with a 10 MB body (a script's, so it
// was never moved to large/): the thread shows the start and links to the
// whole text.
func TestHugeBodyIsCut(t *testing.T) {
	sp := testSpool(t)
	ib := startInbox(t, sp, Options{})
	body := strings.Repeat("0123456789abcdef", 10<<20/16)
	msg := "From: cron@host\nTo: bob@host\nSubject: huge log\nMessage-ID: <aaaaaaaaaaaa@host>\n\n" + body
	mb, _ := sp.Mailbox("bob")
	if _, err := sp.Send(spool.Draft{From: "alice", To: []string{"bob"}, Body: "make the mailbox"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mb.NewDir(), "1700000000.M1P1Q1Raaaaaaaaaaaa.host"), []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, page := ib.get("/thread/aaaaaaaaaaaa")
	if code != 200 || len(page) > 200<<10 {
		t.Fatalf("thread: %d, %d bytes; want the body cut", code, len(page))
	}
	if !strings.Contains(page, `href="/text/bob/aaaaaaaaaaaa"`) || !strings.Contains(page, fmt.Sprintf("Full text (%d bytes)", len(body))) {
		t.Error("no link to the full text")
	}
	if code, full := ib.get("/text/bob/aaaaaaaaaaaa"); code != 200 || strings.TrimRight(full, "\n") != body {
		t.Errorf("full text: %d, %d bytes, want %d", code, len(full), len(body))
	}
}

func TestPaging(t *testing.T) {
	sp := testSpool(t)
	ib := startInbox(t, sp, Options{PageSize: 20})
	for i := range 45 {
		send(t, sp, spool.Draft{From: "alice", To: []string{"bob"}, Body: fmt.Sprintf("note %02d", i)})
	}
	_, first := ib.get("/?box=bob")
	if n := strings.Count(first, `<li class="row`); n != 20 || !strings.Contains(first, "note 44") || !strings.Contains(first, "offset=20") {
		t.Errorf("first page: %d rows", n)
	}
	_, last := ib.get("/?box=bob&offset=40")
	if n := strings.Count(last, `<li class="row`); n != 5 || !strings.Contains(last, "note 00") || strings.Contains(last, "older →") {
		t.Errorf("last page: %d rows", n)
	}
}

// TestComposer sends, replies and broadcasts through the page and reads
// what arrived as the agents would.
func TestComposer(t *testing.T) {
	sp := testSpool(t)
	ib := startInbox(t, sp, Options{})
	orig := send(t, sp, spool.Draft{From: "alice", To: []string{"overseer"}, Body: "may I deploy?"})
	send(t, sp, spool.Draft{From: "carol", To: []string{"bob"}, Body: "hi bob"})

	if code, loc := ib.post("/send", url.Values{"to": {"bob"}, "subject": {"plan"}, "body": {"start at 9"}, "return": {"/?box=bob"}}); code != 303 || !strings.Contains(loc, "Sent to bob") {
		t.Errorf("send: %d %s", code, loc)
	}
	if code, loc := ib.post("/reply", url.Values{"box": {"overseer"}, "id": {orig}, "to": {"alice"}, "body": {"yes, go"}, "return": {"/thread/" + orig}}); code != 303 || !strings.HasPrefix(loc, "/thread/"+orig) {
		t.Errorf("reply: %d %s", code, loc)
	}
	if code, loc := ib.post("/send", url.Values{"everyone": {"1"}, "body": {"freeze at 5"}}); code != 303 || !strings.Contains(loc, "notice=") {
		t.Errorf("broadcast: %d %s", code, loc)
	}
	if code, loc := ib.post("/send", url.Values{"to": {"no such/name"}, "body": {"x"}}); code != 303 || !strings.Contains(loc, "problem=") {
		t.Errorf("bad name: %d %s", code, loc)
	}
	if code, loc := ib.post("/send", url.Values{"to": {"bob"}, "body": {"x"}, "return": {"https://evil.example/"}}); code != 303 || strings.Contains(loc, "evil") {
		t.Errorf("open redirect: %d %s", code, loc)
	}
	read := func(name string) []*spool.Message {
		mb, _ := sp.Mailbox(name)
		ms, err := mb.Check(spool.CheckOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	alice := read("alice")
	if len(alice) != 2 || alice[0].From != "overseer" || alice[0].InReplyTo != orig || alice[0].Body != "yes, go" || alice[1].Body != "freeze at 5" {
		t.Errorf("alice got %+v", alice)
	}
	bob := read("bob")
	if len(bob) != 4 || bob[1].Subject != "plan" || bob[1].From != "overseer" {
		t.Errorf("bob got %d messages: %+v", len(bob), bob)
	}
	if ms := read("overseer"); len(ms) != 1 { // its own broadcast is not among them
		t.Errorf("overseer got %d", len(ms))
	}
}

func TestMarkReadUnread(t *testing.T) {
	sp := testSpool(t)
	ib := startInbox(t, sp, Options{})
	id := send(t, sp, spool.Draft{From: "alice", To: []string{"bob"}, Body: "mark me"})
	mb, _ := sp.Mailbox("bob")
	state := func() (dir string, flags spool.Flags) {
		m, err := mb.Find(id)
		if err != nil {
			t.Fatal(err)
		}
		return filepath.Base(filepath.Dir(m.Path)), m.Flags
	}
	if code, _ := ib.post("/mark", url.Values{"box": {"bob"}, "id": {id}, "read": {"1"}}); code != 303 {
		t.Fatal(code)
	}
	if dir, f := state(); dir != "cur" || !f.Has('S') {
		t.Errorf("after mark read: %s, flags %q", dir, f)
	}
	if n, _ := mb.Unread(); n != 0 {
		t.Errorf("%d unread after mark read", n)
	}
	if code, _ := ib.post("/mark", url.Values{"box": {"bob"}, "id": {id}, "read": {"0"}}); code != 303 {
		t.Fatal(code)
	}
	if dir, f := state(); dir != "cur" || f.Has('S') {
		t.Errorf("after mark unread: %s, flags %q", dir, f)
	}
	ms, err := mb.Check(spool.CheckOptions{})
	if err != nil || len(ms) != 1 || ms[0].ID != id {
		t.Errorf("the agent's check after mark unread: %v %v", ms, err)
	}
}

// TestEventsFromFollower reads the page's event stream while mail is sent
// by another spool handle (as another process would): the follower's
// event reaches the stream.
func TestEventsFromFollower(t *testing.T) {
	sp := testSpool(t)
	send(t, sp, spool.Draft{From: "alice", To: []string{"bob"}, Body: "before"})
	ib := startInbox(t, sp, Options{})
	resp, err := ib.client.Get(ib.base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	other, err := spool.Open(sp.Root, spool.WithConfig(sp.Config))
	if err != nil {
		t.Fatal(err)
	}
	if l := <-lines; l != "retry: 2000" {
		t.Fatalf("stream starts with %q", l)
	}
	expect := func(to string, within time.Duration) {
		t.Helper()
		id := send(t, other, spool.Draft{From: "carol", To: []string{to}, Body: "<i>new</i> mail"})
		deadline := time.After(within)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatal("stream ended")
				}
				if strings.HasPrefix(l, "data: ") && strings.Contains(l, `"id":"`+id+`"`) {
					if !strings.Contains(l, `"mailbox":"`+to+`"`) || !strings.Contains(l, `\u003ci\u003e`) {
						t.Errorf("event %s", l)
					}
					return
				}
			case <-deadline:
				t.Fatalf("no event within %s for mail to %s", within, to)
			}
		}
	}
	expect("bob", 5*time.Second)   // a followed mailbox
	expect("dave", 10*time.Second) // a mailbox created after the page started
}

var _ = testkit.Strict

// TestDeliveryStates shows how far each copy of a message got, and tells
// an open page when a state advances.
func TestDeliveryStates(t *testing.T) {
	sp := testSpool(t)
	id := send(t, sp, spool.Draft{From: "alice", To: []string{"bob", "carol"}, Body: "status?"})
	ib := startInbox(t, sp, Options{})
	if _, page := ib.get("/thread/" + id); !strings.Contains(page, "delivery: bob: stored") || !strings.Contains(page, "carol: stored") {
		t.Fatalf("thread lacks the stored states:\n%s", page)
	}
	resp, err := ib.client.Get(ib.base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	<-lines // retry:
	bob, _ := sp.Mailbox("bob")
	if err := bob.Mark(id, spool.Surfaced); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for got := false; !got; {
		select {
		case l := <-lines:
			got = l == "event: change"
		case <-deadline:
			t.Fatal("no event when a delivery state advanced")
		}
	}
	if _, page := ib.get("/thread/" + id); !strings.Contains(page, "bob: surfaced") || !strings.Contains(page, "carol: stored") {
		t.Errorf("thread after the mark:\n%s", page)
	}
}
