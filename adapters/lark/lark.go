// Package lark sends courier messages through a Lark / Feishu custom bot (webhook
// …/open-apis/bot/v2/hook/<token>, optional signature in the JSON body). Success is only code 0
// (or the legacy StatusCode 0); every other answer is classified as permanent, transient or rate
// limited (providers.md §2).
package lark

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// Sender sends to Lark/Feishu custom bots. Safe for concurrent use.
type Sender struct {
	cfg      Config
	client   *http.Client
	now      func() time.Time
	throttle time.Duration
	red      *adapters.Redactor
}

// New validates cfg (URLs must be https except loopback; errors never echo a secret).
func New(cfg Config, opts adapters.Options) (*Sender, error) {
	throttle, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	opts = opts.WithDefaults()
	return &Sender{cfg: cfg, client: opts.Client, now: opts.Now, throttle: throttle,
		red: adapters.NewRedactor(Secrets(cfg)...)}, nil
}

// Send posts m to the bot its `to` selects: a configured channel alias, else the default webhook.
// Several different aliases in one message is a permanent error. The custom bot returns no
// message id, so the id is always "". Errors are redacted.
func (s *Sender) Send(ctx context.Context, m *mailbox.Message) (string, error) {
	return "", s.red.Error(s.send(ctx, m))
}

func (s *Sender) send(ctx context.Context, m *mailbox.Message) error {
	ch, err := adapters.Route(Name, "webhook", m.To, s.cfg.Channels,
		Channel{Webhook: s.cfg.Webhook, Secret: s.cfg.Secret}, s.cfg.Webhook != "")
	if err != nil {
		return err
	}
	hook, secret := ch.Webhook, ch.Secret
	p, err := render(m)
	if err != nil {
		return adapters.Permanent("%s: %v", Name, err)
	}
	red := s.red
	if secret != "" {
		ts := s.now().Unix()
		sig := sign(secret, ts)
		p["timestamp"], p["sign"] = strconv.FormatInt(ts, 10), sig
		// The sign is a credential for its hour: a msg quoting the request must not carry it
		// into error_message.
		red = s.red.With(sig)
	}
	body, err := adapters.MarshalJSON(p)
	if err != nil {
		return adapters.Permanent("%s: encode: %v", Name, err)
	}
	resp, err := adapters.PostJSON(ctx, s.client, hook, body, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	return red.Error(s.classify(resp))
}

// sign is base64(HMAC-SHA256(key="{timestamp}\n{secret}", msg="")) for a timestamp in seconds.
func sign(secret string, ts int64) string {
	h := hmac.New(sha256.New, []byte(strconv.FormatInt(ts, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// answer is the bot's reply: code/msg, or the legacy StatusCode/StatusMessage pair.
type answer struct {
	Code          *int   `json:"code"`
	Msg           string `json:"msg"`
	StatusCode    *int   `json:"StatusCode"`
	StatusMessage string `json:"StatusMessage"`
}

// classify maps the answer to nil or a classified failure. Unknown non-zero codes are transient.
func (s *Sender) classify(resp *adapters.Response) error {
	var a answer
	jsonErr := json.Unmarshal(resp.Body, &a)
	if resp.Status != http.StatusOK && (jsonErr != nil || (a.Code == nil && a.StatusCode == nil)) {
		if err := adapters.ClassifyHTTPAt(resp, s.now()); err != nil {
			return fmt.Errorf("%s: %w", Name, err)
		}
	}
	if jsonErr != nil {
		return adapters.Transient(0, "%s: HTTP %d with an unreadable answer (not JSON); delivery unknown", Name, resp.Status)
	}
	code, msg := 0, strings.TrimSpace(a.Msg)
	switch {
	case a.Code != nil:
		code = *a.Code
	case a.StatusCode != nil:
		code, msg = *a.StatusCode, strings.TrimSpace(a.StatusMessage)
	default:
		return adapters.Transient(0, "%s: HTTP %d answer without code; delivery unknown", Name, resp.Status)
	}
	switch code {
	case 0:
		if resp.Status/100 != 2 {
			return adapters.Transient(0, "%s: HTTP %d with code 0; delivery unknown", Name, resp.Status)
		}
		return nil
	case 11232, 230020:
		wait := adapters.ParseRetryAfter(resp.Header.Get("Retry-After"), s.now())
		if wait == 0 {
			wait = s.throttle
		}
		return adapters.RateLimited(wait, "%s: code %d: rate limited: %s", Name, code, msg)
	case 19021:
		return adapters.Permanent("%s: code 19021: signature or timestamp rejected (check the bot's secret and the clock): %s", Name, msg)
	case 19022:
		return adapters.Permanent("%s: code 19022: sender IP not in the bot's allow-list: %s", Name, msg)
	case 19024:
		return adapters.Permanent("%s: code 19024: message lacks the bot's custom keyword: %s", Name, msg)
	case 19001:
		return adapters.Permanent("%s: code 19001: webhook token invalid (bot removed?): %s", Name, msg)
	case 9499:
		return adapters.Permanent("%s: code 9499: bad request (payload shape or size): %s", Name, msg)
	default:
		return adapters.Transient(0, "%s: code %d: %s", Name, code, msg)
	}
}
