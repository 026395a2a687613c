package adapters

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Code is a provider's numeric result code in a JSON answer (DingTalk and WeCom `errcode`). It
// accepts a number or a decimal string: DingTalk's own documentation shows `"errcode": "0"`
// (docs/providers.md, "DingTalk"), so both spellings must be read, or a successful send would look
// unreadable and be retried. Anything else (missing, null, a non-numeric string, an object)
// leaves Set false: the caller must treat the answer as ambiguous, never as success.
type Code struct {
	N   int
	Set bool
}

// UnmarshalJSON implements json.Unmarshaler. It never fails, so that one odd field does not
// hide the rest of the answer.
func (c *Code) UnmarshalJSON(b []byte) error {
	*c = Code{}
	raw := strings.TrimSpace(string(b))
	if strings.HasPrefix(raw, `"`) {
		var s string
		if json.Unmarshal([]byte(raw), &s) != nil {
			return nil //nolint:nilerr // not a JSON string: no code
		}
		raw = strings.TrimSpace(s)
	}
	if n, err := strconv.Atoi(raw); err == nil {
		*c = Code{N: n, Set: true}
	}
	return nil
}
