package lark

import (
	"context"
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
	"testing"
	"time"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const (
	hookTok = "4f1c2a9e-77aa-4bb1-9c1e-0123456789ab"
	secret  = "lark-signing-secret-xyz"
)

func msg(ct, subject, body string, mentions ...mailbox.Mention) *mailbox.Message {
	return &mailbox.Message{ID: "out_lark_0123456789ab", Provider: Name, To: []string{"ops"},
		ContentType: ct, Subject: subject, Body: body, Mentions: mentions}
}

func newSender(t *testing.T, cfg Config) *Sender {
	t.Helper()
	s, err := New(cfg, adapters.Options{Client: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSignVector is the official example in docs/providers.md, "Lark".
func TestSignVector(t *testing.T) {
	t.Parallel()
	if got := sign("demo", 1599360473); got != "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=" {
		t.Errorf("sign = %q", got)
	}
}

func TestSendSignedVerifiedByServer(t *testing.T) {
	t.Parallel()
	f, srv := newFakeBot(t, hookTok, secret)
	now := time.Now()
	s, err := New(Config{Webhook: f.url(srv), Secret: secret}, adapters.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range []string{"text", "markdown", "card"} {
		body := "build failed"
		if ct == "card" {
			body = `{"header":{"title":{"tag":"plain_text","content":"T"}},"elements":[]}`
		}
		if _, err := s.Send(context.Background(), msg(ct, "", body)); err != nil {
			t.Fatalf("%s: %v", ct, err)
		}
	}
	reqs := f.requests()
	var p map[string]any
	if err := json.Unmarshal(reqs[0], &p); err != nil {
		t.Fatal(err)
	}
	if p["timestamp"] != strconv.FormatInt(now.Unix(), 10) {
		t.Errorf("timestamp = %v, want seconds as a string", p["timestamp"])
	}
}

func TestLegacyAndPlainSuccess(t *testing.T) {
	t.Parallel()
	for _, reply := range []string{`{"code":0,"msg":"success","data":{}}`, `{"StatusCode":0,"StatusMessage":"success"}`} {
		f, srv := newFakeBot(t, hookTok, "")
		f.script(200, reply)
		if _, err := newSender(t, Config{Webhook: f.url(srv)}).Send(context.Background(), msg("text", "", "x")); err != nil {
			t.Errorf("%s: %v", reply, err)
		}
	}
}

func TestWrongSecretIsPermanent(t *testing.T) {
	t.Parallel()
	f, srv := newFakeBot(t, hookTok, secret)
	f.lenient = true
	_, err := newSender(t, Config{Webhook: f.url(srv), Secret: "other-secret"}).Send(context.Background(), msg("text", "", "x"))
	if !adapters.IsPermanent(err) || !strings.Contains(err.Error(), "19021") {
		t.Errorf("err = %v", err)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		status         int
		reply          string
		ok, perm, rate bool
		after          time.Duration
		contains       string
	}{
		{"19021", 200, `{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}`, false, true, false, 0, "19021"},
		{"19022", 200, `{"code":19022,"msg":"Ip Not Allowed"}`, false, true, false, 0, "allow-list"},
		{"19024", 200, `{"code":19024,"msg":"Key Words Not Found"}`, false, true, false, 0, "keyword"},
		{"19001", 200, `{"code":19001,"msg":"param invalid: incoming webhook access token invalid"}`, false, true, false, 0, "19001"},
		{"9499", 200, `{"code":9499,"msg":"Bad Request","data":{}}`, false, true, false, 0, "9499"},
		{"11232", 200, `{"code":11232,"msg":"frequency limited psm[lark.oapi.app_platform_runtime]appID[1500]"}`, false, false, true, time.Minute, "11232"},
		{"11232 with 429", 429, `{"code":11232,"msg":"frequency limited"}`, false, false, true, time.Minute, "11232"},
		{"unknown", 200, `{"code":555,"msg":"?"}`, false, false, false, 0, "555"},
		{"no code", 200, `{"data":{}}`, false, false, false, 0, "without code"},
		{"not json", 200, `ok`, false, false, false, 0, "not JSON"},
		{"502", 502, `<html/>`, false, false, false, 0, "502"},
		{"429 plain", 429, `slow`, false, false, true, 0, "429"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFakeBot(t, hookTok, secret)
			f.script(tc.status, tc.reply)
			_, err := newSender(t, Config{Webhook: f.url(srv), Secret: secret}).Send(context.Background(), msg("text", "", "x"))
			if err == nil {
				t.Fatal("Send = nil")
			}
			var fl *adapters.Failure
			if !errors.As(err, &fl) || adapters.IsPermanent(err) != tc.perm || fl.RateLimited() != tc.rate || fl.RetryAfter() != tc.after {
				t.Errorf("%q: permanent=%v rate=%v after=%v", err, adapters.IsPermanent(err), fl.RateLimited(), fl.RetryAfter())
			}
			if !strings.Contains(err.Error(), tc.contains) || !strings.HasPrefix(err.Error(), "lark: ") {
				t.Errorf("error %q does not contain %q", err, tc.contains)
			}
		})
	}
}

func TestChannelAliases(t *testing.T) {
	t.Parallel()
	def, defSrv := newFakeBot(t, "default-hook-token", "")
	ops, opsSrv := newFakeBot(t, "ops-hook-token", "ops-secret")
	cfg := Config{Webhook: def.url(defSrv), Channels: map[string]Channel{
		"ops": {Webhook: ops.url(opsSrv), Secret: "ops-secret"}, "dev": {Webhook: ops.url(opsSrv), Secret: "ops-secret"}}}
	s := newSender(t, cfg)
	ctx := context.Background()
	if _, err := s.Send(ctx, msg("text", "", "to ops")); err != nil {
		t.Fatal(err)
	}
	m := msg("text", "", "to chat")
	m.To = []string{"oc_chat_id"}
	if _, err := s.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	if len(ops.requests()) != 1 || len(def.requests()) != 1 {
		t.Fatalf("ops %d, default %d", len(ops.requests()), len(def.requests()))
	}
	m.To = []string{"ops", "dev"}
	if _, err := s.Send(ctx, m); !adapters.IsPermanent(err) {
		t.Errorf("two aliases: %v", err)
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    *mailbox.Message
	}{
		{"text_mentions", msg("text", "", "build failed",
			mailbox.Mention{Type: "user", Target: "ou_abc", Name: "Tom"}, mailbox.Mention{Type: "all"})},
		{"markdown_subject", msg("markdown", "Build #412", "**disk** 95%", mailbox.Mention{Type: "user", Target: "ou_abc"})},
		{"markdown_heading", msg("markdown", "", "intro\n# Deploy done\nmore")},
		{"markdown_first_line", msg("markdown", "", "first line\nsecond")},
		{"card_yaml", msg("card", "", "schema: \"2.0\"\nheader:\n  title: {tag: plain_text, content: Alert}\n  template: red\nbody:\n  elements:\n    - {tag: markdown, content: \"**disk** 95%\"}\n")},
		{"card_full_payload", msg("card", "", `{"msg_type":"post","content":{"post":{"zh_cn":{"title":"T","content":[[{"tag":"text","text":"x"}]]}}}}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := render(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, p)
		})
	}
}

func golden(t *testing.T, name string, v any) {
	t.Helper()
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	got := buf.String()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s mismatch:\n got: %s\nwant: %s", name, got, want)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	overhead := 0
	for n := 1; ; n++ { // find the largest text body that fits
		if Check(msg("text", "", strings.Repeat("a", MaxBody-n))) == nil {
			overhead = n
			break
		}
	}
	fits := MaxBody - overhead
	tests := []struct {
		name, field string
		m           *mailbox.Message
	}{
		{"just under", "", msg("text", "", strings.Repeat("a", fits))},
		{"just over", "body", msg("text", "", strings.Repeat("a", fits+1))},
		{"html", "content_type", msg("html", "", "<p/>")},
		{"role mention", "mentions", msg("text", "", "x", mailbox.Mention{Type: "role", Target: "r"})},
		{"empty", "body", msg("markdown", "", "\n")},
		{"bad card", "body", msg("card", "", "not: [valid")},
	}
	if overhead < 80 || overhead > 200 {
		t.Errorf("overhead %d bytes: the signature fields are not counted?", overhead)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.m)
			var ce *adapters.CheckError
			if tc.field == "" && err != nil || tc.field != "" && (!errors.As(err, &ce) || ce.Field != tc.field) {
				t.Errorf("Check = %v, want field %q", err, tc.field)
			}
		})
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		_, _ = w.Write([]byte(r.URL.String() + "\n"))
		_ = r.Header.Write(w)
	}))
	defer srv.Close()
	cfg := Config{Webhook: srv.URL + "/open-apis/bot/v2/hook/" + hookTok, Secret: secret}
	_, err := newSender(t, cfg).Send(context.Background(), msg("text", "", "x"))
	f, srv2 := newFakeBot(t, hookTok, secret)
	f.script(200, `{"code":19001,"msg":"token `+hookTok+` invalid, secret `+secret+`"}`)
	cfg2 := Config{Webhook: f.url(srv2), Secret: secret}
	_, err2 := newSender(t, cfg2).Send(context.Background(), msg("text", "", "x"))
	_, err3 := New(Config{Webhook: "http://open.feishu.cn/open-apis/bot/v2/hook/" + hookTok}, adapters.Options{})
	for _, e := range []error{err, err2, err3} {
		if e == nil {
			t.Fatal("want an error")
		}
		if strings.Contains(e.Error(), hookTok) || strings.Contains(e.Error(), secret) {
			t.Errorf("error leaks a secret: %q", e)
		}
	}
}

// The sign in the JSON body is a credential for its hour: a msg quoting the request body (as a
// gateway rejecting it may) must not carry it into error_message.
func TestEchoedSignRedacted(t *testing.T) {
	t.Parallel()
	var sig string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Sign string `json:"sign"`
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &p)
		sig = p.Sign
		b, _ := json.Marshal(map[string]any{"code": 19021, "msg": "sign match fail: got " + sig + " in " + string(body)})
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	_, err := newSender(t, Config{Webhook: srv.URL + "/open-apis/bot/v2/hook/" + hookTok, Secret: secret}).
		Send(context.Background(), msg("text", "", "x"))
	if !adapters.IsPermanent(err) || sig == "" {
		t.Fatalf("Send = %v (sign %q), want permanent", err, sig)
	}
	if strings.Contains(err.Error(), sig) {
		t.Errorf("error %q contains the sign %q", err, sig)
	}
}

// 11232 may come with HTTP 429 and a Retry-After (docs/providers.md, "Lark"): the provider's wait wins
// over throttle_wait, as for every other rate-limit answer.
func TestRateLimitHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"code":11232,"msg":"frequency limited"}`)
	}))
	t.Cleanup(srv.Close)
	_, err := newSender(t, Config{Webhook: srv.URL + "/open-apis/bot/v2/hook/" + hookTok}).
		Send(context.Background(), msg("text", "", "x"))
	var fl *adapters.Failure
	if !errors.As(err, &fl) || !fl.RateLimited() || fl.RetryAfter() != 5*time.Second {
		t.Fatalf("Send = %v, want rate limited for 5s", err)
	}
}
