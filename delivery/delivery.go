// Package delivery is courier's watcher: it claims due messages from the outbound mailbox, sends them
// through the configured providers' Senders, and settles each one — archive on success, defer with
// backoff on a transient failure or a rate limit, dead-letter when it cannot be sent. It also offers
// the queue operations (ListQueue, Retry, RetryDead) and the local HTTP API with metrics.
//
// The watcher never imports an adapter: cmd/courier hands it a Provider (a Sender plus its rate
// settings) per configured provider name. Everything it knows about a message is on disk
// (delivery/mailbox); its in-memory index is only a cache of due times.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// Sender delivers messages for one provider.
//
// Send delivers m once and returns the provider's message id when the provider gives one. It must
// return when ctx is done (the watcher bounds every attempt with Config.SendTimeout and cancels
// in-flight sends on shutdown). It may be called concurrently for different messages. It must not
// modify m. Permanent failures wrap mailbox.ErrPermanent; rate-limit failures implement
// interface{ RateLimited() bool; RetryAfter() time.Duration }; any other error is transient (it may
// also implement RetryAfter() to ask for a minimum wait). Error texts must not contain secrets; the
// watcher applies Config.Redact on top as a second line of defence. A panic is treated as a permanent
// failure.
type Sender interface {
	Send(ctx context.Context, m *mailbox.Message) (providerMsgID string, err error)
}

// Provider is one configured provider as the watcher sees it.
type Provider struct {
	Sender       Sender
	Rate         Rate          // per channel (provider + first `to` entry); zero = unlimited
	ThrottleWait time.Duration // wait after a rate-limit answer without Retry-After (default 1m)
}

// Config configures a Watcher. Zero fields take the documented defaults.
type Config struct {
	Interval      time.Duration // safety-net rescan (default 5s)
	SendTimeout   time.Duration // per attempt (default 30s)
	ShutdownGrace time.Duration // how long in-flight sends may finish after cancel (default 10s)
	Concurrency   int           // sends in flight at most (default 4)
	Retry         RetryPolicy   // zero fields take DefaultRetryPolicy's values

	// Providers are the configured providers by name. A message in outbound/<p>/ with no entry here
	// is dead-lettered ("provider <p> is not configured"), never skipped.
	Providers map[string]Provider

	// APIHosts are host names (or addresses) besides the loopback ones that the local API answers
	// to, in the Host and Origin headers (config watch.api_hosts). Compared without port, case-
	// insensitively.
	APIHosts []string

	// Fetch, when set, serves POST /api/v1/courier/fetch (central mode): it fetches the remote and
	// delivers what it brought, returning the messages enqueued and the invalid versions found.
	// nil: the endpoint answers 404.
	Fetch func(ctx context.Context) (delivered, invalid int, err error)

	Logger *slog.Logger        // default: discard
	Now    func() time.Time    // clock (default time.Now); tests inject a fake
	Redact func(string) string // applied to every error_message and log line from a send error
}

// Summary counts what one Once run did.
type Summary struct {
	Sent, Deferred, DeadLettered int
}

// Watcher sends the messages of one mailbox. Run or Once may be called once at a time; Sweep and
// Handler are safe for concurrent use.
type Watcher struct {
	mb      *mailbox.Mailbox
	cfg     Config
	sweep   chan struct{}
	metrics *metrics
	busy    atomic.Bool
	onReady func() // tests: called by Run after its initial scan
	onTick  func() // tests: called by Run after each periodic rescan
	// beforeArchive, for tests, runs on the archiver before it writes each group of archive records.
	beforeArchive func()
}

// ErrBusy is returned by Run and Once when the Watcher is already running.
var ErrBusy = errors.New("watcher is already running")

// New checks cfg, fills in its defaults and returns a Watcher for mb. It touches nothing on disk.
func New(mb *mailbox.Mailbox, cfg Config) (*Watcher, error) {
	if mb == nil {
		return nil, errors.New("delivery: nil mailbox")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Second
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 30 * time.Second
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 10 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	cfg.Retry = cfg.Retry.withDefaults()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Redact == nil {
		cfg.Redact = func(s string) string { return s }
	}
	provs := make(map[string]Provider, len(cfg.Providers))
	for name, p := range cfg.Providers {
		if !mailbox.ValidProvider(name) {
			return nil, fmt.Errorf("delivery: invalid provider name %q", name)
		}
		if p.Sender == nil {
			return nil, fmt.Errorf("delivery: provider %s has no sender", name)
		}
		if p.ThrottleWait <= 0 {
			p.ThrottleWait = time.Minute
		}
		provs[name] = p
	}
	cfg.Providers = provs
	return &Watcher{mb: mb, cfg: cfg, sweep: make(chan struct{}, 1), metrics: newMetrics()}, nil
}

// Sweep asks a running watcher to rescan the mailbox now. It never blocks.
func (w *Watcher) Sweep() {
	select {
	case w.sweep <- struct{}{}:
	default:
	}
}

// rateLimited is what a rate-limit failure implements.
type rateLimited interface {
	RateLimited() bool
	RetryAfter() time.Duration
}

// retryAfter is what a transient failure may implement to ask for a minimum wait.
type retryAfter interface{ RetryAfter() time.Duration }
