package central

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// Dir is where central mode keeps its state: `central/` beside the ledger, in courier's private state
// (docs/protocol.md, "Central mode"). stateDir is the directory that holds the ledger: [StateBase].
func Dir(stateDir string) string { return filepath.Join(stateDir, "central") }

// StateBase is the directory that holds mb's ledger: its private directory (`<git common dir>/courier`,
// in a bare clone the bare repository itself) when the mailbox has one, else its StateDir. Asked through
// an interface so that it follows the ledger wherever the mailbox keeps it.
func StateBase(mb *mailbox.Mailbox) string {
	if p, ok := any(mb).(interface{ PrivateDir() string }); ok {
		return p.PrivateDir()
	}
	return mb.StateDir()
}

// InvalidVersion is a draft version found on a remote branch that failed validation: never enqueued,
// logged once, listed by `courier status --json` under `invalid`.
type InvalidVersion struct {
	Draft    string       `json:"draft"`  // repository-relative path
	Blob     string       `json:"blob"`   // git blob id of the version
	Branch   string       `json:"branch"` // remote-tracking branch, `<remote>/<branch>`
	Commit   string       `json:"commit"` // the commit that introduced the version
	Errors   []string     `json:"errors"` // `path:line: field: message` lines
	Line     int          `json:"line,omitempty"`
	Field    string       `json:"field,omitempty"`
	Message  string       `json:"message"` // the first error's message
	SeenAt   mailbox.Time `json:"seen_at"`
	fileName string
}

// Invalid lists the invalid remote draft versions recorded under stateDir (the directory that holds the
// ledger: [StateBase]), in draft path order then first sight. No state yet means none. This is what
// `courier status --json` lists under `invalid`, whatever branch the central clone is on.
func Invalid(stateDir string) ([]InvalidVersion, error) {
	dir := filepath.Join(Dir(stateDir), "invalid")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []InvalidVersion{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("central state: %w", err)
	}
	out := []InvalidVersion{}
	for _, e := range ents {
		if !e.Type().IsRegular() || filepath.Ext(e.Name()) != ".json" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("central state: %w", err)
		}
		var v InvalidVersion
		if json.Unmarshal(data, &v) != nil || v.Draft == "" {
			continue // torn: recorded again on the next sight
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Draft != out[j].Draft {
			return out[i].Draft < out[j].Draft
		}
		return out[i].SeenAt.Before(out[j].SeenAt.Time)
	})
	return out, nil
}

// state is central mode's on-disk state for one remote: the last processed tip of each branch and the
// invalid versions seen. Every write is atomic and durable (temp file, fsync, rename, fsync dir).
type state struct {
	dir    string // Dir(stateDir)
	remote string
}

func newState(stateDir, remote string) (*state, error) {
	s := &state{dir: Dir(stateDir), remote: remote}
	if err := os.MkdirAll(filepath.Join(s.dir, "invalid"), 0o700); err != nil {
		return nil, fmt.Errorf("central state: %w", err)
	}
	return s, nil
}

// lock takes the state's flock, serialising fetches of every process on this state.
func (s *state) lock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.dir, "fetch.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("central lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("central lock: %w", err)
	}
	return func() { f.Close() }, nil
}

func (s *state) tipsPath() string {
	sum := sha256.Sum256([]byte(s.remote))
	return filepath.Join(s.dir, "tips-"+hex.EncodeToString(sum[:8])+".json")
}

// tipsFile is the remembered tips of one remote.
type tipsFile struct {
	Remote   string            `json:"remote"`
	Branches map[string]string `json:"branches"` // branch name (without `<remote>/`) → last processed tip
}

// tips returns the remembered tips (an empty map before the first fetch).
func (s *state) tips() (map[string]string, error) {
	data, err := os.ReadFile(s.tipsPath())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("central state: %w", err)
	}
	var t tipsFile
	if err := json.Unmarshal(data, &t); err != nil || t.Branches == nil {
		return nil, fmt.Errorf("central state: %s is unreadable; remove it to see every branch afresh (the ledger prevents duplicates)", s.tipsPath())
	}
	return t.Branches, nil
}

// saveTips records tips durably.
func (s *state) saveTips(tips map[string]string) error {
	data, err := json.MarshalIndent(tipsFile{Remote: s.remote, Branches: tips}, "", "  ")
	if err != nil {
		return err
	}
	return s.write(s.tipsPath(), data)
}

func (s *state) invalidPath(draft, blob string) string {
	sum := sha256.Sum256([]byte(draft + "\x00" + blob))
	return filepath.Join(s.dir, "invalid", hex.EncodeToString(sum[:16])+".json")
}

// knownInvalid reports whether the version draft@blob was recorded as invalid.
func (s *state) knownInvalid(draft, blob string) bool {
	_, err := os.Stat(s.invalidPath(draft, blob))
	return err == nil
}

// recordInvalid records v durably.
func (s *state) recordInvalid(v InvalidVersion) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return s.write(s.invalidPath(v.Draft, v.Blob), data)
}

// write replaces path atomically and durably.
func (s *state) write(path string, data []byte) error {
	// The temp file sits beside its target: the private state and the mailbox may be on different
	// file systems, and a rename never crosses one.
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("central state: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("central state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("central state: %w", err)
	}
	if err := mailbox.SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("central state: %w", err)
	}
	return nil
}

// at is InvalidVersion.SeenAt for t.
func at(t time.Time) mailbox.Time { return mailbox.At(t) }
