package email

import (
	"bytes"
	"context"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/adapters/adapterstest"
	"github.com/monoco/courier/delivery/mailbox"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestContract runs the shared adapter suite against the in-process SMTP server: a 4yz at end of
// data is transient, a 5yz permanent, a server that never greets is abandoned on cancel and on
// timeout, and a 535 that quotes the password never leaks it. SMTP has no rate-limit reply.
func TestContract(t *testing.T) {
	t.Parallel()
	adapterstest.RunContract(t, adapterstest.ContractHarness{
		Start: func(t *testing.T, env adapterstest.Env) adapterstest.Setup {
			o := fakeOpts{user: "courier", pass: password}
			switch env.Behaviour {
			case adapterstest.BehaveTransient:
				o.data = smtpErr(451, "Temporary local problem")
			case adapterstest.BehavePermanent:
				o.data = smtpErr(554, "Transaction failed")
			case adapterstest.BehaveEcho:
				o.echoAuth = true
			}
			f := startFake(t, o)
			cfg := Config{SMTP: "smtp://courier:" + password + "@127.0.0.1:" + f.port(), From: "bot@example.com"}
			s := newTestSender(t, cfg, f)
			if env.Behaviour == adapterstest.BehaveHang {
				addr := hangListener(t)
				s.dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
					var d net.Dialer
					return d.DialContext(ctx, network, addr)
				}
			}
			s.timeout = env.Timeout
			return adapterstest.Setup{Sender: s, Secrets: Secrets(cfg)}
		},
		Message:     testMessage,
		NoRateLimit: true,
	})
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want server // only compared when wantErr == ""
		err  string
	}{
		{"smtp url", Config{SMTP: "smtp://u:p%40ss@smtp.example.com:2525", From: "b@example.com"},
			server{host: "smtp.example.com", port: 2525, mode: modeSTARTTLS, username: "u", password: "p@ss"}, ""},
		{"smtp default port", Config{SMTP: "smtp://smtp.example.com", From: "b@example.com"},
			server{host: "smtp.example.com", port: 587, mode: modeSTARTTLS}, ""},
		{"smtps default port", Config{SMTP: "smtps://u@smtp.example.com", Password: "pw", From: "b@example.com"},
			server{host: "smtp.example.com", port: 465, mode: modeTLS, username: "u", password: "pw"}, ""},
		{"host form", Config{Host: "smtp.example.com", Username: "u", Password: "pw", TLS: "tls", From: "b@example.com"},
			server{host: "smtp.example.com", port: 465, mode: modeTLS, username: "u", password: "pw"}, ""},
		{"none to loopback with password", Config{Host: "127.0.0.1", Port: 25, TLS: "none", Username: "u", Password: "pw", From: "b@example.com"},
			server{host: "127.0.0.1", port: 25, mode: modeNone, username: "u", password: "pw"}, ""},
		{"none to remote with password", Config{Host: "smtp.example.com", TLS: "none", Username: "u", Password: "pw", From: "b@example.com"}, server{}, "clear text"},
		{"both url and host", Config{SMTP: "smtp://h", Host: "h", From: "b@example.com"}, server{}, "not both"},
		{"bad scheme", Config{SMTP: "http://h", From: "b@example.com"}, server{}, "not smtp or smtps"},
		{"bad url keeps password out", Config{SMTP: "smtp://u:pa ss%zz@h", From: "b@example.com"}, server{}, "not a valid URL"},
		{"empty password from unset var", Config{SMTP: "smtp://u:@h", From: "b@example.com"}, server{}, "password: empty"},
		{"no from", Config{SMTP: "smtp://h"}, server{}, "from: required"},
		{"bad from", Config{SMTP: "smtp://h", From: "not an address"}, server{}, "from:"},
		{"bad tls", Config{Host: "h", TLS: "ssl", From: "b@example.com"}, server{}, "tls:"},
		{"nothing", Config{From: "b@example.com"}, server{}, "set `smtp`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseConfig(tc.cfg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				_, nerr := New(tc.cfg, adapters.Options{})
				for _, sec := range Secrets(tc.cfg) {
					if strings.Contains(nerr.Error(), sec) {
						t.Errorf("New error %q contains secret %q", nerr, sec)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.from, got.helo = nil, ""
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(server{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	got := Secrets(Config{SMTP: "smtp://u:p%40ss@h:25", Password: "", From: "b@example.com"})
	if len(got) == 0 || got[0] != "p@ss" {
		t.Errorf("Secrets(url) = %q, want the decoded password first", got)
	}
	if got := Secrets(Config{Host: "h", Username: "u", Password: "pw1234"}); !cmp.Equal(got, []string{"pw1234"}) {
		t.Errorf("Secrets(host form) = %q", got)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	ok := testMessage
	for _, tc := range []struct {
		name  string
		edit  func(m *mailbox.Message)
		field string
	}{
		{"text ok", func(*mailbox.Message) {}, ""},
		{"markdown ok", func(m *mailbox.Message) { m.ContentType = mailbox.ContentMarkdown }, ""},
		{"html ok", func(m *mailbox.Message) { m.ContentType = mailbox.ContentHTML }, ""},
		{"card refused", func(m *mailbox.Message) { m.ContentType = mailbox.ContentCard }, "content_type"},
		{"too big", func(m *mailbox.Message) { m.Body = strings.Repeat("x", MaxBodyBytes+1) }, "body"},
		{"subject injection", func(m *mailbox.Message) { m.Subject = "hi\r\nBcc: evil@example.com" }, "subject"},
		{"reply_to with space", func(m *mailbox.Message) { m.ReplyTo = "<a@b> <c@d>" }, "reply_to"},
		{"no recipients", func(m *mailbox.Message) { m.To, m.Cc, m.Bcc = nil, nil, nil }, "to"},
		{"bad cc", func(m *mailbox.Message) { m.Cc = []string{"ops"} }, "cc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ok()
			tc.edit(m)
			err := Check(m)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Check = %v", err)
				}
				return
			}
			ce, isCE := err.(*adapters.CheckError)
			if !isCE || ce.Field != tc.field {
				t.Fatalf("Check = %#v, want a CheckError on %q", err, tc.field)
			}
		})
	}
}

// TestGolden pins the rendered MIME message for each content type (boundary fixed, clock fixed).
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, ct := range []string{mailbox.ContentText, mailbox.ContentMarkdown, mailbox.ContentHTML} {
		t.Run(ct, func(t *testing.T) {
			m := testMessage()
			m.ContentType, m.ReplyTo, m.ThreadRoot = ct, "parent@example.com", "<root@example.com>"
			m.Body = map[string]string{
				mailbox.ContentText:     "Build #412 is green.\n",
				mailbox.ContentMarkdown: "# Build\n\n- **#412** is green & <done>\n- [log](https://ci.example.com/412)\n",
				mailbox.ContentHTML:     "<p>Build <b>#412</b> is green.</p>\n",
			}[ct]
			srv, err := parseConfig(Config{SMTP: "smtp://h", From: "Courier <bot@example.com>"})
			if err != nil {
				t.Fatal(err)
			}
			env, err := compose(m, srv.from, fixedNow())
			if err != nil {
				t.Fatal(err)
			}
			env.msg.SetBoundary("courier-golden")
			var got bytes.Buffer
			if _, err := env.msg.WriteTo(&got); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", ct+".eml"), got.Bytes())
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
