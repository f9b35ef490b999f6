package doctor

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/claude-ipc/ipc/spool"
)

// setup makes a home, a project directory, a bin directory holding this
// "binary" (an executable file named ipc) and a healthy spool, and sets
// HOME to the home for the test.
func setup(t *testing.T) Env {
	t.Helper()
	base := t.TempDir()
	env := Env{
		Home:  filepath.Join(base, "home"),
		Dir:   filepath.Join(base, "project"),
		Spool: filepath.Join(base, "home", ".claude-ipc-data"),
		GoBin: filepath.Join(base, "home", "go", "bin"),
	}
	bin := filepath.Join(base, "bin")
	for _, d := range []string{env.Home, env.Dir, bin} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	env.Self = filepath.Join(bin, "ipc")
	if runtime.GOOS == "windows" {
		env.Self += ".exe"
	}
	write(t, env.Self, "#!/bin/sh\n", 0o755)
	env.Path = bin
	if _, err := spool.Open(env.Spool); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", env.Home)
	return env
}

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

const hooksBlock = `{"hooks": {"UserPromptSubmit": [{"hooks": [{"type": "command", "command": "ipc hook UserPromptSubmit", "timeout": 5}]}]}}`

// healthy makes every check pass.
func healthy(t *testing.T, env *Env) {
	write(t, filepath.Join(env.Home, ".claude.json"), `{"mcpServers": {"ipc": {"type": "stdio", "command": "ipc", "args": ["mcp"]}}}`, 0o600)
	write(t, filepath.Join(env.Home, ".claude", "settings.json"), hooksBlock, 0o600)
	env.Watcher = func() (string, error) { return native(), nil }
}

// find returns the result of the check named check.
func find(t *testing.T, rs []Result, check string) Result {
	t.Helper()
	for _, r := range rs {
		if r.Check == check {
			return r
		}
	}
	t.Fatalf("no %q check in %+v", check, rs)
	return Result{}
}

func TestChecks(t *testing.T) {
	tests := []struct {
		name    string
		check   string
		breakIt func(t *testing.T, env *Env) // nil: the healthy setup
		ok      bool
		detail  string // a part of the detail
		fix     string // a part of the fix
	}{
		{"spool ok", "spool", nil, true, "mode 0700, yours", ""},
		{"filesystem ok", "filesystem", nil, true, "hard links, no-replace renames and directory fsync", ""},
		{"spool missing", "spool", func(t *testing.T, env *Env) { env.Spool = filepath.Join(env.Home, "none") }, false, "no spool at", "register"},
		{"spool open to others", "spool", func(t *testing.T, env *Env) {
			if runtime.GOOS == "windows" {
				t.Skip("no Unix modes on Windows")
			}
			if err := os.Chmod(env.Spool, 0o755); err != nil {
				t.Fatal(err)
			}
		}, false, "mode 0755", "chmod 700 "},
		{"spool a file", "spool", func(t *testing.T, env *Env) {
			env.Spool = filepath.Join(env.Home, "afile")
			write(t, env.Spool, "x", 0o600)
		}, false, "not a directory", "IPC_HOME"},
		{"path ok", "path", nil, true, "(this binary)", ""},
		{"path missing", "path", func(t *testing.T, env *Env) { env.Path = env.Dir }, false, "not on PATH", "go/bin"},
		{"path another ipc", "path", func(t *testing.T, env *Env) {
			other := filepath.Join(env.Dir, "otherbin")
			write(t, filepath.Join(other, filepath.Base(env.Self)), "#!/bin/sh\n", 0o755)
			env.Path = other + string(os.PathListSeparator) + env.Path
		}, false, "not this binary", "make install"},
		{"claude ok", "client Claude Code (user)", nil, true, "starts this binary", ""},
		{"claude no ipc", "client Claude Code (user)", func(t *testing.T, env *Env) {
			write(t, filepath.Join(env.Home, ".claude.json"), `{"mcpServers": {}}`, 0o600)
		}, false, "has no ipc server", "claude mcp add --scope user ipc -- ipc mcp"},
		{"claude bad json", "client Claude Code (user)", func(t *testing.T, env *Env) {
			write(t, filepath.Join(env.Home, ".claude.json"), `{`, 0o600)
		}, false, ".claude.json", "valid JSON"},
		{"claude another binary", "client Claude Code (user)", func(t *testing.T, env *Env) {
			write(t, filepath.Join(env.Home, "old", "ipc"), "#!/bin/sh\n", 0o755)
			write(t, filepath.Join(env.Home, ".claude.json"), `{"mcpServers": {"ipc": {"command": "`+filepath.ToSlash(filepath.Join(env.Home, "old", "ipc"))+`", "args": ["mcp"]}}}`, 0o600)
		}, false, "not this binary", "point its command at"},
		{"claude not mcp", "client Claude Code (user)", func(t *testing.T, env *Env) {
			write(t, filepath.Join(env.Home, ".claude.json"), `{"mcpServers": {"ipc": {"command": "ipc", "args": ["daemon"]}}}`, 0o600)
		}, false, "not ipc mcp", "claude mcp add"},
		{"claude project entry", "client Claude Code (user)", func(t *testing.T, env *Env) {
			write(t, filepath.Join(env.Home, ".claude.json"), `{"projects": {"`+filepath.ToSlash(env.Dir)+`": {"mcpServers": {"ipc": {"command": "ipc", "args": ["mcp"]}}}}}`, 0o600)
		}, true, "project ", ""},
		{"project .mcp.json", "client Claude Code (project)", func(t *testing.T, env *Env) {
			write(t, filepath.Join(env.Dir, ".mcp.json"), `{"mcpServers": {"ipc": {"command": "ipc", "args": ["mcp"], "env": {"IPC_NAME": "alice"}}}}`, 0o600)
		}, true, "starts this binary", ""},
		{"gemini off PATH", "client Gemini CLI", func(t *testing.T, env *Env) {
			write(t, filepath.Join(env.Home, ".gemini", "settings.json"), `{"mcpServers": {"ipc": {"command": "ipc", "args": ["mcp"]}}}`, 0o600)
			env.Path = env.Dir
		}, false, "not on PATH", "put ipc on PATH"},
		{"windsurf ok", "client Windsurf", func(t *testing.T, env *Env) {
			write(t, filepath.Join(env.Home, ".codeium", "windsurf", "mcp_config.json"), `{"mcpServers": {"ipc": {"command": "ipc", "args": ["mcp"]}}}`, 0o600)
		}, true, "starts this binary", ""},
		{"no client", "clients", func(t *testing.T, env *Env) {
			if err := os.Remove(filepath.Join(env.Home, ".claude.json")); err != nil {
				t.Fatal(err)
			}
		}, false, "no MCP client config", "claude mcp add"},
		{"hooks ok", "hooks", nil, true, "UserPromptSubmit", ""},
		{"hooks in project", "hooks", func(t *testing.T, env *Env) {
			if err := os.Remove(filepath.Join(env.Home, ".claude", "settings.json")); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(env.Dir, ".claude", "settings.local.json"), hooksBlock, 0o600)
		}, true, "settings.local.json (UserPromptSubmit)", ""},
		{"hooks none", "hooks", func(t *testing.T, env *Env) {
			write(t, filepath.Join(env.Home, ".claude", "settings.json"), `{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "echo ipc hook"}]}]}}`, 0o600)
		}, false, "no Claude Code settings run 'ipc hook'", "Hooks section"},
		{"token none", "http token", nil, true, "no HTTP server has run", ""},
		{"token private", "http token", func(t *testing.T, env *Env) {
			write(t, filepath.Join(env.Spool, "state", "http-token"), "secret\n", 0o600)
		}, true, "mode 0600", ""},
		{"token open", "http token", func(t *testing.T, env *Env) {
			if runtime.GOOS == "windows" {
				t.Skip("no Unix modes on Windows")
			}
			write(t, filepath.Join(env.Spool, "state", "http-token"), "secret\n", 0o644)
		}, false, "readable by others", "chmod 600"},
		{"http entry ok", "http ipc", func(t *testing.T, env *Env) {
			write(t, filepath.Join(env.Spool, "state", "http-token"), "secret\n", 0o600)
			write(t, filepath.Join(env.Home, ".claude.json"), `{"mcpServers": {"ipc": {"type": "http", "url": "http://127.0.0.1:7777/mcp", "headers": {"Authorization": "Bearer secret"}, "timeout": 600000}}}`, 0o600)
		}, true, "timeout 600000 ms", ""},
		{"http entry no header", "http ipc", func(t *testing.T, env *Env) {
			write(t, filepath.Join(env.Home, ".claude.json"), `{"mcpServers": {"ipc": {"type": "http", "url": "http://127.0.0.1:7777/mcp", "timeout": 600000}}}`, 0o600)
		}, false, "no Authorization header", "Bearer TOKEN"},
		{"http entry stale token", "http ipc", func(t *testing.T, env *Env) {
			write(t, filepath.Join(env.Spool, "state", "http-token"), "secret\n", 0o600)
			write(t, filepath.Join(env.Home, ".claude.json"), `{"mcpServers": {"ipc": {"type": "http", "url": "http://127.0.0.1:7777/mcp", "headers": {"Authorization": "Bearer old"}, "timeout": 600000}}}`, 0o600)
		}, false, "not the spool's", "state/http-token"},
		{"http entry no timeout", "http ipc", func(t *testing.T, env *Env) {
			write(t, filepath.Join(env.Home, ".gemini", "settings.json"), `{"mcpServers": {"ipc": {"httpUrl": "http://127.0.0.1:7777/mcp", "headers": {"Authorization": "Bearer x"}}}}`, 0o600)
		}, false, "no timeout above 60 s", `"timeout": 600000`},
		{"no leader", "leader", nil, false, "no process leads", "ipc daemon"},
		{"leader", "leader", func(t *testing.T, env *Env) {
			sp, err := spool.Open(env.Spool)
			if err != nil {
				t.Fatal(err)
			}
			l, ok, err := sp.TryLead()
			if err != nil || !ok {
				t.Fatalf("TryLead: %v %v", ok, err)
			}
			t.Cleanup(func() { l.Release() })
		}, true, "pid ", ""},
		{"leader without spool", "leader", func(t *testing.T, env *Env) { env.Spool = filepath.Join(env.Home, "none") }, false, "no spool", "spool first"},
		{"watcher native", "watcher", nil, true, native(), ""},
		{"watcher polling", "watcher", func(t *testing.T, env *Env) {
			env.Watcher = func() (string, error) { return "poll", nil }
		}, false, "polling", "limits"},
		{"watcher polling asked", "watcher", func(t *testing.T, env *Env) {
			env.Poll = true
			env.Watcher = func() (string, error) { return "poll", nil }
		}, true, "IPC_POLL=1", ""},
		{"watcher on directories", "watcher", func(t *testing.T, env *Env) {
			env.Watcher = func() (string, error) { return "kqueue-directory", nil }
		}, true, "one descriptor per mailbox directory", ""},
		{"watcher error", "watcher", func(t *testing.T, env *Env) {
			env.Watcher = func() (string, error) { return "", errors.New("no watcher") }
		}, false, "no watcher", "reason"},
		{"quarantine empty", "quarantine", nil, true, "is empty", ""},
		{"quarantine files", "quarantine", func(t *testing.T, env *Env) {
			q := filepath.Join(env.Spool, "quarantine")
			write(t, filepath.Join(q, "1.abc.msg"), "x", 0o600)
			write(t, filepath.Join(q, "1.abc.msg.why"), "not mail", 0o600)
		}, false, "1 files in", ".why"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setup(t)
			healthy(t, &env)
			if tt.breakIt != nil {
				tt.breakIt(t, &env)
			}
			rs := Run(env)
			r := find(t, rs, tt.check)
			if r.OK != tt.ok || !strings.Contains(r.Detail, tt.detail) || !strings.Contains(r.Fix, tt.fix) {
				t.Fatalf("%s = %+v, want ok=%v, detail with %q, fix with %q", tt.check, r, tt.ok, tt.detail, tt.fix)
			}
			if !r.OK && r.Fix == "" {
				t.Fatalf("%s failed with no fix: %+v", tt.check, r)
			}
		})
	}
}

// TestHealthy holds that a complete setup with a leader passes every
// check, and that doctor creates no spool where there is none.
func TestHealthy(t *testing.T) {
	env := setup(t)
	healthy(t, &env)
	sp, err := spool.Open(env.Spool)
	if err != nil {
		t.Fatal(err)
	}
	l, ok, err := sp.TryLead()
	if err != nil || !ok {
		t.Fatalf("TryLead: %v %v", ok, err)
	}
	defer l.Release()
	rs := Run(env)
	if Failed(rs) {
		t.Fatalf("healthy setup fails: %+v", rs)
	}

	env.Spool = filepath.Join(env.Home, "none")
	if rs := Run(env); !Failed(rs) {
		t.Fatalf("no spool passes: %+v", rs)
	}
	if _, err := os.Lstat(env.Spool); !os.IsNotExist(err) {
		t.Fatalf("doctor created %s: %v", env.Spool, err)
	}
}
