package spool

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claude-ipc/ipc/internal/testkit"
)

// Power loss, simulated (the method of LazyFS and ALICE). A workload of
// sends and checks runs on a real spool through a recording FS that logs
// every create, write, fsync, rename, link, remove, mkdir and directory
// fsync in order, together with the moments the spool acknowledged
// something (Send returned, Check handed over messages). Then, for cut
// points across the whole log, the disk as a power cut there could have
// left it is built in a fresh directory:
//
//   - a file keeps what was written before its last fsync, plus (except
//     in the minimal model) any prefix, often none, of what came after;
//   - a directory operation (rename atomic, as journaling file systems
//     give) survives when a directory fsync that began after it and
//     ended before the cut covered it (fsyncs run concurrently with other
//     deliveries: only one that started later can vouch for an entry); of
//     the others none survives (the "minimal" model, the strictest state),
//     a prefix in order does (the "journal" model, ext4 and XFS) or any
//     subset does (the "posix" model). Only the journal model takes the
//     directories an entry lies in along with it; in the other two a
//     directory exists only if its own entry survived, so a mailbox whose
//     directories nobody fsynced loses its mail;
//
// and every promise is checked on it: each acknowledged message is in each
// of its mailboxes, whole, once; each message a reader was given stays
// read; no file in new/ or cur/ is half-written, unknown or in a mailbox
// it was not sent to; the spool opens and reads it without quarantining
// anything.

// A recorded operation.
type plOp struct {
	kind  string // create write sync rename link remove mkdir syncdir syncdir-done ack-send ack-claim
	path  string // relative to the test's base directory
	path2 string // rename and link: the new path
	ino   int    // create, write, sync, rename, link: the file; syncdir, syncdir-done: the fsync
	data  []byte // write
	ids   []string
	to    []string // ack-send: the mailboxes
	mb    string   // ack-claim: the mailbox
}

// plFS is the recording FS.
type plFS struct {
	base string
	mu   sync.Mutex
	log  []plOp
	ino  map[string]int // live path → file
	next int
}

func newPLFS(base string) *plFS { return &plFS{base: base, ino: map[string]int{}} }

func (r *plFS) rel(p string) string {
	rel, err := filepath.Rel(r.base, p)
	if err != nil {
		panic(err)
	}
	return rel
}

func (r *plFS) add(o plOp) {
	r.mu.Lock()
	r.log = append(r.log, o)
	r.mu.Unlock()
}

type plFile struct {
	File
	r   *plFS
	ino int
}

func (f *plFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	f.r.add(plOp{kind: "write", ino: f.ino, data: append([]byte(nil), p[:n]...)})
	return n, err
}

func (f *plFile) Sync() error {
	err := f.File.Sync()
	if err == nil {
		f.r.add(plOp{kind: "sync", ino: f.ino})
	}
	return err
}

func (r *plFS) Create(name string, perm os.FileMode) (File, error) {
	f, err := OS.Create(name, perm)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.next++
	ino := r.next
	r.ino[r.rel(name)] = ino
	r.log = append(r.log, plOp{kind: "create", path: r.rel(name), ino: ino})
	r.mu.Unlock()
	return &plFile{File: f, r: r, ino: ino}, nil
}

func (r *plFS) rename(kind, oldpath, newpath string, do func(string, string) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := do(oldpath, newpath); err != nil {
		return err
	}
	o, n := r.rel(oldpath), r.rel(newpath)
	op := plOp{kind: kind, path: o, path2: n, ino: r.ino[o]}
	if kind == "rename" {
		delete(r.ino, o)
		for p, ino := range r.ino { // a directory renamed: its files move with it
			if strings.HasPrefix(p, o+"/") {
				delete(r.ino, p)
				r.ino[n+p[len(o):]] = ino
			}
		}
	}
	r.ino[n] = op.ino
	r.log = append(r.log, op)
	return nil
}

func (r *plFS) Rename(o, n string) error { return r.rename("rename", o, n, OS.Rename) }
func (r *plFS) RenameNoReplace(o, n string) error {
	return r.rename("rename", o, n, OS.RenameNoReplace)
}
func (r *plFS) Link(o, n string) error { return r.rename("link", o, n, OS.Link) }

func (r *plFS) Remove(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := OS.Remove(name); err != nil {
		return err
	}
	delete(r.ino, r.rel(name))
	r.log = append(r.log, plOp{kind: "remove", path: r.rel(name)})
	return nil
}

func (r *plFS) Mkdir(name string, perm os.FileMode) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := OS.Mkdir(name, perm); err != nil {
		return err
	}
	r.log = append(r.log, plOp{kind: "mkdir", path: r.rel(name)})
	return nil
}

// OpenFile records a file it creates (a lock file, the rate file) as
// created empty; what is written through the *os.File is not recorded, so
// in every crash state such a file is empty, as after a power cut that
// kept its entry and nothing else.
func (r *plFS) OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, before := os.Lstat(name)
	f, err := OS.OpenFile(name, flag, perm)
	if err != nil || before == nil {
		return f, err
	}
	r.next++
	r.ino[r.rel(name)] = r.next
	r.log = append(r.log, plOp{kind: "create", path: r.rel(name), ino: r.next})
	return f, nil
}

// SyncDir records when the fsync began and, once it returned, that it
// ended: what it covers is what came before its beginning.
func (r *plFS) SyncDir(dir string) error {
	r.mu.Lock()
	r.next++
	n := r.next
	r.log = append(r.log, plOp{kind: "syncdir", path: r.rel(dir), ino: n})
	r.mu.Unlock()
	err := OS.SyncDir(dir)
	if err == nil {
		r.add(plOp{kind: "syncdir-done", path: r.rel(dir), ino: n})
	}
	return err
}

// plModel is the disk as a power cut left it.
type plModel struct {
	dirs  map[string]bool
	files map[string]int // path → file
}

func parentOf(p string) string { return filepath.Dir(p) }

// isMeta reports a directory operation.
func isMeta(kind string) bool {
	switch kind {
	case "create", "rename", "link", "remove", "mkdir":
		return true
	}
	return false
}

// crashState builds the model of the disk after a cut before log[cut].
// The crash models: what survives beyond what fsyncs forced.
const (
	plMinimal = iota // nothing: the strictest state a power cut may leave
	plJournal        // a prefix of the rest, in order (ext4, XFS)
	plPOSIX          // any subset of the rest
)

func crashState(log []plOp, cut int, mode int, rng *rand.Rand) (*plModel, map[int][]byte) {
	ops := log[:cut]
	// Which directory operations a later directory fsync made durable.
	durable := make([]bool, len(ops))
	began := map[int]int{}     // fsync → index where it began
	synced := map[string]int{} // dir → where its latest fsync that ended before the cut began
	for i, o := range ops {
		switch o.kind {
		case "syncdir":
			began[o.ino] = i
		case "syncdir-done":
			j, ok := began[o.ino]
			if k, seen := synced[o.path]; ok && (!seen || j > k) {
				synced[o.path] = j
			}
		}
	}
	last := -1 // the last operation a fsync forced
	for i, o := range ops {
		if !isMeta(o.kind) {
			continue
		}
		// The directories whose fsync makes the operation durable: a
		// link's or create's new entry's; a rename's destination or (a
		// journal commits the whole rename) its source, except in the
		// minimal model, where only the destination counts.
		covers := []string{o.path}
		switch {
		case o.kind == "link":
			covers = []string{o.path2}
		case o.kind == "rename" && mode == plMinimal:
			covers = []string{o.path2}
		case o.kind == "rename":
			covers = []string{o.path, o.path2}
		}
		for _, p := range covers {
			if j, ok := synced[parentOf(p)]; ok && j > i {
				durable[i] = true
			}
		}
		if durable[i] {
			last = i
		}
	}
	switch mode {
	case plPOSIX:
		for i, o := range ops {
			if isMeta(o.kind) && !durable[i] && rng.Intn(2) == 0 {
				durable[i] = true
			}
		}
	case plJournal: // a journal commits in order: everything up to a point
		upto := last + rng.Intn(len(ops)-last)
		for i := 0; i <= upto && i < len(ops); i++ {
			if isMeta(ops[i].kind) {
				durable[i] = true
			}
		}
	}
	// Data: what was fsynced, then any prefix of the rest.
	content := map[int][]byte{}
	pending := map[int][]byte{}
	for _, o := range ops {
		switch o.kind {
		case "write":
			pending[o.ino] = append(pending[o.ino], o.data...)
		case "sync":
			content[o.ino] = append(content[o.ino], pending[o.ino]...)
			delete(pending, o.ino)
		}
	}
	for ino, rest := range pending {
		if mode == plMinimal {
			continue // not a byte that was not fsynced
		}
		if rng.Intn(3) > 0 {
			rest = rest[:rng.Intn(len(rest)+1)]
		}
		content[ino] = append(content[ino], rest...)
	}
	m := &plModel{dirs: map[string]bool{".": true}, files: map[string]int{}}
	for i, o := range ops {
		if !durable[i] {
			continue
		}
		m.apply(o, mode)
	}
	return m, content
}

// apply makes one directory operation on the model. In the journal model
// a directory operation that survived brings the directories it lies in
// along (the journal holds them too); in the others they must have
// survived on their own.
func (m *plModel) apply(o plOp, mode int) {
	mkParents := func(p string) {
		for d := parentOf(p); mode == plJournal && d != "." && !m.dirs[d]; d = parentOf(d) {
			m.dirs[d] = true
		}
	}
	switch o.kind {
	case "mkdir":
		mkParents(o.path)
		m.dirs[o.path] = true
	case "create":
		mkParents(o.path)
		m.files[o.path] = o.ino
	case "link":
		mkParents(o.path2)
		m.files[o.path2] = o.ino
	case "remove":
		delete(m.files, o.path)
		delete(m.dirs, o.path)
	case "rename":
		mkParents(o.path2)
		if m.dirs[o.path] || (o.ino == 0 && strings.HasPrefix(filepath.Base(o.path), ".new-")) {
			delete(m.dirs, o.path)
			m.dirs[o.path2] = true
			for p := range m.dirs {
				if strings.HasPrefix(p, o.path+"/") {
					delete(m.dirs, p)
					m.dirs[o.path2+p[len(o.path):]] = true
				}
			}
			for p, ino := range m.files {
				if strings.HasPrefix(p, o.path+"/") {
					delete(m.files, p)
					m.files[o.path2+p[len(o.path):]] = ino
				}
			}
			return
		}
		delete(m.files, o.path)
		m.files[o.path2] = o.ino
	}
}

// materialize writes the model under dir.
func (m *plModel) materialize(t *testing.T, dir string, content map[int][]byte) {
	dirs := make([]string, 0, len(m.dirs))
	for d := range m.dirs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		if !m.reachable(d) {
			continue // a directory it lies in did not survive
		}
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for p, ino := range m.files {
		if !m.reachable(parentOf(p)) {
			continue // its directory did not survive
		}
		if err := os.WriteFile(filepath.Join(dir, p), content[ino], 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// reachable reports whether the directory d and every one it lies in
// survived.
func (m *plModel) reachable(d string) bool {
	for ; d != "."; d = parentOf(d) {
		if !m.dirs[d] {
			return false
		}
	}
	return true
}

// plSent is what the workload sent, by id.
type plSent struct {
	body string
	to   []string
}

// plWorkload runs sends and checks through fs and returns what was sent.
func plWorkload(t *testing.T, fsys *plFS, root string, seed int64, n int) map[string]plSent {
	cfg := DefaultConfig()
	cfg.RatePerMinute, cfg.LargeThreshold = 0, 2048
	s, err := Open(root, WithConfig(cfg), WithFS(fsys))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(seed))
	names := []string{"bob", "carol", "dave"}
	// erin's mailbox is made by hand (mkdir, no fsync), as a person or
	// another Maildir program makes one: the spool must fsync it before
	// it acknowledges mail there, whichever process delivers first.
	for _, d := range []string{"erin", "erin/tmp", "erin/new", "erin/cur"} {
		if err := fsys.Mkdir(filepath.Join(root, "mail", d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	sent := map[string]plSent{}
	var outbox []string // drop-ins not yet routed
	for i := 0; i < n; i++ {
		if rng.Intn(8) == 0 { // a fresh process: nothing known of what earlier ones fsynced
			if s, err = Open(root, WithConfig(cfg), WithFS(fsys)); err != nil {
				t.Fatal(err)
			}
		}
		if rng.Intn(12) == 0 {
			plConcurrent(t, fsys, s, names[rng.Intn(3)], i, sent)
			continue
		}
		if r := rng.Intn(10); r < 2 {
			outbox = append(outbox, plDropIn(t, fsys, s, rng, i, sent))
			continue
		} else if r < 3 && len(outbox) > 0 {
			name := outbox[0]
			outbox = outbox[1:]
			if _, err := s.RouteOutbox(name); err != nil {
				t.Fatalf("route %s: %v", name, err)
			}
			continue
		}
		if rng.Intn(10) < 7 {
			to := []string{names[rng.Intn(3)]}
			if rng.Intn(6) == 0 {
				to[0] = "erin"
			}
			if rng.Intn(3) == 0 {
				to = append(to, names[rng.Intn(3)])
				if to[1] == to[0] {
					to = to[:1]
				}
			}
			size := 1 + rng.Intn(300)
			if rng.Intn(8) == 0 {
				size = 3000 + rng.Intn(5000)
			}
			body := fmt.Sprintf("message %d of seed %d: ", i, seed) + strings.Repeat(strconv.Itoa(i%10), size)
			d := Draft{From: "alice", To: to, Body: body}
			// The id is known only once Send returns; an unacknowledged
			// message is matched by its body.
			rc, err := s.Send(d)
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			sent[rc.ID] = plSent{body: body, to: to}
			if len(rc.Warnings) == 0 {
				fsys.add(plOp{kind: "ack-send", ids: []string{rc.ID}, to: to})
			}
			continue
		}
		mb, _ := s.Mailbox(names[rng.Intn(3)])
		msgs, err := mb.Check(CheckOptions{Limit: 1 + rng.Intn(3)})
		if err != nil {
			t.Fatalf("check: %v", err)
		}
		var ids []string
		for _, m := range msgs {
			ids = append(ids, m.ID)
		}
		if len(ids) > 0 {
			fsys.add(plOp{kind: "ack-claim", ids: ids, mb: mb.Name})
		}
	}
	return sent
}

// plConcurrent sends from several goroutines at once into one mailbox,
// so that their deliveries share fsyncs of its new/ (group commit); each
// is acknowledged as its Send returns.
func plConcurrent(t *testing.T, fsys *plFS, s *Spool, to string, i int, sent map[string]plSent) {
	const senders, each = 3, 2
	var wg sync.WaitGroup
	var mu sync.Mutex
	for g := 0; g < senders; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < each; k++ {
				body := fmt.Sprintf("concurrent %d.%d.%d", i, g, k)
				rc, err := s.Send(Draft{From: "alice", To: []string{to}, Body: body})
				if err != nil {
					t.Errorf("send: %v", err)
					return
				}
				mu.Lock()
				sent[rc.ID] = plSent{body: body, to: []string{to}}
				mu.Unlock()
				if len(rc.Warnings) == 0 {
					fsys.add(plOp{kind: "ack-send", ids: []string{rc.ID}, to: []string{to}})
				}
			}
		}()
	}
	wg.Wait()
}

// plDropIn delivers a message into outbox/new/ the way a careful script
// does (tmp/, fsync, rename, fsync of new/), through fsys, and returns its
// name; it is acknowledged once that is done.
func plDropIn(t *testing.T, fsys *plFS, s *Spool, rng *rand.Rand, i int, sent map[string]plSent) string {
	names := []string{"bob", "carol", "dave"}
	to := []string{names[rng.Intn(3)]}
	if rng.Intn(2) == 0 {
		if o := names[rng.Intn(3)]; o != to[0] {
			to = append(to, o)
		}
	}
	id := fmt.Sprintf("%012x", rng.Int63n(1<<48))
	size := 1 + rng.Intn(200)
	if rng.Intn(5) == 0 {
		size = 3000 + rng.Intn(3000) // over the large threshold: the leader rewrites it
	}
	body := fmt.Sprintf("drop-in %d: ", i) + strings.Repeat("d", size)
	addrs := make([]string, len(to))
	for j, n := range to {
		addrs[j] = n + "@host"
	}
	text := fmt.Sprintf("From: script@host\nTo: %s\nSubject: drop %d\nMessage-ID: <%s@host>\n\n%s\n", strings.Join(addrs, ", "), i, id, body)
	name := fmt.Sprintf("drop%03d", i)
	tmp := filepath.Join(s.Root, "outbox", "tmp", name)
	f, err := fsys.Create(tmp, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := fsys.Rename(tmp, filepath.Join(s.OutboxDir(), name)); err != nil {
		t.Fatal(err)
	}
	if err := fsys.SyncDir(s.OutboxDir()); err != nil {
		t.Fatal(err)
	}
	sent[id] = plSent{body: body, to: to}
	fsys.add(plOp{kind: "ack-drop", ids: []string{id}, to: to})
	return name
}

// plFigures counts what the power-loss runs saw.
type plFigures struct {
	ops, cases, acked, found, claims, files int
	messages, deliveries                    int // acknowledged in the workloads, each counted once
	drops                                   int // acknowledged drop-ins checked, over all crash states
}

// plCheck checks every promise on the crash state under dir, for a cut
// before log[cut] of a run whose base directory was orig.
func plCheck(t *testing.T, dir, orig string, log []plOp, cut int, sent map[string]plSent, fig *plFigures) {
	t.Helper()
	root := filepath.Join(dir, "spool")
	type place struct{ sub, path string }
	where := map[string]map[string][]place{} // mailbox → id → files
	boxes, _ := os.ReadDir(filepath.Join(root, "mail"))
	for _, b := range boxes {
		if !b.IsDir() || strings.HasPrefix(b.Name(), ".") {
			continue
		}
		where[b.Name()] = map[string][]place{}
		for _, sub := range []string{"new", "cur"} {
			ents, _ := os.ReadDir(filepath.Join(root, "mail", b.Name(), sub))
			for _, e := range ents {
				p := filepath.Join(root, "mail", b.Name(), sub, e.Name())
				raw, _ := os.ReadFile(p)
				fig.files++
				m, err := ParseMessage(bytes.NewReader(raw), e.Name(), time.Time{})
				if err != nil {
					t.Fatalf("cut %d: %s does not parse (%v): %q", cut, p, err, raw)
				}
				want, ok := sent[m.ID]
				if !ok || !plWhole(dir, orig, m, want.body) {
					t.Fatalf("cut %d: %s is half-written or unknown (id %q):\n%q", cut, p, m.ID, raw)
				}
				if !slices.Contains(want.to, b.Name()) {
					t.Fatalf("cut %d: %s is in %s's mailbox, sent to %v", cut, p, b.Name(), want.to)
				}
				where[b.Name()][m.ID] = append(where[b.Name()][m.ID], place{sub, p})
			}
		}
	}
	inOutbox := map[string]bool{} // ids of drop-ins still waiting, whole
	outs, _ := os.ReadDir(filepath.Join(root, "outbox", "new"))
	for _, e := range outs {
		p := filepath.Join(root, "outbox", "new", e.Name())
		raw, _ := os.ReadFile(p)
		m, err := ParseMessage(bytes.NewReader(raw), e.Name(), time.Time{})
		if want, ok := sent[m.ID]; err != nil || !ok || !plWhole(dir, orig, m, want.body) {
			t.Fatalf("cut %d: outbox file %s is half-written or unknown: %q", cut, p, raw)
		}
		inOutbox[m.ID] = true
	}
	for mb, ids := range where {
		for id, ps := range ids {
			if len(ps) > 1 {
				t.Fatalf("cut %d: message %s is in %s %d times: %v", cut, id, mb, len(ps), ps)
			}
		}
	}
	for _, o := range log[:cut] {
		switch o.kind {
		case "ack-send":
			for _, to := range o.to {
				fig.acked++
				if len(where[to][o.ids[0]]) != 1 {
					t.Fatalf("cut %d: acknowledged message %s for %s is lost", cut, o.ids[0], to)
				}
				fig.found++
			}
		case "ack-drop": // in each mailbox once, or still in the outbox to be routed
			fig.drops++
			for _, to := range o.to {
				fig.acked++
				if len(where[to][o.ids[0]]) != 1 && !inOutbox[o.ids[0]] {
					t.Fatalf("cut %d: acknowledged drop-in %s for %s is lost", cut, o.ids[0], to)
				}
				fig.found++
			}
		case "ack-claim":
			for _, id := range o.ids {
				fig.claims++
				ps := where[o.mb][id]
				if len(ps) != 1 || ps[0].sub != "cur" || !strings.HasSuffix(ps[0].path, "S") {
					t.Fatalf("cut %d: message %s that %s was given is unread again after the cut: %v", cut, id, o.mb, ps)
				}
			}
		}
	}
	// The spool itself opens the crash state and reads every mailbox
	// without quarantining anything.
	s, err := Open(root, WithConfig(DefaultConfig()))
	if err != nil {
		t.Fatalf("cut %d: open after the cut: %v", cut, err)
	}
	for name := range where {
		mb, _ := s.Mailbox(name)
		if _, err := mb.Check(CheckOptions{Peek: true, All: true}); err != nil {
			t.Fatalf("cut %d: check %s after the cut: %v", cut, name, err)
		}
	}
}

// plWhole reports whether m, read from the crash state under dir, holds
// exactly body: inline, or in its large/ file (whose hash must match).
func plWhole(dir, orig string, m *Message, body string) bool {
	if m.LargeFile == "" {
		return m.Body == body
	}
	rel, err := filepath.Rel(orig, m.LargeFile)
	if err != nil {
		return false
	}
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		return false
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]) == m.LargeSHA256 && strings.HasSuffix(strings.TrimRight(string(b), "\n"), "\n\n"+body)
}

// plRun runs one workload and checks the disk at cuts cut points (every
// one when cuts is 0, every one just after a directory fsync when cuts is
// negative), each in both models.
func plRun(t *testing.T, seed int64, n, cuts int, fig *plFigures) {
	orig := t.TempDir()
	fsys := newPLFS(orig)
	sent := plWorkload(t, fsys, filepath.Join(orig, "spool"), seed, n)
	log := fsys.log
	fig.ops += len(log)
	for _, o := range log {
		if o.kind == "ack-send" || o.kind == "ack-drop" {
			fig.messages++
			fig.deliveries += len(o.to)
		}
	}
	rng := rand.New(rand.NewSource(seed))
	// Sampled, the cut points are those just after an fsync of a directory
	// (the moments something became durable, where a missing fsync
	// elsewhere shows) or an acknowledgement (where one given too early
	// shows), plus the end: nothing may be missing once all is done.
	// A cut just before an acknowledgement is moved past it: the same disk,
	// one more promise to hold.
	isAck := func(c int) bool { return c < len(log) && strings.HasPrefix(log[c].kind, "ack-") }
	points := make([]int, 0, len(log)+1)
	for c := 0; c <= len(log); c++ {
		if cuts == 0 || c == 0 || c == len(log) || (log[c-1].kind == "syncdir-done" || isAck(c-1)) && !isAck(c) {
			points = append(points, c)
		}
	}
	if cuts > 0 && cuts < len(points) {
		rng.Shuffle(len(points), func(i, j int) { points[i], points[j] = points[j], points[i] })
		points = append(points[:cuts-1], len(log))
	}
	for _, cut := range points {
		for _, mode := range []int{plMinimal, plJournal, plPOSIX} {
			dir := filepath.Join(t.TempDir(), "crash")
			m, content := crashState(log, cut, mode, rng)
			m.materialize(t, dir, content)
			plCheck(t, dir, orig, log, cut, sent, fig)
			fig.cases++
			os.RemoveAll(dir)
		}
	}
}

// TestPowerLoss cuts the power at many points of a workload of sends and
// checks and proves that no acknowledged message is lost, doubled,
// half-written or shown to the wrong mailbox. IPC_SOAK=N runs N times as
// many workloads at every cut point.
func TestPowerLoss(t *testing.T) {
	// One workload at every point just after a directory fsync, one at a
	// sample of them; soaking, 3×IPC_SOAK workloads at every point.
	workloads, cuts := 2, -1
	if n := testkit.Soak(); n > 1 {
		workloads, cuts = 3*n, 0
	}
	var fig plFigures
	for w := 0; w < workloads; w++ {
		c := cuts
		if w > 0 && cuts < 0 {
			c = 40
		}
		if testing.Short() && w > 0 {
			break
		}
		plRun(t, int64(w+1), 60, c, &fig)
	}
	t.Logf("power loss: %d workloads, %d acknowledged messages (%d deliveries), %d recorded operations, %d crash states checked; "+
		"over all crash states %d acknowledged deliveries expected, %d found whole and once; %d acknowledged reads stayed read; %d files read; 0 lost, 0 doubled, 0 half-written, 0 in the wrong mailbox",
		workloads, fig.messages, fig.deliveries, fig.ops, fig.cases, fig.acked, fig.found, fig.claims, fig.files)
	if fig.acked == 0 || fig.claims == 0 || fig.acked != fig.found {
		t.Errorf("the workload acknowledged %d deliveries (found %d) and %d reads: it proves nothing", fig.acked, fig.found, fig.claims)
	}
}
