package mailbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Requeue moves a dead-lettered message back to outbound for another round: status pending,
// retry_count 0, next_retry_at, failed_at and error_message cleared, due_since = now (max_age
// restarts), and the old reason kept in attempts as history. A file too broken to parse goes back
// unchanged (the watcher will judge it again). A dead letter whose message is already back in outbound,
// in flight or archived is the leftover of an interrupted requeue: it is removed, and requeued again
// only in the sense that the message is queued (an error says so when it was already sent).
func (mb *Mailbox) Requeue(e Entry, now time.Time) (string, error) {
	if e.State != DeadLetter {
		return "", fmt.Errorf("requeue %s: not dead-lettered (%s)", e.ID(), e.State)
	}
	out, err := mb.EnsureDir(Outbound, e.Provider)
	if err != nil {
		return "", fmt.Errorf("requeue %s: %w", e.ID(), err)
	}
	to := filepath.Join(out, e.Name)
	side := ReasonPath(e.Path)
	// A requeue interrupted after writing the outbound copy leaves the dead letter behind; that copy
	// must not queue the message a second time (it may have been sent since). Finish the interrupted
	// requeue instead.
	sent := mb.inState(Archive, e)
	if sent || mb.inState(Outbound, e) || mb.claimedOutside("", e.Provider, e.Name) {
		if err := os.Remove(e.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("requeue %s: %w", e.ID(), err)
		}
		_ = os.Remove(side)
		if err := SyncDir(filepath.Dir(e.Path)); err != nil {
			return "", fmt.Errorf("requeue %s: %w", e.ID(), err)
		}
		if sent {
			return "", fmt.Errorf("requeue %s: already sent (removed a stale dead-letter copy)", e.ID())
		}
		return to, nil
	}
	m, err := Read(e.Path)
	if err != nil {
		if err := RenameDurable(e.Path, to); err != nil {
			return "", fmt.Errorf("requeue %s: %w", e.ID(), err)
		}
		_ = os.Remove(side)
		return to, nil
	}
	m.AddAttempt(Attempt{At: At(now), Outcome: "requeued", Error: m.LastError()})
	m.Status, m.RetryCount, m.NextRetryAt, m.FailedAt, m.DueSince = StatusPending, 0, nil, nil, Ptr(now)
	m.SetError("")
	data, err := Marshal(m)
	if err != nil {
		return "", fmt.Errorf("requeue %s: %w", e.ID(), err)
	}
	if err := WriteFileAtomic(mb.TmpDir(), to, data); err != nil {
		return "", fmt.Errorf("requeue %s: %w", e.ID(), err)
	}
	if err := os.Remove(e.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return to, fmt.Errorf("requeue %s: %w", e.ID(), err)
	}
	_ = os.Remove(side)
	return to, SyncDir(filepath.Dir(e.Path))
}

// inState reports whether e's file name exists under state s.
func (mb *Mailbox) inState(s State, e Entry) bool {
	_, err := os.Lstat(filepath.Join(mb.Dir(s, e.Provider), e.Name))
	return err == nil
}
