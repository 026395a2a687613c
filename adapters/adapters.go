// Package adapters holds what every provider adapter shares: the provider descriptor each adapter
// returns to the registry in cmd/courier (Descriptor, Spec: strict section decoding, defaults,
// channels, secrets, sender), the webhook-robot runtime (RobotSender: route → render and sign →
// post → classify), what every HTTP sender holds (Base: client, clock, throttle_wait, redactor),
// failure classification (permanent, transient, rate limited), a redactor that
// removes secrets by value, HTTP helpers that always time out, close bodies and never follow a
// redirect, and rendering helpers (titles, cards, channel aliases). The contract test suite each
// adapter runs is in package adapterstest.
package adapters

import (
	"errors"
	"fmt"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// Common are the settings every provider section takes (README.md, "Configuration"); adapters embed it inline
// in their Config.
type Common struct {
	Rate         string `yaml:"rate,omitempty"`          // N/s, N/min, N/h per channel
	ThrottleWait string `yaml:"throttle_wait,omitempty"` // wait after a rate-limit answer without Retry-After
}

// Failure is a send failure classified by the adapter that saw it.
type Failure struct {
	permanent bool
	rateLimit bool
	after     time.Duration
	msg       string
	cause     error // a sentinel such as context.Canceled, for errors.Is; its text is not shown
}

func (f *Failure) Error() string { return f.msg }

// Unwrap lets errors.Is(err, mailbox.ErrPermanent) see permanent failures, and errors.Is(err,
// context.Canceled) (or DeadlineExceeded) see the cause of a transient one.
func (f *Failure) Unwrap() []error {
	var errs []error
	if f.permanent {
		errs = append(errs, mailbox.ErrPermanent)
	}
	if f.cause != nil {
		errs = append(errs, f.cause)
	}
	return errs
}

// Permanent reports whether retrying cannot fix the failure.
func (f *Failure) Permanent() bool { return f.permanent }

// RateLimited reports whether the provider asked us to slow down.
func (f *Failure) RateLimited() bool { return f.rateLimit }

// RetryAfter is the provider's requested wait (0 when it gave none).
func (f *Failure) RetryAfter() time.Duration { return f.after }

// Permanent is a failure that retrying cannot fix. msg must already be redacted.
func Permanent(format string, args ...any) error {
	return &Failure{permanent: true, msg: fmt.Sprintf(format, args...)}
}

// Transient is a failure worth retrying; after is the provider's Retry-After (0 if none).
func Transient(after time.Duration, format string, args ...any) error {
	return &Failure{after: after, msg: fmt.Sprintf(format, args...)}
}

// TransientCause is Transient with a cause that errors.Is can see (context.Canceled,
// context.DeadlineExceeded, …). Only the cause's identity is kept, never its text: the message is
// format/args, which must already be redacted.
func TransientCause(cause error, after time.Duration, format string, args ...any) error {
	return &Failure{after: after, cause: cause, msg: fmt.Sprintf(format, args...)}
}

// RateLimited is a rate-limit answer; after is the provider's wait (0: use throttle_wait).
func RateLimited(after time.Duration, format string, args ...any) error {
	return &Failure{rateLimit: true, after: after, msg: fmt.Sprintf(format, args...)}
}

// IsPermanent reports whether err is a permanent failure.
func IsPermanent(err error) bool { return errors.Is(err, mailbox.ErrPermanent) }

// Check inspects a message before enqueue and returns what the provider would refuse (size, content
// type) as a *CheckError, or nil. `courier validate` runs it; it never does I/O.
type Check func(m *mailbox.Message) error

// CheckError names the draft field a Check rejected.
type CheckError struct {
	Field string
	Msg   string
}

func (e *CheckError) Error() string { return e.Field + ": " + e.Msg }
