// Package doctor checks what a user must set up for ipc to work and says,
// for each check, what it found and how to fix it: the spool's mode and
// owner, ipc on PATH, the MCP client configs that start ipc, the Claude
// Code hooks, the HTTP token and timeouts, the leader, the watcher mode
// and quarantined files.
//
// It only looks: it creates no spool, no file and no watcher, and it
// changes nothing it finds. Every check is a pure function of an Env, so
// that tests give it a home of their own.
//
// doctor stands on spool and internal/platform; cli formats its results.
package doctor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/claude-ipc/ipc/spool"
)

// Result is one check's verdict: what was checked, whether it passed,
// what was found and, when it did not pass, how to fix it.
type Result struct {
	Check  string `json:"check"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Env is what the checks look at.
type Env struct {
	Home  string // the user's home directory (client configs, hooks)
	Dir   string // the working directory (project .mcp.json, .claude/)
	Spool string // the spool's root
	Self  string // this binary's path
	Path  string // $PATH
	GoBin string // where 'make install' puts ipc ($(go env GOPATH)/bin); "" if unknown
	// Poll is true when IPC_POLL=1 asks for polling.
	Poll bool
	// Watcher reports how a watcher on the spool learns of mail, as
	// watcher.Mode names it ("inotify", "ReadDirectoryChangesW",
	// "kqueue", "kqueue-directory", "poll"); it is called only when the
	// spool passed its check.
	Watcher func() (string, error)
}

// Run runs every check, in the order a new user sets ipc up.
func Run(env Env) []Result {
	sp, rs := checkSpool(env)
	rs = append(rs, checkPath(env))
	cfgs := readConfigs(env)
	rs = append(rs, checkClients(env, cfgs)...)
	rs = append(rs, checkHooks(env))
	rs = append(rs, checkHTTP(env, cfgs)...)
	rs = append(rs, checkLeader(sp), checkWatcher(env, sp != nil), checkQuarantine(env, sp))
	return rs
}

// Failed reports whether any result did not pass.
func Failed(rs []Result) bool {
	for _, r := range rs {
		if !r.OK {
			return true
		}
	}
	return false
}

// checkSpool checks that the spool exists, is the user's own and is closed
// to others; it opens it only then, so nothing is created.
func checkSpool(env Env) (*spool.Spool, []Result) {
	root := env.Spool
	fi, err := os.Stat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, []Result{{Check: "spool", Detail: fmt.Sprintf("no spool at %s yet", root),
			Fix: "the first register or send creates it: ipc --as NAME register NAME"}}
	case err != nil:
		return nil, []Result{{Check: "spool", Detail: err.Error(), Fix: "set IPC_HOME to a directory of yours"}}
	case !fi.IsDir():
		return nil, []Result{{Check: "spool", Detail: fmt.Sprintf("%s is not a directory", root),
			Fix: "remove it, or set IPC_HOME to another path"}}
	}
	if owner, other := platform.OwnedByOther(fi); other {
		return nil, []Result{{Check: "spool", Detail: fmt.Sprintf("%s is owned by uid %s, not you", root, owner),
			Fix: fmt.Sprintf("use a spool of your own (IPC_HOME), or: chown -R $(id -u) %s", root)}}
	}
	if perm := fi.Mode().Perm(); platform.OwnershipChecked && perm&0o077 != 0 {
		return nil, []Result{{Check: "spool", Detail: fmt.Sprintf("%s is open to other users (mode %04o)", root, perm),
			Fix: "chmod 700 " + root}}
	}
	sp, err := spool.Open(root)
	if err != nil {
		return nil, []Result{{Check: "spool", Detail: err.Error(), Fix: "see the reason: ipc refuses this spool until it is fixed"}}
	}
	rs := []Result{{Check: "spool", OK: true, Detail: fmt.Sprintf("%s: mode %04o, yours", root, fi.Mode().Perm())}}
	if !platform.OwnershipChecked { // Windows: the owner SID and the access list
		who, err := platform.Exposed(root)
		switch {
		case err != nil:
			rs[0] = Result{Check: "spool", Detail: err.Error(), Fix: platform.RestrictHint(root)}
		case len(who) > 0:
			rs[0] = Result{Check: "spool", Detail: fmt.Sprintf("%s is open to %s", root, strings.Join(who, ", ")), Fix: platform.RestrictHint(root)}
		default:
			rs[0].Detail = root + ": yours, and no other account in its access list"
		}
	}
	return sp, append(rs, checkFileSystem(sp))
}

// checkFileSystem says what the spool's file system lacks, and what ipc
// does instead (spool.FileSystem); a file system ipc refuses fails the
// spool check before this.
func checkFileSystem(sp *spool.Spool) Result {
	f := sp.FileSystem()
	r := Result{Check: "filesystem", OK: true, Detail: f.Name + ": hard links, no-replace renames and directory fsync"}
	if f.Name == "" {
		r.Detail = "hard links, no-replace renames and directory fsync"
	}
	if w := f.Warning(); w != "" {
		r.OK, r.Detail, r.Fix = false, w, "set IPC_HOME to a directory on a local disk"
	}
	return r
}

// checkPath checks that "ipc" on PATH is this binary: every client config
// starts it by that name.
func checkPath(env Env) Result {
	found := lookPath(env.Path, "ipc")
	r := Result{Check: "path"}
	addGoBin := "run 'make install' and add its directory to PATH"
	if env.GoBin != "" {
		addGoBin = fmt.Sprintf("'make install' puts ipc in %s: add it to PATH (export PATH=\"$PATH:%s\")", env.GoBin, env.GoBin)
	}
	switch {
	case found == "":
		r.Detail = "ipc is not on PATH; clients that start \"ipc\" will fail"
		r.Fix = addGoBin
	case !sameFile(found, env.Self):
		r.Detail = fmt.Sprintf("ipc on PATH is %s, not this binary (%s)", found, env.Self)
		r.Fix = "run 'make install' again, or put this binary's directory first in PATH"
	default:
		r.OK = true
		r.Detail = fmt.Sprintf("ipc on PATH is %s (this binary)", found)
	}
	return r
}

// lookPath finds an executable named name in the directories of path.
func lookPath(path, name string) string {
	names := []string{name}
	if runtime.GOOS == "windows" {
		names = []string{name + ".exe"}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		for _, n := range names {
			p := filepath.Join(dir, n)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && (runtime.GOOS == "windows" || fi.Mode()&0o111 != 0) {
				return p
			}
		}
	}
	return ""
}

// sameFile reports whether a and b name the same file.
func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// configs lists the MCP client config files doctor knows, relative to the
// home directory or (project) to the working directory, with the line
// that adds ipc to each.
func configs(env Env) []client {
	return []client{
		{"Claude Code (user)", filepath.Join(env.Home, ".claude.json"), "claude mcp add --scope user ipc -- ipc mcp"},
		{"Claude Code (project)", filepath.Join(env.Dir, ".mcp.json"), "claude mcp add --scope project ipc -- ipc mcp"},
		{"Gemini CLI", filepath.Join(env.Home, ".gemini", "settings.json"), `add to "mcpServers": "ipc": {"command": "ipc", "args": ["mcp"], "timeout": 600000}`},
		{"Windsurf", filepath.Join(env.Home, ".codeium", "windsurf", "mcp_config.json"), `add to "mcpServers": "ipc": {"command": "ipc", "args": ["mcp"]}`},
	}
}

// client is one MCP client's config file.
type client struct {
	name, path, add string
}

// server is one entry of a config's mcpServers.
type server struct {
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Type    string            `json:"type"`
	URL     string            `json:"url"`
	HTTPURL string            `json:"httpUrl"`
	Server  string            `json:"serverUrl"`
	Headers map[string]string `json:"headers"`
	Timeout *float64          `json:"timeout"`
}

// http reports whether the entry reaches ipc over HTTP, and its URL.
func (s server) http() (string, bool) {
	for _, u := range []string{s.HTTPURL, s.Server, s.URL} {
		if u != "" {
			return u, true
		}
	}
	return "", false
}

// config is one client config file as read.
type config struct {
	client
	err     error             // it could not be read or parsed
	servers map[string]server // the entries that start or reach ipc
}

// readConfigs reads the client configs that exist.
func readConfigs(env Env) []config {
	var out []config
	for _, c := range configs(env) {
		raw, err := os.ReadFile(c.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		cfg := config{client: c, servers: map[string]server{}}
		if err == nil {
			err = collect(raw, env.Dir, cfg.servers)
		}
		cfg.err = err
		out = append(out, cfg)
	}
	return out
}

// collect puts into into the mcpServers entries of raw that are ipc's: at
// the top and, in ~/.claude.json, under the project of dir.
func collect(raw []byte, dir string, into map[string]server) error {
	var doc struct {
		MCPServers map[string]server `json:"mcpServers"`
		Projects   map[string]struct {
			MCPServers map[string]server `json:"mcpServers"`
		} `json:"projects"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return err
	}
	add := func(prefix string, m map[string]server) {
		for name, s := range m {
			if isIPC(name, s) {
				into[prefix+name] = s
			}
		}
	}
	add("", doc.MCPServers)
	if p, ok := doc.Projects[dir]; ok {
		add("project "+dir+": ", p.MCPServers)
	}
	return nil
}

// isIPC reports whether an entry is ipc's: it runs an ipc binary, or it is
// named ipc.
func isIPC(name string, s server) bool {
	base := strings.TrimSuffix(filepath.Base(s.Command), ".exe")
	return base == "ipc" || name == "ipc"
}

// checkClients says, for each client config found, whether it starts this
// binary.
func checkClients(env Env, cfgs []config) []Result {
	if len(cfgs) == 0 {
		return []Result{{Check: "clients", Detail: "no MCP client config found (Claude Code, Gemini CLI, Windsurf)",
			Fix: "claude mcp add --scope user ipc -- ipc mcp (README: Claude Code, Gemini CLI, Windsurf)"}}
	}
	var rs []Result
	for _, c := range cfgs {
		check := "client " + c.name
		if c.err != nil {
			rs = append(rs, Result{Check: check, Detail: fmt.Sprintf("%s: %v", c.path, c.err), Fix: "make it valid JSON"})
			continue
		}
		if len(c.servers) == 0 {
			rs = append(rs, Result{Check: check, Detail: c.path + " has no ipc server", Fix: c.add})
			continue
		}
		for _, name := range sortedKeys(c.servers) {
			rs = append(rs, checkServer(env, check, c.path, name, c.servers[name], c.add))
		}
	}
	return rs
}

// checkServer checks that one entry starts this binary (an HTTP entry is
// checked by checkHTTP).
func checkServer(env Env, check, path, name string, s server, add string) Result {
	r := Result{Check: check}
	if u, ok := s.http(); ok {
		r.OK = true
		r.Detail = fmt.Sprintf("%s: %q reaches %s over HTTP", path, name, u)
		return r
	}
	bin := s.Command
	if !strings.ContainsAny(bin, `/\`) {
		bin = lookPath(env.Path, bin)
	}
	switch {
	case bin == "":
		r.Detail = fmt.Sprintf("%s: %q runs %q, which is not on PATH", path, name, s.Command)
		r.Fix = "put ipc on PATH (see the path check), or give the command as " + env.Self
	case !sameFile(bin, env.Self):
		r.Detail = fmt.Sprintf("%s: %q runs %s, not this binary (%s)", path, name, bin, env.Self)
		r.Fix = "point its command at " + env.Self + ", or make install"
	case len(s.Args) == 0 || s.Args[0] != "mcp":
		r.Detail = fmt.Sprintf("%s: %q runs ipc %s, not ipc mcp", path, name, strings.Join(s.Args, " "))
		r.Fix = add
	default:
		r.OK = true
		r.Detail = fmt.Sprintf("%s: %q starts this binary (%s mcp)", path, name, bin)
	}
	return r
}

// hookFiles are the Claude Code settings that may hold ipc's hooks.
func hookFiles(env Env) []string {
	return []string{
		filepath.Join(env.Home, ".claude", "settings.json"),
		filepath.Join(env.Dir, ".claude", "settings.json"),
		filepath.Join(env.Dir, ".claude", "settings.local.json"),
	}
}

// checkHooks checks that a Claude Code settings file runs ipc hook.
func checkHooks(env Env) Result {
	r := Result{Check: "hooks"}
	var found []string
	for _, p := range hookFiles(env) {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var doc struct {
			Hooks map[string][]hookGroup `json:"hooks"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			r.Detail = fmt.Sprintf("%s: %v", p, err)
			r.Fix = "make it valid JSON"
			return r
		}
		var events []string
		for ev, groups := range doc.Hooks {
			if runsHook(groups) {
				events = append(events, ev)
			}
		}
		if len(events) > 0 {
			sort.Strings(events)
			found = append(found, fmt.Sprintf("%s (%s)", p, strings.Join(events, ", ")))
		}
	}
	if len(found) == 0 {
		r.Detail = "no Claude Code settings run 'ipc hook'; mail is seen only when the agent checks"
		r.Fix = "add the hooks block of the README's Hooks section to " + hookFiles(env)[0]
		return r
	}
	r.OK = true
	r.Detail = "ipc hook runs from " + strings.Join(found, "; ")
	return r
}

// hookGroup is one matcher's hooks in a Claude Code settings file.
type hookGroup struct {
	Hooks []struct {
		Command string `json:"command"`
	} `json:"hooks"`
}

// runsHook reports whether one event's hook groups run ipc hook.
func runsHook(groups []hookGroup) bool {
	for _, g := range groups {
		for _, h := range g.Hooks {
			if f := strings.Fields(h.Command); len(f) >= 2 && strings.TrimSuffix(filepath.Base(f[0]), ".exe") == "ipc" && f[1] == "hook" {
				return true
			}
		}
	}
	return false
}

// minHTTPTimeout is what an HTTP entry's timeout (ms) must exceed: Claude
// Code cuts a request at 60 s, and wait waits 60 s by default.
const minHTTPTimeout = 60_000

// checkHTTP checks the HTTP token file and every HTTP entry's bearer
// header and timeout.
func checkHTTP(env Env, cfgs []config) []Result {
	path := filepath.Join(env.Spool, "state", "http-token")
	token, err := os.ReadFile(path)
	r := Result{Check: "http token"}
	switch fi, serr := os.Stat(path); {
	case errors.Is(serr, fs.ErrNotExist):
		r.OK = true
		r.Detail = "no HTTP server has run on this spool (the first 'ipc mcp --http' makes " + path + ")"
	case err != nil:
		r.Detail = err.Error()
		r.Fix = "remove " + path + "; the next 'ipc mcp --http' makes a new one"
	case fi.Mode().Perm()&0o077 != 0:
		r.Detail = fmt.Sprintf("%s is readable by others (mode %04o)", path, fi.Mode().Perm())
		r.Fix = "chmod 600 " + path + " (or remove it and restart the server: a new token)"
	default:
		r.OK = true
		r.Detail = path + ": mode 0600"
	}
	rs := []Result{r}
	tok := strings.TrimSpace(string(token))
	for _, c := range cfgs {
		for _, name := range sortedKeys(c.servers) {
			s := c.servers[name]
			if _, ok := s.http(); ok {
				rs = append(rs, checkHTTPEntry(c.path, name, s, tok))
			}
		}
	}
	return rs
}

// checkHTTPEntry checks one HTTP entry's bearer header and timeout.
func checkHTTPEntry(path, name string, s server, token string) Result {
	r := Result{Check: "http " + name}
	auth := ""
	for k, v := range s.Headers {
		if strings.EqualFold(k, "Authorization") {
			auth = v
		}
	}
	switch {
	case auth == "":
		r.Detail = fmt.Sprintf("%s: %q sends no Authorization header; the server answers 401 (Claude Code shows an OAuth error)", path, name)
		r.Fix = `add "headers": {"Authorization": "Bearer TOKEN"}, TOKEN being the spool's state/http-token`
	case token != "" && auth != "Bearer "+token:
		r.Detail = fmt.Sprintf("%s: %q sends a bearer token that is not the spool's", path, name)
		r.Fix = "set it to the content of the spool's state/http-token"
	case s.Timeout == nil || *s.Timeout <= minHTTPTimeout:
		r.Detail = fmt.Sprintf("%s: %q has no timeout above 60 s; a 60 s wait fails", path, name)
		r.Fix = `add "timeout": 600000 to the entry`
	default:
		r.OK = true
		r.Detail = fmt.Sprintf("%s: %q sends the token, timeout %.0f ms", path, name, *s.Timeout)
	}
	return r
}

// checkLeader says whether a process leads the spool.
func checkLeader(sp *spool.Spool) Result {
	r := Result{Check: "leader"}
	if sp == nil {
		r.Detail = "no spool to lead (see the spool check)"
		r.Fix = "fix the spool first"
		return r
	}
	h, ok := sp.Leader()
	if !ok {
		r.Detail = "no process leads the spool: outbox/ drop-ins and forwards wait"
		r.Fix = "start one: ipc daemon (or any ipc mcp / ipc watch leads)"
		return r
	}
	r.OK = true
	r.Detail = fmt.Sprintf("pid %d leads since %s", h.PID, h.Since.Format("2006-01-02 15:04"))
	return r
}

// native is the file-watching mechanism of this OS.
func native() string {
	switch runtime.GOOS {
	case "linux":
		return "inotify"
	case "windows":
		return "ReadDirectoryChangesW"
	case "darwin", "freebsd":
		return "kqueue-directory"
	case "openbsd", "netbsd", "dragonfly":
		return "kqueue"
	}
	return "polling"
}

// checkWatcher says how ipc learns of mail here: the OS's events for
// each file, kqueue on each directory, or polling.
func checkWatcher(env Env, haveSpool bool) Result {
	r := Result{Check: "watcher"}
	if env.Watcher == nil || !haveSpool {
		r.OK = true
		r.Detail = native() + " (not tried: no spool yet)"
		return r
	}
	mode, err := env.Watcher()
	switch {
	case err != nil:
		r.Detail = err.Error()
		r.Fix = "see the reason"
	case mode == "poll" && env.Poll:
		r.OK = true
		r.Detail = "polling, as IPC_POLL=1 asks"
	case mode == "poll":
		r.Detail = "polling: " + native() + " is unavailable or its limits are reached; mail is seen up to a poll interval late"
		r.Fix = "raise the limits (Linux: sysctl fs.inotify.max_user_instances=1024 fs.inotify.max_user_watches=524288; macOS, FreeBSD: ulimit -n)"
	case mode == "kqueue-directory":
		r.OK = true
		r.Detail = "kqueue on each directory: one descriptor per mailbox directory, not per message; a change lists the directory"
	default:
		r.OK = true
		r.Detail = mode
	}
	return r
}

// checkQuarantine counts what the spool set aside as not mail.
func checkQuarantine(env Env, sp *spool.Spool) Result {
	r := Result{Check: "quarantine"}
	dir := filepath.Join(env.Spool, "quarantine")
	if sp == nil {
		r.OK = true
		r.Detail = "no spool"
		return r
	}
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		r.Detail = err.Error()
		r.Fix = "see the reason"
		return r
	}
	n := 0
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".why") {
			n++
		}
	}
	if n == 0 {
		r.OK = true
		r.Detail = dir + " is empty"
		return r
	}
	r.Detail = fmt.Sprintf("%d files in %s", n, dir)
	r.Fix = "read why beside each (FILE.why); move back what is mail, remove the rest"
	return r
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
