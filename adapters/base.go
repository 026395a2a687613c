package adapters

import (
	"net/http"
	"time"
)

// Base is what every HTTP sender (a RobotSender, Slack, the generic webhook) holds besides its
// section: the client (always bounded by a timeout), the clock, throttle_wait (the wait after a
// rate-limit answer without its own) and the redactor that knows the section's secrets.
type Base struct {
	Client   *http.Client
	Now      func() time.Time
	Throttle time.Duration
	Red      *Redactor
}

// NewBase returns the Base of a sender built with opts (nil fields filled in: WithDefaults), the
// parsed throttle_wait and every secret of its section.
func NewBase(opts Options, throttle time.Duration, secrets []string) Base {
	opts = opts.WithDefaults()
	return Base{Client: opts.Client, Now: opts.Now, Throttle: throttle, Red: NewRedactor(secrets...)}
}
