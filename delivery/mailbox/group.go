package mailbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Acceptance is a claimed message that its provider accepted, for ArchiveGroup.
type Acceptance struct {
	Claimed       string // the claimed file
	M             *Message
	Now           time.Time // when the provider accepted it
	ProviderMsgID string
}

// groupWriters bounds the records ArchiveGroup writes and fsyncs at once.
const groupWriters = 16

// ArchiveGroup archives several accepted messages as a group commit: it writes each record to its own
// temp file and fsyncs them concurrently (a journaling filesystem commits concurrent fsyncs together),
// renames them into archive/{provider}/ in the order given, fsyncs each directory that received a
// record once, and only then removes the claims. Until that directory fsync a crash leaves every claim
// of the group in place, so those messages go back to the queue: the at-least-once window between a
// provider's acceptance and its first durable record (docs/protocol.md, "Guarantees"). The renames
// are issued in the given order after every record is durable, and a journaling filesystem commits
// metadata operations in the order they were made, so a later message of a channel is never archived
// while an earlier one returns to the queue. errs[i] is the error of as[i] (nil when it is archived);
// a failed one keeps its claim.
func (c *Claimer) ArchiveGroup(as []Acceptance) []error {
	errs := make([]error, len(as))
	tmps := make([]string, len(as))
	var wg sync.WaitGroup
	sem := make(chan struct{}, groupWriters)
	for i, a := range as {
		markSent(a.M, a.Now, a.ProviderMsgID)
		data, err := Marshal(a.M)
		if err != nil {
			errs[i] = fmt.Errorf("archive %s: %w", filepath.Base(a.Claimed), err)
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			tmps[i], errs[i] = writeTemp(c.mb.TmpDir(), data)
		}()
	}
	wg.Wait()
	dirs := map[string][]int{} // archive directory → the records renamed into it
	var order []string
	for i, a := range as {
		if errs[i] == nil {
			var dir string
			dir, errs[i] = c.mb.EnsureDir(Archive, filepath.Base(filepath.Dir(a.Claimed)))
			if errs[i] == nil {
				errs[i] = os.Rename(tmps[i], filepath.Join(dir, filepath.Base(a.Claimed)))
			}
			if errs[i] == nil {
				if _, ok := dirs[dir]; !ok {
					order = append(order, dir)
				}
				dirs[dir] = append(dirs[dir], i)
				continue
			}
		}
		if tmps[i] != "" {
			_ = os.Remove(tmps[i])
		}
		errs[i] = fmt.Errorf("archive %s: %w", filepath.Base(a.Claimed), errs[i])
	}
	for _, dir := range order {
		err := SyncDir(dir)
		for _, i := range dirs[dir] {
			if err != nil {
				errs[i] = fmt.Errorf("archive %s: %w", filepath.Base(as[i].Claimed), err)
				continue
			}
			if rerr := os.Remove(as[i].Claimed); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				errs[i] = fmt.Errorf("archive %s: drop claim: %w", filepath.Base(as[i].Claimed), rerr)
			}
		}
	}
	return errs
}

// markSent sets the fields of an archive record. A message whose acceptance RecordAccepted already
// recorded keeps that record's sent_at and provider_message_id.
func markSent(m *Message, now time.Time, providerMsgID string) {
	if m.Status != StatusSent || m.SentAt == nil {
		m.SentAt, m.ProviderMessageID = Ptr(now), providerMsgID
	}
	m.Status, m.NextRetryAt = StatusSent, nil
	m.SetError("")
}
