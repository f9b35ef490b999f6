package mcp

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestHTTPToken makes the token, finds the same one again, agrees on one
// when servers start at once, and refuses a token file others could read
// or that is a symbolic link.
func TestHTTPToken(t *testing.T) {
	sp := openSpool(t, testConfig())
	const racers = 8
	tokens := make([]string, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			tok, _, err := HTTPToken(sp.Root)
			if err != nil {
				t.Error(err)
			}
			tokens[i] = tok
		})
	}
	wg.Wait()
	for _, tok := range tokens[1:] {
		if tok != tokens[0] {
			t.Fatalf("servers starting at once got different tokens: %q", tokens)
		}
	}
	if len(tokens[0]) != 64 {
		t.Errorf("token %q: want 64 hex digits", tokens[0])
	}
	path := filepath.Join(sp.Root, "state", "http-token")
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi.Mode(), err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("state/ holds %d entries after making the token, want only it", len(ents))
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := HTTPToken(sp.Root); err == nil || !strings.Contains(err.Error(), "remove it") {
		t.Errorf("token readable by others: %v", err)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte(strings.Repeat("a", 64)), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	if err := os.Symlink(secret, path); err != nil {
		t.Fatal(err)
	}
	if _, _, err := HTTPToken(sp.Root); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("token file a symlink: %v", err)
	}
}

// TestHTTPNeedsBearerToken sends requests with no token, a wrong one, and
// the right one; and a server without a token refuses everything.
func TestHTTPNeedsBearerToken(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{Name: "alice", HTTPToken: testToken})
	hs := httptest.NewServer(srv.HTTPHandler())
	t.Cleanup(hs.Close)
	for _, tt := range []struct {
		auth string
		want int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer", http.StatusUnauthorized},
		{"Bearer " + strings.ToUpper(testToken), http.StatusUnauthorized},
		{"Bearer " + testToken[:len(testToken)-1], http.StatusUnauthorized},
		{"Basic " + testToken, http.StatusUnauthorized},
		{"Bearer " + testToken, http.StatusOK},
		{"bearer " + testToken, http.StatusOK},
	} {
		if got := postInitialize(t, hs.URL+"/mcp", tt.auth); got != tt.want {
			t.Errorf("Authorization %q: status %d, want %d", tt.auth, got, tt.want)
		}
	}
	c, _ := httpClient(t, hs.URL+"/mcp", false)
	mustOK(t, c, "list_instances", nil)

	open := startServer(t, openSpool(t, testConfig()), Options{})
	hs2 := httptest.NewServer(open.HTTPHandler())
	t.Cleanup(hs2.Close)
	if got := postInitialize(t, hs2.URL+"/mcp", "Bearer "); got != http.StatusUnauthorized {
		t.Errorf("server without a token answered %d", got)
	}
}

// TestHTTPChecksOrigin sends initialize with the right token from web
// origins: only this machine's are answered, others get 403 (the MCP
// transport's rule against DNS rebinding and cross-site requests).
func TestHTTPChecksOrigin(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{Name: "alice", HTTPToken: testToken})
	hs := httptest.NewServer(srv.HTTPHandler())
	t.Cleanup(hs.Close)
	for _, tt := range []struct {
		origin string
		want   int
	}{
		{"", http.StatusOK},
		{"http://localhost:3000", http.StatusOK},
		{"http://127.0.0.1", http.StatusOK},
		{"https://[::1]:8443", http.StatusOK},
		{"https://evil.example", http.StatusForbidden},
		{"http://localhost.evil.example", http.StatusForbidden},
		{"http://127.0.0.1.nip.io", http.StatusForbidden},
		{"null", http.StatusForbidden},
		{"file://", http.StatusForbidden},
		{"http://user@localhost", http.StatusForbidden},
	} {
		if got := postInitialize(t, hs.URL+"/mcp", "Bearer "+testToken, tt.origin); got != tt.want {
			t.Errorf("Origin %q: status %d, want %d", tt.origin, got, tt.want)
		}
	}
}

// TestHTTPChecksHost sends initialize with the right token under Host
// headers: only this machine's names are answered, a name that a web page
// made resolve to 127.0.0.1 (DNS rebinding) gets 403.
func TestHTTPChecksHost(t *testing.T) {
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{Name: "alice", HTTPToken: testToken})
	hs := httptest.NewServer(srv.HTTPHandler())
	t.Cleanup(hs.Close)
	port := hs.URL[strings.LastIndex(hs.URL, ":"):]
	for _, tt := range []struct {
		host string
		want int
	}{
		{"127.0.0.1" + port, http.StatusOK},
		{"localhost" + port, http.StatusOK},
		{"LOCALHOST", http.StatusOK},
		{"[::1]" + port, http.StatusOK},
		{"127.1.2.3" + port, http.StatusOK},
		{"evil.example" + port, http.StatusForbidden},
		{"localhost.evil.example" + port, http.StatusForbidden},
		{"127.0.0.1.nip.io" + port, http.StatusForbidden},
		{"192.0.2.1" + port, http.StatusForbidden},
	} {
		body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`
		req, err := http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = tt.host
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("Host %q: status %d, want %d", tt.host, resp.StatusCode, tt.want)
		}
	}
}

func postInitialize(t *testing.T, url, auth string, origin ...string) int {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for _, o := range origin {
		if o != "" {
			req.Header.Set("Origin", o)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A request body over the limit is refused while it is read (413, or an
// error once the reader passes the limit), never decoded whole.
func TestHTTPLimitsRequestBody(t *testing.T) {
	defer func(n int64) { maxRequest = n }(maxRequest)
	maxRequest = 4096
	sp := openSpool(t, testConfig())
	srv := startServer(t, sp, Options{Name: "alice", HTTPToken: testToken})
	hs := httptest.NewServer(srv.HTTPHandler())
	t.Cleanup(hs.Close)
	if got := postInitialize(t, hs.URL+"/mcp", "Bearer "+testToken); got != http.StatusOK {
		t.Fatalf("a small request: %d", got)
	}
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"` + strings.Repeat("x", 8192) + `","version":"1"}}}`
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a request over the limit: status %d, want 413", resp.StatusCode)
	}
}
