package delivery

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// RetryPolicy decides how often and how long a transiently failing message is retried (docs/protocol.md, "Retry and backoff").
//
// Every send counts against MaxAttempts, the first one included: with MaxAttempts 3 a message that
// always fails transiently is sent exactly three times, then dead-lettered. Rate-limited answers do
// not count; only MaxAge bounds them. MaxAge counts from the message's first due time (created_at or
// schedule_at, restarted by `courier retry`).
//
// After the n-th failed attempt (n = retry_count after the failure, 1 for the first) the message waits
// InitialDelay × Multiplier^(n-1), capped at MaxDelay, with "equal jitter": a uniformly random delay in
// [d/2, d]. A provider's Retry-After wins when it is longer.
type RetryPolicy struct {
	MaxAttempts  int           // sends before giving up, the first included (default 8)
	InitialDelay time.Duration // wait after the first failure (default 5s)
	MaxDelay     time.Duration // cap on one wait (default 15m)
	Multiplier   float64       // growth per failure (default 2)
	MaxAge       time.Duration // give up this long after the first due time (default 24h)
}

// DefaultRetryPolicy is the default policy (docs/protocol.md, "Retry and backoff"): 8 attempts, 5s initial delay, ×2, 15m cap, 24h.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 8, InitialDelay: 5 * time.Second, MaxDelay: 15 * time.Minute,
		Multiplier: 2, MaxAge: 24 * time.Hour}
}

// withDefaults fills every zero field from DefaultRetryPolicy.
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.InitialDelay <= 0 {
		p.InitialDelay = d.InitialDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxDelay < p.InitialDelay {
		p.MaxDelay = p.InitialDelay
	}
	if p.Multiplier < 1 {
		p.Multiplier = d.Multiplier
	}
	if p.MaxAge <= 0 {
		p.MaxAge = d.MaxAge
	}
	return p
}

// Ceiling is the un-jittered delay after the n-th failure: InitialDelay × Multiplier^(n-1), capped.
func (p RetryPolicy) Ceiling(n int) time.Duration {
	d := float64(p.InitialDelay)
	for i := 1; i < n && d < float64(p.MaxDelay); i++ {
		d *= p.Multiplier
	}
	if d > float64(p.MaxDelay) {
		return p.MaxDelay
	}
	return time.Duration(d)
}

// Backoff is the jittered delay after the n-th failure, in [Ceiling(n)/2, Ceiling(n)].
func (p RetryPolicy) Backoff(n int) time.Duration {
	c := p.Ceiling(n)
	half := c / 2
	return half + rand.N(c-half+1)
}

// Rate is a per-channel send rate: at most N sends per Per. The zero Rate is unlimited.
type Rate struct {
	N   int
	Per time.Duration
}

// Unlimited reports whether r imposes no limit.
func (r Rate) Unlimited() bool { return r.N <= 0 || r.Per <= 0 }

// String formats r as ParseRate reads it.
func (r Rate) String() string {
	if r.Unlimited() {
		return ""
	}
	switch r.Per {
	case time.Second:
		return fmt.Sprintf("%d/s", r.N)
	case time.Minute:
		return fmt.Sprintf("%d/min", r.N)
	case time.Hour:
		return fmt.Sprintf("%d/h", r.N)
	}
	return fmt.Sprintf("%d/%s", r.N, r.Per)
}

// limiter is a token bucket refilling N per Per with a burst of one, so that no window of length Per
// sees more than N sends (a larger burst would allow up to 2N). Nil when unlimited.
func (r Rate) limiter() *rate.Limiter {
	if r.Unlimited() {
		return nil
	}
	return rate.NewLimiter(rate.Every(r.Per/time.Duration(r.N)), 1)
}

// ParseRate reads "N/s", "N/min" or "N/h" (also "N/sec", "N/m", "N/hour"). "" is the zero (unlimited)
// Rate.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Rate{}, nil
	}
	ns, unit, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || err != nil || n <= 0 {
		return Rate{}, fmt.Errorf("rate %q: want N/s, N/min or N/h with N > 0", s)
	}
	var per time.Duration
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "s", "sec", "second":
		per = time.Second
	case "m", "min", "minute":
		per = time.Minute
	case "h", "hour":
		per = time.Hour
	default:
		return Rate{}, fmt.Errorf("rate %q: unit must be s, min or h", s)
	}
	return Rate{N: n, Per: per}, nil
}
