package delivery

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

type outcome int

const (
	outGone     outcome = iota // another watcher claimed it first, or it vanished
	outSent                    // archived
	outDead                    // dead-lettered
	outDeferred                // back in outbound with next_retry_at (transient failure or rate limit)
	outReleased                // back in outbound unchanged (not due yet, or shutdown)
	outError                   // the mailbox failed us; released back when possible
)

// result is what a worker reports to the loop about one entry.
type result struct {
	e       *entry
	outcome outcome
	due     time.Time     // deferred/released: when it is due
	mod     time.Time     // deferred/released: the file's new mtime and size
	size    int64         //
	pause   time.Duration // the provider throttled the channel for this long
	// requested is set once Send was called: the channel's rate token is spent.
	requested bool
}

// process claims, verifies, sends and settles one message. It runs on a worker goroutine and touches
// only the mailbox and the entry's immutable fields (provider, name).
func (en *engine) process(sendCtx context.Context, e *entry) result {
	w := en.w
	res := result{e: e}
	path := filepath.Join(w.mb.Dir(mailbox.Outbound, e.provider), e.name)
	claimed, err := en.claimer.Claim(mailbox.Entry{State: mailbox.Outbound, Provider: e.provider, Name: e.name, Path: path})
	if errors.Is(err, mailbox.ErrClaimed) {
		res.outcome = outGone
		return res
	}
	log := w.cfg.Logger.With("msg_id", mailbox.IDFromName(e.name), "provider", e.provider)
	if err != nil {
		log.Error("claim failed", "err", err)
		res.outcome = outError
		return res
	}
	now := w.cfg.Now()
	if fi, err := os.Lstat(claimed); err == nil && !fi.Mode().IsRegular() {
		return en.deadRaw(claimed, res, "not a regular file (a link or special file was not enqueued by courier); never read or sent")
	}
	if !mailbox.ValidProvider(e.provider) {
		return en.deadRaw(claimed, res, fmt.Sprintf("provider directory %q is not a valid provider name", e.provider))
	}
	m, err := mailbox.Read(claimed)
	if err != nil {
		return en.deadRaw(claimed, res, "unreadable: "+w.cfg.Redact(err.Error()))
	}
	sealReason := en.verify(m, e)
	p, ok := w.cfg.Providers[e.provider]
	if !ok {
		// Both reasons when both hold: an operator fixing the configuration must still see a forgery.
		reason := fmt.Sprintf("provider %s is not configured", e.provider)
		if sealReason != "" {
			reason += "; " + sealReason
		}
		return en.dead(claimed, m, res, now, reason)
	}
	if sealReason != "" {
		return en.dead(claimed, m, res, now, sealReason)
	}
	if due := m.Due(); due.After(now) {
		return en.release(claimed, res, outReleased, due)
	}

	attempt := m.RetryCount + 1
	ctx, cancel := context.WithTimeout(sendCtx, w.cfg.SendTimeout)
	start := time.Now()
	res.requested = true
	pmid, err := safeSend(ctx, p.Sender, m)
	w.metrics.observe(e.provider, time.Since(start))
	timedOut := ctx.Err() != nil && sendCtx.Err() == nil
	cancel()
	now = w.cfg.Now()
	log = log.With("attempt", attempt)

	if err == nil {
		m.AddAttempt(mailbox.Attempt{At: mailbox.At(now), Outcome: "sent"})
		if _, err := en.claimer.Archive(claimed, m, now, pmid); err != nil {
			log.Error("archive after a successful send failed; releasing (the message may be sent again)", "err", err)
			return en.release(claimed, res, outError, time.Time{})
		}
		w.metrics.sent(e.provider)
		log.Info("sent", "provider_message_id", pmid)
		res.outcome = outSent
		return res
	}
	if sendCtx.Err() != nil {
		log.Info("send cancelled by shutdown; released back to the queue")
		return en.release(claimed, res, outReleased, time.Time{})
	}
	msg := w.cfg.Redact(err.Error())
	if timedOut {
		msg = fmt.Sprintf("send timed out after %s: %s", w.cfg.SendTimeout, msg)
	}
	expired := !now.Before(m.FirstDue().Add(w.cfg.Retry.MaxAge))

	var rl rateLimited
	if errors.As(err, &rl) && rl.RateLimited() {
		m.AddAttempt(mailbox.Attempt{At: mailbox.At(now), Outcome: "rate_limited", Error: msg})
		if expired {
			return en.dead(claimed, m, res, now, fmt.Sprintf("gave up after max_age %s: %s", w.cfg.Retry.MaxAge, msg))
		}
		wait := rl.RetryAfter()
		if wait <= 0 {
			wait = p.ThrottleWait
		}
		res.pause = wait
		log.Warn("rate limited; deferred", "delay", wait, "err", msg)
		return en.deferMsg(claimed, m, res, now.Add(wait), msg)
	}
	m.RetryCount++
	if errors.Is(err, mailbox.ErrPermanent) {
		m.AddAttempt(mailbox.Attempt{At: mailbox.At(now), Outcome: "permanent", Error: msg})
		return en.dead(claimed, m, res, now, msg)
	}
	m.AddAttempt(mailbox.Attempt{At: mailbox.At(now), Outcome: "transient", Error: msg})
	switch {
	case m.RetryCount >= w.cfg.Retry.MaxAttempts:
		return en.dead(claimed, m, res, now, fmt.Sprintf("gave up after %d attempts: %s", m.RetryCount, msg))
	case expired:
		return en.dead(claimed, m, res, now, fmt.Sprintf("gave up after max_age %s (%d attempts): %s",
			w.cfg.Retry.MaxAge, m.RetryCount, msg))
	}
	delay := w.cfg.Retry.Backoff(m.RetryCount)
	var ra retryAfter
	if errors.As(err, &ra) && ra.RetryAfter() > delay {
		delay = ra.RetryAfter()
	}
	log.Warn("send failed; will retry", "delay", delay, "err", msg)
	return en.deferMsg(claimed, m, res, now.Add(delay), msg)
}

// verify returns why m must not be sent ("" when it may): a missing or wrong seal, a sealed file
// copied under another provider directory or file name, or a copy of a sent one (either would send it
// twice).
func (en *engine) verify(m *mailbox.Message, e *entry) string {
	switch en.sealer.Verify(m) {
	case mailbox.Unsealed:
		return "tampered: seal missing (the file was not enqueued by courier)"
	case mailbox.Tampered:
		return "tampered: seal does not match (the file was edited after enqueue)"
	}
	if m.Provider != e.provider {
		return fmt.Sprintf("tampered: provider %q does not match its directory %q", m.Provider, e.provider)
	}
	if id := mailbox.IDFromName(e.name); m.ID != id {
		return fmt.Sprintf("tampered: id %q does not match its file name %q", m.ID, e.name)
	}
	// A sent message copied back into outbound (its archive record, say) is sealed and named right,
	// but sending it would send it twice.
	if _, err := os.Lstat(filepath.Join(en.w.mb.Dir(mailbox.Archive, e.provider), e.name)); err == nil || m.Status == mailbox.StatusSent {
		return fmt.Sprintf("tampered: already sent (a copy of archive/%s/%s); never sent twice", e.provider, e.name)
	}
	return ""
}

// safeSend calls s.Send and turns a panic into a permanent failure.
func safeSend(ctx context.Context, s Sender, m *mailbox.Message) (id string, err error) {
	defer func() {
		if r := recover(); r != nil {
			id, err = "", fmt.Errorf("sender panicked: %v: %w", r, mailbox.ErrPermanent)
		}
	}()
	return s.Send(ctx, m)
}

func (en *engine) deferMsg(claimed string, m *mailbox.Message, res result, due time.Time, msg string) result {
	m.NextRetryAt = mailbox.Ptr(due)
	m.SetError(msg)
	path, err := en.claimer.Defer(claimed, m)
	if err != nil {
		en.w.cfg.Logger.Error("defer failed; releasing", "msg_id", m.ID, "provider", res.e.provider, "err", err)
		return en.release(claimed, res, outError, time.Time{})
	}
	en.w.metrics.retry()
	res.outcome, res.due = outDeferred, due
	res.mod, res.size = statFile(path)
	return res
}

func (en *engine) dead(claimed string, m *mailbox.Message, res result, now time.Time, reason string) result {
	if _, err := en.claimer.DeadLetter(claimed, m, now, reason); err != nil {
		en.w.cfg.Logger.Error("dead-letter failed; releasing", "msg_id", m.ID, "provider", res.e.provider, "err", err)
		return en.release(claimed, res, outError, time.Time{})
	}
	en.w.metrics.failed(res.e.provider)
	en.w.cfg.Logger.Error("dead-lettered", "msg_id", m.ID, "provider", res.e.provider, "err", reason)
	res.outcome = outDead
	return res
}

func (en *engine) deadRaw(claimed string, res result, reason string) result {
	if _, err := en.claimer.DeadLetterRaw(claimed, reason); err != nil {
		en.w.cfg.Logger.Error("dead-letter failed; releasing", "msg_id", mailbox.IDFromName(res.e.name),
			"provider", res.e.provider, "err", err)
		return en.release(claimed, res, outError, time.Time{})
	}
	en.w.metrics.failed(res.e.provider)
	en.w.cfg.Logger.Error("dead-lettered", "msg_id", mailbox.IDFromName(res.e.name), "provider", res.e.provider,
		"err", reason)
	res.outcome = outDead
	return res
}

// release puts the claimed file back in outbound unchanged and reports outcome (outReleased or
// outError) with due as its due time.
func (en *engine) release(claimed string, res result, out outcome, due time.Time) result {
	if err := en.claimer.Release(claimed); err != nil {
		// The claim stays in this watcher's directory; Close or RecoverStale returns it.
		en.w.cfg.Logger.Error("release failed", "msg_id", mailbox.IDFromName(res.e.name), "provider", res.e.provider,
			"err", err)
		res.outcome = outError
		return res
	}
	res.outcome, res.due = out, due
	res.mod, res.size = statFile(filepath.Join(en.w.mb.Dir(mailbox.Outbound, res.e.provider), res.e.name))
	return res
}

func statFile(path string) (time.Time, int64) {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}, -1
	}
	return fi.ModTime(), fi.Size()
}
