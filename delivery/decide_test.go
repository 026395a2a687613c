package delivery

import (
	"strings"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// TestDecide: the settle rule for one attempt, without a disk. The message was created at t0-1h with
// max_age 24h: its deadline is t0+23h.
func TestDecide(t *testing.T) {
	t.Parallel()
	pol := settlePolicy{
		Retry:        RetryPolicy{MaxAttempts: 3, InitialDelay: 5 * time.Second, MaxDelay: time.Minute, Multiplier: 2, MaxAge: 24 * time.Hour},
		ThrottleWait: time.Minute,
		backoff:      func(n int) time.Duration { return time.Duration(n) * 10 * time.Second },
	}
	msg := func(retries int) *mailbox.Message {
		return &mailbox.Message{ID: "out_test_1", CreatedAt: mailbox.At(t0.Add(-time.Hour)), RetryCount: retries}
	}
	fail := func(err error) sendOutcome { return sendOutcome{err: err, msg: err.Error()} }
	for _, tc := range []struct {
		name       string
		o          sendOutcome
		m          *mailbox.Message
		now        time.Time
		kind       verdictKind
		at         time.Time
		pause      time.Duration
		retryCount int
		attempt    string
		reason     []string // substrings of the reason
	}{
		{name: "sent", o: sendOutcome{pmid: "pm"}, m: msg(1), now: t0, kind: verdictSent, retryCount: 1, attempt: "sent"},
		{name: "transient: backoff", o: fail(errServer), m: msg(0), now: t0, kind: verdictRetry,
			at: t0.Add(10 * time.Second), retryCount: 1, attempt: "transient", reason: []string{"HTTP 500"}},
		{name: "transient: longer Retry-After wins", o: fail(&transientErr{msg: "503", after: time.Hour}), m: msg(0),
			now: t0, kind: verdictRetry, at: t0.Add(time.Hour), retryCount: 1, attempt: "transient"},
		{name: "transient: Retry-After past the deadline", o: fail(&transientErr{msg: "503", after: 999999999 * time.Second}),
			m: msg(0), now: t0, kind: verdictDead, retryCount: 1, attempt: "transient",
			reason: []string{"asked to wait 277777h46m39s", "max_age"}},
		{name: "transient: attempts used up", o: fail(errServer), m: msg(2), now: t0, kind: verdictDead, retryCount: 3,
			attempt: "transient", reason: []string{"gave up after 3 attempts", "HTTP 500"}},
		{name: "transient: max_age passed", o: fail(errServer), m: msg(0), now: t0.Add(23 * time.Hour), kind: verdictDead,
			retryCount: 1, attempt: "transient", reason: []string{"gave up after max_age 24h0m0s"}},
		{name: "permanent", o: fail(permanentErr("401 bad token")), m: msg(0), now: t0, kind: verdictDead, retryCount: 1,
			attempt: "permanent", reason: []string{"401 bad token"}},
		{name: "rate limited: Retry-After", o: fail(&rateErr{after: 2 * time.Minute}), m: msg(1), now: t0, kind: verdictDefer,
			at: t0.Add(2 * time.Minute), pause: 2 * time.Minute, retryCount: 1, attempt: "rate_limited", reason: []string{"429"}},
		{name: "rate limited: throttle_wait", o: fail(&rateErr{}), m: msg(0), now: t0, kind: verdictDefer,
			at: t0.Add(time.Minute), pause: time.Minute, attempt: "rate_limited"},
		{name: "rate limited: not counted against max_attempts", o: fail(&rateErr{}), m: msg(2), now: t0, kind: verdictDefer,
			at: t0.Add(time.Minute), pause: time.Minute, retryCount: 2, attempt: "rate_limited"},
		{name: "rate limited: Retry-After 999999999 past the deadline", o: fail(&rateErr{after: 999999999 * time.Second}),
			m: msg(0), now: t0, kind: verdictDead, attempt: "rate_limited",
			reason: []string{"asked to wait 277777h46m39s", "max_age deadline 2026-02-08T14:00:00Z"}},
		{name: "rate limited: wait ends exactly at the deadline", o: fail(&rateErr{after: 23 * time.Hour}), m: msg(0), now: t0,
			kind: verdictDefer, at: t0.Add(23 * time.Hour), pause: 23 * time.Hour, attempt: "rate_limited"},
		{name: "rate limited: max_age passed", o: fail(&rateErr{after: time.Second}), m: msg(0), now: t0.Add(23 * time.Hour),
			kind: verdictDead, attempt: "rate_limited", reason: []string{"gave up after max_age"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := *tc.m
			v := decide(tc.o, tc.m, pol, tc.now)
			if v.kind != tc.kind || !v.at.Equal(tc.at) || v.pause != tc.pause || v.retryCount != tc.retryCount || v.attempt != tc.attempt {
				t.Errorf("verdict %s at %v pause %s retry_count %d attempt %q; want %s at %v pause %s retry_count %d attempt %q",
					v.kind, v.at, v.pause, v.retryCount, v.attempt, tc.kind, tc.at, tc.pause, tc.retryCount, tc.attempt)
			}
			for _, want := range tc.reason {
				if !strings.Contains(v.reason, want) {
					t.Errorf("reason %q does not contain %q", v.reason, want)
				}
			}
			if tc.m.RetryCount != before.RetryCount || tc.m.Status != before.Status {
				t.Errorf("decide changed the message: %+v", tc.m)
			}
		})
	}
}
