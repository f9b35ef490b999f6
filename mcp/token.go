package mcp

import (
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/claude-ipc/ipc/internal/secret"
)

// TokenFile is where the bearer token of "ipc mcp --http" is kept, relative
// to the spool root.
const TokenFile = "state/http-token"

// HTTPToken returns the bearer token HTTP clients of the spool at root must
// present, and the file that holds it. The first call makes it: 32 random
// bytes in hex, in a file only the user can read (0600), written in full
// under another name and then linked into place, so a reader never sees
// half a token and two servers starting at once agree on one. A token file
// that is not a regular file of the user's, closed to group and others,
// with a token in it, is refused: never followed or trusted.
func HTTPToken(root string) (token, path string, err error) {
	path = filepath.Join(root, filepath.FromSlash(TokenFile))
	token, err = secret.Get(path, tokenKind)
	if err != nil {
		return "", path, fmt.Errorf("mcp: HTTP token: %w", err)
	}
	return token, path, nil
}

// tokenKind is the bearer token: 32 random bytes in hex.
var tokenKind = secret.Kind{
	Noun:   "token",
	Bytes:  32,
	Encode: hex.EncodeToString,
	Valid: func(s string) bool {
		_, err := hex.DecodeString(s)
		return err == nil && len(s) >= 32
	},
}
