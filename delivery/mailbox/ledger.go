package mailbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// LedgerEntry records that a draft version (draft path + git blob id of its content) was delivered as
// the listed message files. An entry is written as an intent (Done false) before the messages are
// enqueued and marked done after; a crash in between leaves an intent whose files are looked up by
// name on the next delivery, so the draft is neither lost nor enqueued twice.
type LedgerEntry struct {
	Draft string   `json:"draft"`
	Blob  string   `json:"blob"`
	Files []string `json:"files"` // {provider}/{file name}
	IDs   []string `json:"ids"`
	// Created holds each file's created_at (milliseconds; the file name has whole seconds), so a
	// delivery completed after a crash keeps the original order within its channel.
	Created []Time `json:"created,omitempty"`
	Done    bool   `json:"done"`
}

// ledgerPath is the entry of a draft version in the ledger of the private state (docs/protocol.md,
// "Ledger").
func (mb *Mailbox) ledgerPath(draft, blob string) string {
	sum := sha256.Sum256([]byte(draft + "\x00" + blob))
	return filepath.Join(mb.PrivateDir(), "ledger", hex.EncodeToString(sum[:16]))
}

// Ledger returns the ledger entry of a draft version, or nil when there is none. The private state
// is created on first use.
func (mb *Mailbox) Ledger(draft, blob string) (*LedgerEntry, error) {
	if _, err := mb.private(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(mb.ledgerPath(draft, blob))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	var e LedgerEntry
	if err := json.Unmarshal(data, &e); err != nil || e.Draft != draft || e.Blob != blob {
		return nil, nil //nolint:nilerr // a torn or foreign entry counts as absent; the intent protocol stays safe
	}
	return &e, nil
}

// RecordLedger writes a ledger entry atomically.
func (mb *Mailbox) RecordLedger(e *LedgerEntry) error {
	return mb.RecordLedgers([]*LedgerEntry{e})
}

// RecordLedgers writes several ledger entries atomically and durably with one directory fsync: each
// is written to a temp file and fsynced (concurrently), renamed into place, then the ledger directory
// is fsynced once. When it returns nil every entry is durable.
func (mb *Mailbox) RecordLedgers(es []*LedgerEntry) error {
	dir, err := mb.private()
	if err != nil {
		return err
	}
	if err := mkdirDurable(filepath.Join(dir, "ledger")); err != nil { // removed since first use
		return fmt.Errorf("ledger: %w", err)
	}
	temps := make([]string, len(es))
	err = Parallel(len(es), func(i int) error {
		data, err := json.Marshal(es[i])
		if err != nil {
			return err
		}
		// Temp files next to the ledger: the private state may be on another filesystem.
		temps[i], err = writeTemp(dir, data)
		return err
	})
	if err == nil {
		for i, e := range es {
			if err = os.Rename(temps[i], mb.ledgerPath(e.Draft, e.Blob)); err != nil {
				break
			}
			temps[i] = ""
		}
	}
	for _, t := range temps {
		if t != "" {
			_ = os.Remove(t)
		}
	}
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	if len(es) > 0 {
		if err := SyncDir(filepath.Join(dir, "ledger")); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
	}
	return nil
}

// Exists reports whether a message file {provider}/{name} is anywhere in the mailbox: outbound,
// archive, dead-letter or a watcher's claim.
func (mb *Mailbox) Exists(provider, name string) bool {
	if mb.settled(provider, name) {
		return true
	}
	if matches, _ := filepath.Glob(filepath.Join(mb.claimsRoot(), "*", provider, name)); len(matches) > 0 {
		return true
	}
	// A watcher may have claimed and settled the file between the two looks: look at the states again.
	return mb.settled(provider, name)
}

// LockDeliver takes the mailbox-wide delivery lock (an flock on .state/deliver.lock), serialising
// concurrent `courier deliver` runs and hooks. Call the returned function to release it.
func (mb *Mailbox) LockDeliver() (func(), error) {
	f, err := os.OpenFile(filepath.Join(mb.StateDir(), "deliver.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("deliver lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("deliver lock: %w", err)
	}
	return func() { f.Close() }, nil
}
