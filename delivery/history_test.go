package delivery

import (
	"strings"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

type longRateErr struct{}

func (longRateErr) Error() string             { return "429 too many requests: " + strings.Repeat("x", 2000) }
func (longRateErr) RateLimited() bool         { return true }
func (longRateErr) RetryAfter() time.Duration { return time.Minute }

// A message throttled many times over its max_age stays readable: the attempts history it carries is
// bounded, so its frontmatter never outgrows what the watcher reads back.
func TestLongThrottleKeepsFileReadable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.enqueue(t, f.msg("test", "ops"))
	const throttled = 60
	for range throttled {
		f.snd.script[m.ID] = append(f.snd.script[m.ID], longRateErr{})
	}
	w := f.watcher(t)
	if sum := f.drive(t, w, throttled, time.Minute); sum.Deferred != throttled || sum.DeadLettered != 0 {
		t.Fatalf("summary %+v, want %d deferrals and no dead letter", sum, throttled)
	}
	got := f.mustState(t, m.ID, StatePending)
	if len(got.Attempts) > mailbox.KeptAttempts || got.Attempts[0].At.Time != t0 {
		t.Errorf("%d attempts kept (max %d), first at %v (want the very first, %v)", len(got.Attempts),
			mailbox.KeptAttempts, got.Attempts[0].At, t0)
	}
	if sum := f.once(t, w); sum.Sent != 1 {
		t.Fatalf("summary %+v", sum)
	}
	got = f.mustState(t, m.ID, StateSent)
	if n := len(got.Attempts); n > mailbox.KeptAttempts || got.Attempts[n-1].Outcome != "sent" {
		t.Errorf("attempts after the send: %d, last %+v", n, got.Attempts[n-1])
	}
}
