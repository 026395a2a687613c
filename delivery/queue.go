package delivery

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// The state names (docs/protocol.md, "States"), used by `courier queue --state`, --json output and the API.
const (
	StatePending = "pending" // in outbound/, including waiting for a retry
	StateSending = "sending" // claimed by a watcher
	StateSent    = "sent"    // in archive/
	StateFailed  = "failed"  // in .deadletter/
)

// StatusUnreadable is the status reported for a message file that cannot be parsed.
const StatusUnreadable = "unreadable"

// ErrNotDeadLettered is returned (wrapped) by Retry for a message that is not in the dead-letter queue.
var ErrNotDeadLettered = errors.New("not dead-lettered")

// QueueItem is one message as `courier queue --json` and the API report it.
type QueueItem struct {
	ID            string        `json:"id"`
	Provider      string        `json:"provider"`
	State         string        `json:"state"`
	Status        string        `json:"status"`
	To            []string      `json:"to"`
	RetryCount    int           `json:"retry_count"`
	Attempts      int           `json:"attempts"` // attempts recorded in the message's history
	NextRetryAt   *mailbox.Time `json:"next_retry_at"`
	ErrorMessage  *string       `json:"error_message"`
	CreatedAt     mailbox.Time  `json:"created_at"`
	CorrelationID string        `json:"correlation_id"`
	Path          string        `json:"-"`
}

// QueueFilter selects what ListQueue returns. State is one of the State* names ("" for every state
// but sent); All adds sent messages when State is "".
type QueueFilter struct {
	Provider, State string
	All             bool
}

// StateOf names the state of a mailbox entry.
func StateOf(e mailbox.Entry) string {
	switch {
	case e.Claimed:
		return StateSending
	case e.State == mailbox.Archive:
		return StateSent
	case e.State == mailbox.DeadLetter:
		return StateFailed
	case e.State == mailbox.Outbound:
		return StatePending
	}
	return string(e.State)
}

// ListQueue returns the messages that f selects, by provider then enqueue order (created_at; for an
// unreadable file, its modification time). A file that cannot be parsed still appears, with status
// "unreadable" and the reason as error_message (its dead-letter sidecar's reason when it has one).
func ListQueue(mb *mailbox.Mailbox, f QueueFilter) ([]QueueItem, error) {
	var states []mailbox.State
	switch f.State {
	case "":
		states = []mailbox.State{mailbox.Outbound, mailbox.DeadLetter}
		if f.All {
			states = append(states, mailbox.Archive)
		}
	case StatePending, StateSending:
		states = []mailbox.State{mailbox.Outbound}
	case StateFailed:
		states = []mailbox.State{mailbox.DeadLetter}
	case StateSent:
		// outbound too: a message the provider accepted whose archive record is not written yet
		states = []mailbox.State{mailbox.Archive, mailbox.Outbound}
	default:
		return nil, fmt.Errorf("queue: unknown state %q (want pending, sending, failed or sent)", f.State)
	}
	entries, err := mb.ListAll(states...)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	items := []QueueItem{}
	for _, e := range entries {
		if f.Provider != "" && e.Provider != f.Provider {
			continue
		}
		if it, ok := queueItem(e); ok && (f.State == "" || it.State == f.State) {
			items = append(items, it)
		}
	}
	// By provider, then enqueue order: created_at has milliseconds, file names only whole seconds.
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.Provider != b.Provider {
			return a.Provider < b.Provider
		}
		return a.CreatedAt.Before(b.CreatedAt.Time)
	})
	return items, nil
}

func queueItem(e mailbox.Entry) (QueueItem, bool) {
	it := QueueItem{ID: e.ID(), Provider: e.Provider, State: StateOf(e), To: []string{}, Path: e.Path}
	m, err := mailbox.Read(e.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return it, false // settled while we listed
	}
	if err != nil {
		reason := err.Error()
		if r := mailbox.ReadReason(e.Path); r != "" {
			reason = r
		}
		it.Status, it.ErrorMessage = StatusUnreadable, &reason
		if fi, serr := os.Lstat(e.Path); serr == nil {
			it.CreatedAt = mailbox.At(fi.ModTime())
		}
		return it, true
	}
	it.Status = string(m.Status)
	switch {
	case m.Status == mailbox.StatusSent:
		// Accepted by the provider; in outbound or a claim only while its archive write fails
		// (error_message says why): sent, never sent again.
		it.State = StateSent
	case e.Claimed:
		it.Status = StateSending
	}
	if len(m.To) > 0 {
		it.To = m.To
	}
	it.RetryCount, it.NextRetryAt, it.ErrorMessage = m.RetryCount, m.NextRetryAt, m.ErrorMessage
	it.Attempts = len(m.Attempts)
	it.CreatedAt, it.CorrelationID = m.CreatedAt, m.CorrelationID
	return it, true
}

// Retry moves the dead-lettered messages ids (whole or short, see mailbox.Find) back to outbound (mailbox.Requeue: attempts reset,
// history kept, max_age restarted at now). It goes through every id and returns the ids it requeued;
// an unknown id yields an error wrapping mailbox.ErrNotFound, an id in another state one wrapping
// ErrNotDeadLettered (all such errors joined).
func Retry(mb *mailbox.Mailbox, ids []string, now time.Time) ([]string, error) {
	done := []string{}
	var errs []error
	for _, id := range ids {
		e, err := mb.Find(id)
		if err != nil {
			errs = append(errs, fmt.Errorf("retry: %w", err))
			continue
		}
		id := e.ID() // the whole id when a short one was given
		if e.State != mailbox.DeadLetter {
			errs = append(errs, fmt.Errorf("retry %s: %w (it is %s)", id, ErrNotDeadLettered, StateOf(e)))
			continue
		}
		if _, err := mb.Requeue(e, now); err != nil {
			errs = append(errs, fmt.Errorf("retry %s: %w", id, err))
			continue
		}
		done = append(done, id)
	}
	return done, errors.Join(errs...)
}

// RetryDead requeues every dead-lettered message (of provider, when it is not "") and returns their ids.
func RetryDead(mb *mailbox.Mailbox, provider string, now time.Time) ([]string, error) {
	entries, err := mb.List(mailbox.DeadLetter)
	if err != nil {
		return nil, fmt.Errorf("retry: %w", err)
	}
	done := []string{}
	var errs []error
	for _, e := range entries {
		if provider != "" && e.Provider != provider {
			continue
		}
		if _, err := mb.Requeue(e, now); err != nil {
			errs = append(errs, fmt.Errorf("retry %s: %w", e.ID(), err))
			continue
		}
		done = append(done, e.ID())
	}
	return done, errors.Join(errs...)
}
