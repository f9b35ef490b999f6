// Command ipc is mail between AI agents and scripts on one machine.
package main

import (
	"os"

	"github.com/claude-ipc/ipc/cli"
)

func main() { os.Exit(cli.Execute()) }
