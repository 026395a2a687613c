// Package adapterstest is the contract test suite every provider adapter runs (like net/http/httptest,
// it lives beside the package it serves so that the production binary never links "testing").
package adapterstest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// The shared contract suite. Every adapter's tests run it:
//
//	func TestContract(t *testing.T) {
//		adapterstest.RunContract(t, adapterstest.ContractHarness{
//			Start: adapterstest.HTTPFake{
//				New: func(t *testing.T, url string, c *http.Client) (adapterstest.Sender, []string) {
//					cfg := Config{Webhook: url + "/robot/send?access_token=tok-123", Secret: "SECabc"}
//					s, err := New(cfg, adapters.Options{Client: c})
//					if err != nil {
//						t.Fatal(err)
//					}
//					return s, Secrets(cfg)
//				},
//				Answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, b adapterstest.Behaviour) {
//					// verify the request as the provider would, then answer the provider's way:
//					// BehaveSucceed, BehaveTransient, BehavePermanent, BehaveRateLimit (set "Retry-After" to
//					// adapterstest.ContractRetryAfterHeader where the provider sends one).
//				},
//			}.Start,
//			TransientRetryAfter: true, // provider errors carry Retry-After
//		})
//	}
//
// HTTPFake runs an httptest server, counts response bodies opened and closed (through the client's
// transport), answers BehaveHang by blocking until the request is abandoned, and answers BehaveEcho
// with a 500 whose body echoes the request URL, headers and body (secrets included) — so the suite
// can check that no secret reaches an error string. An adapter that is not HTTP (email) supplies its
// own Start: it builds a fake server that behaves as asked and a sender with the given timeout.

// Sender is the method the watcher calls (delivery.Sender, restated here so that adapters need not
// import delivery).
type Sender interface {
	Send(ctx context.Context, m *mailbox.Message) (providerMsgID string, err error)
}

// Behaviour is how the fake provider answers every send in one contract case.
type Behaviour int

// The behaviours a fake must support.
const (
	BehaveSucceed   Behaviour = iota // accept the message
	BehaveTransient                  // a retryable failure (5xx, "system busy", SMTP 4xx)
	BehavePermanent                  // a failure retrying cannot fix (bad token, SMTP 5xx)
	BehaveRateLimit                  // the provider's rate-limit answer
	BehaveHang                       // never answer (until the client gives up)
	BehaveEcho                       // an error answer quoting the request: URL, headers, body
	BehaveRedirect                   // 302 to a second handler that answers 200 (HTTP only)
)

func (b Behaviour) String() string {
	return [...]string{"succeed", "transient", "permanent", "rate_limit", "hang", "echo", "redirect"}[b]
}

// ContractRetryAfter is the wait a fake announces for BehaveTransient and BehaveRateLimit where the
// provider has a way to say it (ContractRetryAfterHeader is the same as a Retry-After value).
const (
	ContractRetryAfter       = 7 * time.Second
	ContractRetryAfterHeader = "7"
)

// Env is what the suite asks of Start for one case.
type Env struct {
	Behaviour Behaviour
	Timeout   time.Duration // per-attempt timeout the sender's client must use
}

// Setup is a sender wired to a fake provider.
type Setup struct {
	Sender  Sender
	Secrets []string // every secret the sender was configured with (Secrets(cfg))
	// Unclosed, if set, reports response bodies opened but not closed so far (HTTP adapters).
	Unclosed func() int64
	// Derived, if set, reports per-request credentials the fake received (a computed sign or
	// signature, credential query values): no error string may contain them either.
	Derived func() []string
	// Landed, if set, counts requests that reached the target of a BehaveRedirect answer; the
	// redirect case runs only when it is set (HTTP adapters).
	Landed func() int64
}

// RedirectToken is the credential in the Location of a BehaveRedirect answer: no error may quote it.
const RedirectToken = "landing-token-0123456789"

// ContractHarness describes one adapter to RunContract.
type ContractHarness struct {
	// Start builds a fake provider answering with env.Behaviour and a sender for it. Use
	// HTTPFake.Start for HTTP providers. Clean up with t.Cleanup.
	Start func(t *testing.T, env Env) Setup
	// Message returns the message to send (nil: a plain text message with id out_test_0123456789ab).
	Message func() *mailbox.Message
	// TransientRetryAfter: the fake sends ContractRetryAfter with BehaveTransient, and the adapter
	// must report it via RetryAfter().
	TransientRetryAfter bool
	// RateLimitRetryAfter: likewise for BehaveRateLimit.
	RateLimitRetryAfter bool
	// NoRateLimit: the provider has no rate-limit answer (BehaveRateLimit is skipped).
	NoRateLimit bool
}

// RunContract runs the shared contract cases as subtests of t.
func RunContract(t *testing.T, h ContractHarness) {
	t.Helper()
	c := contract{h: h, msg: h.Message}
	if c.msg == nil {
		c.msg = DefaultContractMessage
	}
	c.classification(t)
	c.interruption(t)
	c.leaks(t)
}

// contractTimeout is the per-attempt timeout of every case that does not test timing out.
const contractTimeout = 5 * time.Second

// contract is one adapter's run of the suite.
type contract struct {
	h   ContractHarness
	msg func() *mailbox.Message
}

// send starts a fake answering with b, sends one message through it and checks what every case
// checks: no secret in the error, every response body closed.
func (c contract) send(ctx context.Context, t *testing.T, b Behaviour, timeout time.Duration) (time.Duration, error) {
	t.Helper()
	s := c.h.Start(t, Env{Behaviour: b, Timeout: timeout})
	start := time.Now()
	_, err := s.Sender.Send(ctx, c.msg())
	el := time.Since(start)
	if err != nil {
		noSecrets(t, b, err, s)
	}
	if s.Unclosed != nil {
		allClosed(t, b, s.Unclosed)
	}
	return el, err
}

// noSecrets fails t if err quotes a configured secret or a per-request credential of s.
func noSecrets(t *testing.T, b Behaviour, err error, s Setup) {
	t.Helper()
	for _, sec := range s.Secrets {
		if len(sec) >= adapters.MinSecretLen && strings.Contains(err.Error(), sec) {
			t.Errorf("%s: error string contains a configured secret: %q", b, err.Error())
		}
	}
	if s.Derived != nil {
		for _, sec := range s.Derived() {
			if len(sec) >= adapters.MinSecretLen && strings.Contains(err.Error(), sec) {
				t.Errorf("%s: error string contains a per-request credential %q: %q", b, sec, err.Error())
			}
		}
	}
}

// allClosed fails t if response bodies stay open.
func allClosed(t *testing.T, b Behaviour, unclosed func() int64) {
	t.Helper()
	// The client may close a body just after Send returns on cancellation paths.
	deadline := time.Now().Add(2 * time.Second)
	for unclosed() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := unclosed(); n != 0 {
		t.Errorf("%s: %d response bodies were not closed", b, n)
	}
}

// classification: each answer of the provider is reported as the right kind of failure, with the
// provider's wait where it gives one.
func (c contract) classification(t *testing.T) {
	t.Run("success", func(t *testing.T) {
		if _, err := c.send(context.Background(), t, BehaveSucceed, contractTimeout); err != nil {
			t.Fatalf("Send = %v, want nil", err)
		}
	})
	t.Run("transient", func(t *testing.T) {
		_, err := c.send(context.Background(), t, BehaveTransient, contractTimeout)
		wantClass(t, err, false, false)
		if c.h.TransientRetryAfter {
			wantRetryAfter(t, err, ContractRetryAfter)
		}
	})
	t.Run("permanent", func(t *testing.T) {
		_, err := c.send(context.Background(), t, BehavePermanent, contractTimeout)
		wantClass(t, err, true, false)
	})
	t.Run("rate_limit", func(t *testing.T) {
		if c.h.NoRateLimit {
			t.Skip("provider has no rate-limit answer")
		}
		_, err := c.send(context.Background(), t, BehaveRateLimit, contractTimeout)
		wantClass(t, err, false, true)
		if c.h.RateLimitRetryAfter {
			wantRetryAfter(t, err, ContractRetryAfter)
		}
	})
}

// interruption: a send that gets no answer returns promptly, as a transient failure, when the
// context is cancelled or the client's timeout passes.
func (c contract) interruption(t *testing.T) {
	t.Run("context_cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		el, err := c.send(ctx, t, BehaveHang, contractTimeout)
		wantClass(t, err, false, false)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("errors.Is(%v, context.Canceled) = false", err)
		}
		if el > 3*time.Second {
			t.Errorf("Send took %v after cancellation, want prompt return", el)
		}
	})
	t.Run("slow_server_times_out", func(t *testing.T) {
		el, err := c.send(context.Background(), t, BehaveHang, 200*time.Millisecond)
		wantClass(t, err, false, false)
		if el > 3*time.Second {
			t.Errorf("Send took %v with a 200ms timeout", el)
		}
	})
}

// leaks: a redirect is neither followed nor quoted, and an answer echoing the request does not
// carry its secrets into the error.
func (c contract) leaks(t *testing.T) {
	t.Run("redirect_not_followed", c.redirectNotFollowed)
	t.Run("echoed_secrets_redacted", func(t *testing.T) {
		if _, err := c.send(context.Background(), t, BehaveEcho, contractTimeout); err == nil {
			t.Fatal("Send = nil for an error answer")
		}
	})
}

func (c contract) redirectNotFollowed(t *testing.T) {
	s := c.h.Start(t, Env{Behaviour: BehaveRedirect, Timeout: contractTimeout})
	if s.Landed == nil {
		t.Skip("not an HTTP adapter")
	}
	_, err := s.Sender.Send(context.Background(), c.msg())
	wantClass(t, err, true, false)
	if n := s.Landed(); n != 0 {
		t.Errorf("the redirect was followed (%d requests reached its target)", n)
	}
	if err == nil {
		return
	}
	if e := err.Error(); !strings.Contains(e, "302") || !strings.Contains(e, "redirect") {
		t.Errorf("error %q: want the status (302) and that redirects are not followed", e)
	}
	if strings.Contains(err.Error(), RedirectToken) {
		t.Errorf("error quotes the Location's credential: %q", err)
	}
}

// DefaultContractMessage is the message RunContract sends unless the harness supplies one.
func DefaultContractMessage() *mailbox.Message {
	return &mailbox.Message{
		ID: "out_test_0123456789ab", Provider: "test", To: []string{"ops"}, ContentType: mailbox.ContentText,
		Subject: "Contract", Body: "contract test message\n", CorrelationID: "feat_FEAT-0001_20260101T000000Z",
		Direction: "outbound", CreatedAt: mailbox.At(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
	}
}

func wantClass(t *testing.T, err error, permanent, rateLimited bool) {
	t.Helper()
	if err == nil {
		t.Fatal("Send = nil, want an error")
	}
	if got := adapters.IsPermanent(err); got != permanent {
		t.Errorf("IsPermanent(%q) = %v, want %v", err, got, permanent)
	}
	var rl interface{ RateLimited() bool }
	got := errors.As(err, &rl) && rl.RateLimited()
	if got != rateLimited {
		t.Errorf("RateLimited(%q) = %v, want %v", err, got, rateLimited)
	}
}

func wantRetryAfter(t *testing.T, err error, want time.Duration) {
	t.Helper()
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &ra) {
		t.Errorf("%q has no RetryAfter()", err)
		return
	}
	if got := ra.RetryAfter(); got != want {
		t.Errorf("RetryAfter() = %v, want %v", got, want)
	}
}

// HTTPFake builds a contract Setup for an HTTP adapter from a fake provider handler.
type HTTPFake struct {
	// New returns the sender under test, pointed at the fake's base URL (no trailing slash) and
	// using client, plus every secret it was configured with.
	New func(t *testing.T, baseURL string, client *http.Client) (Sender, []string)
	// Answer checks the request as the real provider would (t.Errorf on a bad signature or
	// payload) and answers the provider's way for b (BehaveSucceed, BehaveTransient,
	// BehavePermanent, BehaveRateLimit; Hang and Echo are handled by HTTPFake).
	Answer func(t *testing.T, w http.ResponseWriter, r *http.Request, b Behaviour)
}

// Start implements ContractHarness.Start for an HTTP provider.
func (f HTTPFake) Start(t *testing.T, env Env) Setup {
	t.Helper()
	release := make(chan struct{})
	var mu sync.Mutex
	var derived []string
	var landed atomic.Int64
	const landing = "/landing-after-redirect"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == landing:
			landed.Add(1) // answers as if the message had been accepted
			_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok","code":0,"msg":"success","ok":true}`)
			return
		case env.Behaviour == BehaveRedirect:
			w.Header().Set("Location", landing+"?access_token="+RedirectToken)
			w.WriteHeader(http.StatusFound)
			return
		}
		switch env.Behaviour {
		case BehaveHang:
			select {
			case <-r.Context().Done():
			case <-release:
			}
		case BehaveEcho:
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			derived = append(derived, requestCredentials(r, body)...)
			mu.Unlock()
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, r.Method+" "+r.URL.String()+"\n")
			_ = r.Header.Write(w)
			_, _ = w.Write(body)
		default:
			f.Answer(t, w, r, env.Behaviour)
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	ct := &countingTransport{base: srv.Client().Transport}
	client := &http.Client{Timeout: env.Timeout, Transport: ct}
	s, secrets := f.New(t, srv.URL, client)
	return Setup{Sender: s, Secrets: secrets, Unclosed: ct.unclosed, Landed: landed.Load, Derived: func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(derived)
	}}
}

// requestCredentials lists the credentials in one request as a fake received it: credential
// query values (access_token, sign, sig, key, …), the Standard Webhooks signature header (and
// each base64 signature in it), and a top-level JSON "sign" (Lark).
func requestCredentials(r *http.Request, body []byte) []string {
	var out []string
	for k, vs := range r.URL.Query() {
		if adapters.IsCredentialParam(strings.ToLower(k)) {
			out = append(out, vs...)
		}
	}
	for _, v := range r.Header.Values("Webhook-Signature") {
		out = append(out, v)
		for _, f := range strings.Fields(v) {
			if _, sig, ok := strings.Cut(f, ","); ok {
				out = append(out, sig)
			}
		}
	}
	var obj struct {
		Sign string `json:"sign"`
	}
	if json.Unmarshal(body, &obj) == nil && obj.Sign != "" {
		out = append(out, obj.Sign)
	}
	return out
}

// countingTransport counts response bodies handed out and closed.
type countingTransport struct {
	base           http.RoundTripper
	opened, closed atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err != nil || resp == nil || resp.Body == nil {
		return resp, err
	}
	c.opened.Add(1)
	resp.Body = &countingBody{ReadCloser: resp.Body, c: c}
	return resp, nil
}

func (c *countingTransport) unclosed() int64 { return c.opened.Load() - c.closed.Load() }

type countingBody struct {
	io.ReadCloser
	c    *countingTransport
	once sync.Once
}

func (b *countingBody) Close() error {
	b.once.Do(func() { b.c.closed.Add(1) })
	return b.ReadCloser.Close()
}
