// Package dingtalk sends courier messages through a DingTalk custom group robot (webhook with
// access_token, optional HMAC signature in the query). It reports success only when DingTalk answers
// errcode 0, and classifies every other answer as permanent, transient or rate limited
// (docs/providers.md, "DingTalk").
package dingtalk

import (
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

// request renders m for hook; with a secret, the URL carries timestamp and sign. The sign is a
// credential for its hour: an errmsg quoting the signed request must not carry it.
func request(m *mailbox.Message, hook adapters.Hook, now time.Time) (*adapters.Request, error) {
	body, err := render(m)
	if err != nil {
		return nil, err
	}
	if hook.Secret == "" {
		return &adapters.Request{URL: hook.Webhook, Body: body}, nil
	}
	return &adapters.Request{URL: signURL(hook.Webhook, hook.Secret, now), Body: body,
		Derived: []string{sign(hook.Secret, now.UnixMilli())}}, nil
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

// classify maps DingTalk's answer to nil or a classified failure (docs/providers.md, "DingTalk").
// Unknown non-zero codes are transient: never success, and bounded by max_attempts.
func classify(resp *adapters.Response, ans adapters.Answer) error {
	if resp.Status != http.StatusOK {
		if err := adapters.ClassifyHTTPAt(resp, ans.Now); err != nil {
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
		return adapters.RateLimited(ans.Throttle, "%s: errcode %d: rate limited (robot throttled): %s", Name, code, msg)
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

// robot is DingTalk's protocol: the body, the signature in the query, the answer.
func robot() adapters.Robot {
	return adapters.Robot{Name: Name, Rate: DefaultRate, ThrottleWait: DefaultThrottleWait, Check: Check,
		Request: request, Classify: classify}
}
