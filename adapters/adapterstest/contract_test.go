package adapterstest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// plainSender is the smallest adapter that honours the contract: POST the body, ClassifyHTTP the
// answer, redact the error. It checks that RunContract and HTTPFake work together.
type plainSender struct {
	url    string
	client *http.Client
	red    *adapters.Redactor
}

func (s *plainSender) Send(ctx context.Context, m *mailbox.Message) (string, error) {
	resp, err := adapters.PostJSON(ctx, s.client, s.url, map[string]string{"text": m.Body}, nil)
	if err != nil {
		return "", s.red.Error(err)
	}
	if err := adapters.ClassifyHTTP(resp); err != nil {
		return "", s.red.Error(fmt.Errorf("%w: %s", err, resp.Body)) // deliberately echoes the body
	}
	return "", nil
}

func TestRunContractPlainHTTP(t *testing.T) {
	t.Parallel()
	RunContract(t, ContractHarness{
		Start: HTTPFake{
			New: func(t *testing.T, baseURL string, c *http.Client) (Sender, []string) {
				u := baseURL + "/hook?token=plain-token-123"
				return &plainSender{url: u, client: c, red: adapters.NewRedactor(u)}, []string{u, "plain-token-123"}
			},
			Answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, b Behaviour) {
				if r.URL.Query().Get("token") != "plain-token-123" {
					t.Errorf("token = %q", r.URL.Query().Get("token"))
				}
				switch b {
				case BehaveSucceed:
					w.WriteHeader(http.StatusNoContent)
				case BehaveTransient:
					w.Header().Set("Retry-After", ContractRetryAfterHeader)
					w.WriteHeader(http.StatusServiceUnavailable)
				case BehavePermanent:
					w.WriteHeader(http.StatusGone)
				case BehaveRateLimit:
					w.Header().Set("Retry-After", ContractRetryAfterHeader)
					w.WriteHeader(http.StatusTooManyRequests)
				}
			},
		}.Start,
		TransientRetryAfter: true,
		RateLimitRetryAfter: true,
	})
}

// TestCountingTransportDetectsLeaks shows the body check of RunContract can fail.
func TestCountingTransportDetectsLeaks(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer srv.Close()
	ct := &countingTransport{base: srv.Client().Transport}
	c := &http.Client{Transport: ct}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if n := ct.unclosed(); n != 1 {
		t.Errorf("unclosed = %d before Close, want 1", n)
	}
	_ = resp.Body.Close()
	_ = resp.Body.Close()
	if n := ct.unclosed(); n != 0 {
		t.Errorf("unclosed = %d after Close, want 0", n)
	}
}

// TestRequestCredentials shows the echo case knows the per-request credentials a provider may
// quote back: DingTalk's sign query value, Standard Webhooks' signature header, Lark's JSON sign.
func TestRequestCredentials(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/robot/send?access_token=tok-1234&timestamp=1700000000000&sign=abc%2Bdef%3D", nil)
	r.Header.Set("webhook-signature", "v1,c2lnbmF0dXJl v1,b3RoZXI=")
	got := requestCredentials(r, []byte(`{"timestamp":"1599360473","sign":"l1N0gAcBjdw=","msg_type":"text"}`))
	want := map[string]bool{"tok-1234": true, "abc+def=": true, "v1,c2lnbmF0dXJl v1,b3RoZXI=": true,
		"c2lnbmF0dXJl": true, "b3RoZXI=": true, "l1N0gAcBjdw=": true}
	for _, g := range got {
		delete(want, g)
	}
	if len(want) != 0 {
		t.Errorf("requestCredentials = %q, missing %v", got, want)
	}
}
