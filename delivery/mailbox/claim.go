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
	"time"
)

// ErrClaimed is returned by Claim when another watcher took the message first (or it is gone).
var ErrClaimed = errors.New("already claimed")

func (mb *Mailbox) claimsRoot() string { return filepath.Join(mb.StateDir(), "claims") }

// Claimer owns one claim directory, <mailbox>/.state/claims/<owner>/, and holds an exclusive flock on
// <owner>.lock for as long as it lives. A claim directory whose lock nobody holds is stale: its
// watcher died, and RecoverStale puts its messages back in the queue.
type Claimer struct {
	mb    *Mailbox
	Owner string
	dir   string
	lock  *os.File
}

// NewClaimer creates a claim directory for this process. The lock is taken before the directory
// exists (the lock file is locked in .tmp and renamed into place), so no other watcher can see the
// directory unlocked.
func (mb *Mailbox) NewClaimer() (*Claimer, error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	owner := fmt.Sprintf("%d-%s", os.Getpid(), hex.EncodeToString(b))
	tmp := filepath.Join(mb.TmpDir(), ".lock-"+owner)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_RDWR|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("claim lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("claim lock: %w", err)
	}
	lockPath := filepath.Join(mb.claimsRoot(), owner+".lock")
	if err := os.Rename(tmp, lockPath); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("claim lock: %w", err)
	}
	dir := filepath.Join(mb.claimsRoot(), owner)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		f.Close()
		return nil, fmt.Errorf("claim dir: %w", err)
	}
	return &Claimer{mb: mb, Owner: owner, dir: dir, lock: f}, nil
}

// Claim moves an outbound message into this claimer's directory by atomic rename: of two watchers
// claiming the same file exactly one succeeds; the other gets ErrClaimed. It returns the claimed path.
func (c *Claimer) Claim(e Entry) (string, error) {
	dir := filepath.Join(c.dir, e.Provider)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("claim %s: %w", e.Name, err)
	}
	to := filepath.Join(dir, e.Name)
	if err := os.Rename(e.Path, to); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", ErrClaimed
		}
		return "", fmt.Errorf("claim %s: %w", e.Name, err)
	}
	return to, nil
}

// settle writes m into state s under the claimed file's name, then drops the claim. A crash between
// the two leaves both; RecoverStale drops a claim whose name already exists in a state directory.
func (c *Claimer) settle(claimed string, s State, m *Message) (string, error) {
	provider := filepath.Base(filepath.Dir(claimed))
	dir, err := c.mb.EnsureDir(s, provider)
	if err != nil {
		return "", err
	}
	data, err := Marshal(m)
	if err != nil {
		return "", err
	}
	to := filepath.Join(dir, filepath.Base(claimed))
	if err := WriteFileAtomic(c.mb.TmpDir(), to, data); err != nil {
		return "", err
	}
	if err := os.Remove(claimed); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return to, err
	}
	return to, nil
}

// Archive records a successful send: status sent, sent_at, provider_message_id → archive/{provider}/.
// A message whose acceptance RecordAccepted already recorded keeps that record's sent_at and
// provider_message_id.
func (c *Claimer) Archive(claimed string, m *Message, now time.Time, providerMsgID string) (string, error) {
	markSent(m, now, providerMsgID)
	return c.settle(claimed, Archive, m)
}

// RecordAccepted durably records, in the claimed file itself, that the provider accepted m when its
// archive record could not be written: status sent, sent_at, provider_message_id and reason (why the
// archive write failed) as error_message. A file in outbound/ or a claim with status sent is never
// sent again, only archived (docs/protocol.md, "Guarantees"); Archive then completes the record.
func (c *Claimer) RecordAccepted(claimed string, m *Message, now time.Time, providerMsgID, reason string) error {
	m.Status, m.SentAt, m.NextRetryAt, m.ProviderMessageID = StatusSent, Ptr(now), nil, providerMsgID
	m.SetError(reason)
	data, err := Marshal(m)
	if err != nil {
		return err
	}
	return WriteFileAtomic(c.mb.TmpDir(), claimed, data)
}

// Defer puts a message back in outbound with its updated retry fields (next_retry_at, retry_count,
// error_message set by the caller).
func (c *Claimer) Defer(claimed string, m *Message) (string, error) {
	m.Status = StatusPending
	return c.settle(claimed, Outbound, m)
}

// DeadLetter records a final failure: status failed, failed_at, error_message → .deadletter/{provider}/.
func (c *Claimer) DeadLetter(claimed string, m *Message, now time.Time, reason string) (string, error) {
	m.Status, m.FailedAt, m.NextRetryAt = StatusFailed, Ptr(now), nil
	m.SetError(reason)
	return c.settle(claimed, DeadLetter, m)
}

// DeadLetterRaw moves a claimed file that cannot be parsed to .deadletter/{provider}/ unchanged and
// writes its reason into a dot-named sidecar next to it.
func (c *Claimer) DeadLetterRaw(claimed, reason string) (string, error) {
	provider := filepath.Base(filepath.Dir(claimed))
	if !ValidProvider(provider) {
		provider = "unknown"
	}
	dir, err := c.mb.EnsureDir(DeadLetter, provider)
	if err != nil {
		return "", err
	}
	to := filepath.Join(dir, filepath.Base(claimed))
	if err := WriteFileAtomic(c.mb.TmpDir(), ReasonPath(to), []byte(reason+"\n")); err != nil {
		return "", err
	}
	return to, RenameDurable(claimed, to)
}

// Release puts a claimed message back into outbound unchanged (shutdown with a send not finished).
func (c *Claimer) Release(claimed string) error {
	provider := filepath.Base(filepath.Dir(claimed))
	dir, err := c.mb.EnsureDir(Outbound, provider)
	if err != nil {
		return err
	}
	return RenameDurable(claimed, filepath.Join(dir, filepath.Base(claimed)))
}

// Close releases every remaining claim back to outbound, removes the claim directory and drops the lock.
func (c *Claimer) Close() error {
	_, err := c.mb.returnClaims(c.dir)
	if err == nil {
		_ = os.Remove(filepath.Join(c.mb.claimsRoot(), c.Owner+".lock"))
	}
	c.lock.Close()
	return err
}

// RecoverStale returns the messages of dead watchers to outbound: every claim directory whose lock
// file can be locked (its owner is gone) or that has no lock file. It also removes a lock file that
// has no claim directory and that nobody holds: a watcher killed between placing its lock and creating
// its directory, or a recovery killed between removing a dead watcher's directory and its lock,
// leaves one. Live watchers' claims and locks are never touched. It returns how many messages went
// back to the queue.
func (mb *Mailbox) RecoverStale() (int, error) {
	ents, err := os.ReadDir(mb.claimsRoot())
	if err != nil {
		return 0, fmt.Errorf("recover claims: %w", err)
	}
	n := 0
	for _, e := range ents {
		if !e.IsDir() {
			if err := mb.removeOrphanLock(e); err != nil {
				return n, fmt.Errorf("recover claims: %w", err)
			}
			continue
		}
		owner := e.Name()
		lockPath := filepath.Join(mb.claimsRoot(), owner+".lock")
		f, err := os.OpenFile(lockPath, os.O_RDWR, 0o600)
		if err == nil {
			if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
				f.Close() // a live watcher holds it
				continue
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("recover claims: %w", err)
		}
		moved, rerr := mb.returnClaims(filepath.Join(mb.claimsRoot(), owner))
		n += moved
		if rerr == nil {
			_ = os.Remove(lockPath)
		}
		if f != nil {
			f.Close()
		}
		if rerr != nil {
			return n, rerr
		}
	}
	return n, nil
}

// removeOrphanLock removes e, an entry of the claims directory, when it is an <owner>.lock file whose
// claim directory does not exist and whose flock nobody holds. A live watcher takes its lock before
// the file appears here, so a lock that can be taken belongs to a dead one.
func (mb *Mailbox) removeOrphanLock(e fs.DirEntry) error {
	owner, ok := strings.CutSuffix(e.Name(), ".lock")
	if !ok || owner == "" || !e.Type().IsRegular() {
		return nil
	}
	if _, err := os.Lstat(filepath.Join(mb.claimsRoot(), owner)); !errors.Is(err, fs.ErrNotExist) {
		return nil // its directory is recovered (or left alone) with it
	}
	lockPath := filepath.Join(mb.claimsRoot(), e.Name())
	f, err := os.OpenFile(lockPath, os.O_RDWR, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return nil // a live watcher holds it (it is creating its directory)
	}
	// The owner may have created its directory after the Lstat above and died since: recover it
	// on the next pass rather than leave a directory without a lock file behind.
	if _, err := os.Lstat(filepath.Join(mb.claimsRoot(), owner)); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := os.Remove(lockPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// returnClaims empties a claim directory: a file that moved on (see movedOn) is an old copy and is
// dropped; any other goes back to outbound. It returns how many went back.
func (mb *Mailbox) returnClaims(dir string) (int, error) {
	provs, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range provs {
		pdir := filepath.Join(dir, p.Name())
		files, err := os.ReadDir(pdir)
		if err != nil {
			return n, err
		}
		for _, f := range files {
			claimed := filepath.Join(pdir, f.Name())
			if mb.movedOn(dir, p.Name(), f.Name()) {
				if err := os.Remove(claimed); err != nil {
					return n, err
				}
				continue
			}
			out, err := mb.EnsureDir(Outbound, p.Name())
			if err != nil {
				return n, err
			}
			if err := RenameDurable(claimed, filepath.Join(out, f.Name())); err != nil {
				return n, err
			}
			n++
		}
		_ = os.Remove(pdir)
	}
	return n, os.Remove(dir)
}

// movedOn reports whether the message claimed in dir as provider/name exists elsewhere: in a state
// directory (its owner settled it and died before removing the claim), or in another watcher's claim
// (a copy settled back into outbound before the crash that a live watcher has since claimed; returning
// the old copy would send the message twice). The states are looked at again after the claims, as a
// live watcher may settle its copy in between (it writes the state file before dropping its claim).
func (mb *Mailbox) movedOn(dir, provider, name string) bool {
	return mb.settled(provider, name) || mb.claimedOutside(dir, provider, name) || mb.settled(provider, name)
}

// claimedOutside reports whether a claim directory other than dir holds provider/name.
func (mb *Mailbox) claimedOutside(dir, provider, name string) bool {
	owners, err := os.ReadDir(mb.claimsRoot())
	if err != nil {
		return false
	}
	for _, o := range owners {
		other := filepath.Join(mb.claimsRoot(), o.Name())
		if !o.IsDir() || other == dir {
			continue
		}
		if _, err := os.Lstat(filepath.Join(other, provider, name)); err == nil {
			return true
		}
	}
	return false
}

func (mb *Mailbox) settled(provider, name string) bool {
	for _, s := range []State{Outbound, Archive, DeadLetter} {
		if _, err := os.Lstat(filepath.Join(mb.Dir(s, provider), name)); err == nil {
			return true
		}
	}
	return false
}
