package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/spool"
)

func init() { register(newWhoamiCmd) }

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
process holding it) was started by the same program as this command — the
same Claude Code session, for a hook. That last rule compares process
ancestry: the name whose owner shares the nearest common ancestor with the
caller wins (init, pid 1, never counts, nor an ancestor more than three
generations up); a tie, or no such name, means unknown (exit 3).

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
			if !ok {
				return fmt.Errorf("%w: cannot tell who you are: give --as NAME or set IPC_NAME", spool.ErrNotFound)
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
	name, pid, ok := nameByAncestry(sp, os.Getpid(), parentPID)
	return whoamiResult{Name: name, How: "ancestry", PID: pid}, ok
}

// How far up the trees a common ancestor may be: a hook is started by
// Claude Code through a shell or two, an MCP server directly or through a
// launcher (npx, a wrapper script). A farther ancestor (a terminal, tmux,
// sshd) is shared by unrelated sessions.
const (
	maxCallerClimb = 3
	maxOwnerClimb  = 4
)

// nameByAncestry returns the online name whose owner process is the
// closest relative of self: the one whose nearest common ancestor with
// self has the smallest summed depth below it. A tie is no answer.
func nameByAncestry(sp *spool.Spool, self int, parent func(int) (int, error)) (string, int, bool) {
	names, err := sp.Names()
	if err != nil {
		return "", 0, false
	}
	mine := ancestry(self, parent, maxCallerClimb)
	best, bestPID, bestScore, tie := "", 0, -1, false
	for _, n := range names {
		p := sp.Presence(n)
		if !p.Online || p.PID <= 0 {
			continue
		}
		score, ok := kinship(mine, ancestry(p.PID, parent, maxOwnerClimb))
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
// ancestries, ignoring init (pid 1) and the kernel (pid 0).
func kinship(a, b []int) (int, bool) {
	at := make(map[int]int, len(b))
	for j, p := range b {
		at[p] = j
	}
	for i, p := range a {
		if j, ok := at[p]; ok {
			if p <= 1 {
				return 0, false
			}
			return i + j, true
		}
	}
	return 0, false
}

// ancestry returns pid and up to climb of its ancestors, nearest first.
func ancestry(pid int, parent func(int) (int, error), climb int) []int {
	chain := []int{pid}
	for len(chain) <= climb && pid > 1 {
		pp, err := parent(pid)
		if err != nil || pp <= 0 {
			break
		}
		chain = append(chain, pp)
		pid = pp
	}
	return chain
}

// parentPID reads a process's parent from /proc/PID/stat, whose second
// field (the command name, in parentheses) may itself hold spaces and
// parentheses: the fields after the last ')' are fixed.
func parentPID(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("unexpected /proc stat format")
	}
	f := strings.Fields(s[i+1:]) // state, ppid, ...
	if len(f) < 2 {
		return 0, errors.New("unexpected /proc stat format")
	}
	return strconv.Atoi(f[1])
}
