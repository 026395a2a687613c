package delivery

import (
	"sync"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// maxArchiving bounds the accepted messages whose archive record is not written yet: the engine starts
// no new send while that many are waiting, so a crash resends at most this many messages once each
// (the at-least-once window after acceptance, docs/protocol.md "Guarantees").
const maxArchiving = 16

// archiver writes the archive records of accepted messages on its own goroutine, so that a channel's
// next send overlaps the archive write of the message before it (docs/protocol.md, "Guarantees": a
// message accepted but not yet durably archived is still claimed, so no watcher sends it again, and a
// crash returns it to the queue to be sent once more, before the later messages of its channel). It
// writes what has queued up meanwhile as one group commit (mailbox.Claimer.ArchiveGroup), in the
// order the messages were accepted. The loop goroutine adds jobs and receives finished batches from
// done; add never blocks.
type archiver struct {
	claimer *mailbox.Claimer
	mu      sync.Mutex
	queue   []archiveJob
	wake    chan struct{} // capacity 1: there is work
	done    chan []archiveJob
	stop    chan struct{}
	exited  chan struct{}
	// before, when set, runs before each group is written (tests hold the archive back with it).
	before func()
}

// archiveJob is one accepted message; err is set when its archive write failed.
type archiveJob struct {
	e       *entry
	claimed string
	m       *mailbox.Message
	now     time.Time
	pmid    string
	err     error
}

func newArchiver(c *mailbox.Claimer, before func()) *archiver {
	a := &archiver{claimer: c, wake: make(chan struct{}, 1), done: make(chan []archiveJob),
		stop: make(chan struct{}), exited: make(chan struct{}), before: before}
	go a.run()
	return a
}

func (a *archiver) add(j archiveJob) {
	a.mu.Lock()
	a.queue = append(a.queue, j)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *archiver) run() {
	defer close(a.exited)
	for {
		select {
		case <-a.wake:
		case <-a.stop:
			return
		}
		a.mu.Lock()
		batch := a.queue
		a.queue = nil
		a.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		if a.before != nil {
			a.before()
		}
		as := make([]mailbox.Acceptance, len(batch))
		for i, j := range batch {
			as[i] = mailbox.Acceptance{Claimed: j.claimed, M: j.m, Now: j.now, ProviderMsgID: j.pmid}
		}
		for i, err := range a.claimer.ArchiveGroup(as) {
			if err != nil {
				batch[i].err = err
			}
		}
		select {
		case a.done <- batch:
		case <-a.stop:
			return
		}
	}
}

// close stops the goroutine; the loop has received every batch before (nothing is queued).
func (a *archiver) close() {
	close(a.stop)
	<-a.exited
}
