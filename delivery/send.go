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
	outAccepted                // accepted by the provider: kept claimed until the archiver writes its record
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
	reason  string        // deferred after a rate limit: the provider's answer
	// deadline, when set, is the message's max_age deadline as read from the file now.
	deadline time.Time
	// requested is set once Send was called: the channel's rate token is spent.
	requested bool
	accepted  *archiveJob // outAccepted: what the archiver writes
}

// unarchived is a message the provider accepted whose archive record is not written yet. Its file
// stays in this watcher's claim directory (no watcher sends it again) until Archive succeeds.
type unarchived struct {
	claimed string
	m       *mailbox.Message
	logged  time.Time // when the last failure was logged
}

// job is one entry handed to a worker. expire, when set, says the entry's channel is paused past the
// message's max_age deadline: the worker dead-letters it with that reason instead of sending it.
type job struct {
	e      *entry
	expire string
}

// process claims, verifies, sends and settles one message. It runs on a worker goroutine and touches
// only the mailbox and the entry's immutable fields (provider, name).
func (en *engine) process(sendCtx context.Context, j job) result {
	e := j.e
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
	m, out, ok := en.admit(claimed, res)
	if !ok {
		return out
	}
	now := w.cfg.Now()
	if m.Status == mailbox.StatusSent {
		// Accepted by a provider before (its archive write failed, then the watcher stopped): archive
		// it, never send it again.
		return en.apply(claimed, m, res, verdict{kind: verdictSent, retryCount: m.RetryCount}, sendOutcome{}, now)
	}
	deadline := m.FirstDue().Add(w.cfg.Retry.MaxAge)
	if j.expire != "" && !now.Before(deadline) {
		return en.dead(claimed, m, res, now, fmt.Sprintf("gave up after max_age %s: %s", w.cfg.Retry.MaxAge, j.expire))
	}
	if due := m.Due(); due.After(now) || j.expire != "" {
		res.deadline = deadline // an expiry job found a later deadline (requeued meanwhile)
		return en.release(claimed, res, outReleased, due)
	}

	p := w.cfg.Providers[e.provider]
	res.requested = true
	o := en.send(sendCtx, p.Sender, m)
	if o.err != nil && sendCtx.Err() != nil {
		log.Info("send cancelled by shutdown; released back to the queue")
		return en.release(claimed, res, outReleased, time.Time{})
	}
	now = w.cfg.Now()
	v := decide(o, m, settlePolicy{Retry: w.cfg.Retry, ThrottleWait: p.ThrottleWait}, now)
	return en.apply(claimed, m, res, v, o, now)
}

// admit reads and verifies a claimed file. When the message must not be sent it dead-letters it (or
// releases it when the mailbox fails) and returns ok false with the result.
func (en *engine) admit(claimed string, res result) (*mailbox.Message, result, bool) {
	w, e := en.w, res.e
	fi, err := os.Lstat(claimed)
	if err == nil {
		err = mailbox.CheckFile(claimed, fi)
	}
	if err != nil {
		return nil, en.deadRaw(claimed, res, w.cfg.Redact(err.Error())), false
	}
	if !mailbox.ValidProvider(e.provider) {
		return nil, en.deadRaw(claimed, res, fmt.Sprintf("provider directory %q is not a valid provider name", e.provider)), false
	}
	m, err := mailbox.Read(claimed)
	if err != nil {
		return nil, en.deadRaw(claimed, res, "unreadable: "+w.cfg.Redact(err.Error())), false
	}
	sealReason, err := en.verify(m, e)
	if err != nil {
		w.cfg.Logger.Error("cannot verify; released", "msg_id", m.ID, "provider", e.provider, "err", err)
		return nil, en.release(claimed, res, outError, time.Time{}), false
	}
	now := w.cfg.Now()
	if sealReason == "" && m.Status == mailbox.StatusSent {
		return m, res, true // accepted before: archived whether or not its provider is still configured
	}
	if _, ok := w.cfg.Providers[e.provider]; !ok {
		// Both reasons when both hold: an operator fixing the configuration must still see a forgery.
		reason := fmt.Sprintf("provider %s is not configured", e.provider)
		if sealReason != "" {
			reason += "; " + sealReason
		}
		return nil, en.dead(claimed, m, res, now, reason), false
	}
	if sealReason != "" {
		return nil, en.dead(claimed, m, res, now, sealReason), false
	}
	return m, res, true
}

// send makes one attempt, bounded by SendTimeout, and records its duration.
func (en *engine) send(sendCtx context.Context, s Sender, m *mailbox.Message) sendOutcome {
	w := en.w
	ctx, cancel := context.WithTimeout(sendCtx, w.cfg.SendTimeout)
	defer cancel()
	start := time.Now()
	pmid, err := safeSend(ctx, s, m)
	w.metrics.observe(m.Provider, time.Since(start))
	o := sendOutcome{pmid: pmid, err: err}
	if err != nil {
		o.msg = w.cfg.Redact(err.Error())
		if ctx.Err() != nil && sendCtx.Err() == nil {
			o.msg = fmt.Sprintf("send timed out after %s: %s", w.cfg.SendTimeout, o.msg)
		}
	}
	return o
}

// apply carries out v for the claimed message m through the mailbox: the one place a send's verdict
// is written.
func (en *engine) apply(claimed string, m *mailbox.Message, res result, v verdict, o sendOutcome, now time.Time) result {
	log := en.w.cfg.Logger.With("msg_id", m.ID, "provider", res.e.provider, "attempt", v.retryCount+1)
	m.RetryCount = v.retryCount
	if v.attempt != "" {
		a := mailbox.Attempt{At: mailbox.At(now), Outcome: v.attempt}
		if v.kind != verdictSent {
			a.Error = o.msg
		}
		m.AddAttempt(a)
	}
	switch v.kind {
	case verdictSent:
		return en.archive(claimed, m, res, now, o.pmid)
	case verdictDefer:
		res.pause, res.reason = v.pause, v.reason
		log.Warn("rate limited; deferred", "delay", v.pause, "err", v.reason)
		return en.deferMsg(claimed, m, res, v.at, v.reason)
	case verdictRetry:
		log.Warn("send failed; will retry", "delay", v.at.Sub(now), "err", v.reason)
		return en.deferMsg(claimed, m, res, v.at, v.reason)
	default:
		return en.dead(claimed, m, res, now, v.reason)
	}
}

// archive hands a provider's acceptance to the archiver: the message stays in this watcher's claim
// directory (no watcher sends it again) until its archive record is written, while its channel moves
// on to the next message (docs/protocol.md, "Guarantees").
func (en *engine) archive(claimed string, m *mailbox.Message, res result, now time.Time, pmid string) result {
	en.w.metrics.sent(res.e.provider)
	res.outcome = outAccepted
	res.accepted = &archiveJob{e: res.e, claimed: claimed, m: m, now: now, pmid: pmid}
	return res
}

// archived takes a group the archiver wrote. When a message's archive write failed its acceptance
// is recorded in the claimed file (status sent), which stays claimed: retryArchives tries the archive
// write again every Interval and no watcher sends the message again (docs/protocol.md, "Guarantees").
func (en *engine) archived(batch []archiveJob) {
	en.archiving -= len(batch)
	for _, j := range batch {
		log := en.w.cfg.Logger.With("msg_id", j.m.ID, "provider", j.e.provider)
		if j.err == nil {
			log.Info("sent", "provider_message_id", j.m.ProviderMessageID)
			continue
		}
		reason := "accepted by the provider; writing its archive record failed (retrying): " + en.w.cfg.Redact(j.err.Error())
		if rerr := en.claimer.RecordAccepted(j.claimed, j.m, j.now, j.pmid, reason); rerr != nil {
			log.Error("recording the acceptance failed too; kept claimed (a crash now may send it once more)", "err", rerr)
		}
		log.Error("archive failed; kept out of the send path, retrying the write every interval", "err", j.err)
		en.unarchived = append(en.unarchived, &unarchived{claimed: j.claimed, m: j.m, logged: en.w.cfg.Now()})
	}
}

// retryArchives tries again to write the archive records of accepted messages. A failure is logged
// at most once per Interval.
func (en *engine) retryArchives() {
	now := en.w.cfg.Now()
	kept := en.unarchived[:0]
	for _, u := range en.unarchived {
		if _, err := en.claimer.Archive(u.claimed, u.m, now, u.m.ProviderMessageID); err != nil {
			if now.Sub(u.logged) >= en.w.cfg.Interval {
				en.w.cfg.Logger.Error("archive still failing; kept out of the send path", "msg_id", u.m.ID,
					"provider", u.m.Provider, "err", err)
				u.logged = now
			}
			kept = append(kept, u)
			continue
		}
		en.w.cfg.Logger.Info("sent", "msg_id", u.m.ID, "provider", u.m.Provider,
			"provider_message_id", u.m.ProviderMessageID)
	}
	en.unarchived = kept
}

// verify returns why m must not be sent ("" when it may): a missing or wrong seal, a sealed file
// copied under another provider directory or file name, or a copy of a sent one (either would send it
// twice). It fails when the seal key or the archive cannot be read.
func (en *engine) verify(m *mailbox.Message, e *entry) (string, error) {
	sealer, err := en.w.mb.Sealer()
	if err != nil {
		return "", err
	}
	switch sealer.Verify(m) {
	case mailbox.Unsealed:
		return "tampered: seal missing (the file was not enqueued by courier)", nil
	case mailbox.Tampered:
		return "tampered: seal does not match (the file was edited after enqueue)", nil
	}
	if m.Provider != e.provider {
		return fmt.Sprintf("tampered: provider %q does not match its directory %q", m.Provider, e.provider), nil
	}
	// A sent message copied back into outbound (its archive record, say) is sealed, but sending it
	// would send it twice.
	archived, err := en.w.mb.Archived(m.ID)
	if err != nil {
		return "", err
	}
	if archived {
		return fmt.Sprintf("tampered: already sent: duplicate of the archived message %s; never sent twice", m.ID), nil
	}
	if id := mailbox.IDFromName(e.name); m.ID != id {
		return fmt.Sprintf("tampered: id %q does not match its file name %q", m.ID, e.name), nil
	}
	if want := mailbox.FileName(m); e.name != want {
		return fmt.Sprintf("tampered: file name %q is not %q, the name its created_at and id give "+
			"(a sealed message copied under another name is not a new message)", e.name, want), nil
	}
	return "", nil
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
