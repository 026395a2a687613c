package delivery

import (
	"errors"
	"fmt"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// verdictKind is what becomes of a message after one send attempt.
type verdictKind int

const (
	verdictSent  verdictKind = iota // the provider accepted it: archive
	verdictRetry                    // transient failure: retry_count + 1, due again at
	verdictDefer                    // rate limited: due again at, retry_count unchanged, channel paused
	verdictDead                     // dead-letter with reason
)

func (k verdictKind) String() string { return [...]string{"sent", "retry", "defer", "dead"}[k] }

// sendOutcome is what one call to a Sender returned.
type sendOutcome struct {
	pmid string // the provider's message id, on success
	err  error  // nil on success
	msg  string // err's text, redacted, saying so when the attempt timed out
}

// settlePolicy is what decide needs to know about the watcher's configuration.
type settlePolicy struct {
	Retry        RetryPolicy
	ThrottleWait time.Duration             // wait after a rate-limit answer without Retry-After
	backoff      func(n int) time.Duration // delay after the n-th failure (default Retry.Backoff)
}

// verdict is decide's answer: what to write and where the message goes.
type verdict struct {
	kind       verdictKind
	at         time.Time     // retry, defer: when the message is due again
	pause      time.Duration // defer: how long its channel waits
	reason     string        // retry, defer: error_message; dead: the dead-letter reason
	attempt    string        // the outcome recorded in attempts: sent, transient, rate_limited, permanent
	retryCount int           // retry_count after this attempt
}

// decide is the settle rule for one send attempt of m that ended at now with o (docs/protocol.md,
// "Retry and backoff"). It reads m and changes nothing:
//
//   - success → sent;
//   - rate limited → deferred by the provider's wait (Retry-After, else ThrottleWait) without counting
//     an attempt; dead when max_age has passed or the wait would end after the max_age deadline;
//   - permanent → dead with the error;
//   - transient → retry_count + 1 and a retry after the backoff (a longer Retry-After wins); dead when
//     the attempts are used up, max_age has passed, or a Retry-After would end after the deadline.
func decide(o sendOutcome, m *mailbox.Message, p settlePolicy, now time.Time) verdict {
	if o.err == nil {
		return verdict{kind: verdictSent, attempt: "sent", retryCount: m.RetryCount}
	}
	deadline := m.FirstDue().Add(p.Retry.MaxAge)
	expired := !now.Before(deadline)
	var rl rateLimited
	if errors.As(o.err, &rl) && rl.RateLimited() {
		v := verdict{kind: verdictDead, attempt: "rate_limited", retryCount: m.RetryCount}
		wait := rl.RetryAfter()
		if wait <= 0 {
			wait = p.ThrottleWait
		}
		switch {
		case expired:
			v.reason = fmt.Sprintf("gave up after max_age %s: %s", p.Retry.MaxAge, o.msg)
		case now.Add(wait).After(deadline):
			v.reason = fmt.Sprintf("gave up: the provider asked to wait %s, past the max_age deadline %s (max_age %s): %s",
				wait, deadline.UTC().Format(time.RFC3339), p.Retry.MaxAge, o.msg)
		default:
			v.kind, v.at, v.pause, v.reason = verdictDefer, now.Add(wait), wait, o.msg
		}
		return v
	}
	v := verdict{kind: verdictDead, attempt: "transient", retryCount: m.RetryCount + 1, reason: o.msg}
	if errors.Is(o.err, mailbox.ErrPermanent) {
		v.attempt = "permanent"
		return v
	}
	switch {
	case v.retryCount >= p.Retry.MaxAttempts:
		v.reason = fmt.Sprintf("gave up after %d attempts: %s", v.retryCount, o.msg)
		return v
	case expired:
		v.reason = fmt.Sprintf("gave up after max_age %s (%d attempts): %s", p.Retry.MaxAge, v.retryCount, o.msg)
		return v
	}
	backoff := p.backoff
	if backoff == nil {
		backoff = p.Retry.Backoff
	}
	delay := backoff(v.retryCount)
	var ra retryAfter
	if errors.As(o.err, &ra) && ra.RetryAfter() > delay {
		delay = ra.RetryAfter()
		if now.Add(delay).After(deadline) {
			v.reason = fmt.Sprintf("gave up: the provider asked to wait %s (Retry-After), past the max_age deadline %s (max_age %s; %d attempts): %s",
				delay, deadline.UTC().Format(time.RFC3339), p.Retry.MaxAge, v.retryCount, o.msg)
			return v
		}
	}
	v.kind, v.at = verdictRetry, now.Add(delay)
	return v
}
