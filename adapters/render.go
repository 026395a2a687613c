package adapters

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/monoco/courier/delivery/mailbox"
)

// ContentType is m's content type, text when it has none.
func ContentType(m *mailbox.Message) string {
	if m.ContentType == "" {
		return mailbox.ContentText
	}
	return m.ContentType
}

// Title is the title of a markdown or card message on IM providers (README.md, "Drafts"): subject, else
// the first Markdown heading (ATX `# …` or setext), else the first non-empty line of body.
func Title(subject, body string) string {
	if s := strings.TrimSpace(subject); s != "" {
		return s
	}
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	inFence := false
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		if h, ok := atxHeading(t); ok {
			return h
		}
		if t != "" && i+1 < len(lines) {
			u := strings.TrimSpace(lines[i+1])
			if len(u) >= 2 && (strings.Trim(u, "=") == "" || strings.Trim(u, "-") == "") {
				return t
			}
		}
	}
	for _, l := range lines {
		if t := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), "`~")); t != "" {
			return t
		}
	}
	return ""
}

// atxHeading returns the text of a `#`…`######` heading line.
func atxHeading(t string) (string, bool) {
	n := 0
	for n < len(t) && t[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || (n < len(t) && t[n] != ' ' && t[n] != '\t') {
		return "", false
	}
	h := strings.TrimSpace(t[n:])
	h = strings.TrimSpace(strings.TrimRight(h, "#")) // closing sequence
	return h, h != ""
}

// IsMobile reports whether a mention target is a mobile number: digits, after an optional "+".
// DingTalk and WeCom mention mobiles and user ids in separate lists.
func IsMobile(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// CardObject parses a `card` body: a JSON or YAML object (README.md, "Drafts"). The result uses only JSON
// types (map[string]any, []any, string, float64/int, bool, nil), so it marshals back to JSON.
func CardObject(body string) (map[string]any, error) {
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		if yerr := yaml.Unmarshal([]byte(body), &v); yerr != nil {
			return nil, errors.New("card body is neither a JSON nor a YAML object")
		}
	}
	obj, ok := jsonable(v).(map[string]any)
	if !ok || len(obj) == 0 {
		return nil, errors.New("card body must be a non-empty JSON or YAML object")
	}
	return obj, nil
}

// CardBody is CardObject of m's body, its error the *CheckError a Check reports on the body.
func CardBody(m *mailbox.Message) (map[string]any, error) {
	obj, err := CardObject(m.Body)
	if err != nil {
		return nil, &CheckError{Field: "body", Msg: err.Error()}
	}
	return obj, nil
}

// Unsupported is the *CheckError of a robot that sends text, markdown and card only, for content
// type ct.
func Unsupported(provider, ct string) error {
	return &CheckError{Field: "content_type",
		Msg: fmt.Sprintf("%s does not support %q (use text, markdown or card)", provider, ct)}
}

// jsonable converts YAML-decoded values (which may have non-string map keys) to JSON types.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
		return x
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonable(e)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
		return x
	default:
		return v
	}
}

// PickAlias returns the channel alias a message's `to` names, or "" when no entry is a configured
// alias (the provider's default webhook is then used; the entries are chat ids kept as-is:
// README.md, "Providers"). Courier fans out one message per alias before enqueue, so several
// different aliases in one message is an error (permanent at send time); a repeated alias is fine.
func PickAlias[C any](to []string, channels map[string]C) (string, error) {
	var found []string
	for _, t := range to {
		if _, ok := channels[t]; ok && !slices.Contains(found, t) {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	default:
		sort.Strings(found)
		return "", fmt.Errorf("to names several channels (%s); send one message per channel",
			strings.Join(found, ", "))
	}
}

// MarshalJSON encodes v as compact JSON without HTML escaping (so `<at>` tags and `&` reach the
// provider as written) and without a trailing newline.
func MarshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
