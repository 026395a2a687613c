package slack

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/adapters/adapterstest"
	"github.com/monoco/courier/delivery/mailbox"
)

// contractAnswer answers like Slack for each behaviour the shared suite asks for.
func contractAnswer(w http.ResponseWriter, api string, b adapterstest.Behaviour) {
	switch b {
	case adapterstest.BehaveSucceed:
		if api == "webhook" {
			text(w, 200, "ok")
		} else {
			apiJSON(w, map[string]any{"ok": true, "channel": "C0123ABCD", "ts": postedTS})
		}
	case adapterstest.BehaveTransient:
		w.Header().Set("Retry-After", adapterstest.ContractRetryAfterHeader)
		text(w, 503, "service_unavailable")
	case adapterstest.BehavePermanent:
		if api == "webhook" {
			text(w, 403, "invalid_token")
		} else {
			apiJSON(w, map[string]any{"ok": false, "error": "channel_is_archived"})
		}
	case adapterstest.BehaveRateLimit:
		w.Header().Set("Retry-After", adapterstest.ContractRetryAfterHeader)
		text(w, 429, "rate_limited")
	}
}

func TestContract(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"webhook", "chat.postMessage"} {
		t.Run(mode, func(t *testing.T) {
			adapterstest.RunContract(t, adapterstest.ContractHarness{
				Start: adapterstest.HTTPFake{
					New: func(t *testing.T, base string, c *http.Client) (adapterstest.Sender, []string) {
						cfg := Config{Webhook: base + hookPath + hookTok}
						if mode != "webhook" {
							cfg = Config{Token: botTok, Channel: "C0123ABCD", APIBase: base + "/api"}
						}
						s, err := New(cfg, adapters.Options{Client: c})
						if err != nil {
							t.Fatal(err)
						}
						return s, append(Secrets(cfg), hookTok)
					},
					Answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, b adapterstest.Behaviour) {
						f := &fakeSlack{t: t, hooks: map[string]bool{hookTok: true},
							reply: func(w http.ResponseWriter, api string) { contractAnswer(w, api, b) }}
						f.ServeHTTP(w, r)
					},
				}.Start,
				TransientRetryAfter: true,
				RateLimitRetryAfter: true,
			})
		})
	}
}

func msg(to ...string) *mailbox.Message {
	return &mailbox.Message{ID: "out_slack_0123456789ab", Provider: Name, To: to,
		ContentType: mailbox.ContentMarkdown, Body: "Build **#412** is green.\n"}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		cfg      func(base string) Config
		to       []string
		wantAPI  string
		wantHook string
		wantCh   string
		wantID   string
	}{
		{"webhook only, to is a label", func(b string) Config { return Config{Webhook: b + hookPath + hookTok} },
			[]string{"general"}, "webhook", hookTok, "", ""},
		{"alias with its own webhook", func(b string) Config {
			return Config{Webhook: b + hookPath + hookTok, Token: botTok, APIBase: b + "/api",
				Channels: map[string]Channel{"ops": {Webhook: b + hookPath + "aliasHookToken99"}}}
		}, []string{"ops"}, "webhook", "aliasHookToken99", "", ""},
		{"token: to is a channel id", func(b string) Config {
			return Config{Webhook: b + hookPath + hookTok, Token: botTok, Channel: "C0DEFAULT1", APIBase: b + "/api"}
		}, []string{"C0123ABCD"}, "chat.postMessage", "", "C0123ABCD", postedTS},
		{"token: to is a channel name", func(b string) Config {
			return Config{Token: botTok, APIBase: b + "/api"}
		}, []string{"#release-notes"}, "chat.postMessage", "", "#release-notes", postedTS},
		{"token: to is not a channel, default channel", func(b string) Config {
			return Config{Token: botTok, Channel: "C0DEFAULT1", APIBase: b + "/api"}
		}, []string{"Ops Team"}, "chat.postMessage", "", "C0DEFAULT1", postedTS},
		{"token: alias names a channel", func(b string) Config {
			return Config{Token: botTok, Channel: "C0DEFAULT1", APIBase: b + "/api",
				Channels: map[string]Channel{"ops": {Channel: "C0OPS0001"}}}
		}, []string{"ops"}, "chat.postMessage", "", "C0OPS0001", postedTS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFake(t, nil)
			s, err := New(tc.cfg(srv.URL), adapters.Options{})
			if err != nil {
				t.Fatal(err)
			}
			id, err := s.Send(context.Background(), msg(tc.to...))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if id != tc.wantID {
				t.Errorf("provider id = %q, want %q", id, tc.wantID)
			}
			reqs := f.got()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			ch, _ := r.body["channel"].(string)
			if r.api != tc.wantAPI || r.hook != tc.wantHook || ch != tc.wantCh {
				t.Errorf("got %s hook=%q channel=%q; want %s hook=%q channel=%q", r.api, r.hook, ch,
					tc.wantAPI, tc.wantHook, tc.wantCh)
			}
			if r.body["text"] != "Build *#412* is green." {
				t.Errorf("text = %q", r.body["text"])
			}
		})
	}
}

func TestThreadTS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                   string
		key, root, reply, want string
	}{
		{"thread_key", "1700000000.000100", "", "1700000000.000200", "1700000000.000100"},
		{"reply_to", "", "", "1700000000.000200", "1700000000.000200"},
		{"thread_root before reply_to", "release-412", "1700000000.000300", "1700000000.000200", "1700000000.000300"},
		{"logical key only: no thread", "release-412", "", "<m@x>", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFake(t, nil)
			s, err := New(Config{Webhook: srv.URL + hookPath + hookTok}, adapters.Options{})
			if err != nil {
				t.Fatal(err)
			}
			m := msg("general")
			m.ThreadKey, m.ThreadRoot, m.ReplyTo = tc.key, tc.root, tc.reply
			if _, err := s.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			got, _ := f.got()[0].body["thread_ts"].(string)
			if got != tc.want {
				t.Errorf("thread_ts = %q, want %q", got, tc.want)
			}
		})
	}
}

type class int

const (
	transient class = iota
	permanent
	rateLimited
)

func TestFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		token  bool // chat.postMessage instead of the webhook
		hook   string
		reply  func(w http.ResponseWriter, api string)
		want   class
		after  time.Duration
		substr string
	}{
		{"webhook 429 Retry-After", false, hookTok, func(w http.ResponseWriter, _ string) {
			w.Header().Set("Retry-After", "30")
			text(w, 429, "rate_limited")
		}, rateLimited, 30 * time.Second, "429"},
		{"webhook 403 invalid_token", false, hookTok, func(w http.ResponseWriter, _ string) { text(w, 403, "invalid_token") },
			permanent, 0, "invalid_token"},
		{"webhook unknown token: 404 no_service", false, "wrongHookToken", nil, permanent, 0, "no_service"},
		{"webhook 410 channel_is_archived", false, hookTok, func(w http.ResponseWriter, _ string) { text(w, 410, "channel_is_archived") },
			permanent, 0, "channel_is_archived"},
		{"webhook 500", false, hookTok, func(w http.ResponseWriter, _ string) { text(w, 500, "<html>oops</html>") },
			transient, 0, "500"},
		{"webhook 200 but not ok", false, hookTok, func(w http.ResponseWriter, _ string) { text(w, 200, "<html>login</html>") },
			transient, 0, "did not answer"},
		{"api channel_not_found", true, "", func(w http.ResponseWriter, _ string) {
			apiJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
		}, permanent, 0, "channel_not_found"},
		{"api invalid_auth", true, "", func(w http.ResponseWriter, _ string) {
			apiJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		}, permanent, 0, "invalid_auth"},
		{"api ratelimited without Retry-After uses throttle_wait", true, "", func(w http.ResponseWriter, _ string) {
			apiJSON(w, map[string]any{"ok": false, "error": "ratelimited"})
		}, rateLimited, time.Minute, "ratelimited"},
		{"api 429", true, "", func(w http.ResponseWriter, _ string) {
			w.Header().Set("Retry-After", "3")
			text(w, 429, "")
		}, rateLimited, 3 * time.Second, "429"},
		{"api internal_error", true, "", func(w http.ResponseWriter, _ string) {
			apiJSON(w, map[string]any{"ok": false, "error": "internal_error"})
		}, transient, 0, "internal_error"},
		{"api unreadable 200", true, "", func(w http.ResponseWriter, _ string) { text(w, 200, "<html>") },
			transient, 0, "unreadable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, srv := newFake(t, tc.reply)
			cfg := Config{Webhook: srv.URL + hookPath + tc.hook}
			if tc.token {
				cfg = Config{Token: botTok, Channel: "C0123ABCD", APIBase: srv.URL + "/api"}
			}
			s, err := New(cfg, adapters.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Send(context.Background(), msg("general"))
			if err == nil {
				t.Fatal("Send = nil, want an error")
			}
			var f interface {
				RateLimited() bool
				RetryAfter() time.Duration
			}
			if !errors.As(err, &f) {
				t.Fatalf("%v is not classified", err)
			}
			got := transient
			if adapters.IsPermanent(err) {
				got = permanent
			} else if f.RateLimited() {
				got = rateLimited
			}
			if got != tc.want || f.RetryAfter() != tc.after {
				t.Errorf("class %d after %v, want %d after %v (%v)", got, f.RetryAfter(), tc.want, tc.after, err)
			}
			if !strings.Contains(err.Error(), tc.substr) {
				t.Errorf("error %q lacks %q", err, tc.substr)
			}
			for _, sec := range []string{hookTok, botTok} {
				if strings.Contains(err.Error(), sec) {
					t.Errorf("error contains a secret: %q", err)
				}
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
		{"nothing", Config{}, "one is required"},
		{"http webhook", Config{Webhook: "http://hooks.slack.com/services/T/B/" + hookTok}, "https"},
		{"alias channel without token", Config{Webhook: "https://hooks.example.invalid/services/T/B/x",
			Channels: map[string]Channel{"ops": {Channel: "C0123ABCD"}}}, "needs a bot token"},
		{"bad throttle", Config{Token: botTok, Common: adapters.Common{ThrottleWait: "soon"}}, "throttle_wait"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, adapters.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), hookTok) {
				t.Errorf("error echoes the webhook token: %v", err)
			}
		})
	}
	if diff := cmp.Diff([]string{"https://h/services/T/B/x", botTok}, Secrets(Config{Webhook: "https://h/services/T/B/x", Token: botTok})); diff != "" {
		t.Errorf("Secrets (-want +got):\n%s", diff)
	}
}

// An error answer quoting a secret where the 200-character cut falls inside it must not leak
// the secret's first part: redact, then cut (and never split a UTF-8 character).
func TestCutAnswerDoesNotLeakSecret(t *testing.T) {
	t.Parallel()
	for _, token := range []bool{false, true} {
		secretTok := hookTok
		if token {
			secretTok = botTok
		}
		_, srv := newFake(t, func(w http.ResponseWriter, _ string) {
			text(w, 400, strings.Repeat("é", 96)+" "+secretTok+" tail")
		})
		cfg := Config{Webhook: srv.URL + hookPath + hookTok}
		if token {
			cfg = Config{Token: botTok, Channel: "C0123ABCD", APIBase: srv.URL + "/api"}
		}
		s, err := New(cfg, adapters.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Send(context.Background(), msg("general"))
		if !adapters.IsPermanent(err) {
			t.Fatalf("Send = %v, want permanent", err)
		}
		if strings.Contains(err.Error(), secretTok[:6]) || !utf8.ValidString(err.Error()) {
			t.Errorf("error %q leaks part of a secret or is not UTF-8", err)
		}
	}
}
