// Package dingtalk sends courier messages through a DingTalk custom group robot (webhook with
// access_token, optional HMAC signature in the query). It reports success only when DingTalk answers
// errcode 0, and classifies every other answer as permanent, transient or rate limited
// (providers.md §1.1).
package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// Sender sends to DingTalk robots. Safe for concurrent use; every Send honours ctx and the
// client's timeout.
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

// Send posts m to the robot its `to` selects: a configured channel alias, else the default
// webhook (the `to` entry is then only a label: a robot posts to its own group). Several different
// aliases in one message is a permanent error (courier fans out one message per alias). DingTalk
// returns no message id, so the id is always "". Errors are redacted.
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
	body, err := render(m)
	if err != nil {
		return adapters.Permanent("%s: %v", Name, err)
	}
	red := s.red
	if secret != "" {
		now := s.now()
		hook = signURL(hook, secret, now)
		// The sign is a credential for its hour: an errmsg quoting the signed request must not
		// carry it into error_message (Add also knows its URL-escaped spellings).
		red = s.red.With(sign(secret, now.UnixMilli()))
	}
	resp, err := adapters.PostJSON(ctx, s.client, hook, body, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	return red.Error(s.classify(resp))
}

// sign is base64(HMAC-SHA256(key=secret, msg="{timestamp}\n{secret}")) for a millisecond timestamp.
func sign(secret string, tsMillis int64) string {
	ts := strconv.FormatInt(tsMillis, 10)
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts + "\n" + secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// signURL appends &timestamp=…&sign=… (the sign URL-encoded) to the webhook, keeping it as given.
func signURL(hook, secret string, now time.Time) string {
	ts := now.UnixMilli()
	sep := "&"
	if !strings.Contains(hook, "?") {
		sep = "?"
	} else if strings.HasSuffix(hook, "?") || strings.HasSuffix(hook, "&") {
		sep = ""
	}
	return hook + sep + "timestamp=" + strconv.FormatInt(ts, 10) + "&sign=" + url.QueryEscape(sign(secret, ts))
}

// answer is DingTalk's reply; errcode is a number or a decimal string.
type answer struct {
	ErrCode adapters.Code `json:"errcode"`
	ErrMsg  string        `json:"errmsg"`
}

// classify maps DingTalk's answer to nil or a classified failure (providers.md §1.1 table).
// Unknown non-zero codes are transient: never success, and bounded by max_attempts.
func (s *Sender) classify(resp *adapters.Response) error {
	if resp.Status != http.StatusOK {
		if err := adapters.ClassifyHTTPAt(resp, s.now()); err != nil {
			return fmt.Errorf("%s: %w", Name, err)
		}
	}
	var a answer
	if err := json.Unmarshal(resp.Body, &a); err != nil {
		return adapters.Transient(0, "%s: HTTP %d with an unreadable answer (not JSON); delivery unknown", Name, resp.Status)
	}
	code := a.ErrCode.N
	if !a.ErrCode.Set {
		return adapters.Transient(0, "%s: HTTP %d answer without errcode; delivery unknown", Name, resp.Status)
	}
	msg := strings.TrimSpace(a.ErrMsg)
	switch code {
	case 0:
		return nil
	case -1:
		return adapters.Transient(0, "%s: errcode -1: system busy: %s", Name, msg)
	case 410100, 130101, 90030:
		return adapters.RateLimited(s.throttle, "%s: errcode %d: rate limited (robot throttled): %s", Name, code, msg)
	case 310000:
		return adapters.Permanent("%s: errcode 310000: security check failed: %s: %s", Name, securityCause(msg), msg)
	case 40035, 43004, 400013, 400101, 400102, 400105, 400106, 430101, 430102, 430103, 430104,
		300001, 300005, 460101, 43002:
		return adapters.Permanent("%s: errcode %d: %s", Name, code, msg)
	default:
		return adapters.Transient(0, "%s: errcode %d: %s", Name, code, msg)
	}
}

// securityCause names which of the robot's security settings rejected the message (errcode 310000
// is one code for several causes; the errmsg tells them apart).
func securityCause(msg string) string {
	l := strings.ToLower(msg)
	switch {
	case strings.Contains(l, "sign"):
		return "signature mismatch (check the robot's secret)"
	case strings.Contains(l, "keyword"):
		return "message lacks the robot's custom keyword"
	case strings.Contains(l, "whitelist") || strings.Contains(l, "ip "):
		return "sender IP not in the robot's allow-list"
	case strings.Contains(l, "timestamp"):
		return "timestamp rejected (check the clock)"
	default:
		return "rejected by the robot's security settings"
	}
}
