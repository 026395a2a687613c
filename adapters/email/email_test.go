package email

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

const password = "s3cr3t-Pa55word!"

func testMessage() *mailbox.Message {
	return &mailbox.Message{
		ID: "out_email_0123456789ab", Provider: Name, ContentType: mailbox.ContentText,
		To: []string{"alice@example.com"}, Cc: []string{"Bob <bob@example.com>"},
		Bcc:     []string{"carol@example.com"},
		Subject: "Héllo — release [[smtp]] 状态", Body: "Hello Alice,\n\n.the release is out.\n",
		CorrelationID: "feat_FEAT-0172_20260207T150232Z", Direction: "outbound",
	}
}

func parse(t *testing.T, raw string) *mail.Message {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, raw)
	}
	return m
}

func header(t *testing.T, m *mail.Message, name string) string {
	t.Helper()
	v, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get(name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func sendOK(t *testing.T, s *Sender, m *mailbox.Message) string {
	t.Helper()
	id, err := s.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	return id
}

func TestHeadersAndEnvelope(t *testing.T) {
	t.Parallel()
	f := startFake(t, fakeOpts{})
	s := newTestSender(t, Config{SMTP: "smtp://127.0.0.1:" + f.port(), From: "Courier <bot@example.com>"}, f)
	m := testMessage()
	id1 := sendOK(t, s, m)
	id2 := sendOK(t, s, m) // a retry of the same message

	auths, mails := f.got()
	if len(auths) != 0 {
		t.Errorf("AUTH attempted without credentials: %v", auths)
	}
	if len(mails) != 2 {
		t.Fatalf("server accepted %d messages, want 2", len(mails))
	}
	if id1 != "<out_email_0123456789ab@example.com>" || id1 != id2 {
		t.Errorf("provider ids = %q, %q; want the stable Message-ID", id1, id2)
	}
	got := mails[0]
	if got.from != "bot@example.com" {
		t.Errorf("MAIL FROM = %q", got.from)
	}
	if diff := cmp.Diff([]string{"alice@example.com", "bob@example.com", "carol@example.com"}, got.rcpts); diff != "" {
		t.Errorf("RCPT TO (-want +got):\n%s", diff)
	}
	msg := parse(t, got.data)
	for name, want := range map[string]string{
		"From":        `"Courier" <bot@example.com>`,
		"To":          "<alice@example.com>",
		"Cc":          `"Bob" <bob@example.com>`,
		"Subject":     m.Subject,
		"Message-ID":  "<out_email_0123456789ab@example.com>",
		"Date":        "Sat, 07 Feb 2026 15:02:32 +0000",
		"In-Reply-To": "",
		"Bcc":         "",
	} {
		if g := header(t, msg, name); g != want {
			t.Errorf("%s = %q, want %q", name, g, want)
		}
	}
	if strings.Contains(got.data, "carol") {
		t.Error("the Bcc recipient appears in the message data")
	}
	if msg2 := parse(t, mails[1].data); msg2.Header.Get("Message-ID") != msg.Header.Get("Message-ID") {
		t.Errorf("Message-ID changed across retries: %q vs %q", msg.Header.Get("Message-ID"), msg2.Header.Get("Message-ID"))
	}
	body, _ := io.ReadAll(msg.Body)
	if ct := msg.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain", ct)
	}
	if !strings.Contains(string(body), ".the release is out.") {
		t.Errorf("body lost its dot-stuffed line: %q", body)
	}
}

func TestThreadingHeaders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, replyTo, root, wantIRT, wantRefs string
	}{
		{"bracketed reply_to", "<parent@example.com>", "", "<parent@example.com>", "<parent@example.com>"},
		{"bare reply_to", "parent@example.com", "", "<parent@example.com>", "<parent@example.com>"},
		{"root then reply", "p2@example.com", "<root@example.com>", "<p2@example.com>", "<root@example.com> <p2@example.com>"},
		{"root only", "", "root@example.com", "", "<root@example.com>"},
		{"root is the parent", "<r@x>", "<r@x>", "<r@x>", "<r@x>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFake(t, fakeOpts{})
			s := newTestSender(t, Config{SMTP: "smtp://127.0.0.1:" + f.port(), From: "bot@example.com"}, f)
			m := testMessage()
			m.ReplyTo, m.ThreadRoot = tc.replyTo, tc.root
			sendOK(t, s, m)
			_, mails := f.got()
			msg := parse(t, mails[0].data)
			if g := msg.Header.Get("In-Reply-To"); g != tc.wantIRT {
				t.Errorf("In-Reply-To = %q, want %q", g, tc.wantIRT)
			}
			if g := msg.Header.Get("References"); g != tc.wantRefs {
				t.Errorf("References = %q, want %q", g, tc.wantRefs)
			}
		})
	}
}

func TestMarkdownIsMultipartAlternative(t *testing.T) {
	t.Parallel()
	f := startFake(t, fakeOpts{})
	s := newTestSender(t, Config{SMTP: "smtp://127.0.0.1:" + f.port(), From: "bot@example.com"}, f)
	m := testMessage()
	m.ContentType = mailbox.ContentMarkdown
	m.Body = "# Build\n\nBuild **#412** is [green](https://ci.example.com/412).\n"
	sendOK(t, s, m)
	_, mails := f.got()
	msg := parse(t, mails[0].data)
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types, bodies []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types, bodies = append(types, ct), append(bodies, string(b))
	}
	if diff := cmp.Diff([]string{"text/plain", "text/html"}, types); diff != "" {
		t.Fatalf("parts (-want +got):\n%s", diff)
	}
	if !strings.Contains(bodies[0], "Build **#412**") {
		t.Errorf("text/plain part is not the Markdown source: %q", bodies[0])
	}
	for _, want := range []string{"<h1>Build</h1>", "<strong>#412</strong>", `<a href="https://ci.example.com/412">green</a>`} {
		if !strings.Contains(bodies[1], want) {
			t.Errorf("text/html part lacks %q: %q", want, bodies[1])
		}
	}
}

func TestHTMLBody(t *testing.T) {
	t.Parallel()
	f := startFake(t, fakeOpts{})
	s := newTestSender(t, Config{SMTP: "smtp://127.0.0.1:" + f.port(), From: "bot@example.com"}, f)
	m := testMessage()
	m.ContentType = mailbox.ContentHTML
	m.Body = "<html><head><style>p{color:red}</style></head><body><p>Hi <b>there</b></p>" +
		"<ul><li>one</li><li>see <a href=\"https://example.com/x\">this</a></li></ul></body></html>\n"
	sendOK(t, s, m)
	_, mails := f.got()
	msg := parse(t, mails[0].data)
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types, bodies []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types, bodies = append(types, ct), append(bodies, strings.ReplaceAll(string(b), "\r\n", "\n"))
	}
	if diff := cmp.Diff([]string{"text/plain", "text/html"}, types); diff != "" {
		t.Fatalf("parts (-want +got):\n%s", diff)
	}
	if want := "Hi there\n\n- one\n- see this <https://example.com/x>\n"; bodies[0] != want {
		t.Errorf("text/plain alternative = %q, want %q", bodies[0], want)
	}
	if !strings.Contains(bodies[1], "<p>Hi <b>there</b></p>") {
		t.Errorf("text/html part is not the draft's HTML: %q", bodies[1])
	}
}

func TestAuthMechanisms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		mechs []string
		want  string
	}{
		{"plain preferred", []string{"LOGIN", "PLAIN"}, "PLAIN courier"},
		{"login only", []string{"LOGIN"}, "LOGIN courier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFake(t, fakeOpts{user: "courier", pass: password, mechs: tc.mechs})
			s := newTestSender(t, Config{Host: "127.0.0.1", Port: atoi(f.port()), Username: "courier",
				Password: password, From: "bot@example.com"}, f)
			sendOK(t, s, testMessage())
			auths, mails := f.got()
			if diff := cmp.Diff([]string{tc.want}, auths); diff != "" {
				t.Errorf("AUTH (-want +got):\n%s", diff)
			}
			if len(mails) != 1 {
				t.Errorf("accepted %d messages, want 1", len(mails))
			}
		})
	}
}

func TestTLSPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		server    string // fake TLS mode
		url       string // %s = port
		wantErr   string // "" = sent
		wantTLS   bool
		wantAuths int
	}{
		{"starttls to a remote host", "starttls", "smtp://courier:PW@mail.test:%s", "", true, 1},
		{"no starttls: no credentials to a remote host", "", "smtp://courier:PW@mail.test:%s", "without TLS", false, 0},
		{"no starttls: loopback may authenticate", "", "smtp://courier:PW@127.0.0.1:%s", "", false, 1},
		{"starttls used on loopback when offered", "starttls", "smtp://courier:PW@localhost:%s", "", true, 1},
		{"no credentials, no starttls: relay", "", "smtp://mail.test:%s", "", false, 0},
		{"implicit tls", "implicit", "smtps://courier:PW@mail.test:%s", "", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFake(t, fakeOpts{tls: tc.server, user: "courier", pass: password})
			url := strings.Replace(strings.Replace(tc.url, "%s", f.port(), 1), "PW", password, 1)
			s := newTestSender(t, Config{SMTP: url, From: "bot@example.com"}, f)
			_, err := s.Send(context.Background(), testMessage())
			auths, mails := f.got()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				if len(mails) != 1 || mails[0].tls != tc.wantTLS {
					t.Errorf("mails = %+v, want one with tls=%v", mails, tc.wantTLS)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !adapters.IsPermanent(err) {
					t.Fatalf("Send = %v, want a permanent error containing %q", err, tc.wantErr)
				}
				if len(mails) != 0 {
					t.Errorf("a message was accepted: %+v", mails)
				}
			}
			if len(auths) != tc.wantAuths {
				t.Errorf("AUTH attempts = %v, want %d", auths, tc.wantAuths)
			}
		})
	}
}

func TestUntrustedCertificateIsPermanent(t *testing.T) {
	t.Parallel()
	f := startFake(t, fakeOpts{tls: "implicit"})
	s := newTestSender(t, Config{SMTP: "smtps://mail.test:" + f.port(), From: "bot@example.com"}, f)
	s.rootCAs = nil // system roots do not know the test CA
	_, err := s.Send(context.Background(), testMessage())
	if err == nil || !adapters.IsPermanent(err) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Send = %v, want a permanent certificate error", err)
	}
}

func smtpErr(code int, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
}

func TestFailureClasses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		opts      fakeOpts
		pass      string
		permanent bool
		wantIn    []string
	}{
		{"rcpt 4xx is transient", fakeOpts{rcpt: map[string]*smtp.SMTPError{"bob@example.com": smtpErr(450, "Mailbox busy")}},
			password, false, []string{"<bob@example.com>: 450"}},
		{"rcpt 5xx is permanent and named", fakeOpts{rcpt: map[string]*smtp.SMTPError{"carol@example.com": smtpErr(550, "No such user")}},
			password, true, []string{"<carol@example.com>: 550", "No such user"}},
		{"any rcpt 5xx wins over 4xx", fakeOpts{rcpt: map[string]*smtp.SMTPError{
			"alice@example.com": smtpErr(550, "unknown"), "carol@example.com": smtpErr(451, "later")}},
			password, true, []string{"<alice@example.com>: 550", "<carol@example.com>: 451"}},
		{"rcpt 552 too many recipients is transient", fakeOpts{rcpt: map[string]*smtp.SMTPError{"carol@example.com": smtpErr(552, "Too many recipients")}},
			password, false, []string{"552"}},
		{"mail from 421 is transient", fakeOpts{mail: smtpErr(421, "Service shutting down")}, password, false, []string{"MAIL FROM", "421"}},
		{"data 451 is transient", fakeOpts{data: smtpErr(451, "Temporary local problem")}, password, false, []string{"451"}},
		{"data 554 is permanent", fakeOpts{data: smtpErr(554, "Transaction failed")}, password, true, []string{"554"}},
		{"535 is permanent without the password", fakeOpts{}, "wrong-" + password, true, []string{"535"}},
		{"535 quoting the password is redacted", fakeOpts{echoAuth: true}, password, true, []string{"535", adapters.Redacted}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.user, tc.opts.pass = "courier", password
			f := startFake(t, tc.opts)
			s := newTestSender(t, Config{Host: "127.0.0.1", Port: atoi(f.port()), TLS: "none",
				Username: "courier", Password: tc.pass, From: "bot@example.com"}, f)
			_, err := s.Send(context.Background(), testMessage())
			if err == nil {
				t.Fatal("Send = nil, want an error")
			}
			if adapters.IsPermanent(err) != tc.permanent {
				t.Errorf("IsPermanent(%q) = %v, want %v", err, !tc.permanent, tc.permanent)
			}
			for _, w := range tc.wantIn {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error contains the password: %q", err)
			}
			if _, mails := f.got(); len(mails) != 0 {
				t.Errorf("server accepted %d messages", len(mails))
			}
		})
	}
}

func TestConnectionErrorsAreTransient(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there any more
	s, err := New(Config{SMTP: "smtp://" + addr, From: "bot@example.com"}, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(context.Background(), testMessage())
	if err == nil || adapters.IsPermanent(err) {
		t.Fatalf("Send = %v, want a transient error", err)
	}
	var rl interface{ RateLimited() bool }
	if errors.As(err, &rl) && rl.RateLimited() {
		t.Errorf("connection refused reported as rate limited")
	}
}
