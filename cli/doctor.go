package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/doctor"
)

func newDoctorCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check the setup and say what is left to fix",
		Long: `Doctor checks what ipc needs and prints one line per check, with the fix
when it fails:

  spool       the spool exists, is yours and is closed to others (0700)
  path        "ipc" on PATH is this binary ('make install' puts it in
              $(go env GOPATH)/bin, which a default PATH lacks)
  client ...  each MCP client config found (Claude Code ~/.claude.json and
              the project's .mcp.json, Gemini CLI ~/.gemini/settings.json,
              Windsurf ~/.codeium/windsurf/mcp_config.json) starts this
              binary with 'ipc mcp'
  hooks       a Claude Code settings.json runs 'ipc hook'
  http ...    the spool's HTTP token is private; each HTTP entry sends it
              and sets a timeout above 60 s
  leader      a process leads the spool
  watcher     mail is watched with the OS's events (inotify, kqueue), not
              by polling
  quarantine  no file was set aside as not mail

It only looks: it creates no spool and changes nothing. It exits 0 when
every check passes and 3 when something needs fixing.

--json prints [{"check", "ok", "detail", "fix"}].`,
		Example: `  ipc doctor
  ipc doctor --json | jq -r '.[] | select(.ok | not) | .fix'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rs := doctor.Run(a.doctorEnv(cmd.Context()))
			if err := a.printDoctor(rs); err != nil {
				return err
			}
			if doctor.Failed(rs) {
				return silentExit(ExitRefused)
			}
			return nil
		},
	}
}

// printDoctor prints the results: JSON, or one line each.
func (a *App) printDoctor(rs []doctor.Result) error {
	if a.JSON {
		return a.printJSON(rs)
	}
	for _, r := range rs {
		line := fmt.Sprintf("ok   %s: %s", r.Check, r.Detail)
		if !r.OK {
			line = fmt.Sprintf("FIX  %s: %s; fix: %s", r.Check, r.Detail, r.Fix)
		}
		if _, err := fmt.Fprintln(a.Out, printable(line)); err != nil {
			return err
		}
	}
	return nil
}

// doctorEnv gathers what the checks look at from the environment.
func (a *App) doctorEnv(ctx context.Context) doctor.Env {
	root, _ := a.root()
	home := a.Getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	dir, _ := os.Getwd()
	self, _ := os.Executable()
	wo, _ := a.watchOptions()
	return doctor.Env{
		Home:  home,
		Dir:   dir,
		Spool: root,
		Self:  self,
		Path:  a.Getenv("PATH"),
		GoBin: a.goBin(home),
		Poll:  wo.Poll,
		Watcher: func() (string, error) {
			sp, err := a.Spool()
			if err != nil {
				return "", err
			}
			m, err := a.watcherMode(ctx, sp)
			return m.String(), err
		},
	}
}

// goBin is where 'go install' (so 'make install') puts ipc: $GOBIN, else
// the first $GOPATH's bin, else ~/go/bin.
func (a *App) goBin(home string) string {
	if b := a.Getenv("GOBIN"); b != "" {
		return b
	}
	if p := filepath.SplitList(a.Getenv("GOPATH")); len(p) > 0 && p[0] != "" {
		return filepath.Join(p[0], "bin")
	}
	if home == "" {
		return ""
	}
	return filepath.Join(home, "go", "bin")
}
