package webhook

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/adapters/adapterstest"
	"github.com/monoco/courier/delivery/mailbox"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// secret is 24 random bytes in the whsec_ form.
const secret = "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHMtMDEyMzQ1"

var fixed = time.Date(2026, 2, 7, 15, 2, 32, 0, time.UTC)

func msg() *mailbox.Message {
	return &mailbox.Message{ID: "out_webhook_0123456789ab", Provider: Name, To: []string{"ops"}, ContentType: "markdown",
		Subject: "Build", Body: "Build **#412** is green.\n", CorrelationID: "feat_FEAT-0172_20260207T150232Z",
		Direction: "outbound", CreatedAt: mailbox.At(fixed), Metadata: mailbox.MetadataOf(map[string]any{"k": "v"}),
		Status: mailbox.StatusSending, RetryCount: 2}
}

// receiver verifies requests the way a Standard Webhooks consumer does: signature over the exact
// body, timestamp within 5 minutes, JSON content type; it records webhook-ids.
type receiver struct {
	t      *testing.T
	key    []byte
	status int
	header http.Header
	body   string
	mu     sync.Mutex
	ids    []string
	bodies [][]byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	rc.mu.Lock()
	rc.ids, rc.bodies = append(rc.ids, id), append(rc.bodies, body)
	rc.mu.Unlock()
	n, err := strconv.ParseInt(ts, 10, 64)
	switch {
	case r.Method != http.MethodPost || id == "" || err != nil:
		rc.t.Errorf("bad request: %s id=%q ts=%q", r.Method, id, ts)
	case time.Since(time.Unix(n, 0)).Abs() > 5*time.Minute:
		rc.t.Errorf("timestamp %d outside tolerance", n)
	case r.Header.Get("Content-Type") != "application/json; charset=utf-8":
		rc.t.Errorf("content type %q", r.Header.Get("Content-Type"))
	case rc.key != nil && !hmac.Equal([]byte(r.Header.Get("webhook-signature")), []byte(signature(rc.key, id, n, body))):
		rc.t.Errorf("signature %q does not verify", r.Header.Get("webhook-signature"))
		w.WriteHeader(http.StatusUnauthorized)
		return
	case rc.key == nil && r.Header.Get("webhook-signature") != "":
		rc.t.Errorf("unsigned endpoint got a signature")
	}
	for k, v := range rc.header {
		w.Header()[k] = v
	}
	if rc.status == 0 {
		rc.status = http.StatusOK
	}
	w.WriteHeader(rc.status)
	_, _ = io.WriteString(w, rc.body)
}

func start(t *testing.T, rc *receiver) string {
	rc.t = t
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return srv.URL + "/hook"
}

func TestSignatureVector(t *testing.T) {
	t.Parallel()
	key, err := decodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Errorf("signature = %q", got)
	}
}

func TestSignedDeliveryStableID(t *testing.T) {
	t.Parallel()
	key, _ := decodeSecret(secret)
	rc := &receiver{key: key}
	s, err := New(Config{URL: start(t, rc), Secret: secret}, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a retry carries the same webhook-id
		if _, err := s.Send(context.Background(), msg()); err != nil {
			t.Fatal(err)
		}
	}
	if len(rc.ids) != 2 || rc.ids[0] != "out_webhook_0123456789ab" || rc.ids[1] != rc.ids[0] {
		t.Errorf("webhook-ids = %v", rc.ids)
	}
	var ev struct {
		Type, Timestamp string
		Data            map[string]any
	}
	if err := json.Unmarshal(rc.bodies[0], &ev); err != nil || ev.Type != "courier.message" ||
		ev.Data["body"] != "Build **#412** is green.\n" || ev.Data["id"] != "out_webhook_0123456789ab" {
		t.Errorf("event = %s", rc.bodies[0])
	}
	if _, err := time.Parse(time.RFC3339, ev.Timestamp); err != nil {
		t.Errorf("timestamp %q: %v", ev.Timestamp, err)
	}
}

func TestUnsigned(t *testing.T) {
	t.Parallel()
	rc := &receiver{}
	s, err := New(Config{URL: start(t, rc)}, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	b, err := render(msg(), fixed)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "event.golden")
	if *update {
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil || string(b)+"\n" != string(want) {
		t.Errorf("%v\n got: %s\nwant: %s", err, b, want)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		header   http.Header
		body     string
		ok, perm bool
		rate     bool
		after    time.Duration
	}{
		{"200", 200, nil, `{"received":true}`, true, false, false, 0},
		{"204", 204, nil, "", true, false, false, 0},
		{"429 retry-after", 429, http.Header{"Retry-After": {"1"}}, "slow down", false, false, true, time.Second},
		{"429 no retry-after", 429, nil, "slow down", false, false, true, time.Minute},
		{"503", 503, http.Header{"Retry-After": {"30"}}, "", false, false, false, 30 * time.Second},
		{"408", 408, nil, "", false, false, false, 0},
		{"400", 400, nil, "invalid payload", false, true, false, 0},
		{"410", 410, nil, "", false, true, false, 0},
		{"302 not followed", 302, http.Header{"Location": {"/elsewhere"}}, "", false, true, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := &receiver{status: tc.status, header: tc.header, body: tc.body}
			s, err := New(Config{URL: start(t, rc)}, adapters.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Send(context.Background(), msg())
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var f *adapters.Failure
			if !errors.As(err, &f) || adapters.IsPermanent(err) != tc.perm || f.RateLimited() != tc.rate || f.RetryAfter() != tc.after {
				t.Errorf("%v: want perm=%v rate=%v after=%v", err, tc.perm, tc.rate, tc.after)
			}
			if len(rc.ids) != 1 {
				t.Errorf("%d requests (redirect followed?)", len(rc.ids))
			}
			if !strings.Contains(err.Error(), strconv.Itoa(tc.status)) {
				t.Errorf("error %q does not name the status", err)
			}
		})
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	bad := []Config{
		{},
		{URL: "http://example.com/hook"},
		{URL: "https://example.com/hook", Secret: "c2VjcmV0LXNob3VsZC1oYXZlLXByZWZpeA=="},
		{URL: "https://example.com/hook", Secret: "whsec_not*base64!SECRETVALUE"},
		{URL: "https://example.com/hook", Secret: "whsec_"},
		{URL: "https://example.com/hook", Channels: map[string]Channel{"ops": {URL: "https://x/y", Secret: "nope-SECRETVALUE"}}},
	}
	for _, c := range bad {
		_, err := New(c, adapters.Options{})
		if err == nil {
			t.Errorf("New(%+v) = nil", c)
			continue
		}
		if strings.Contains(err.Error(), "SECRETVALUE") || strings.Contains(err.Error(), "c2VjcmV0") {
			t.Errorf("error echoes the secret: %v", err)
		}
	}
}

func TestChannelAlias(t *testing.T) {
	t.Parallel()
	def, ops := &receiver{}, &receiver{}
	key, _ := decodeSecret(secret)
	ops.key = key
	s, err := New(Config{URL: start(t, def), Channels: map[string]Channel{"ops": {URL: start(t, ops), Secret: secret}}}, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	m := msg()
	m.To = []string{"someone"}
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if len(ops.ids) != 1 || len(def.ids) != 1 {
		t.Errorf("ops %d, default %d", len(ops.ids), len(def.ids))
	}
}

func TestContract(t *testing.T) {
	t.Parallel()
	adapterstest.RunContract(t, adapterstest.ContractHarness{
		Start: adapterstest.HTTPFake{
			New: func(t *testing.T, base string, c *http.Client) (adapterstest.Sender, []string) {
				cfg := Config{URL: base + "/hook?token=wh-url-token-123", Secret: secret}
				s, err := New(cfg, adapters.Options{Client: c})
				if err != nil {
					t.Fatal(err)
				}
				return s, append(Secrets(cfg), "wh-url-token-123", strings.TrimPrefix(secret, "whsec_"))
			},
			Answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, b adapterstest.Behaviour) {
				key, _ := decodeSecret(secret)
				rc := &receiver{t: t, key: key}
				switch b {
				case adapterstest.BehaveTransient:
					rc.status, rc.header = 503, http.Header{"Retry-After": {adapterstest.ContractRetryAfterHeader}}
				case adapterstest.BehavePermanent:
					rc.status, rc.body = 400, "invalid payload"
				case adapterstest.BehaveRateLimit:
					rc.status, rc.header = 429, http.Header{"Retry-After": {adapterstest.ContractRetryAfterHeader}}
				}
				rc.ServeHTTP(w, r)
			},
		}.Start,
		TransientRetryAfter: true,
		RateLimitRetryAfter: true,
	})
}

// A receiver that quotes what it got (a signature it rejected, the URL with its token) must not
// put the per-request signature or a configured secret into error_message, even where the quote
// is cut to a snippet.
func TestEchoedSignatureRedacted(t *testing.T) {
	t.Parallel()
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("webhook-signature")
		w.WriteHeader(http.StatusUnauthorized)
		// The token straddles the 200-rune cut of the snippet.
		_, _ = io.WriteString(w, "signature mismatch: got "+got+" "+strings.Repeat(".", 103)+" url "+r.URL.String())
	}))
	t.Cleanup(srv.Close)
	s, err := New(Config{URL: srv.URL + "/hook?token=wh-url-token-0123456789", Secret: secret}, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(context.Background(), msg())
	if !adapters.IsPermanent(err) {
		t.Fatalf("Send = %v, want permanent", err)
	}
	_, b64, _ := strings.Cut(got, ",")
	for _, leak := range []string{got, b64, "wh-url-t"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q contains %q", err, leak)
		}
	}
}
