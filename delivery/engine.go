package delivery

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/monoco/courier/delivery/mailbox"
)

// engine is one Run or Once: a claim directory, the index and the in-flight sends. Only the loop
// goroutine touches its fields; workers report back through results.
type engine struct {
	w           *Watcher
	claimer     *mailbox.Claimer
	ix          *index
	results     chan result
	inflight    int
	sendCtx     context.Context // cancelled when shutdown grace runs out
	cancelSends context.CancelFunc
	sum         Summary
	dirMod      map[string]time.Time // provider → outbound dir mtime at its last complete listing
	fsw         *fsnotify.Watcher
	watched     map[string]bool
	parses      int           // files read by see (tests check that rescans do not re-read)
	unarchived  []*unarchived // accepted by a provider, archive write failed: retried every Interval
	arch        *archiver     // writes the archive records of accepted messages
	archiving   int           // accepted messages handed to arch and not reported back yet
}

func (w *Watcher) start(ctx context.Context, notify bool) (*engine, error) {
	if !w.busy.CompareAndSwap(false, true) {
		return nil, ErrBusy
	}
	en, err := w.newEngine(ctx, notify)
	if err != nil {
		w.busy.Store(false)
		return nil, err
	}
	return en, nil
}

// newEngine prepares a run. Sends get a context that keeps ctx's values but not its cancellation:
// shutdown cancels them only once the grace period is over.
func (w *Watcher) newEngine(ctx context.Context, notify bool) (*engine, error) {
	if _, err := w.mb.Sealer(); err != nil { // creates the key on first use
		return nil, fmt.Errorf("watch: %w", err)
	}
	claimer, err := w.mb.NewClaimer()
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	sendCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	en := &engine{w: w, claimer: claimer, results: make(chan result, w.cfg.Concurrency),
		sendCtx: sendCtx, cancelSends: cancel, dirMod: map[string]time.Time{}, watched: map[string]bool{},
		ix: newIndex(func(p string) Rate { return w.cfg.Providers[p].Rate })}
	en.arch = newArchiver(claimer, w.beforeArchive)
	en.recover()
	if n, err := w.mb.RemoveStaleTemps(time.Hour, w.cfg.Now()); err != nil || n > 0 {
		w.cfg.Logger.Info("removed temp files left by interrupted writes", "count", n, "err", err)
	}
	if notify {
		fsw, err := fsnotify.NewWatcher()
		if err == nil {
			err = fsw.Add(en.outboundRoot())
		}
		if err != nil {
			w.cfg.Logger.Warn("file notifications unavailable; polling only", "err", err)
			if fsw != nil {
				fsw.Close()
			}
		} else {
			en.fsw = fsw
		}
	}
	return en, nil
}

// close waits for the archive records of accepted messages (before Close returns the claims left to
// the queue: an accepted message must not go back unrecorded), then releases the claim directory.
func (en *engine) close() {
	en.cancelSends()
	for en.archiving > 0 {
		en.archived(<-en.arch.done)
	}
	en.arch.close()
	if en.fsw != nil {
		en.fsw.Close()
	}
	if err := en.claimer.Close(); err != nil {
		en.w.cfg.Logger.Error("returning claims failed", "err", err)
	}
	en.w.busy.Store(false)
}

func (en *engine) outboundRoot() string { return filepath.Join(en.w.mb.Root, string(mailbox.Outbound)) }

// recover returns the claims of dead watchers to outbound.
func (en *engine) recover() {
	n, err := en.w.mb.RecoverStale()
	if err != nil {
		en.w.cfg.Logger.Error("recovering stale claims failed", "err", err)
	}
	if n > 0 {
		en.w.cfg.Logger.Info("recovered messages claimed by a stopped watcher", "count", n)
	}
}

// Run watches the mailbox and sends what is due until ctx is cancelled: it recovers stale claims,
// scans outbound/, then wakes on file notifications, on the timer of the next due message and on a
// rescan every Interval. When ctx is cancelled it stops claiming, lets in-flight sends finish for up
// to ShutdownGrace, then cancels them and releases their claims back to the queue. It returns nil on
// a clean stop.
func (w *Watcher) Run(ctx context.Context) error {
	en, err := w.start(ctx, true)
	if err != nil {
		return err
	}
	defer en.close()
	en.scanAll(true)
	if w.onReady != nil {
		w.onReady()
	}
	ticker := time.NewTicker(w.cfg.Interval)
	defer ticker.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var events chan fsnotify.Event
	var errs chan error
	if en.fsw != nil {
		events, errs = en.fsw.Events, en.fsw.Errors
	}
	for {
		rateWake, pauseWake := en.dispatch()
		timer.Reset(until(earliest(earliest(rateWake, pauseWake), en.ix.nextDue()), w.cfg.Now(), w.cfg.Interval))
		select {
		case <-ctx.Done():
			en.shutdown()
			return nil
		case r := <-en.results:
			en.settle(r)
		case b := <-en.arch.done:
			en.archived(b)
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			en.onEvent(ev)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			if !errors.Is(err, fsnotify.ErrEventOverflow) {
				w.cfg.Logger.Warn("file notification error; rescanning", "err", err)
			}
			en.scanAll(true)
		case <-ticker.C:
			en.retryArchives()
			en.recover()
			en.scanAll(false)
			if w.onTick != nil {
				w.onTick()
			}
		case <-w.sweep:
			en.recover()
			en.scanAll(true)
		case <-timer.C:
		}
	}
}

// Once sends everything due now and waits for those sends (including waits for the channels' token
// buckets), then returns what it did. Messages that a provider throttled, or that a failure deferred,
// stay queued for a later run. If ctx is cancelled it stops like Run and returns ctx.Err().
func (w *Watcher) Once(ctx context.Context) (Summary, error) {
	en, err := w.start(ctx, false)
	if err != nil {
		return Summary{}, err
	}
	defer en.close()
	en.scanAll(true)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if ctx.Err() != nil {
			en.shutdown()
			return en.sum, ctx.Err()
		}
		rateWake, _ := en.dispatch()
		if en.inflight == 0 && en.archiving == 0 && rateWake.IsZero() {
			// Accepted messages whose archive write still fails go back to outbound with their
			// acceptance recorded (status sent): the next run archives them without sending.
			en.retryArchives()
			return en.sum, nil
		}
		timer.Reset(until(rateWake, w.cfg.Now(), time.Hour))
		select {
		case <-ctx.Done():
		case r := <-en.results:
			en.settle(r)
		case b := <-en.arch.done:
			en.archived(b)
		case <-timer.C:
		}
	}
}

// until is how long from now until t (at least 1ms); def when t is zero.
func until(t, now time.Time, def time.Duration) time.Duration {
	if t.IsZero() {
		return def
	}
	if d := t.Sub(now); d > time.Millisecond {
		return d
	}
	return time.Millisecond
}

// dispatch starts as many sends as the worker pool allows and reports when channels blocked by their
// token bucket (rateWake) or by a provider throttle (pauseWake) may go again.
func (en *engine) dispatch() (rateWake, pauseWake time.Time) {
	now := en.w.cfg.Now()
	en.ix.promote(now)
	// A channel's next send starts once the previous one was accepted, while its archive record is
	// being written; at most maxArchiving records wait.
	for en.inflight < en.w.cfg.Concurrency && en.archiving < maxArchiving {
		j, rw, pw := en.ix.take(now)
		if j.e == nil {
			return rw, pw
		}
		en.inflight++
		go func() { en.results <- en.process(en.sendCtx, j) }()
	}
	return time.Time{}, time.Time{}
}

// settle applies a worker's result to the index.
func (en *engine) settle(r result) {
	en.inflight--
	e := r.e
	en.ix.finish(e, r.requested)
	now := en.w.cfg.Now()
	if r.pause > 0 {
		e.ch.pausedUntil = now.Add(r.pause)
		e.ch.pauseReason = fmt.Sprintf("its channel is paused until %s by the provider's rate limit (%s)",
			e.ch.pausedUntil.UTC().Format(time.RFC3339), r.reason)
	}
	switch r.outcome {
	case outAccepted:
		en.archiving++
		en.arch.add(*r.accepted)
		en.ix.remove(e)
	case outGone, outDead:
		en.ix.remove(e)
	case outDeferred, outReleased:
		e.mod, e.size = r.mod, r.size
		if !r.deadline.IsZero() {
			e.deadline = r.deadline
		}
		en.ix.place(e, r.due, now)
	case outError:
		en.ix.place(e, now.Add(en.w.cfg.Interval), now) // don't spin on a failing mailbox
	}
	switch r.outcome {
	case outAccepted:
		en.sum.Sent++
	case outDead:
		en.sum.DeadLettered++
	case outDeferred:
		en.sum.Deferred++
	}
}

// shutdown waits up to ShutdownGrace for in-flight sends, then cancels them; their workers release
// the claims. A sender that ignores cancellation is given two more seconds, after which Close returns
// its claim to the queue anyway.
func (en *engine) shutdown() {
	if en.drain(en.w.cfg.ShutdownGrace) {
		return
	}
	en.w.cfg.Logger.Warn("shutdown grace over; cancelling in-flight sends", "count", en.inflight)
	en.cancelSends()
	if !en.drain(2 * time.Second) {
		en.w.cfg.Logger.Error("senders ignored cancellation; releasing their claims", "count", en.inflight)
	}
}

func (en *engine) drain(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for en.inflight > 0 {
		select {
		case r := <-en.results:
			en.settle(r)
		case b := <-en.arch.done:
			en.archived(b)
		case <-t.C:
			return false
		}
	}
	return true
}
