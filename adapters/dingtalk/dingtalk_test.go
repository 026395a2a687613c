package dingtalk

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	tok    = "dt-token-0123456789abcdef"
	secret = "SECdingtalk-secret-xyz"
)

func msg(ct, subject, body string, mentions ...mailbox.Mention) *mailbox.Message {
	return &mailbox.Message{ID: "out_dingtalk_0123456789ab", Provider: Name, To: []string{"ops"},
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

// TestSignVectors uses the known-answer vectors in docs/providers.md, "DingTalk".
func TestSignVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ts        int64
		b64, qval string
	}{
		{1700000000000, "yBKp5IlG6qCzcQWmgyRK/ziJBdVNJmHfFE2ST/CzT/g=", "yBKp5IlG6qCzcQWmgyRK%2FziJBdVNJmHfFE2ST%2FCzT%2Fg%3D"},
		{1700000000001, "l/JDUsy5cz9xEdP2CNFWJyT1FMjG0kUjoSj1+WcOH8E=", "l%2FJDUsy5cz9xEdP2CNFWJyT1FMjG0kUjoSj1%2BWcOH8E%3D"},
	}
	for _, tc := range tests {
		if got := sign("SECtest0123456789", tc.ts); got != tc.b64 {
			t.Errorf("sign(%d) = %q, want %q", tc.ts, got, tc.b64)
		}
		u := signURL("https://oapi.dingtalk.com/robot/send?access_token=T", "SECtest0123456789", time.UnixMilli(tc.ts))
		want := "https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=" +
			strconv.FormatInt(tc.ts, 10) + "&sign=" + tc.qval
		if u != want {
			t.Errorf("signURL = %q, want %q", u, want)
		}
	}
}

func TestSendSignedTextVerifiedByServer(t *testing.T) {
	t.Parallel()
	f, srv := newFakeRobot(t, tok, secret)
	s := newSender(t, Config{Webhook: f.url(srv), Secret: secret})
	id, err := s.Send(context.Background(), msg("text", "", "build **#412** is green"))
	if err != nil || id != "" {
		t.Fatalf("Send = %q, %v", id, err)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	var p struct {
		MsgType string            `json:"msgtype"`
		Text    map[string]string `json:"text"`
		MsgUUID string            `json:"msgUuid"`
	}
	if err := json.Unmarshal(reqs[0], &p); err != nil || p.MsgType != "text" ||
		p.Text["content"] != "build **#412** is green" || p.MsgUUID != "out_dingtalk_0123456789ab" {
		t.Errorf("payload = %s", reqs[0])
	}
}

func TestWrongSecretIsPermanent(t *testing.T) {
	t.Parallel()
	f, srv := newFakeRobot(t, tok, secret)
	f.lenient = true
	s := newSender(t, Config{Webhook: f.url(srv), Secret: "SECwrong-secret"})
	_, err := s.Send(context.Background(), msg("text", "", "hi"))
	if !adapters.IsPermanent(err) || !strings.Contains(err.Error(), "signature mismatch") {
		t.Errorf("err = %v", err)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    int
		reply     string
		header    http.Header
		ok        bool
		permanent bool
		rate      bool
		after     time.Duration
		contains  string
	}{
		{"ok number", 200, `{"errcode":0,"errmsg":"ok"}`, nil, true, false, false, 0, ""},
		{"ok string", 200, `{"errcode":"0","errmsg":"ok"}`, nil, true, false, false, 0, ""},
		{"sign not match", 200, `{"errcode":310000,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}`, nil, false, true, false, 0, "signature mismatch"},
		{"keywords", 200, `{"errcode":310000,"errmsg":"keywords not in content"}`, nil, false, true, false, 0, "keyword"},
		{"ip", 200, `{"errcode":310000,"errmsg":"ip 1.2.3.4 not in whitelist"}`, nil, false, true, false, 0, "allow-list"},
		{"errcode as string permanent", 200, `{"errcode":"310000","errmsg":"invalid timestamp"}`, nil, false, true, false, 0, "clock"},
		{"130101 long wait", 200, `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`, nil, false, false, true, 10 * time.Minute, "130101"},
		{"410100", 200, `{"errcode":410100,"errmsg":"发送速度太快而限流"}`, nil, false, false, true, 10 * time.Minute, "410100"},
		{"busy", 200, `{"errcode":-1,"errmsg":"系统繁忙"}`, nil, false, false, false, 0, "busy"},
		{"token gone", 200, `{"errcode":300005,"errmsg":"token is not exist"}`, nil, false, true, false, 0, "300005"},
		{"too large", 200, `{"errcode":460101,"errmsg":"body 大小不合法"}`, nil, false, true, false, 0, "460101"},
		{"unknown code", 200, `{"errcode":777,"errmsg":"new"}`, nil, false, false, false, 0, "777"},
		{"not json 200", 200, `<html>ok</html>`, nil, false, false, false, 0, "not JSON"},
		{"no errcode", 200, `{}`, nil, false, false, false, 0, "without errcode"},
		{"http 502", 502, `<html>bad gateway</html>`, nil, false, false, false, 0, "502"},
		{"http 503 retry-after", 503, ``, http.Header{"Retry-After": {"30"}}, false, false, false, 30 * time.Second, "503"},
		{"http 429", 429, ``, http.Header{"Retry-After": {"60"}}, false, false, true, time.Minute, "429"},
		{"http 404", 404, `not found`, nil, false, true, false, 0, "404"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFakeRobot(t, tok, secret)
			f.script(tc.status, tc.reply, tc.header)
			s := newSender(t, Config{Webhook: f.url(srv), Secret: secret})
			_, err := s.Send(context.Background(), msg("text", "", "hello"))
			if tc.ok {
				if err != nil {
					t.Fatalf("Send = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Send = nil, want an error")
			}
			var fl *adapters.Failure
			if !errors.As(err, &fl) {
				t.Fatalf("%T is not a Failure", err)
			}
			if adapters.IsPermanent(err) != tc.permanent || fl.RateLimited() != tc.rate || fl.RetryAfter() != tc.after {
				t.Errorf("%q: permanent=%v rate=%v after=%v", err, adapters.IsPermanent(err), fl.RateLimited(), fl.RetryAfter())
			}
			if !strings.Contains(err.Error(), tc.contains) || !strings.HasPrefix(err.Error(), "dingtalk: ") {
				t.Errorf("error %q does not contain %q", err, tc.contains)
			}
		})
	}
}

func TestThrottleWaitConfigurable(t *testing.T) {
	t.Parallel()
	f, srv := newFakeRobot(t, tok, "")
	f.script(200, `{"errcode":130101,"errmsg":"send too fast"}`, nil)
	s := newSender(t, Config{Common: adapters.Common{ThrottleWait: "90s"}, Webhook: f.url(srv)})
	_, err := s.Send(context.Background(), msg("text", "", "hello"))
	var fl *adapters.Failure
	if !errors.As(err, &fl) || !fl.RateLimited() || fl.RetryAfter() != 90*time.Second {
		t.Errorf("err = %v", err)
	}
}

func TestChannelAliases(t *testing.T) {
	t.Parallel()
	def, defSrv := newFakeRobot(t, "default-token-1234", "")
	ops, opsSrv := newFakeRobot(t, "ops-token-5678", "SECops-secret")
	cfg := Config{Webhook: def.url(defSrv), Channels: map[string]Channel{
		"ops": {Webhook: ops.url(opsSrv), Secret: "SECops-secret"},
		"dev": {Webhook: ops.url(opsSrv), Secret: "SECops-secret"},
	}}
	s := newSender(t, cfg)
	ctx := context.Background()
	if _, err := s.Send(ctx, msg("text", "", "to ops")); err != nil {
		t.Fatal(err)
	}
	m := msg("text", "", "to chat")
	m.To = []string{"cid-not-an-alias"}
	if _, err := s.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	if len(ops.requests()) != 1 || len(def.requests()) != 1 {
		t.Fatalf("ops got %d, default got %d", len(ops.requests()), len(def.requests()))
	}
	m.To = []string{"ops", "dev"}
	if _, err := s.Send(ctx, m); !adapters.IsPermanent(err) {
		t.Errorf("two aliases: %v", err)
	}
	m.To = []string{"ops", "ops"}
	if _, err := s.Send(ctx, m); err != nil {
		t.Errorf("repeated alias: %v", err)
	}
	noDefault := newSender(t, Config{Channels: cfg.Channels})
	m.To = []string{"cid-x"}
	if _, err := noDefault.Send(ctx, m); !adapters.IsPermanent(err) {
		t.Errorf("no default webhook: %v", err)
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    *mailbox.Message
	}{
		{"text", msg("text", "", "disk full")},
		{"text_mentions", msg("text", "", "disk full @13800000000",
			mailbox.Mention{Type: "user", Target: "13800000000"}, mailbox.Mention{Type: "user", Target: "user123"},
			mailbox.Mention{Type: "all"})},
		{"markdown_subject", msg("markdown", "Build #412", "# Heading\n\n- item")},
		{"markdown_heading", msg("markdown", "", "intro line\n\n## Deploy **done**\n\ntext", mailbox.Mention{Type: "user", Target: "13900000000"})},
		{"markdown_first_line", msg("markdown", "", "\n  first line here  \nsecond")},
		{"card_yaml", msg("card", "Release", "text: \"### v1.2\\nshipped\"\nbtnOrientation: \"0\"\nsingleTitle: Open\nsingleURL: https://example.com\n")},
		{"card_json_passthrough", msg("card", "", `{"msgtype":"actionCard","actionCard":{"title":"t","text":"x","btns":[{"title":"A","actionURL":"https://a"}]}}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := render(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b)
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var pretty strings.Builder
	var v any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	pretty.Write(b)
	pretty.WriteString("\n")
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(pretty.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if pretty.String() != string(want) {
		t.Errorf("%s mismatch:\n got: %s\nwant: %s", name, pretty.String(), want)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	// Payload overhead for a text message with this id: measure it, then size bodies around MaxBody.
	base, _ := render(msg("text", "", "x"))
	over := len(base) - 1
	tests := []struct {
		name  string
		m     *mailbox.Message
		field string
	}{
		{"text ok", msg("text", "", "hi"), ""},
		{"just under", msg("text", "", strings.Repeat("a", MaxBody-over)), ""},
		{"just over", msg("text", "", strings.Repeat("a", MaxBody-over+1)), "body"},
		{"multibyte over", msg("text", "", strings.Repeat("中", (MaxBody-over)/3+1)), "body"},
		{"html", msg("html", "", "<p>x</p>"), "content_type"},
		{"empty", msg("text", "", "  \n"), "body"},
		{"channel mention", msg("text", "", "x", mailbox.Mention{Type: "channel", Target: "c"}), "mentions"},
		{"user mention without target", msg("text", "", "x", mailbox.Mention{Type: "user"}), "mentions"},
		{"card not object", msg("card", "", "- a\n- b\n"), "body"},
		{"card without text", msg("card", "", `{"title":"t"}`), "body"},
		{"card ok", msg("card", "", `{"text":"t"}`), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.m)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Check = %v", err)
				}
				return
			}
			var ce *adapters.CheckError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("Check = %v, want field %q", err, tc.field)
			}
		})
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	t.Parallel()
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		_, _ = w.Write([]byte(r.URL.String() + "\n"))
		_ = r.Header.Write(w)
	})
	srv := httptest.NewServer(echo)
	defer srv.Close()
	hook := srv.URL + "/robot/send?access_token=" + tok
	cfg := Config{Webhook: hook, Secret: secret}
	s := newSender(t, cfg)
	_, err := s.Send(context.Background(), msg("text", "", "x"))
	assertNoSecret(t, err, cfg)
	// errmsg echoing the request (as a misbehaving proxy might) is redacted too.
	f, srv2 := newFakeRobot(t, tok, secret)
	f.script(200, `{"errcode":310000,"errmsg":"sign not match for `+url.QueryEscape(secret)+` and `+tok+`"}`, nil)
	cfg = Config{Webhook: f.url(srv2), Secret: secret}
	_, err = newSender(t, cfg).Send(context.Background(), msg("text", "", "x"))
	assertNoSecret(t, err, cfg)
	// New's validation errors do not echo the URL.
	_, err = New(Config{Webhook: "http://example.com/robot/send?access_token=" + tok}, adapters.Options{})
	assertNoSecret(t, err, Config{Webhook: tok})
	_, err = New(Config{Channels: map[string]Channel{"ops": {Webhook: "ftp://x/?access_token=" + tok}}}, adapters.Options{})
	assertNoSecret(t, err, Config{Webhook: tok})
}

func assertNoSecret(t *testing.T, err error, cfg Config) {
	t.Helper()
	if err == nil {
		t.Fatal("want an error")
	}
	for _, s := range append(Secrets(cfg), tok, secret, url.QueryEscape(secret)) {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains secret %q", err, s)
		}
	}
}

func TestNewValidation(t *testing.T) {
	t.Parallel()
	bad := []Config{{}, {Webhook: "http://example.com/x"}, {Webhook: "https://x/y", Common: adapters.Common{ThrottleWait: "soon"}}}
	for _, c := range bad {
		if _, err := New(c, adapters.Options{}); err == nil {
			t.Errorf("New(%+v) = nil error", c)
		}
	}
	if _, err := New(Config{Webhook: "http://127.0.0.1:9/robot/send?access_token=x"}, adapters.Options{}); err != nil {
		t.Errorf("loopback http: %v", err)
	}
}

// The computed sign is a credential for its hour: an errmsg quoting the signed request (as
// DingTalk's gateway or a proxy may) must not carry it into error_message, in any spelling.
func TestEchoedSignRedacted(t *testing.T) {
	t.Parallel()
	var sig string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sig = r.URL.Query().Get("sign")
		b, _ := json.Marshal(map[string]any{"errcode": 310000,
			"errmsg": "sign not match, sign=" + sig + " query " + r.URL.RawQuery})
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	s := newSender(t, Config{Webhook: srv.URL + "/robot/send?access_token=" + tok, Secret: secret})
	_, err := s.Send(context.Background(), msg("text", "", "x"))
	if !adapters.IsPermanent(err) {
		t.Fatalf("Send = %v, want permanent", err)
	}
	for _, leak := range []string{sig, url.QueryEscape(sig), tok} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q contains %q", err, leak)
		}
	}
}
