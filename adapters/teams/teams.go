// Package teams sends courier messages to Microsoft Teams through a Power Automate Workflows
// webhook ("Post to a channel when a webhook request is received"): one POST of a message
// envelope holding an Adaptive Card (Markdown becomes TextBlocks; a `card` body is the Adaptive
// Card itself).
//
// What success means: Teams answers 202 Accepted (or 200) when the workflow run has been queued.
// The card is posted later by the flow, and a failure inside the workflow (a malformed card, a
// flow turned off, a channel the flow cannot post to) is invisible to the sender: courier records
// the message as sent. Check the flow's run history in Power Automate when a message is missing.
//
// Failures the webhook does report: 429 is a rate limit (Retry-After honoured, else throttle_wait);
// 408 and 5xx are transient; any other status (400 bad request, 401/403 bad or expired sig, 404
// deleted workflow) is permanent. Teams has no threading for webhook posts, so reply_to and
// thread fields are ignored.
package teams

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// Sender posts to Workflows webhooks. Safe for concurrent use; every Send honours ctx and the
// client's timeout.
type Sender struct {
	cfg      Config
	client   *http.Client
	now      func() time.Time
	throttle time.Duration
	red      *adapters.Redactor
}

// New validates cfg (https except loopback; retired Office 365 connector URLs refused; errors never
// echo a secret).
func New(cfg Config, opts adapters.Options) (*Sender, error) {
	throttle, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	opts = opts.WithDefaults()
	return &Sender{cfg: cfg, client: opts.Client, now: opts.Now, throttle: throttle,
		red: adapters.NewRedactor(Secrets(cfg)...)}, nil
}

// Send posts m to the webhook its `to` selects: a configured channel alias, else the default
// webhook (the `to` entry is then only a label: a workflow posts where it was set up to). Teams
// returns no message id, so the id is always "". Errors are redacted.
func (s *Sender) Send(ctx context.Context, m *mailbox.Message) (string, error) {
	return "", s.red.Error(s.send(ctx, m))
}

func (s *Sender) send(ctx context.Context, m *mailbox.Message) error {
	ch, err := adapters.Route(Name, "webhook", m.To, s.cfg.Channels, Channel{Webhook: s.cfg.Webhook}, s.cfg.Webhook != "")
	if err != nil {
		return err
	}
	hook := ch.Webhook
	body, err := payload(m)
	if err != nil {
		return adapters.Permanent("%s: %v", Name, err)
	}
	resp, err := adapters.PostJSON(ctx, s.client, hook, body, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	return s.classify(resp)
}

// classify maps the trigger's answer to success or a Failure (providers.md §5.2: error statuses
// are UNVERIFIED, so plain HTTP semantics apply, with the Logic Apps error code when present).
func (s *Sender) classify(resp *adapters.Response) error {
	if resp.Status >= 200 && resp.Status < 300 { // 202 Accepted in practice; 200 from some flows
		return nil
	}
	what := fmt.Sprintf("%s: HTTP %d", Name, resp.Status)
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(resp.Body, &e) == nil && e.Error.Code != "" {
		what += ": " + e.Error.Code
		if msg := s.red.Snippet(e.Error.Message, 200); msg != "" { // redacted before it is cut
			what += ": " + msg
		}
	}
	after := adapters.ParseRetryAfter(resp.Header.Get("Retry-After"), s.now())
	switch {
	case resp.Status == http.StatusTooManyRequests:
		if after == 0 {
			after = s.throttle
		}
		return adapters.RateLimited(after, "%s (rate limited)", what)
	case resp.Status >= 500 || resp.Status == http.StatusRequestTimeout:
		return adapters.Transient(after, "%s", what)
	default:
		return adapters.Permanent("%s", what)
	}
}
