//go:build unix && !linux && !darwin

package platform

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// parentPS returns the parent pid and command name of process pid, as
// ps(1) reports them.
func parentPS(pid int) (ppid int, comm string, err error) {
	out, err := exec.Command("ps", "-o", "ppid=,comm=", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return 0, "", fmt.Errorf("ps -p %d: %w", pid, err)
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		return 0, "", fmt.Errorf("ps -p %d: no such process", pid)
	}
	ppid, err = strconv.Atoi(f[0])
	return ppid, strings.Join(f[1:], " "), err
}
