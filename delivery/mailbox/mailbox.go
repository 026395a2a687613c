package mailbox

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
)

// State is a mailbox state directory.
type State string

// The state directories (docs/protocol.md, "Layout").
const (
	Outbound   State = "outbound"
	Archive    State = "archive"
	DeadLetter State = ".deadletter"
	Inbound    State = "inbound"
)

// States lists every state directory that holds message files.
var States = []State{Outbound, Archive, DeadLetter, Inbound}

// ErrNotFound is returned when no message has the requested id.
var ErrNotFound = errors.New("no such message")

// ValidProvider reports whether name is usable as a provider directory (no path characters):
// a lower-case letter, then up to 31 of a-z, 0-9, '_' and '-'. Plain byte checks rather than a
// package-level regexp: a bounded repeat such as {0,127} costs about a millisecond to compile, and
// package init runs on every start of the binary (git hooks start it on every commit).
func ValidProvider(name string) bool {
	if len(name) == 0 || len(name) > 32 || !idLower(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !idLower(c) && !idDigit(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// ErrAmbiguousID is returned by [Mailbox.Find] when a short id matches several messages.
var ErrAmbiguousID = errors.New("matches several messages")

// ValidID reports whether id is usable in a file name: a letter or digit, then up to 127 of
// A-Z, a-z, 0-9, '_', '.' and '-', and no "..".
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > 128 || !idAlnum(id[0]) {
		return false
	}
	for i := 1; i < len(id); i++ {
		if c := id[i]; !idAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return !strings.Contains(id, "..")
}

func idLower(c byte) bool { return 'a' <= c && c <= 'z' }
func idDigit(c byte) bool { return '0' <= c && c <= '9' }
func idAlnum(c byte) bool { return idLower(c) || idDigit(c) || 'A' <= c && c <= 'Z' }

// OpenOptions say how to open a mailbox.
type OpenOptions struct {
	// PrivateDir holds courier's private state (seal key, id key, ledger): `<git common dir>/courier`
	// for a mailbox that belongs to a repository, where no checkout can write it; "" means
	// `<mailbox>/.state`, for a mailbox outside any repository (docs/protocol.md, "Layout").
	PrivateDir string
}

// Mailbox is one mailbox directory tree. It is safe for concurrent use.
type Mailbox struct {
	Root string

	privateDir string // "" means Root/.state
	privOnce   sync.Once
	privErr    error

	idMu  sync.Mutex
	idKey []byte

	keyMu   sync.Mutex
	sealer  *Sealer
	keyInfo os.FileInfo // of the key file sealer was loaded from

	archMu   sync.Mutex
	archived map[string]*archiveDir // provider → its archive/ listing
}

// Open returns the mailbox at root with its private state in root/.state, creating its layout
// (directories 0700) if needed.
func Open(root string) (*Mailbox, error) { return OpenWith(root, OpenOptions{}) }

// OpenWith is Open with options. The private state is created (and migrated, see [OpenOptions]) on first
// use, not here.
func OpenWith(root string, o OpenOptions) (*Mailbox, error) {
	mb, err := New(root, o)
	if err != nil {
		return nil, err
	}
	dirs := []string{"", string(Outbound), string(Archive), string(DeadLetter), string(Inbound),
		".state", ".tmp", ".state/claims"}
	if mb.privateDir == "" {
		dirs = append(dirs, ".state/ledger")
	}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(mb.Root, d), 0o700); err != nil {
			return nil, fmt.Errorf("mailbox layout: %w", err)
		}
	}
	return mb, nil
}

// New returns the mailbox at root without creating anything: for commands that only read it (a
// missing mailbox reads as an empty one). Its private state is still created on first use.
func New(root string, o OpenOptions) (*Mailbox, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("mailbox %s: %w", root, err)
	}
	mb := &Mailbox{Root: abs}
	if o.PrivateDir != "" {
		if mb.privateDir, err = filepath.Abs(o.PrivateDir); err != nil {
			return nil, fmt.Errorf("mailbox %s: %w", root, err)
		}
	}
	return mb, nil
}

// Dir is the directory of provider in state (not created).
func (mb *Mailbox) Dir(s State, provider string) string {
	return filepath.Join(mb.Root, string(s), provider)
}

// StateDir is the directory for courier's own files.
func (mb *Mailbox) StateDir() string { return filepath.Join(mb.Root, ".state") }

// TmpDir is where atomic writes stage their temp files.
func (mb *Mailbox) TmpDir() string { return filepath.Join(mb.Root, ".tmp") }

// EnsureDir creates the provider directory of a state (0700) and returns it.
func (mb *Mailbox) EnsureDir(s State, provider string) (string, error) {
	if !ValidProvider(provider) {
		return "", fmt.Errorf("invalid provider name %q", provider)
	}
	d := mb.Dir(s, provider)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return "", err
	}
	return d, nil
}

// SealKeyPath is the file of the mailbox's seal key.
func (mb *Mailbox) SealKeyPath() string { return filepath.Join(mb.PrivateDir(), "seal.key") }

// Sealer returns the mailbox's sealer, creating the key on first use. It follows a changed key: each
// call stats the key file and reloads it when the file is another one (recreated by `courier init`
// after the mailbox was removed, say) or was rewritten, so a long-running watcher always verifies with
// the current key. A stat is all an unchanged key costs.
func (mb *Mailbox) Sealer() (*Sealer, error) {
	if _, err := mb.private(); err != nil {
		return nil, err
	}
	mb.keyMu.Lock()
	defer mb.keyMu.Unlock()
	path := mb.SealKeyPath()
	fi, err := os.Stat(path)
	if err == nil && mb.sealer != nil && sameFile(fi, mb.keyInfo) {
		return mb.sealer, nil
	}
	s, err := LoadSealer(path)
	if err != nil {
		return nil, err
	}
	if fi, err = os.Stat(path); err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	mb.sealer, mb.keyInfo = s, fi
	return s, nil
}

// sameFile reports whether a and b describe the same unchanged file: same inode, size and mtime.
func sameFile(a, b os.FileInfo) bool {
	return b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// FileName is the file name of m: {YYYYMMDDTHHMMSS}_{id}.md from created_at (UTC).
func FileName(m *Message) string {
	return m.CreatedAt.UTC().Format("20060102T150405") + "_" + m.ID + ".md"
}

// IDFromName extracts the message id from a message file name.
func IDFromName(name string) string {
	stem := strings.TrimSuffix(name, ".md")
	if _, id, ok := strings.Cut(stem, "_"); ok {
		return id
	}
	return stem
}

// IsMessageName reports whether name is a message file name (`*.md`, not a dot-file).
func IsMessageName(name string) bool {
	return strings.HasSuffix(name, ".md") && !strings.HasPrefix(name, ".")
}

// NewID returns a fresh message id out_{provider}_{12 hex}.
func NewID(provider string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "out_" + provider + "_" + hex.EncodeToString(b)
}

// Enqueue seals m and writes it atomically into outbound/{provider}/. It returns the file's path.
func (mb *Mailbox) Enqueue(m *Message) (string, error) {
	paths, err := mb.EnqueueBatch([]*Message{m})
	if err != nil {
		return "", err
	}
	return paths[0], nil
}

// EnqueueBatch is Enqueue for several messages with the same guarantees (sealed, a reader never sees
// a partial file, durable once it returns) at a fraction of the fsyncs: every message is sealed,
// written to a temp file in the mailbox and fsynced concurrently; then the files are renamed into
// outbound/{provider}/ one by one in the order given (a watcher sees them in created_at order); then
// each directory is fsynced once. It returns the paths in the order of ms. On error, the messages
// already renamed stay enqueued (their paths are returned) and the others' temp files are removed.
func (mb *Mailbox) EnqueueBatch(ms []*Message) ([]string, error) {
	sealer, err := mb.Sealer()
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	dirs := map[string]string{}
	final := make([]string, len(ms))
	for i, m := range ms {
		if !ValidID(m.ID) {
			return nil, fmt.Errorf("enqueue: invalid message id %q", m.ID)
		}
		dir, ok := dirs[m.Provider]
		if !ok {
			if dir, err = mb.EnsureDir(Outbound, m.Provider); err != nil {
				return nil, fmt.Errorf("enqueue %s: %w", m.ID, err)
			}
			dirs[m.Provider] = dir
		}
		final[i] = filepath.Join(dir, FileName(m))
	}
	temps := make([]string, len(ms))
	cleanup := func(from int) {
		for _, t := range temps[from:] {
			if t != "" {
				_ = os.Remove(t)
			}
		}
	}
	err = Parallel(len(ms), func(i int) error {
		sealer.Seal(ms[i])
		if ms[i].Seal == "" {
			return fmt.Errorf("enqueue %s: the message cannot be sealed (metadata without a JSON form)", ms[i].ID)
		}
		data, err := Marshal(ms[i])
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", ms[i].ID, err)
		}
		temps[i], err = writeTemp(mb.TmpDir(), data)
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", ms[i].ID, err)
		}
		return nil
	})
	if err != nil {
		cleanup(0)
		return nil, err
	}
	for i := range ms {
		if err := os.Rename(temps[i], final[i]); err != nil {
			cleanup(i)
			return final[:i], errors.Join(fmt.Errorf("enqueue %s: %w", ms[i].ID, err), syncDirs(dirs))
		}
	}
	if err := syncDirs(dirs); err != nil {
		return final, fmt.Errorf("enqueue: %w", err)
	}
	return final, nil
}

func syncDirs(dirs map[string]string) error {
	var errs []error
	for _, d := range dirs {
		if err := SyncDir(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ioWorkers bounds the concurrent file writes of Parallel. fsync dominates enqueue time; issuing them
// concurrently lets the filesystem commit many in one journal transaction.
const ioWorkers = 32

// Parallel runs f(0..n-1) on up to 32 goroutines and returns the first error (after every call has
// returned).
func Parallel(n int, f func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	for range min(n, ioWorkers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// Entry is one message file found in the mailbox.
type Entry struct {
	State    State  // Outbound, Archive, DeadLetter, Inbound; "sending" entries report Outbound with Claimed set
	Claimed  bool   // in a watcher's claim directory
	Provider string // provider directory name
	Name     string // file name
	Path     string // absolute path
}

// ID is the message id from the file name.
func (e Entry) ID() string { return IDFromName(e.Name) }

// List returns the message files in the given states (all of States plus claims when none given),
// sorted by provider then name (enqueue order). Only regular files are listed.
func (mb *Mailbox) List(states ...State) ([]Entry, error) { return mb.list(false, states) }

// ListAll is List with every entry named like a message file, also links, directories, FIFOs and
// sockets (Read refuses them without blocking), so that a caller can report them instead of skipping
// them without a word.
func (mb *Mailbox) ListAll(states ...State) ([]Entry, error) { return mb.list(true, states) }

func (mb *Mailbox) list(irregular bool, states []State) ([]Entry, error) {
	withClaims := len(states) == 0
	if withClaims {
		states = States
	}
	var out []Entry
	for _, s := range states {
		if s == Outbound {
			withClaims = true
		}
		es, err := listState(filepath.Join(mb.Root, string(s)), s, false, irregular)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	if withClaims {
		owners, err := os.ReadDir(mb.claimsRoot())
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for _, o := range owners {
			if !o.IsDir() {
				continue
			}
			es, err := listState(filepath.Join(mb.claimsRoot(), o.Name()), Outbound, true, irregular)
			if err != nil {
				return nil, err
			}
			out = append(out, es...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Provider != out[j].Provider {
			return out[i].Provider < out[j].Provider
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func listState(dir string, s State, claimed, irregular bool) ([]Entry, error) {
	provs, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, p := range provs {
		if !p.IsDir() || strings.HasPrefix(p.Name(), ".") {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, p.Name()))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if IsMessageName(f.Name()) && (irregular || f.Type().IsRegular()) {
				out = append(out, Entry{State: s, Claimed: claimed, Provider: p.Name(), Name: f.Name(),
					Path: filepath.Join(dir, p.Name(), f.Name())})
			}
		}
	}
	return out, nil
}

// Find locates the message with id in any state (claims included). id may also be the id's last
// part alone (the 12 hex digits of out_{provider}_{hex}); when that matches several messages the
// error wraps ErrAmbiguousID and lists them.
func (mb *Mailbox) Find(id string) (Entry, error) {
	if !ValidID(id) {
		return Entry{}, fmt.Errorf("%q: %w", id, ErrNotFound)
	}
	all, err := mb.List()
	if err != nil {
		return Entry{}, err
	}
	var short []Entry
	var ids []string
	for _, e := range all {
		if e.ID() == id {
			return e, nil
		}
		if strings.HasSuffix(e.ID(), "_"+id) && !slices.Contains(ids, e.ID()) {
			short, ids = append(short, e), append(ids, e.ID())
		}
	}
	switch len(short) {
	case 0:
		return Entry{}, fmt.Errorf("%s: %w", id, ErrNotFound)
	case 1:
		return short[0], nil
	}
	slices.Sort(ids)
	return Entry{}, fmt.Errorf("%s: %w: %s", id, ErrAmbiguousID, strings.Join(ids, ", "))
}
