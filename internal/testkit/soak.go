package testkit

import (
	"os"
	"strconv"
)

// Soak returns how many times longer the kill -9, load and power-loss
// loops run: IPC_SOAK (make soak sets it), 1 when unset. make test runs
// them at 1, short enough for CI.
func Soak() int {
	if n, err := strconv.Atoi(os.Getenv("IPC_SOAK")); err == nil && n > 1 {
		return n
	}
	return 1
}
