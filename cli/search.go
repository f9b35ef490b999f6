package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/search"
)

type searchOptions struct {
	limit  int
	offset int
}

func newSearchCmd(a *App) *cobra.Command {
	var o searchOptions
	cmd := &cobra.Command{
		Use:   "search QUERY...",
		Short: "Search every mailbox: sender, recipient, dates, words, thread, unread",
		Long: `Search looks through every mailbox, read and unread, and prints the
messages that match, newest first. It marks nothing read.

` + search.Syntax + `

With notmuch installed, the leader (ipc daemon, or the first ipc mcp) keeps
notmuch's index of the spool up to date and searches by words or sender
use it; otherwise, or while the index is behind, the spool is scanned.
Both give the same messages.

--json prints {"hits": [{"mailbox", "unread", "message"}], "more", "engine"},
each message as 'ipc check --json' prints it.`,
		Example: `  ipc search deploy failed
  ipc search from:alice is:unread
  ipc search to:bob after:2h
  ipc search 'date:2026-12-01..2026-12-03 "build failed"'
  ipc search thread:3f9a1c2b7d40 --json`,
		Args: argsRule(1, -1, "search needs a QUERY (see ipc search --help)", ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSearch(cmd.Context(), a, o, strings.Join(args, " "))
		},
	}
	cmd.Flags().IntVarP(&o.limit, "limit", "n", search.DefaultLimit, "at most this many messages")
	cmd.Flags().IntVar(&o.offset, "offset", 0, "skip this many messages first (for paging)")
	return cmd
}

func runSearch(ctx context.Context, a *App, o searchOptions, query string) error {
	if o.limit < 1 || o.offset < 0 {
		return usageErr(fmt.Errorf("--limit must be 1 or more and --offset 0 or more"))
	}
	sp, err := a.existingSpool()
	if err != nil {
		return err
	}
	var now time.Time
	if sp != nil {
		now = sp.Now()
	} else {
		now = time.Now()
	}
	q, err := search.Parse(query, now, time.Local)
	if err != nil {
		return usageErr(err)
	}
	res := search.Result{Hits: []search.Hit{}, Engine: search.EngineScan}
	if sp == nil {
		a.noSpool("")
	} else if res, err = search.New(sp).Search(orBackground(ctx), q, search.Options{Limit: o.limit, Offset: o.offset}); err != nil {
		return err
	}
	if a.JSON {
		return a.printJSON(res)
	}
	if len(res.Hits) == 0 {
		if sp != nil {
			fmt.Fprintln(a.Err, "No messages match.")
		}
		return nil
	}
	if err := printHits(a.Out, res.Hits, now); err != nil {
		return err
	}
	if res.More {
		fmt.Fprintf(a.Err, "More match: ipc search --offset %d %s\n", o.offset+len(res.Hits), query)
	}
	return nil
}

func orBackground(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}

// printHits writes one aligned line per hit: id, when, who to whom,
// unread mark and subject.
func printHits(w io.Writer, hits []search.Hit, now time.Time) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDATE\tFROM\tMAILBOX\t\tSUBJECT")
	for _, h := range hits {
		m := h.Message
		from := m.From
		if from == "" {
			from = "(unknown)"
		}
		mark := ""
		if h.Unread {
			mark = "unread"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", printable(m.ID), relTime(now, m.Date), from, h.Mailbox, mark, printable(m.Subject))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line != "" {
			fmt.Fprintln(w, strings.TrimRight(line, " \n"))
		}
	}
	return nil
}
