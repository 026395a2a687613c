package drafts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/monoco/courier/delivery/mailbox"
)

// fields is the schema-valid frontmatter in typed form.
type fields struct {
	Provider      string                `json:"provider"`
	To            recipients            `json:"to"`
	Cc            recipients            `json:"cc"`
	Bcc           recipients            `json:"bcc"`
	Subject       string                `json:"subject"`
	ContentType   string                `json:"content_type"`
	Type          string                `json:"type"`
	ReplyTo       string                `json:"reply_to"`
	ThreadKey     string                `json:"thread_key"`
	ThreadRoot    string                `json:"thread_root"`
	Session       *mailbox.Session      `json:"session"`
	Participants  *mailbox.Participants `json:"participants"`
	Mentions      []mailbox.Mention     `json:"mentions"`
	CorrelationID string                `json:"correlation_id"`
	Options       *struct {
		Silent     bool    `json:"silent"`
		Urgent     bool    `json:"urgent"`
		ScheduleAt *string `json:"schedule_at"`
	} `json:"options"`
}

// recipients is `to`, `cc` or `bcc`: a string or a list of strings.
type recipients []string

func (r *recipients) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*r = recipients{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*r = l
	return nil
}

// semantic applies the rules the schema cannot express and builds the normalized message.
type semantic struct {
	cfg          *Config
	doc          map[string]any
	lines        map[string]int
	closeLine    int
	body         []byte
	bodyLine     int
	meta         *yaml.Node // metadata as written
	bodyTooLarge bool       // reported already; the body is not looked at
	errs         errorList
}

func (s *semantic) fail(field, msg string) { s.errs.add(field, s.lines[field], msg) }

func (s *semantic) message() *mailbox.Message {
	raw, err := json.Marshal(s.doc)
	var f fields
	if err == nil {
		err = json.Unmarshal(raw, &f)
	}
	if err != nil { // the schema admitted it, so this is a bug; report rather than panic
		s.errs.add("frontmatter", 1, "cannot read the frontmatter: "+err.Error())
		return nil
	}
	m := &mailbox.Message{
		Provider: f.Provider, To: trimAll(f.To), Cc: trimAll(f.Cc), Bcc: trimAll(f.Bcc), Subject: f.Subject,
		ReplyTo: f.ReplyTo, ThreadKey: f.ThreadKey, ThreadRoot: f.ThreadRoot, Session: f.Session,
		Participants: f.Participants, Mentions: f.Mentions, CorrelationID: f.CorrelationID,
		Body: string(s.body),
	}
	if _, ok := s.doc["metadata"].(map[string]any); ok && s.meta != nil && len(s.meta.Content) > 0 {
		// The mapping as written, not its decoded values: big integers, 0x1F, quoted numbers and
		// integer keys reach the message file unchanged.
		md, err := mailbox.MetadataNode(s.meta)
		if err == nil {
			_, err = md.MarshalJSON()
		}
		if err != nil {
			s.fail("metadata", "cannot be carried: "+err.Error())
		} else {
			m.Metadata = md
		}
	}
	s.provider(m)
	s.contentType(f, m)
	if f.Options != nil {
		m.Options = &mailbox.Options{Silent: f.Options.Silent, Urgent: f.Options.Urgent}
		if f.Options.ScheduleAt != nil {
			t, err := mailbox.ParseTime(*f.Options.ScheduleAt)
			if err != nil {
				s.fail("options.schedule_at", fmt.Sprintf("%q is not an RFC 3339 timestamp (e.g. 2026-02-07T15:02:32+08:00)", *f.Options.ScheduleAt))
			} else {
				m.Options.ScheduleAt = &t
			}
		}
	}
	s.recipients(m)
	if m.Participants != nil {
		s.agree("to", m.To, m.Participants.To)
		s.agree("cc", m.Cc, m.Participants.Cc)
		s.agree("bcc", m.Bcc, m.Participants.Bcc)
	}
	return m
}

func trimAll(l []string) []string {
	if l == nil {
		return nil
	}
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

func (s *semantic) provider(m *mailbox.Message) {
	p := m.Provider
	if p == "" {
		return // missing or unreadable: reported already
	}
	configured := s.configured()
	switch {
	case strings.ContainsAny(p, `/\.:`) || !mailbox.ValidProvider(p):
		hint := ""
		if sug := Suggest(p, configured); sug != "" {
			hint = fmt.Sprintf("; did you mean %q?", sug)
		}
		s.fail("provider", fmt.Sprintf("%q is not a valid provider name (a lower-case adapter name, no path characters%s)", p, hint))
	case !contains(s.known(), p):
		msg := fmt.Sprintf("%q is not a configured provider", p)
		if sug := Suggest(p, configured); sug != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		} else if sug := Suggest(p, s.known()); sug != "" {
			msg += fmt.Sprintf(" (did you mean %q? it is not configured either)", sug)
		} else {
			msg += " (configured: " + strings.Join(configured, ", ") + ")"
		}
		s.fail("provider", msg)
	case !contains(configured, p):
		s.fail("provider", fmt.Sprintf("%q is not a configured provider (configured: %s)", p, strings.Join(configured, ", ")))
	}
}

// configured lists the configured, known providers, "file" always among them.
// known lists the providers courier has an adapter for: KnownProviders and every provider the
// configuration brings a check for (cmd passes one per registered adapter).
func (s *semantic) known() []string {
	out := KnownProviders()
	for _, k := range slices.Sorted(maps.Keys(s.cfg.Checks)) {
		if !contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func (s *semantic) configured() []string {
	out := []string{}
	for _, k := range slices.Sorted(maps.Keys(s.cfg.Providers)) {
		if contains(s.known(), k) && k != "file" {
			out = append(out, k)
		}
	}
	return append(out, "file")
}

func (s *semantic) contentType(f fields, m *mailbox.Message) {
	ct := f.ContentType
	if f.Type != "" {
		if ct != "" && ct != f.Type {
			s.fail("type", fmt.Sprintf("is an alias of content_type, which says %q; give only one", ct))
		}
		ct = f.Type
	}
	if ct == "" {
		ct = mailbox.ContentText
	}
	m.ContentType = ct
	if ct == mailbox.ContentCard && !s.bodyTooLarge && !isObject(s.body) {
		s.errs.add("body", s.bodyLine, "a card body must be a JSON or YAML object")
	}
}

// isObject reports whether body is a JSON object or a YAML mapping (without anchors or aliases).
func isObject(body []byte) bool {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) == nil {
		return obj != nil
	}
	var n yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(body))
	if dec.Decode(&n) != nil || len(n.Content) != 1 || n.Content[0].Kind != yaml.MappingNode {
		return false
	}
	return !hasAlias(&n)
}

func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}

func (s *semantic) recipients(m *mailbox.Message) {
	for _, r := range []struct {
		name string
		list []string
	}{{"to", m.To}, {"cc", m.Cc}, {"bcc", m.Bcc}} {
		if r.name != "to" && len(r.list) > 0 && m.Provider != "email" && m.Provider != "" {
			s.fail(r.name, fmt.Sprintf("only the email provider takes %s (provider is %q)", r.name, m.Provider))
			continue
		}
		for i, a := range r.list {
			field := r.name
			if _, ok := s.doc[r.name].([]any); ok {
				field = fmt.Sprintf("%s[%d]", r.name, i)
			}
			if a == "" {
				s.errs.add(field, s.lines[field], "must not be empty")
				continue
			}
			if m.Provider == "email" && !s.isChannel(m.Provider, a) {
				if _, err := mail.ParseAddress(a); err != nil {
					s.errs.add(field, s.lines[field], fmt.Sprintf("%q is not a valid email address", a))
				}
			}
		}
	}
}

func (s *semantic) isChannel(provider, name string) bool {
	return contains(s.cfg.Providers[provider].Channels, name)
}

// agree checks that the `to` shorthand (or cc, bcc) and participants.<name> name the same recipients:
// each entry must equal a participant's id, email or platform_id, and each participant must be named.
func (s *semantic) agree(name string, short []string, full []mailbox.Participant) {
	if len(short) == 0 || len(full) == 0 {
		return
	}
	field := "participants." + name
	named := map[string]bool{}
	for _, a := range short {
		named[a] = true
		if addr, err := mail.ParseAddress(a); err == nil {
			named[addr.Address] = true
		}
	}
	matched := map[string]bool{}
	for _, p := range full {
		hit := false
		for _, k := range []string{p.ID, p.Email, p.PlatformID} {
			if k != "" && named[k] {
				hit, matched[k] = true, true
			}
		}
		if !hit {
			who := p.ID
			if who == "" {
				who = p.Email
			}
			if who == "" {
				who = p.Name
			}
			s.fail(field, fmt.Sprintf("disagrees with %s: participant %q is not in %s", name, who, name))
			return
		}
	}
	for _, a := range short {
		addr := a
		if pa, err := mail.ParseAddress(a); err == nil {
			addr = pa.Address
		}
		if !matched[a] && !matched[addr] {
			s.fail(field, fmt.Sprintf("disagrees with %s: %q has no participant", name, a))
			return
		}
	}
}

// storable checks that m survives the message file format unchanged (mailbox.Marshal, then
// mailbox.Parse): the YAML encoder cannot faithfully write every string (one starting with a line
// break, or with a tab before a line break, comes back different or not at all), and a message that
// changes on re-reading would break its seal. It names the offending field when it can find it.
func (s *semantic) storable(m *mailbox.Message) {
	if !hasUnusualString(s.doc) {
		return // plain printable text always round-trips; only then is the full check worth its cost
	}
	data, err := mailbox.Marshal(m)
	if err == nil {
		var back *mailbox.Message
		if back, err = mailbox.Parse(data); err == nil {
			a, errA := json.Marshal(m)
			b, errB := json.Marshal(back)
			if errA == nil && errB == nil && bytes.Equal(a, b) && back.Body == m.Body {
				return
			}
		}
	}
	field := "frontmatter"
	if p, ok := badString(s.doc, ""); ok {
		field = p
	}
	s.errs.add(field, s.lines[field], "this text cannot be stored unchanged in a message file "+
		"(YAML cannot write a value that starts with a line break or has a tab before a line break); rephrase it")
}

// hasUnusualString reports whether a key or string value under v holds a character that is not
// printable (line breaks and tabs included).
func hasUnusualString(v any) bool {
	unusual := func(s string) bool {
		return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0
	}
	switch t := v.(type) {
	case string:
		return unusual(t)
	case map[string]any:
		for k, c := range t {
			if unusual(k) || hasUnusualString(c) {
				return true
			}
		}
	case []any:
		for _, c := range t {
			if hasUnusualString(c) {
				return true
			}
		}
	}
	return false
}

// badString finds a key or string value under v that does not survive a YAML round trip.
func badString(v any, p string) (string, bool) {
	switch t := v.(type) {
	case string:
		return p, !yamlRoundTrips(t)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			kp := joinPath(p, k)
			if !yamlRoundTrips(k) {
				return kp, true
			}
			if bp, bad := badString(t[k], kp); bad {
				return bp, true
			}
		}
	case []any:
		for i, c := range t {
			if bp, bad := badString(c, fmt.Sprintf("%s[%d]", p, i)); bad {
				return bp, true
			}
		}
	}
	return "", false
}

func yamlRoundTrips(s string) bool {
	out, err := yaml.Marshal(map[string]string{"k": s, s: "v"})
	if err != nil {
		return false
	}
	var back map[string]string
	return yaml.Unmarshal(out, &back) == nil && back["k"] == s && back[s] == "v"
}
