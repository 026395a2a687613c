package mailbox

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// PrivateDir is the directory of courier's private state: the seal key, the id key and the ledger
// (docs/protocol.md, "Layout"). It is not created here.
func (mb *Mailbox) PrivateDir() string {
	if mb.privateDir != "" {
		return mb.privateDir
	}
	return filepath.Join(mb.Root, ".state")
}

// legacyDir is where a mailbox kept its private state before it moved to the git common dir.
func (mb *Mailbox) legacyDir() string { return filepath.Join(mb.Root, ".state") }

// private returns the private state directory, created (0700) on first use. When it is not
// <mailbox>/.state, a seal key and a ledger found there are moved in first, each only while the
// private directory has none (an upgrade); afterwards anything key- or ledger-like under .state/ is
// never looked at, so a checkout that plants one there changes nothing (docs/protocol.md, "Layout").
func (mb *Mailbox) private() (string, error) {
	mb.privOnce.Do(func() { mb.privErr = mb.preparePrivate() })
	return mb.PrivateDir(), mb.privErr
}

func (mb *Mailbox) preparePrivate() error {
	dir := mb.PrivateDir()
	if err := mkdirDurable(dir); err != nil {
		return fmt.Errorf("private state: %w", err)
	}
	if dir != mb.legacyDir() {
		if err := migrateKey(filepath.Join(mb.legacyDir(), "seal.key"), filepath.Join(dir, "seal.key")); err != nil {
			return fmt.Errorf("move the seal key to %s: %w", dir, err)
		}
		if err := migrateLedger(filepath.Join(mb.legacyDir(), "ledger"), filepath.Join(dir, "ledger")); err != nil {
			return fmt.Errorf("move the ledger to %s: %w", dir, err)
		}
	}
	if err := mkdirDurable(filepath.Join(dir, "ledger")); err != nil {
		return fmt.Errorf("private state: %w", err)
	}
	return nil
}

// mkdirDurable creates dir (and its parents, 0700) and fsyncs the parent of each directory it
// created, so that a secret written inside survives a crash.
func mkdirDurable(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirDurable(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return SyncDir(parent)
}

// migrateKey moves the key file from to the absent file to. Concurrent callers agree: the key is
// linked into place (never overwriting one), then the old name is removed.
func migrateKey(from, to string) error {
	if _, err := os.Lstat(to); !errors.Is(err, fs.ErrNotExist) {
		return err // nil: the new place has a key, the old one is ignored
	}
	fi, err := os.Lstat(from)
	if err != nil || !fi.Mode().IsRegular() {
		return nil //nolint:nilerr // nothing (usable) to move
	}
	if _, err := readKey(from); err != nil {
		return nil //nolint:nilerr // a corrupt key is not worth keeping: a new one is created
	}
	err = os.Link(from, to)
	if errors.Is(err, syscall.EXDEV) { // another filesystem: copy, then link the copy into place
		var data []byte
		if data, err = os.ReadFile(from); err == nil {
			err = linkNew(to, data)
		}
	}
	if err != nil && !errors.Is(err, fs.ErrExist) && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Chmod(to, 0o600); err != nil {
		return err
	}
	if err := SyncDir(filepath.Dir(to)); err != nil {
		return err
	}
	if err := os.Remove(from); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return SyncDir(filepath.Dir(from))
}

// migrateLedger moves the ledger directory from to the absent directory to: one rename (fails, and
// is then left alone, when another process got there first), or across filesystems a copy that is
// renamed into place.
func migrateLedger(from, to string) error {
	if _, err := os.Lstat(to); !errors.Is(err, fs.ErrNotExist) {
		return err // nil: the new place has a ledger, the old one is ignored
	}
	fi, err := os.Lstat(from)
	if err != nil || !fi.IsDir() {
		return nil //nolint:nilerr // nothing to move
	}
	err = os.Rename(from, to)
	if errors.Is(err, syscall.EXDEV) {
		err = copyLedger(from, to)
	}
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrExist), errors.Is(err, syscall.ENOTEMPTY):
		return nil // another process moved it or created the new one
	default:
		return err
	}
	if err := SyncDir(filepath.Dir(to)); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(from))
}

// copyLedger copies the regular files of the ledger directory from into a new directory, renames it
// to to, and removes from.
func copyLedger(from, to string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(to), ".ledger-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ents, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		if err := linkNew(filepath.Join(tmp, e.Name()), data); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, to); err != nil {
		return err
	}
	return os.RemoveAll(from)
}

// IDKey returns the per-repository secret that message ids are derived from (docs/protocol.md,
// "Ids"), creating it on first use: 32 random bytes, durable before they are returned, so an id
// handed out is the same in every later run.
func (mb *Mailbox) IDKey() ([]byte, error) {
	dir, err := mb.private()
	if err != nil {
		return nil, err
	}
	mb.idMu.Lock()
	defer mb.idMu.Unlock()
	if mb.idKey == nil {
		if mb.idKey, err = loadSecret(filepath.Join(dir, "id.key")); err != nil {
			return nil, fmt.Errorf("id key: %w", err)
		}
	}
	return mb.idKey, nil
}

// loadSecret reads the hex secret at path, creating it (32 random bytes, hex, mode 0600, durable) on
// first use. Concurrent first uses agree on one secret: it is linked into place, never overwritten.
func loadSecret(path string) ([]byte, error) {
	if k, err := readKey(path); err == nil {
		return k, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	if err := linkNew(path, []byte(hex.EncodeToString(raw)+"\n")); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	return readKey(path)
}

// linkNew writes data (0600, fsynced) to a temp file next to path and hard-links it to path, which
// fails with fs.ErrExist when path exists.
func linkNew(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".new-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}
