package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/internal/platform"
	"github.com/claude-ipc/ipc/spool"
)

// whoamiResult is the --json output of ipc whoami.
type whoamiResult struct {
	Name string `json:"name"`
	How  string `json:"how"` // "flag", "env" or "ancestry"
	PID  int    `json:"pid,omitempty"`
}

func newWhoamiCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Say which name ipc takes you for, and why",
		Long: `Whoami prints the name the other commands act as: --as NAME, else
$IPC_NAME, else the online name whose owner (the 'ipc mcp' or 'ipc watch'
process holding it) was started by the same agent session as this
command. That last rule compares process ancestry: the caller and the owner
must have an agent's process (Claude Code's 'claude' or 'claude.exe',
Gemini CLI's 'gemini', Windsurf's 'windsurf'; set IPC_AGENT_PROCESS to a
comma-separated list of other command names) as their nearest common
ancestor, at most three generations above the caller. A shared terminal,
tmux or shell never counts. A tie, or no such name, means unknown (exit 2, as for every command).

--json prints {"name", "how": "flag" | "env" | "ancestry", "pid"}.`,
		Example: `  ipc whoami
  ipc whoami --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sp, err := a.existingSpool()
			if err != nil {
				return err
			}
			r, ok := a.whoami(sp)
			if err := r.problem(ok); err != nil {
				return err
			}
			if a.JSON {
				return a.printJSON(r)
			}
			fmt.Fprintf(a.Out, "%s (%s)\n", r.Name, map[string]string{
				"flag": "from --as", "env": "from IPC_NAME", "ancestry": fmt.Sprintf("held by pid %d, a relative of this process", r.PID),
			}[r.How])
			return nil
		},
	}
}

// whoami finds the caller's name: --as, else $IPC_NAME, else by ancestry
// in sp (skipped when sp is nil: no spool, no names held). ok is false when
// none of them gives one valid name.
func (a *App) whoami(sp *spool.Spool) (whoamiResult, bool) {
	if a.As != "" {
		return whoamiResult{Name: a.As, How: "flag"}, spool.ValidName(a.As) == nil
	}
	if n := a.Getenv("IPC_NAME"); n != "" {
		return whoamiResult{Name: n, How: "env"}, spool.ValidName(n) == nil
	}
	if sp == nil {
		return whoamiResult{How: "ancestry"}, false
	}
	name, pid, ok := nameByAncestry(sp, os.Getpid(), readProc, a.agentSet())
	return whoamiResult{Name: name, How: "ancestry", PID: pid}, ok
}

// problem says what is wrong when whoami found no valid name (ok false):
// none at all, or one that is not a name. Either is a usage mistake.
func (r whoamiResult) problem(ok bool) error {
	switch {
	case ok:
		return nil
	case r.Name == "":
		return errWhoAreYou
	}
	return usageErr(spool.ValidName(r.Name))
}

// How far up the trees a common ancestor may be: a hook is started by
// Claude Code through a shell or two, an MCP server directly or through a
// launcher (npx, a wrapper script).
const (
	maxCallerClimb = 3
	maxOwnerClimb  = 4
)

// defaultAgents names the programs whose children form one session: the
// common ancestor of a caller and an owner must be one of them. A terminal,
// tmux or sshd is shared by unrelated sessions and never counts.
// IPC_AGENT_PROCESS (comma-separated command names) replaces the list.
// Names compare without case and without ".exe": npm installs Claude
// Code's native binary as bin/claude.exe on every system.
const defaultAgents = "claude,gemini,windsurf"

// proc is one process in an ancestry: its pid and command name.
type proc struct {
	pid  int
	comm string
}

// procReader reads a process's parent and command name.
type procReader func(pid int) (ppid int, comm string, err error)

// agentSet returns the command names that make a session.
func (a *App) agentSet() map[string]bool {
	list := a.Getenv("IPC_AGENT_PROCESS")
	if list == "" {
		list = defaultAgents
	}
	set := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		if n = agentName(n); n != "" {
			set[n] = true
		}
	}
	return set
}

// nameByAncestry returns the online name whose owner process shares a
// session with self: their nearest common ancestor is an agent program
// (Claude Code), and of several such names the one nearest to self wins.
// A tie is no answer.
func nameByAncestry(sp *spool.Spool, self int, read procReader, agents map[string]bool) (string, int, bool) {
	names, err := sp.Names()
	if err != nil {
		return "", 0, false
	}
	mine := ancestry(self, read, maxCallerClimb)
	best, bestPID, bestScore, tie := "", 0, -1, false
	for _, n := range names {
		p := sp.Presence(n)
		if !p.Online || p.PID <= 0 {
			continue
		}
		score, ok := kinship(mine, ancestry(p.PID, read, maxOwnerClimb), agents)
		switch {
		case !ok:
		case bestScore < 0 || score < bestScore:
			best, bestPID, bestScore, tie = n, p.PID, score, false
		case score == bestScore:
			tie = true
		}
	}
	if bestScore < 0 || tie {
		return "", 0, false
	}
	return best, bestPID, true
}

// kinship returns the summed depth of the nearest common ancestor of two
// ancestries, when that ancestor is an agent program.
func kinship(a, b []proc, agents map[string]bool) (int, bool) {
	at := make(map[int]int, len(b))
	for j, p := range b {
		at[p.pid] = j
	}
	for i, p := range a {
		if j, ok := at[p.pid]; ok {
			if p.pid <= 1 || !agents[agentName(p.comm)] {
				return 0, false
			}
			return i + j, true
		}
	}
	return 0, false
}

// ancestry returns pid and up to climb of its ancestors, nearest first.
func ancestry(pid int, read procReader, climb int) []proc {
	_, comm, _ := read(pid)
	chain := []proc{{pid, comm}}
	for len(chain) <= climb && pid > 1 {
		pp, _, err := read(pid)
		if err != nil || pp <= 0 {
			break
		}
		_, comm, _ := read(pp)
		chain = append(chain, proc{pp, comm})
		pid = pp
	}
	return chain
}

// agentName is a command name as agent lists compare it: "Claude.exe" is
// "claude".
func agentName(comm string) string {
	comm = strings.ToLower(strings.TrimSpace(comm))
	return strings.TrimSuffix(comm, ".exe")
}

// readProc reads a process's parent and command name.
func readProc(pid int) (int, string, error) { return platform.Parent(pid) }
