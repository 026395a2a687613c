// Package lark sends courier messages through a Lark / Feishu custom bot (webhook
// …/open-apis/bot/v2/hook/<token>, optional signature in the JSON body). Success is only code 0
// (or the legacy StatusCode 0); every other answer is classified as permanent, transient or rate
// limited (docs/providers.md, "Lark").
package lark

import (
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

// request renders m; with a secret, the body carries timestamp and sign. The sign is a
// credential for its hour: a msg quoting the request must not carry it.
func request(m *mailbox.Message, hook adapters.Hook, now time.Time) (*adapters.Request, error) {
	p, err := render(m)
	if err != nil {
		return nil, err
	}
	var derived []string
	if hook.Secret != "" {
		ts := now.Unix()
		sig := sign(hook.Secret, ts)
		p["timestamp"], p["sign"] = strconv.FormatInt(ts, 10), sig
		derived = append(derived, sig)
	}
	body, err := adapters.MarshalJSON(p)
	if err != nil {
		return nil, fmt.Errorf("encode: %v", err)
	}
	return &adapters.Request{URL: hook.Webhook, Body: body, Derived: derived}, nil
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
func classify(resp *adapters.Response, ans adapters.Answer) error {
	var a answer
	jsonErr := json.Unmarshal(resp.Body, &a)
	if resp.Status != http.StatusOK && (jsonErr != nil || (a.Code == nil && a.StatusCode == nil)) {
		if err := adapters.ClassifyHTTPAt(resp, ans.Now); err != nil {
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
		wait := adapters.ParseRetryAfter(resp.Header.Get("Retry-After"), ans.Now)
		if wait == 0 {
			wait = ans.Throttle
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

// robot is Lark's protocol: the body, the signature in it, the answer.
func robot() adapters.Robot {
	return adapters.Robot{Name: Name, Rate: DefaultRate, ThrottleWait: DefaultThrottleWait, Check: Check,
		Request: request, Classify: classify}
}
