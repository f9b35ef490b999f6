package cli

import (
	"sync"

	"golang.org/x/sys/windows"
)

var consoleOnce sync.Once

// interrupt does to this process what Ctrl-C does: a CTRL_C_EVENT to the
// processes of its console. The test binary is given a console of its
// own first (Wine's programs start with none that takes events), so the
// event reaches nobody else.
func interrupt() error {
	var err error
	consoleOnce.Do(func() {
		k := windows.NewLazySystemDLL("kernel32.dll")
		k.NewProc("FreeConsole").Call()
		if ok, _, e := k.NewProc("AllocConsole").Call(); ok == 0 {
			err = e
		}
	})
	if err != nil {
		return err
	}
	return windows.GenerateConsoleCtrlEvent(windows.CTRL_C_EVENT, 0)
}
