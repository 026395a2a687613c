// Package wecom sends courier messages through a WeCom (企业微信) group robot (webhook with `key`,
// no signing). Success is only errcode 0; every other answer is classified as permanent,
// transient or rate limited by errcode, never by errmsg (docs/providers.md, "WeCom").
package wecom

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// renderJSON is the request body for m.
func renderJSON(m *mailbox.Message) (any, error) {
	p, err := render(m)
	if err != nil {
		return nil, err
	}
	body, err := adapters.MarshalJSON(p)
	if err != nil {
		return nil, fmt.Errorf("encode: %v", err)
	}
	return body, nil
}

// answer is WeCom's reply; errcode is read as a number or a decimal string.
type answer struct {
	ErrCode adapters.Code `json:"errcode"`
	ErrMsg  string        `json:"errmsg"`
}

// classify maps the answer to nil or a classified failure. A non-200 status is transient (429:
// rate limited) since WeCom reports its own errors with HTTP 200; unknown errcodes are transient.
func classify(resp *adapters.Response, ans adapters.Answer) error {
	if resp.Status != http.StatusOK {
		after := adapters.ParseRetryAfter(resp.Header.Get("Retry-After"), ans.Now)
		if resp.Status == http.StatusTooManyRequests {
			return adapters.RateLimited(after, "%s: HTTP 429: rate limited", Name)
		}
		return adapters.Transient(after, "%s: HTTP %d %s", Name, resp.Status, http.StatusText(resp.Status))
	}
	var a answer
	if err := json.Unmarshal(resp.Body, &a); err != nil {
		return adapters.Transient(0, "%s: HTTP 200 with an unreadable answer (not JSON); delivery unknown", Name)
	}
	if !a.ErrCode.Set {
		return adapters.Transient(0, "%s: answer without errcode; delivery unknown", Name)
	}
	code, msg := a.ErrCode.N, shortMsg(a.ErrMsg)
	switch code {
	case 0:
		return nil
	case -1:
		return adapters.Transient(0, "%s: errcode -1: system busy: %s", Name, msg)
	case 45009:
		return adapters.RateLimited(ans.Throttle, "%s: errcode 45009: rate limited (over 20/min): %s", Name, msg)
	case 45033:
		return adapters.Transient(0, "%s: errcode 45033: concurrency limit: %s", Name, msg)
	case 93000:
		return adapters.Permanent("%s: errcode 93000: invalid webhook URL or robot removed: %s", Name, msg)
	case 93004:
		return adapters.Permanent("%s: errcode 93004: robot disabled: %s", Name, msg)
	case 93008:
		return adapters.Permanent("%s: errcode 93008: robot not in the group: %s", Name, msg)
	case 40008, 44004, 45002, 40007, 41006, 40058:
		return adapters.Permanent("%s: errcode %d: invalid message: %s", Name, code, msg)
	default:
		return adapters.Transient(0, "%s: errcode %d: %s", Name, code, msg)
	}
}

// shortMsg drops WeCom's ", hint: […], from ip: …, more info at …" suffix.
func shortMsg(s string) string {
	if i := strings.Index(s, ", hint:"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// robot is WeCom's protocol: the body and the answer (no signing).
func robot() adapters.Robot {
	return adapters.Robot{Name: Name, Rate: DefaultRate, ThrottleWait: DefaultThrottleWait, Check: Check,
		Render: renderJSON, Classify: classify}
}
