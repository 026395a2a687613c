// Package webhook POSTs courier messages to any HTTP endpoint as Standard Webhooks v1 events:
// body {"type": "courier.message", "timestamp", "data": {…message fields…, "body"}}, headers
// webhook-id (the message id, stable across retries), webhook-timestamp and webhook-signature
// (v1 HMAC-SHA256). 2xx is success; 429 is rate limited; 408 and 5xx are transient; anything else
// (3xx included: redirects are not followed) is permanent.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// Sender posts to the configured endpoint. Safe for concurrent use.
type Sender struct {
	cfg  Config
	base adapters.Base
}

// New validates cfg: url https (or loopback http), secret of the form whsec_<base64>. Errors
// never echo the URL or the secret.
func New(cfg Config, opts adapters.Options) (*Sender, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	throttle, _ := adapters.ThrottleWait(cfg.ThrottleWait, DefaultThrottleWait) // validated above
	return &Sender{cfg: cfg, base: adapters.NewBase(opts, throttle, Secrets(cfg))}, nil
}

// Send posts m to the endpoint its `to` selects (a channel alias, else url). The receiver's answer
// body is not a message id, so the id returned is always "". Errors are redacted.
func (s *Sender) Send(ctx context.Context, m *mailbox.Message) (string, error) {
	return "", s.base.Red.Error(s.send(ctx, m))
}

func (s *Sender) send(ctx context.Context, m *mailbox.Message) error {
	ch, err := adapters.Route(Name, "url", m.To, s.cfg.Channels, Channel{URL: s.cfg.URL, Secret: s.cfg.Secret}, s.cfg.URL != "")
	if err != nil {
		return err
	}
	target, secret := ch.URL, ch.Secret
	key, err := decodeSecret(secret)
	if err != nil {
		return adapters.Permanent("%s: secret: %v", Name, err)
	}
	if m.ID == "" || strings.Contains(m.ID, ".") {
		return adapters.Permanent("%s: message id %q cannot be a webhook-id", Name, m.ID)
	}
	now := s.base.Now()
	body, err := render(m, now)
	if err != nil {
		return adapters.Permanent("%s: encode: %v", Name, err)
	}
	h := http.Header{}
	h.Set("webhook-id", m.ID)
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	red := s.base.Red
	if key != nil {
		sig := signature(key, m.ID, now.Unix(), body)
		h.Set("webhook-signature", sig)
		// A receiver may quote the signature it rejected: never let it into error_message.
		red = s.base.Red.With(sig, strings.TrimPrefix(sig, "v1,"))
	}
	resp, err := adapters.PostJSON(ctx, s.base.Client, target, body, h)
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	err = adapters.ClassifyHTTPAt(resp, now)
	var f *adapters.Failure
	if errors.As(err, &f) && f.RateLimited() && f.RetryAfter() == 0 {
		err = adapters.RateLimited(s.base.Throttle, "%s", f.Error())
	}
	if err != nil {
		return fmt.Errorf("%s: %w%s", Name, err, snippet(red, resp.Body))
	}
	return nil
}

// snippet quotes the start of a receiver's error answer to help the operator, redacted before
// it is cut (a secret cut in two would no longer be recognised).
func snippet(red *adapters.Redactor, b []byte) string {
	if t := red.Snippet(string(b), 200); t != "" {
		return ": " + t
	}
	return ""
}
