// Package slack sends courier messages to Slack: through an incoming webhook (success is HTTP 200
// with the body "ok"; errors are plain-text codes such as invalid_token or no_service), or, when a
// bot token is configured, through chat.postMessage (success is "ok": true with the message's
// ts, returned as the provider message id). Markdown is converted to Slack mrkdwn. 429 answers
// are rate limits honouring Retry-After; 5xx and Slack's internal_error-style codes are
// transient; credential, channel and payload errors are permanent (docs/providers.md, "Slack").
package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// Sender sends to Slack. Safe for concurrent use; every Send honours ctx and the client's timeout.
type Sender struct {
	cfg  Config
	base adapters.Base
}

// New validates cfg (URLs must be https except loopback; errors never echo a secret).
func New(cfg Config, opts adapters.Options) (*Sender, error) {
	throttle, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	cfg.APIBase = strings.TrimRight(cfg.APIBase, "/")
	return &Sender{cfg: cfg, base: adapters.NewBase(opts, throttle, Secrets(cfg))}, nil
}

// Send posts m. Routing: a `to` entry naming an alias with a webhook → that webhook; else, with
// a bot token, chat.postMessage to the alias's channel, or the `to` entry (a channel id or name),
// or Channel; else the default webhook (`to` is then only a label: a webhook posts to its own
// channel). thread_ts is the first of thread_key, thread_root, reply_to that is a Slack ts.
// A webhook returns no message id (""); chat.postMessage returns the posted ts. Errors are redacted.
func (s *Sender) Send(ctx context.Context, m *mailbox.Message) (string, error) {
	id, err := s.send(ctx, m)
	return id, s.base.Red.Error(err)
}

func (s *Sender) send(ctx context.Context, m *mailbox.Message) (string, error) {
	p, err := render(m)
	if err != nil {
		return "", adapters.Permanent("%s: %v", Name, err)
	}
	for _, ts := range []string{m.ThreadKey, m.ThreadRoot, m.ReplyTo} {
		if isSlackTS(strings.TrimSpace(ts)) {
			p["thread_ts"] = strings.TrimSpace(ts)
			break
		}
	}
	hook, channel, err := s.route(m)
	if err != nil {
		return "", err
	}
	if hook != "" {
		return "", s.webhook(ctx, hook, p)
	}
	p["channel"] = channel
	return s.postMessage(ctx, p)
}

// route picks the webhook (hook != "") or the chat.postMessage channel for m.
func (s *Sender) route(m *mailbox.Message) (hook, channel string, err error) {
	alias, err := adapters.PickAlias(m.To, s.cfg.Channels)
	if err != nil {
		return "", "", adapters.Permanent("%s: %v", Name, err)
	}
	if alias != "" {
		ch := s.cfg.Channels[alias]
		if ch.Webhook != "" {
			return ch.Webhook, "", nil
		}
		return "", ch.Channel, nil
	}
	if s.cfg.Token == "" {
		if s.cfg.Webhook == "" {
			return "", "", adapters.Permanent("%s: to %q names no configured channel and no default webhook is set",
				Name, strings.Join(m.To, ", "))
		}
		return s.cfg.Webhook, "", nil
	}
	var found []string
	for _, t := range m.To {
		if t = strings.TrimSpace(t); isChannelRef(t) && !slices.Contains(found, t) {
			found = append(found, t)
		}
	}
	switch {
	case len(found) == 1:
		return "", found[0], nil
	case len(found) > 1:
		return "", "", adapters.Permanent("%s: to names several channels (%s); send one message per channel",
			Name, strings.Join(found, ", "))
	case s.cfg.Channel != "":
		return "", s.cfg.Channel, nil
	}
	return "", "", adapters.Permanent("%s: no channel: `to` is not a channel id or name and no default channel is set", Name)
}

// isChannelRef reports whether s is a conversation id (C…, G…, D…, or a user id for a DM: one of
// CGDUW then 6 or more of A-Z, 0-9) or a channel name (an optional '#', then a-z or 0-9, then up to
// 79 of a-z, 0-9, '.', '_', '-'). Byte checks, not a package-level regexp: compiling the {0,79}
// repeat at init cost every start of the binary (git hooks start it on every commit) ≈0.3 ms.
func isChannelRef(s string) bool {
	if isConversationID(s, "CGDUW") {
		return true
	}
	n := strings.TrimPrefix(s, "#")
	if len(n) == 0 || len(n) > 80 || !isLowerOrDigit(n[0]) {
		return false
	}
	for i := 1; i < len(n); i++ {
		if c := n[i]; !isLowerOrDigit(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// isConversationID reports whether s is one of the bytes in kinds followed by 6 or more of A-Z, 0-9.
func isConversationID(s, kinds string) bool {
	if len(s) < 7 || strings.IndexByte(kinds, s[0]) < 0 {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z') && !('0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func isLowerOrDigit(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// webhook posts p to an incoming webhook.
func (s *Sender) webhook(ctx context.Context, hook string, p map[string]any) error {
	body, err := adapters.MarshalJSON(p)
	if err != nil {
		return adapters.Permanent("%s: encode payload: %v", Name, err)
	}
	resp, err := adapters.PostJSON(ctx, s.base.Client, hook, body, nil)
	if err != nil {
		return fmt.Errorf("%s: webhook: %w", Name, err)
	}
	code := strings.TrimSpace(firstLine(resp.Body))
	if resp.Status == http.StatusOK && code == "ok" {
		return nil
	}
	return s.classify(resp, code, "webhook")
}

// postMessage calls chat.postMessage with p and returns the posted message's ts.
func (s *Sender) postMessage(ctx context.Context, p map[string]any) (string, error) {
	body, err := adapters.MarshalJSON(p)
	if err != nil {
		return "", adapters.Permanent("%s: encode payload: %v", Name, err)
	}
	h := http.Header{"Authorization": {"Bearer " + s.cfg.Token}}
	resp, err := adapters.PostJSON(ctx, s.base.Client, s.cfg.APIBase+"/chat.postMessage", body, h)
	if err != nil {
		return "", fmt.Errorf("%s: chat.postMessage: %w", Name, err)
	}
	if resp.Status != http.StatusOK {
		return "", s.classify(resp, strings.TrimSpace(firstLine(resp.Body)), "chat.postMessage")
	}
	var a struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
		TS    string `json:"ts"`
	}
	if err := json.Unmarshal(resp.Body, &a); err != nil {
		return "", adapters.Transient(0, "%s: chat.postMessage: HTTP 200 with an unreadable answer", Name)
	}
	if a.OK {
		return a.TS, nil
	}
	if a.Error == "" {
		a.Error = "ok false without an error code"
	}
	return "", s.classify(resp, a.Error, "chat.postMessage")
}

// Error codes (docs/providers.md, "Slack") that are worth retrying, and those that mean "slow down".
// Switches, not package-level maps, so nothing is built at init.
func isTransientCode(code string) bool {
	switch code {
	case "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org":
		return true
	}
	return false
}

func isRateCode(code string) bool {
	switch code {
	case "ratelimited", "rate_limited", "message_limit_exceeded":
		return true
	}
	return false
}

// classify turns a failed answer into a Failure. code is Slack's error code (webhook body or
// chat.postMessage "error"); everything unrecognised that is not 429/5xx is permanent, as Slack's
// credential, channel and payload errors are.
func (s *Sender) classify(resp *adapters.Response, code, api string) error {
	after := adapters.ParseRetryAfter(resp.Header.Get("Retry-After"), s.base.Now())
	what := fmt.Sprintf("%s: %s: HTTP %d", Name, api, resp.Status)
	if shown := s.base.Red.Snippet(code, 200); shown != "" { // redacted before it is cut
		what += ": " + shown
	}
	switch {
	case resp.Status == http.StatusTooManyRequests || isRateCode(code):
		if after == 0 {
			after = s.base.Throttle
		}
		return adapters.RateLimited(after, "%s (rate limited)", what)
	case resp.Status >= 500 || resp.Status == http.StatusRequestTimeout || isTransientCode(code):
		return adapters.Transient(after, "%s", what)
	case resp.Status == http.StatusOK && api == "webhook":
		return adapters.Transient(after, "%s (the webhook did not answer \"ok\")", what)
	default:
		return adapters.Permanent("%s", what)
	}
}

func firstLine(b []byte) string {
	s := string(b)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
