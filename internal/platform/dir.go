package platform

import (
	"errors"
	"io"
	"os"
)

// eachName calls fn with the names in the open directory f, batch at a
// time, until fn returns false or the names run out.
func eachName(f *os.File, batch int, fn func(name string) bool) error {
	for {
		names, err := f.Readdirnames(batch)
		for _, n := range names {
			if !fn(n) {
				return nil
			}
		}
		// Fewer than asked for: the listing reached its end (one
		// getdents less than asking again for the io.EOF).
		if errors.Is(err, io.EOF) || (err == nil && len(names) < batch) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
