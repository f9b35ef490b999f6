package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/claude-ipc/ipc/internal/testkit"
)

const module = "github.com/claude-ipc/ipc/"

// allowed lists, for each package of the module, the packages of the
// module it may import (non-test files). A package missing here fails the
// test: a new package must take its place in ARCHITECTURE.md first.
var allowed = map[string][]string{
	"spool":              {"internal/inplace", "internal/platform"},
	"watcher":            {"internal/inplace", "internal/platform"},
	"share":              {"internal/platform"},
	"internal/platform":  {},
	"internal/secret":    {"internal/platform"},
	"internal/inplace":   {"internal/platform"},
	"internal/latency":   {},
	"internal/testkit":   {},
	"internal/archtest":  {},
	"follow":             {"spool", "watcher"},
	"rules":              {"spool"},
	"awareness":          {"spool"},
	"search":             {"internal/platform", "spool"},
	"phrase":             {"awareness", "spool"},
	"doctor":             {"internal/platform", "spool"},
	"leader":             {"awareness", "follow", "search", "spool", "watcher"},
	"bridge":             {"follow", "rules", "spool", "watcher"},
	"webui":              {"follow", "rules", "search", "share", "spool", "watcher"},
	"internal/mcpserver": {},
	"dovecot":            {"internal/platform", "internal/secret", "spool"},
	"mcp":                {"awareness", "follow", "internal/mcpserver", "internal/platform", "internal/secret", "rules", "search", "share", "spool", "watcher"},
	"cli":                {"awareness", "bridge", "doctor", "dovecot", "follow", "internal/platform", "leader", "mcp", "phrase", "rules", "search", "share", "spool", "watcher", "webui"},
	"cmd/ipc":            {"cli"},
	"build":              {}, // make's helper programs (go run build/zip.go), no part of ipc
	// The benchmark driver of make bench and its bare yardstick.
	"internal/bench":               {"internal/bench/bareop", "internal/latency", "internal/platform", "spool"},
	"internal/bench/bareop":        {},
	"internal/bench/cmd/ipc-bench": {"internal/bench"},
	"internal/bench/cmd/ipc-bare":  {"internal/bench/bareop"},
	// Test helpers (imported only by tests).
	"internal/mcptest":   {"spool"},
	"internal/fakemodel": {},
}

// owners says which package alone may import an outside library.
var owners = map[string][]string{
	"github.com/fsnotify/fsnotify": {"watcher"},
	"github.com/spf13/cobra":       {"cli"},
	"github.com/spf13/pflag":       {"cli"},
	"github.com/mark3labs/mcp-go":  {"mcp", "internal/mcpserver", "internal/mcptest", "internal/bench"},
	// mcp-go's server compiles JSON schemas at init, which every ipc
	// process would pay (ipc send, ipc hook): internal/mcpserver serves.
	"github.com/mark3labs/mcp-go/server": {},
	"github.com/gofrs/flock":             {"spool"},
	"github.com/nats-io/nats.go":         {"bridge"},
	"github.com/nats-io/nats-server":     {},
}

// watcherCalls are the only functions of package watcher that code
// outside follow may call: a watcher is started by follow alone, one per
// process. WaitForDir serves ipc wait before any spool exists.
var watcherCalls = map[string]bool{"WaitForDir": true}

// pkgFile is one parsed non-test file of a package.
type pkgFile struct {
	pkg  string // module-relative directory
	path string
	file *ast.File
}

func TestImportGraph(t *testing.T) {
	files := parseModule(t)
	seen := map[string]bool{}
	for _, f := range files {
		seen[f.pkg] = true
		ok, known := allowed[f.pkg]
		if !known {
			t.Errorf("package %s is not in the architecture (ARCHITECTURE.md, and allowed in this test)", f.pkg)
			continue
		}
		for _, imp := range f.file.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			switch {
			case strings.HasPrefix(path, module):
				dep := strings.TrimPrefix(path, module)
				if !contains(ok, dep) {
					t.Errorf("%s imports %s: %s may import only %v (ARCHITECTURE.md)", f.path, dep, f.pkg, ok)
				}
			default:
				for lib, pkgs := range owners {
					if (path == lib || strings.HasPrefix(path, lib+"/")) && !contains(pkgs, f.pkg) {
						t.Errorf("%s imports %s, which only %v may use", f.path, path, pkgs)
					}
				}
			}
		}
	}
	for _, must := range []string{"spool", "watcher", "follow", "rules", "cli", "mcp", "leader", "cmd/ipc"} {
		if !seen[must] {
			t.Errorf("package %s not found: the test is not looking at the module", must)
		}
	}
}

func TestOnlyFollowStartsWatchers(t *testing.T) {
	for _, f := range parseModule(t) {
		if f.pkg == "watcher" || f.pkg == "follow" {
			continue
		}
		name := importName(f.file, module+"watcher")
		if name == "" {
			continue
		}
		ast.Inspect(f.file, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == name && ast.IsExported(sel.Sel.Name) {
				if isFunc(sel.Sel.Name) && !watcherCalls[sel.Sel.Name] {
					t.Errorf("%s uses watcher.%s: watch through a follow.Feed (one watcher per process)", f.path, sel.Sel.Name)
				}
			}
			return true
		})
	}
}

// isFunc reports whether an exported name of package watcher is one of
// its functions (types such as Options and Stats may be named anywhere).
func isFunc(name string) bool {
	switch name {
	case "New", "WaitForDir":
		return true
	}
	return false
}

// parseModule parses every non-test Go file of the module, imports only
// plus declarations for the watcher check.
func parseModule(t *testing.T) []pkgFile {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	var out []pkgFile
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		out = append(out, pkgFile{pkg: filepath.ToSlash(rel), path: path, file: f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// importName returns the name file f knows package path by, "" when it
// does not import it.
func importName(f *ast.File, path string) string {
	for _, imp := range f.Imports {
		if strings.Trim(imp.Path.Value, `"`) != path {
			continue
		}
		if imp.Name != nil {
			return imp.Name.Name
		}
		return path[strings.LastIndex(path, "/")+1:]
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// slowInit are packages whose init costs milliseconds, which every ipc
// process would pay, those run per message and per prompt included
// (GODEBUG=inittrace=1): the command must not link them.
var slowInit = []string{
	"github.com/mark3labs/mcp-go/server",       // registers and compiles JSON schemas
	"github.com/santhosh-tekuri/jsonschema/v6", // compiles its meta-schemas
}

func TestCommandLinksNoSlowInit(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "./cmd/ipc")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		testkit.SkipEnv(t, "go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, slow := range slowInit {
		if contains(deps, slow) {
			t.Errorf("cmd/ipc links %s, whose init every ipc process would pay", slow)
		}
	}
}
