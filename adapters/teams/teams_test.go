package teams

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/adapters/adapterstest"
	"github.com/monoco/courier/delivery/mailbox"
)

const (
	sig      = "sIgSecretValue0123456789abcdefXYZ"
	flowPath = "/workflows/0f1e2d3c4b5a69788796a5b4c3d2e1f0/triggers/manual/paths/invoke"
)

func hookURL(base, s string) string {
	return base + flowPath + "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" + s
}

// fakeFlow plays a Workflows trigger: it checks the sig and the message envelope like the real
// trigger and flow would, and answers 202 (or the scripted reply).
type fakeFlow struct {
	reply func(w http.ResponseWriter)
	mu    sync.Mutex
	got   []map[string]any
}

func jsonErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

func (f *fakeFlow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || r.URL.Path != flowPath || r.URL.Query().Get("sig") != sig {
		jsonErr(w, 401, "DirectApiAuthorizationRequired", "The request must be authenticated.")
		return
	}
	var env map[string]any
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" || json.Unmarshal(raw, &env) != nil || !hasAdaptive(env) || env["type"] != "message" {
		jsonErr(w, 400, "InvalidRequestContent", "The request content was invalid.")
		return
	}
	f.mu.Lock()
	f.got = append(f.got, env)
	f.mu.Unlock()
	if f.reply != nil {
		f.reply(w)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func TestContract(t *testing.T) {
	t.Parallel()
	errBody := func(code, msg string) string {
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": msg}})
		return string(b)
	}
	retry := http.Header{"Retry-After": {adapterstest.ContractRetryAfterHeader}}
	adapterstest.RunRobot(t, adapterstest.Robot{
		Robot: robot(),
		Config: func(base string) (adapters.RobotSection, []string) {
			return Config{Webhook: hookURL(base, sig)}, []string{sig}
		},
		Serve: func(t *testing.T, w http.ResponseWriter, r *http.Request, a adapterstest.Reply) {
			(&fakeFlow{reply: func(w http.ResponseWriter) {
				if a.Status == 0 {
					w.WriteHeader(http.StatusAccepted)
					return
				}
				for k, v := range a.Header {
					w.Header()[k] = v
				}
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(a.Status)
				_, _ = io.WriteString(w, a.Body)
			}}).ServeHTTP(w, r)
		},
		Replies: map[adapterstest.Behaviour]adapterstest.Reply{
			adapterstest.BehaveTransient: {Status: 503, Body: errBody("ServiceUnavailable", "try later"), Header: retry},
			adapterstest.BehavePermanent: {Status: 400, Body: errBody("InvalidRequestContent", "The request content was invalid.")},
			adapterstest.BehaveRateLimit: {Status: 429, Body: errBody("TooManyRequests", "Rate limit is exceeded."), Header: retry},
		},
		RetryAfter: true,
	})
}

func TestSendAndRouting(t *testing.T) {
	t.Parallel()
	f := &fakeFlow{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := Config{Webhook: hookURL(srv.URL, sig), Channels: map[string]Channel{"ops": {Webhook: hookURL(srv.URL, "wrong-sig")}}}
	s, err := New(cfg, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := &mailbox.Message{ID: "out_teams_0123456789ab", To: []string{"acceptance-channel"},
		ContentType: mailbox.ContentMarkdown, Subject: "Build", Body: "Build **#412** is green.\n"}
	if id, err := s.Send(context.Background(), m); err != nil || id != "" {
		t.Fatalf("Send = %q, %v; want \"\", nil", id, err)
	}
	if len(f.got) != 1 {
		t.Fatalf("flow got %d posts", len(f.got))
	}
	card := f.got[0]["attachments"].([]any)[0].(map[string]any)["content"].(map[string]any)
	want := []any{
		map[string]any{"type": "TextBlock", "text": "Build", "wrap": true, "weight": "Bolder", "size": "Large"},
		map[string]any{"type": "TextBlock", "text": "Build **#412** is green.", "wrap": true},
	}
	if diff := cmp.Diff(want, card["body"]); diff != "" {
		t.Errorf("card body (-want +got):\n%s", diff)
	}
	// The alias selects its own webhook (whose sig the fake refuses: permanent, and redacted).
	m.To = []string{"ops"}
	_, err = s.Send(context.Background(), m)
	if err == nil || !adapters.IsPermanent(err) || !strings.Contains(err.Error(), "DirectApiAuthorizationRequired") {
		t.Fatalf("Send to alias = %v, want a permanent 401", err)
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		reply     func(w http.ResponseWriter)
		permanent bool
		rate      bool
		after     time.Duration
		substr    string
	}{
		{"200 accepted", func(w http.ResponseWriter) { w.WriteHeader(200) }, false, false, 0, ""},
		{"400 invalid", func(w http.ResponseWriter) { jsonErr(w, 400, "InvalidRequestContent", "bad") }, true, false, 0, "InvalidRequestContent"},
		{"404 workflow gone", func(w http.ResponseWriter) { jsonErr(w, 404, "WorkflowNotFound", "gone") }, true, false, 0, "404"},
		{"429 with Retry-After", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "12")
			jsonErr(w, 429, "TooManyRequests", "Rate limit is exceeded.")
		}, false, true, 12 * time.Second, "TooManyRequests"},
		{"429 without Retry-After", func(w http.ResponseWriter) { jsonErr(w, 429, "TooManyRequests", "x") }, false, true, time.Minute, "429"},
		{"502", func(w http.ResponseWriter) { w.WriteHeader(502) }, false, false, 0, "502"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(&fakeFlow{reply: tc.reply})
			defer srv.Close()
			s, err := New(Config{Webhook: hookURL(srv.URL, sig)}, adapters.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Send(context.Background(), &mailbox.Message{To: []string{"x"}, ContentType: "text", Body: "hi"})
			if tc.substr == "" {
				if err != nil {
					t.Fatalf("Send = %v", err)
				}
				return
			}
			var f interface {
				RateLimited() bool
				RetryAfter() time.Duration
			}
			if err == nil || !errors.As(err, &f) {
				t.Fatalf("Send = %v, want a classified error", err)
			}
			if adapters.IsPermanent(err) != tc.permanent || f.RateLimited() != tc.rate || f.RetryAfter() != tc.after {
				t.Errorf("permanent=%v rate=%v after=%v; want %v %v %v (%v)", adapters.IsPermanent(err),
					f.RateLimited(), f.RetryAfter(), tc.permanent, tc.rate, tc.after, err)
			}
			if !strings.Contains(err.Error(), tc.substr) || strings.Contains(err.Error(), sig) {
				t.Errorf("error %q: want %q and no sig", err, tc.substr)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"nothing", Config{}, "required"},
		{"http", Config{Webhook: "http://prod-01.westus.logic.azure.com/workflows/x?sig=" + sig}, "https"},
		{"retired connector", Config{Webhook: "https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/" + sig}, "retired"},
		{"alias retired", Config{Webhook: hookURL("https://prod-01.westus.logic.azure.com:443", sig),
			Channels: map[string]Channel{"ops": {Webhook: "https://outlook.office.com/webhook/" + sig}}}, "channels.ops.webhook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, adapters.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), sig) {
				t.Fatalf("New = %v, want an error containing %q and not the sig", err, tc.want)
			}
		})
	}
}

// A Logic Apps error message quoting the sig where the 200-character cut falls inside it must
// not leak the sig's first part: redact, then cut (on a rune boundary).
func TestCutErrorMessageDoesNotLeakSig(t *testing.T) {
	t.Parallel()
	for _, msg := range []string{
		strings.Repeat(".", 190) + " " + sig + " tail", // the cut falls inside the sig
		"a" + strings.Repeat("é", 150),                 // a byte cut would split a character
	} {
		srv := httptest.NewServer(&fakeFlow{reply: func(w http.ResponseWriter) {
			jsonErr(w, 400, "InvalidRequestContent", msg)
		}})
		defer srv.Close()
		s, err := New(Config{Webhook: hookURL(srv.URL, sig)}, adapters.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Send(context.Background(), &mailbox.Message{To: []string{"x"}, ContentType: "text", Body: "hi"})
		if !adapters.IsPermanent(err) {
			t.Fatalf("Send = %v, want permanent", err)
		}
		if strings.Contains(err.Error(), sig[:6]) || !utf8.ValidString(err.Error()) {
			t.Errorf("error %q leaks part of the sig or is not UTF-8", err)
		}
	}
}

// Sender and New build the sender the provider registry builds (Descriptor).
type Sender = adapters.RobotSender

func New(cfg Config, opts adapters.Options) (*Sender, error) {
	return adapters.NewRobot(robot(), cfg, opts)
}
