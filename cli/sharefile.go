package cli

import (
	"errors"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/claude-ipc/ipc/rules"
	"github.com/claude-ipc/ipc/share"
	"github.com/claude-ipc/ipc/spool"
)

func newShareFileCmd(a *App) *cobra.Command {
	var description string
	cmd := &cobra.Command{
		Use:   "share-file TO PATH",
		Short: "Send the content of a text file",
		Long: `Share-file sends TO the content of the text file at PATH, with data
{"type": "file", "path" (absolute), "description", "size"}. A file over
10 KiB follows the large-message rule: its full text is saved under large/
and the message carries a summary and that path.

Only regular files of UTF-8 text are shared: a directory, a device, a FIFO
or a binary file is refused (exit 2). To share a binary file, send its path.`,
		Example: `  ipc --as alice share-file bob ./notes/plan.md
  ipc --as alice share-file bob,carol go.mod -d "the new dependencies"`,
		Args: argsRule(2, 2, "share-file needs TO and the PATH of a text file", "share-file takes TO and one PATH"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return completeNames(a, true)(cmd, args, toComplete)
			}
			if len(args) == 1 {
				return nil, cobra.ShellCompDirectiveDefault
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShareFile(a, args[0], args[1], description)
		},
	}
	cmd.Flags().StringVarP(&description, "description", "d", "", "what the file is")
	return cmd
}

func runShareFile(a *App, to, path, description string) error {
	from, names, err := a.fromTo(to)
	if err != nil {
		return err
	}
	abs, content, err := share.ReadShareFile(path)
	var refused *share.RefusedError
	if errors.As(err, &refused) {
		return usageErr(err)
	}
	if err != nil {
		return err
	}
	subject, body, data := share.FileMessage(abs, content, description)
	sp, err := a.Spool()
	if err != nil {
		return err
	}
	rc, err := rules.New(sp).Send(spool.Draft{From: from, To: names, Subject: subject, Body: body, Data: data})
	return reportSent(a, rc, err, receiptPrinter("sent "+filepath.Base(abs)+" to"))
}
