package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds one HTTP attempt when Options.Client is nil.
const DefaultTimeout = 30 * time.Second

// MaxResponseBody is how much of a response body PostJSON and Do read; the rest is discarded.
const MaxResponseBody = 1 << 20

// Options are the boundaries injected into every HTTP adapter.
type Options struct {
	Client *http.Client     // nil, or no Timeout: DefaultTimeout applies
	Now    func() time.Time // nil: time.Now
}

// WithDefaults returns o with nil fields filled in. A client without a Timeout is replaced by a
// copy with DefaultTimeout (the caller's client is not modified): every HTTP call is bounded
// even when the caller's context has no deadline.
func (o Options) WithDefaults() Options {
	o.Client = bounded(o.Client)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Response is what an adapter needs of an HTTP answer: the body is already read (at most
// MaxResponseBody bytes) and closed.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// PostJSON POSTs body as JSON (Content-Type application/json; charset=utf-8) to rawURL, reads at
// most MaxResponseBody bytes of the answer and always closes it. body may be []byte or
// json.RawMessage to send exact, already-encoded bytes (e.g. bytes that were signed); anything else
// is marshalled with encoding/json. header entries are added to the request.
//
// Errors never contain rawURL: a request that cannot be built is permanent; a transport failure
// (connect, TLS, timeout, reset, cancelled ctx) is transient, and errors.Is(err, ctx.Err()) holds
// when ctx was cancelled or its deadline passed. HTTP statuses are not errors: classify the
// Response with ClassifyHTTP or the provider's own rules.
func PostJSON(ctx context.Context, c *http.Client, rawURL string, body any, header http.Header) (*Response, error) {
	var data []byte
	switch b := body.(type) {
	case []byte:
		data = b
	case json.RawMessage:
		data = b
	default:
		var err error
		if data, err = json.Marshal(body); err != nil {
			return nil, Permanent("encode request: %v", err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(data))
	if err != nil {
		return nil, Permanent("build request: invalid URL")
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	return Do(c, req)
}

// Do sends req with c (nil or without a Timeout: DefaultTimeout applies), reads at most MaxResponseBody bytes of
// the answer and always closes the body. Errors are classified as in PostJSON.
//
// Redirects are never followed, whatever c's CheckRedirect says: a 3xx answer is a permanent
// failure naming the status, with its Location redacted (docs/providers.md, "Classification").
// A redirect proves nothing arrived, and following it would resend a POST as a bodiless GET.
func Do(c *http.Client, req *http.Request) (*Response, error) {
	resp, err := noRedirects(bounded(c)).Do(req)
	if err != nil {
		return nil, TransportError(req.Context(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBody))
		return nil, redirected(resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody))
	if err != nil {
		return nil, TransportError(req.Context(), err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// bounded returns c when it has a Timeout, else a copy of c (or a new client) with DefaultTimeout.
func bounded(c *http.Client) *http.Client {
	if c == nil {
		return &http.Client{Timeout: DefaultTimeout}
	}
	if c.Timeout > 0 {
		return c
	}
	cp := *c
	cp.Timeout = DefaultTimeout
	return &cp
}

// noRedirects returns a copy of c that hands every 3xx back to Do instead of following it.
func noRedirects(c *http.Client) *http.Client {
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// redirected is the permanent failure for a 3xx answer.
func redirected(resp *http.Response) error {
	text := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if t := http.StatusText(resp.StatusCode); t != "" {
		text += " " + t
	}
	if loc, err := resp.Location(); err == nil { // resolved against the request URL
		return Permanent("%s: redirects are not followed (Location %s)", text, RedactURL(loc.String()))
	}
	return Permanent("%s: redirects are not followed", text)
}

// RedactURL returns raw without its userinfo and with the credentials inside it replaced by
// [REDACTED]: credential query
// values and the token segments of well-known hook paths. Text that does
// not parse as an absolute URL is redacted whole.
func RedactURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return Redacted
	}
	u.User = nil
	creds := expandSecret(u.String())[1:]
	return NewRedactor(creds...).String(u.String())
}

// TransportError turns a failure to get an answer (dial, TLS, timeout, reset, cancellation) into a
// transient *Failure. The text comes from the innermost error only, so a *url.Error's URL (and the
// secrets in it) never appears; errors.Is(result, ctx.Err()) holds when ctx is done.
func TransportError(ctx context.Context, err error) error {
	var cause error
	if ctx != nil && ctx.Err() != nil {
		cause = ctx.Err()
	}
	if cause == nil && errors.Is(err, context.DeadlineExceeded) {
		cause = context.DeadlineExceeded
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case cause != nil && errors.Is(cause, context.Canceled):
		return TransientCause(cause, 0, "request cancelled")
	case cause != nil || (errors.As(err, &ne) && ne.Timeout()):
		if cause == nil {
			cause = context.DeadlineExceeded
		}
		return TransientCause(cause, 0, "request timed out")
	}
	return TransientCause(err, 0, "request failed: %s", stripURLs(err.Error()))
}

// stripURLs removes anything that looks like a URL from s (a belt-and-braces guard on transport
// error text, which may quote the request URL).
func stripURLs(s string) string {
	f := strings.Fields(s)
	for i, w := range f {
		if strings.Contains(w, "://") || strings.Contains(w, "?") {
			f[i] = "[URL]"
		}
	}
	return strings.Join(f, " ")
}

// ClassifyHTTP applies plain HTTP semantics to resp: 2xx is success (nil); 429 is rate limited
// (Retry-After honoured); 408 and 5xx are transient (with Retry-After when present); any other
// status is permanent. The error text names the status only, never the body.
func ClassifyHTTP(resp *Response) error {
	return ClassifyHTTPAt(resp, time.Now())
}

// ClassifyHTTPAt is ClassifyHTTP with the clock used for an HTTP-date Retry-After.
func ClassifyHTTPAt(resp *Response, now time.Time) error {
	if resp == nil {
		return Transient(0, "no response")
	}
	s := resp.Status
	text := fmt.Sprintf("HTTP %d", s)
	if t := http.StatusText(s); t != "" {
		text += " " + t
	}
	after := ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	switch {
	case s >= 200 && s < 300:
		return nil
	case s == http.StatusTooManyRequests:
		return RateLimited(after, "rate limited: %s", text)
	case s == http.StatusRequestTimeout || s >= 500:
		return Transient(after, "%s", text)
	default:
		return Permanent("%s", text)
	}
}

// ParseRetryAfter reads a Retry-After value: delay seconds (fractions accepted) or an HTTP-date
// relative to now. Missing, malformed, negative or past values give 0.
func ParseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(h, 64); err == nil {
		if secs <= 0 || secs > float64(1<<31) {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}

// CheckURL validates a webhook URL from configuration: it must be absolute https, except that a
// loopback host (127.0.0.0/8, ::1, localhost) may use http. The error never quotes the URL (it
// may carry a token).
func CheckURL(raw string) error {
	if strings.TrimSpace(raw) == "" {
		return errors.New("URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("URL does not parse")
	}
	if u.Host == "" || u.Hostname() == "" {
		return errors.New("URL has no host")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
		return errors.New("URL must use https (http is allowed only for loopback hosts)")
	default:
		return fmt.Errorf("URL scheme %q is not https", u.Scheme)
	}
}

// IsLoopback reports whether host (no port) is localhost or a loopback IP.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
