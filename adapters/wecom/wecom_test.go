package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const key = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"

func msg(ct, body string, mentions ...mailbox.Mention) *mailbox.Message {
	return &mailbox.Message{ID: "out_wecom_0123456789ab", Provider: Name, To: []string{"ops"},
		ContentType: ct, Body: body, Mentions: mentions}
}

func newSender(t *testing.T, cfg Config) *Sender {
	t.Helper()
	s, err := New(cfg, adapters.Options{Client: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendVerifiedByServer(t *testing.T) {
	t.Parallel()
	f, srv := newFakeRobot(t, key)
	s := newSender(t, Config{Webhook: f.url(srv)})
	for _, m := range []*mailbox.Message{
		msg("text", "build failed", mailbox.Mention{Type: "user", Target: "wangqing"}),
		msg("markdown", "**Build** <font color=\"warning\">failed</font>"),
		msg("card", `{"msgtype":"template_card","template_card":{"card_type":"text_notice","main_title":{"title":"T"},"card_action":{"type":1,"url":"https://x"}}}`),
	} {
		if _, err := s.Send(context.Background(), m); err != nil {
			t.Fatalf("%s: %v", m.ContentType, err)
		}
	}
	var p struct {
		MsgType string         `json:"msgtype"`
		Text    map[string]any `json:"text"`
	}
	if err := json.Unmarshal(f.requests()[0], &p); err != nil || p.MsgType != "text" || p.Text["content"] != "build failed" {
		t.Errorf("payload %s", f.requests()[0])
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		reply      string
		perm, rate bool
		after      time.Duration
		contains   string
	}{
		{"45009", 200, wecomAnswer(45009, "api freq out of limit"), false, true, time.Minute, "45009"},
		{"93000", 200, wecomAnswer(93000, "invalid webhook url"), true, false, 0, "93000"},
		{"93004", 200, wecomAnswer(93004, "robot disabled"), true, false, 0, "disabled"},
		{"93008", 200, wecomAnswer(93008, "not in group"), true, false, 0, "93008"},
		{"40008", 200, wecomAnswer(40008, "invalid message type"), true, false, 0, "40008"},
		{"44004", 200, wecomAnswer(44004, "empty content"), true, false, 0, "44004"},
		{"busy", 200, wecomAnswer(-1, "system busy"), false, false, 0, "busy"},
		{"unknown", 200, wecomAnswer(12345, "?"), false, false, 0, "12345"},
		{"string 45009", 200, `{"errcode":"45009","errmsg":"api freq out of limit"}`, false, true, time.Minute, "45009"},
		{"string 93000", 200, `{"errcode":"93000","errmsg":"invalid webhook url"}`, true, false, 0, "93000"},
		{"not json", 200, "<html/>", false, false, 0, "not JSON"},
		{"no errcode", 200, "{}", false, false, 0, "without errcode"},
		{"500", 500, "oops", false, false, 0, "500"},
		{"400 is transient", 400, "bad", false, false, 0, "400"},
		{"429", 429, "slow", false, true, 0, "429"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFakeRobot(t, key)
			f.script(tc.status, tc.reply)
			_, err := newSender(t, Config{Webhook: f.url(srv)}).Send(context.Background(), msg("text", "x"))
			var fl *adapters.Failure
			if !errors.As(err, &fl) || adapters.IsPermanent(err) != tc.perm || fl.RateLimited() != tc.rate || fl.RetryAfter() != tc.after {
				t.Fatalf("%v: want permanent=%v rate=%v after=%v", err, tc.perm, tc.rate, tc.after)
			}
			if !strings.Contains(err.Error(), tc.contains) || strings.Contains(err.Error(), "hint") {
				t.Errorf("error %q: want %q and no hint suffix", err, tc.contains)
			}
		})
	}
}

// errcode may come as a decimal string (the DingTalk doc quirk, docs/providers.md, "DingTalk"; the same
// parser reads WeCom's): "0" is success, not an unreadable answer to retry (a duplicate send).
func TestStringErrCodeZeroIsSuccess(t *testing.T) {
	t.Parallel()
	f, srv := newFakeRobot(t, key)
	f.script(http.StatusOK, `{"errcode":"0","errmsg":"ok"}`)
	if _, err := newSender(t, Config{Webhook: f.url(srv)}).Send(context.Background(), msg("text", "x")); err != nil {
		t.Fatalf("Send = %v, want nil for errcode \"0\"", err)
	}
}

func TestChannelAliases(t *testing.T) {
	t.Parallel()
	def, defSrv := newFakeRobot(t, "default-key-0001")
	ops, opsSrv := newFakeRobot(t, "ops-key-0002")
	cfg := Config{Webhook: def.url(defSrv), Channels: map[string]Channel{"ops": {Webhook: ops.url(opsSrv)}, "dev": {Webhook: ops.url(opsSrv)}}}
	s := newSender(t, cfg)
	ctx := context.Background()
	if _, err := s.Send(ctx, msg("text", "to ops")); err != nil {
		t.Fatal(err)
	}
	m := msg("text", "to chat")
	m.To = []string{"wrk-chat-id"}
	if _, err := s.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	if len(ops.requests()) != 1 || len(def.requests()) != 1 {
		t.Fatalf("ops %d, default %d", len(ops.requests()), len(def.requests()))
	}
	m.To = []string{"dev", "ops"}
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
		{"text_mentions", msg("text", "build failed", mailbox.Mention{Type: "user", Target: "wangqing"},
			mailbox.Mention{Type: "user", Target: "13800001111"}, mailbox.Mention{Type: "all"})},
		{"markdown_mentions", msg("markdown", "**Build** failed\n> please check", mailbox.Mention{Type: "user", Target: "wangqing"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := render(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			var buf strings.Builder
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			_ = enc.Encode(p)
			got := buf.String()
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil || got != string(want) {
				t.Errorf("%s: %v\n got: %s\nwant: %s", tc.name, err, got, want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, field string
		m           *mailbox.Message
	}{
		{"text at limit", "", msg("text", strings.Repeat("a", MaxText))},
		{"text over", "body", msg("text", strings.Repeat("a", MaxText+1))},
		{"text multibyte over", "body", msg("text", strings.Repeat("中", MaxText/3+1))},
		{"markdown at limit", "", msg("markdown", strings.Repeat("a", MaxMarkdown))},
		{"markdown over", "body", msg("markdown", strings.Repeat("a", MaxMarkdown+1))},
		{"markdown mention pushes over", "body", msg("markdown", strings.Repeat("a", MaxMarkdown-5), mailbox.Mention{Type: "user", Target: "bob"})},
		{"markdown @all", "mentions", msg("markdown", "x", mailbox.Mention{Type: "all"})},
		{"html", "content_type", msg("html", "<p/>")},
		{"empty", "body", msg("text", " ")},
		{"card without msgtype", "body", msg("card", `{"title":"x"}`)},
		{"card ok", "", msg("card", "msgtype: news\nnews:\n  articles: [{title: T, url: 'https://x'}]\n")},
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
		_, _ = w.Write([]byte(r.URL.String()))
	}))
	defer srv.Close()
	_, err := newSender(t, Config{Webhook: srv.URL + "/cgi-bin/webhook/send?key=" + key}).Send(context.Background(), msg("text", "x"))
	f, srv2 := newFakeRobot(t, key)
	f.script(200, wecomAnswer(93000, "invalid webhook url key="+key))
	_, err2 := newSender(t, Config{Webhook: f.url(srv2)}).Send(context.Background(), msg("text", "x"))
	_, err3 := New(Config{Webhook: "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + key}, adapters.Options{})
	for _, e := range []error{err, err2, err3} {
		if e == nil || strings.Contains(e.Error(), key) {
			t.Errorf("error %v leaks the key (or is nil)", e)
		}
	}
}
