package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/claude-ipc/ipc/internal/testkit"
)

// chromium finds Debian's chromium (or another Chromium-based browser).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testkit.SkipEnv(t, "no Chromium to drive the web inbox with (apt-get install chromium)")
	return ""
}

// browser starts headless Chromium with a fresh profile and returns a
// context whose actions drive one tab.
func browser(t *testing.T) context.Context {
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 800),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return bctx
}

// step runs one browser action within 30 s, naming it in the error.
func step(ctx context.Context, what string, a ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	t0 := time.Now()
	if err := chromedp.Do(ctx, a...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if testing.Verbose() {
		fmt.Printf("browser: %s: %s\n", what, time.Since(t0).Round(time.Millisecond))
	}
	return nil
}

// pwnedJS reads what a hostile message's script would have set.
const pwnedJS = `window.__pwned === undefined ? 0 : window.__pwned`

var uiURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+/\?token=[0-9a-f]{64}`)

// startUI runs ipc ui and returns its process and the URL it printed.
func (w *world) startUI(args ...string) (*proc, string) {
	w.t.Helper()
	p := w.start(append([]string{"ui"}, args...)...)
	var url string
	eventually(w.t, "ipc ui to print its URL", func() bool {
		url = uiURL.FindString(p.out.String())
		return url != "" || p.exited()
	})
	if url == "" {
		w.t.Fatalf("ipc ui printed no URL; stdout %q stderr %q", p.out, p.err)
	}
	return p, url
}

// TestWebInboxInBrowser drives the page in headless Chromium as a person
// would: it lists the mailboxes, shows mail sent with ipc send without a
// reload, shows hostile markup as text, answers an agent whose ipc check
// then sees the answer in its thread, and renders something visible.
func TestWebInboxInBrowser(t *testing.T) {
	w := newWorld(t)
	ctx := browser(t)
	w.ok("--as", "alice", "register", "alice")
	ask := w.ok("--as", "alice", "--json", "send", "overseer", "may I deploy to production?")
	var rc struct{ ID string }
	if err := json.Unmarshal([]byte(ask.out), &rc); err != nil || rc.ID == "" {
		t.Fatalf("send --json: %q %v", ask.out, err)
	}
	w.ok("--as", "carol", "send", "bob", "the nightly build is green")
	ui, url := w.startUI()

	err := step(ctx, "open the URL", chromedp.Navigate(url))
	if err == nil {
		err = step(ctx, "see alice's mailbox", chromedp.WaitVisible(chromedp.CSS(`#boxes a[data-name="alice"]`)))
	}
	if err == nil {
		err = step(ctx, "see the event stream open", chromedp.WaitVisible(chromedp.CSS(`#live-state.on`)))
	}
	var boxes string
	if err == nil {
		boxes, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#boxes`)))
	}
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Evaluate[string](`window.__sameDocument = "yes"`))
	}
	if err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.documentElement.outerHTML`))
		t.Fatalf("open the page: %v\nui stderr: %s\npage: %.3000s", err, ui.err, html)
	}
	for _, name := range []string{"alice", "bob", "overseer"} {
		if !strings.Contains(boxes, name) {
			t.Errorf("mailbox list %q lacks %s", boxes, name)
		}
	}

	// Mail sent with ipc send appears without a reload.
	w.ok("--as", "bob", "send", "alice", "live: tests passed on main")
	hostile := `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> <a href="javascript:window.__pwned=3">go</a>`
	w.ok("--as", "mallory", "send", "alice", hostile)
	err = step(ctx, "see the new mail without a reload",
		chromedp.WaitVisible(chromedp.Search(`//li[contains(@class,"row")][contains(., "live: tests passed on main")]`)),
		chromedp.WaitVisible(chromedp.Search(`//li[contains(@class,"row")][contains(., "window.__pwned=1")]`)),
	)
	var rows, same string
	var pwned, imgs, links int
	if err == nil {
		rows, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#live`)))
	}
	if err == nil {
		same, err = chromedp.Run(ctx, chromedp.Evaluate[string](`String(window.__sameDocument)`))
	}
	if err == nil {
		pwned, err = chromedp.Run(ctx, chromedp.Evaluate[int](pwnedJS))
	}
	if err == nil {
		imgs, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#live img, #live script").length`))
	}
	if err == nil {
		links, err = chromedp.Run(ctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll("a")).filter(a => a.href.startsWith("javascript:")).length`))
	}
	if err != nil {
		t.Fatalf("live update: %v", err)
	}
	if same != "yes" {
		t.Error("the page reloaded to show new mail")
	}
	if pwned != 0 || imgs != 0 || links != 0 {
		t.Errorf("hostile message ran or made elements: pwned=%d img/script=%d javascript: links=%d", pwned, imgs, links)
	}
	if !strings.Contains(rows, "<script>window.__pwned=1</script>") {
		t.Errorf("hostile message not shown as text: %q", rows)
	}

	// The thread of the hostile message shows it as text too.
	err = step(ctx, "open the hostile message",
		chromedp.Click(chromedp.Search(`//li[contains(@class,"row")][contains(., "window.__pwned=1")]//a`)),
		chromedp.WaitVisible(chromedp.CSS(`article.msg pre.body`)),
	)
	var body string
	if err == nil {
		body, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`article.msg pre.body`)))
	}
	if err == nil {
		pwned, err = chromedp.Run(ctx, chromedp.Evaluate[int](pwnedJS))
	}
	if err != nil {
		t.Fatalf("open the hostile message: %v", err)
	}
	if strings.TrimSpace(body) != hostile || pwned != 0 {
		t.Errorf("thread shows %q (pwned=%d), want the text itself", body, pwned)
	}

	// Answer alice from the page; she sees it in her thread.
	err = step(ctx, "open alice's question", chromedp.Navigate(strings.SplitN(url, "/?", 2)[0]+"/thread/"+rc.ID),
		chromedp.WaitVisible(chromedp.CSS(`section.reply textarea[name="body"]`)))
	if err == nil {
		err = step(ctx, "type the answer", chromedp.SendKeys(chromedp.CSS(`section.reply textarea[name="body"]`), "yes, go ahead <b>carefully</b>"))
	}
	if err == nil {
		err = step(ctx, "send it", chromedp.Click(chromedp.CSS(`section.reply button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`p.notice`)))
	}
	if err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.documentElement.outerHTML`))
		t.Logf("page: %.4000s", html)
	}
	if err != nil {
		t.Fatalf("reply from the page: %v", err)
	}
	var got []struct {
		From, Body, InReplyTo string `json:",omitempty"`
		In                    string `json:"in_reply_to"`
	}
	out := w.ok("--as", "alice", "check", "--json").out
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("check --json: %v\n%s", err, out)
	}
	found := false
	for _, m := range got {
		if m.From == "overseer" && m.In == rc.ID && strings.Contains(m.Body, "yes, go ahead <b>carefully</b>") {
			found = true
		}
	}
	if !found {
		t.Errorf("alice's check has no answer from overseer in her thread: %s", out)
	}
	err = step(ctx, "see the answer in the thread", chromedp.WaitVisible(chromedp.Search(`//article[contains(., "yes, go ahead")]`)))
	var thread string
	if err == nil {
		thread, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#live`)))
	}
	if err != nil {
		t.Fatalf("thread after reply: %v", err)
	}
	if !strings.Contains(thread, "may I deploy") {
		t.Errorf("thread %q lacks the question", thread)
	}

	// A screenshot of the inbox shows something.
	err = step(ctx, "go back to the inbox", chromedp.Navigate(strings.SplitN(url, "/?", 2)[0]+"/"), chromedp.WaitVisible(chromedp.CSS(`#live .rows`)))
	var shot []byte
	if err == nil {
		shot, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
	}
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	checkRendered(t, shot)
	if dst := os.Getenv("IPC_UI_SCREENSHOT"); dst != "" {
		os.WriteFile(dst, shot, 0o644)
	}

	// Ctrl-C stops it and frees the name.
	ui.cmd.Process.Signal(syscall.SIGINT)
	if code := ui.wait(10 * time.Second); code != 0 {
		t.Errorf("ipc ui exit %d after SIGINT; stderr %s", code, ui.err)
	}
}

// checkRendered fails unless a PNG is a real render: a sane size, and
// pixels of many colours (a blank or single-colour page has few).
func checkRendered(t *testing.T, shot []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 400 || b.Dy() < 300 {
		t.Fatalf("screenshot %v is too small", b)
	}
	colours := map[uint32]bool{}
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|bl>>8] = true
			if r+g+bl < 3*0x8000 {
				dark++
			}
		}
	}
	if len(colours) < 20 || dark < 200 {
		t.Errorf("screenshot looks empty: %d colours, %d dark samples", len(colours), dark)
	}
}

// TestWebInboxRefusals checks the command's refusals: a port in use, a
// name held by another process, and a request without the token.
func TestWebInboxRefusals(t *testing.T) {
	w := newWorld(t)
	ui, url := w.startUI()
	resp, err := http.Get(strings.SplitN(url, "?", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	port := regexp.MustCompile(`:(\d+)/`).FindStringSubmatch(url)[1]
	w.fails(3, []string{"listen on 127.0.0.1:" + port, "--listen"}, "ui", "--listen", "127.0.0.1:"+port, "--as", "second")
	w.fails(3, []string{"overseer", "--as"}, "ui")
	ui.cmd.Process.Signal(syscall.SIGTERM)
	ui.wait(10 * time.Second)
	wide := w.start("ui", "--listen", "0.0.0.0:0", "--as", "wide")
	eventually(t, "a warning about listening beyond loopback", func() bool {
		return strings.Contains(wide.err.String(), "reachable from other machines")
	})
}
