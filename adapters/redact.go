package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Redacted replaces every secret the Redactor knows.
const Redacted = "[REDACTED]"

// MinSecretLen is the shortest value the Redactor replaces: shorter values would mangle ordinary
// text and are not credentials worth the name.
const MinSecretLen = 4

// IsCredentialParam reports whether a URL query parameter's value is a credential.
// The names are matched case-insensitively; a switch rather than a package-level map, so nothing is
// built at package init.
func IsCredentialParam(name string) bool {
	switch strings.ToLower(name) {
	case "access_token", "key", "sig", "sign", "signature", "token",
		"secret", "password", "api_key", "apikey", "code", "auth":
		return true
	}
	return false
}

// Redactor removes secrets from text by value. It is configured with every secret an adapter holds
// (tokens, signing secrets, passwords, whole webhook URLs); for a secret that is a URL it also knows
// the credentials inside it (credential query values, the userinfo password, the token segments of
// hook paths), each in its raw, URL-escaped and JSON-escaped forms. A nil *Redactor redacts
// nothing. Safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets map[string]bool
	repl    *strings.Replacer // built lazily from secrets; nil when stale
}

// NewRedactor returns a Redactor for secrets; empty and very short values are ignored.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{secrets: map[string]bool{}}
	r.Add(secrets...)
	return r
}

// Add teaches r more secrets.
func (r *Redactor) Add(secrets ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.secrets == nil {
		r.secrets = map[string]bool{}
	}
	for _, s := range secrets {
		for _, v := range expandSecret(s) {
			for _, form := range encodedForms(v) {
				if len(form) >= MinSecretLen {
					r.secrets[form] = true
				}
			}
		}
	}
	r.repl = nil
}

// With returns a new Redactor that knows r's secrets plus extra: values derived for one request
// (a computed signature, a signed query), which a provider may echo back in an error answer even
// though no configuration holds them. r is unchanged; a nil r gives a Redactor for extra alone.
func (r *Redactor) With(extra ...string) *Redactor {
	out := &Redactor{secrets: map[string]bool{}}
	if r != nil {
		r.mu.RLock()
		maps.Copy(out.secrets, r.secrets)
		r.mu.RUnlock()
	}
	out.Add(extra...)
	return out
}

// Snippet quotes s for an error message: redacted first, then with runs of white space
// collapsed and cut to at most maxRunes runes ("…" marks a cut). Redacting before cutting
// matters: a secret cut in two is no longer recognised, and its first part would leak.
func (r *Redactor) Snippet(s string, maxRunes int) string {
	t := strings.Join(strings.Fields(r.String(s)), " ")
	if maxRunes > 0 && utf8.RuneCountInString(t) > maxRunes {
		t = string([]rune(t)[:maxRunes]) + "…"
	}
	return t
}

// String returns s with every known secret replaced by [REDACTED].
func (r *Redactor) String(s string) string {
	if r == nil || s == "" {
		return s
	}
	r.mu.RLock()
	repl := r.repl
	r.mu.RUnlock()
	if repl == nil {
		r.mu.Lock()
		if r.repl == nil {
			list := make([]string, 0, len(r.secrets))
			for v := range r.secrets {
				list = append(list, v)
			}
			// Longest first: strings.Replacer tries the old strings in argument order at each
			// position, so a whole URL wins over the token inside it.
			sort.Slice(list, func(i, j int) bool {
				if len(list[i]) != len(list[j]) {
					return len(list[i]) > len(list[j])
				}
				return list[i] < list[j]
			})
			pairs := make([]string, 0, 2*len(list))
			for _, v := range list {
				pairs = append(pairs, v, Redacted)
			}
			r.repl = strings.NewReplacer(pairs...)
		}
		repl = r.repl
		r.mu.Unlock()
	}
	return repl.Replace(s)
}

// Error returns err with its text redacted, keeping what callers branch on: a *Failure keeps its
// class (permanent, rate limited, Retry-After); errors.Is still sees mailbox.ErrPermanent and the
// well-known sentinels err wraps (context.Canceled, context.DeadlineExceeded,
// os.ErrDeadlineExceeded, io.ErrUnexpectedEOF, net.ErrClosed). The original error is not reachable
// through the result, so its unredacted text cannot leak via errors.Unwrap. Nil in, nil out.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	out := &Failure{msg: r.String(err.Error())}
	var f *Failure
	if errors.As(err, &f) {
		out.permanent, out.rateLimit, out.after = f.permanent, f.rateLimit, f.after
	} else {
		var rl interface {
			RateLimited() bool
			RetryAfter() time.Duration
		}
		if errors.As(err, &rl) {
			out.rateLimit, out.after = rl.RateLimited(), rl.RetryAfter()
		}
		out.permanent = IsPermanent(err)
	}
	var causes []error
	for _, s := range []error{context.Canceled, context.DeadlineExceeded, os.ErrDeadlineExceeded,
		io.ErrUnexpectedEOF, net.ErrClosed} {
		if errors.Is(err, s) {
			causes = append(causes, s)
		}
	}
	if len(causes) > 0 {
		out.cause = errors.Join(causes...)
	}
	return out
}

// expandSecret returns s plus the credentials inside it when s is a URL (or a whsec_ secret).
func expandSecret(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	out := []string{s}
	if rest, ok := strings.CutPrefix(s, "whsec_"); ok {
		out = append(out, rest)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return out
	}
	if p, ok := u.User.Password(); ok {
		out = append(out, p)
	}
	for k, vs := range u.Query() {
		if IsCredentialParam(k) {
			out = append(out, vs...)
		}
	}
	out = append(out, pathTokens(u.Path)...)
	return out
}

// pathTokens returns the secret segments of well-known hook paths: Lark/Feishu /bot/v2/hook/<t>,
// Slack /services/T/B/X, Teams /webhookb2/…, Power Automate /workflows/<id>/…, Discord
// /api/webhooks/<id>/<token>, Telegram /bot<token>/…. (WeCom keeps its key in the query.)
func pathTokens(p string) []string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	var out []string
	for i, s := range segs {
		rest := segs[i+1:]
		switch strings.ToLower(s) {
		case "hook", "services", "webhookb2", "webhooks":
			out = append(out, nonEmpty(rest)...)
			if len(rest) > 0 {
				out = append(out, strings.Join(rest, "/"))
			}
			return out
		case "workflows":
			if len(rest) > 0 {
				out = append(out, rest[0])
			}
		}
		if i == 0 && strings.HasPrefix(s, "bot") && strings.Contains(s, ":") {
			out = append(out, strings.TrimPrefix(s, "bot"))
		}
	}
	return out
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// encodedForms are the spellings under which v may appear in a URL, a log line or a JSON body.
func encodedForms(v string) []string {
	forms := []string{v, url.QueryEscape(v), url.PathEscape(v)}
	if b, err := json.Marshal(v); err == nil {
		forms = append(forms, strings.Trim(string(b), `"`))
	}
	// Percent-escapes in lower-case hex, as some clients write them.
	for _, f := range forms[1:3] {
		if strings.Contains(f, "%") {
			forms = append(forms, lowerHexEscapes(f))
		}
	}
	return forms
}

func lowerHexEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = toLowerHex(b[i+1])
			b[i+2] = toLowerHex(b[i+2])
		}
	}
	return string(b)
}

func toLowerHex(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + ('a' - 'A')
	}
	return c
}
