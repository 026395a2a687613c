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
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// classify maps the trigger's answer to success or a Failure (docs/providers.md, "Teams": error statuses
// are UNVERIFIED, so plain HTTP semantics apply, with the Logic Apps error code when present).
func classify(resp *adapters.Response, ans adapters.Answer) error {
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
		if msg := ans.Red.Snippet(e.Error.Message, 200); msg != "" { // redacted before it is cut
			what += ": " + msg
		}
	}
	after := adapters.ParseRetryAfter(resp.Header.Get("Retry-After"), ans.Now)
	switch {
	case resp.Status == http.StatusTooManyRequests:
		if after == 0 {
			after = ans.Throttle
		}
		return adapters.RateLimited(after, "%s (rate limited)", what)
	case resp.Status >= 500 || resp.Status == http.StatusRequestTimeout:
		return adapters.Transient(after, "%s", what)
	default:
		return adapters.Permanent("%s", what)
	}
}

// robot is the Workflows trigger's protocol: the envelope and the answer (no signing).
func robot() adapters.Robot {
	return adapters.Robot{Name: Name, Rate: DefaultRate, ThrottleWait: DefaultThrottleWait, Check: Check,
		CheckURL: checkHook, Render: func(m *mailbox.Message) (any, error) { return payload(m) }, Classify: classify}
}
