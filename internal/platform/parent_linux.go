package platform

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Parent returns the parent pid and command name of process pid, from
// /proc/PID/stat. Its second field (the name, in parentheses) may itself
// hold spaces and parentheses: the fields after the last ')' are fixed.
func Parent(pid int) (ppid int, comm string, err error) {
	path := "/proc/" + strconv.Itoa(pid) + "/stat"
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, "", err
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return 0, "", fmt.Errorf("%s: unexpected format", path)
	}
	f := strings.Fields(s[end+1:]) // state, ppid, ...
	if len(f) < 2 {
		return 0, "", fmt.Errorf("%s: unexpected format", path)
	}
	ppid, err = strconv.Atoi(f[1])
	return ppid, s[open+1 : end], err
}
