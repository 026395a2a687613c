package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"
)

// smtpFake is an in-process SMTP server on loopback without authentication.
func smtpFake(t *testing.T) (string, *fake) {
	t.Helper()
	f := &fake{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{f: f}, nil }))
	srv.Domain = "mail.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) //nolint:errcheck // ErrServerClosed on Close
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String(), f
}

type smtpSession struct {
	f     *fake
	from  string
	rcpts []string
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpts = append(s.rcpts, to)
	return nil
}
func (s *smtpSession) Reset()        { s.from, s.rcpts = "", nil }
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	var problems []string
	if s.from != "bot@example.com" || strings.Join(s.rcpts, ",") != "alice@example.com" {
		problems = append(problems, fmt.Sprintf("envelope from %q to %v", s.from, s.rcpts))
	}
	text := string(data)
	for _, h := range []string{"Subject: Build #412", "To: <alice@example.com>", "Message-ID: <out_email_"} {
		if !strings.Contains(text, h) {
			problems = append(problems, "missing header "+h)
		}
	}
	if !strings.Contains(text, "green") {
		problems = append(problems, "missing body")
	}
	if len(problems) > 0 {
		problems = append(problems, "message:\n"+text)
	}
	s.f.record(strings.Join(problems, "; "))
	return nil
}

// TestWatchOnceProviders sends one draft through each provider end to end: deliver → watch --once →
// the fake saw exactly one well-formed request → the message is archived as sent.
func TestWatchOnceProviders(t *testing.T) {
	t.Parallel()
	for _, pc := range providerCases() {
		t.Run(pc.name, func(t *testing.T) {
			t.Parallel()
			repo := newRepo(t, "FEAT-0010-"+pc.name)
			section, env, verify := pc.start(t, repo)
			writeFile(t, filepath.Join(repo, ".monoco", "courier.yaml"), "providers:\n"+section)
			writeDraft(t, repo, "FEAT-0010", "msg", pc.draft)
			r := courier(t, repo, env, "deliver")
			wantCode(t, r, 0, "deliver")
			queued := messages(t, repo, "outbound", pc.name)
			if len(queued) != 1 {
				t.Fatalf("outbound/%s holds %d messages, want 1\n%s", pc.name, len(queued), r)
			}
			r = courier(t, repo, env, "watch", "--once")
			wantCode(t, r, 0, "watch --once")
			if !strings.Contains(r.stdout, "sent 1,") {
				t.Errorf("watch --once stdout = %q, want sent 1", r.stdout)
			}
			verify(t)
			archived := messages(t, repo, "archive", pc.name)
			if len(archived) != 1 {
				t.Fatalf("archive/%s holds %d messages, want 1", pc.name, len(archived))
			}
			if filepath.Base(archived[0]) != filepath.Base(queued[0]) {
				t.Errorf("archived %s, enqueued %s", filepath.Base(archived[0]), filepath.Base(queued[0]))
			}
			fm := frontmatter(t, archived[0])
			if s := scalar(fm, "status"); s != "sent" {
				t.Errorf("status = %q, want sent", s)
			}
			wantUTC(t, "sent_at", scalar(fm, "sent_at"))
			if left := messages(t, repo, "outbound", ""); len(left) != 0 {
				t.Errorf("outbound still holds %v", left)
			}
			noSecrets(t, repo, env)
		})
	}
}

// noSecrets fails if any value of env (the provider secrets) is stored anywhere under the mailbox.
func noSecrets(t *testing.T, repo string, env map[string]string) {
	t.Helper()
	root := filepath.Join(repo, ".monoco", "mailbox")
	_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for k, v := range env {
			if len(v) >= 6 && strings.Contains(string(data), v) {
				t.Errorf("%s contains the value of %s", p, k)
			}
		}
		return nil
	})
}

// TestWatchOncePermanentFailure: DingTalk's HTTP 200 {"errcode":310000} is permanent: --once exits 1,
// the message is dead-lettered at once (one request) with a reason that names neither token nor secret.
func TestWatchOncePermanentFailure(t *testing.T) {
	t.Parallel()
	repo := newRepo(t, "FEAT-0011-dead")
	srv, f := dingtalkFake(t, 310000)
	env := map[string]string{"DT_TOKEN": dtToken, "DT_SECRET": dtSecret}
	writeFile(t, filepath.Join(repo, ".monoco", "courier.yaml"), "providers:\n  dingtalk:\n    webhook: \""+srv.URL+
		"/robot/send?access_token=${DT_TOKEN}\"\n    secret: \"${DT_SECRET}\"\n")
	writeDraft(t, repo, "FEAT-0011", "msg", "---\nprovider: dingtalk\nto: ops\ncontent_type: markdown\n---\n# Build\n\nBuild is green.\n")
	wantCode(t, courier(t, repo, env, "deliver"), 0, "deliver")
	r := courier(t, repo, env, "watch", "--once")
	wantCode(t, r, 1, "watch --once with a permanent failure")
	f.verify(t, 1)
	dead := messages(t, repo, ".deadletter", "dingtalk")
	if len(dead) != 1 {
		t.Fatalf(".deadletter/dingtalk holds %d messages, want 1", len(dead))
	}
	fm := frontmatter(t, dead[0])
	if s := scalar(fm, "status"); s != "failed" {
		t.Errorf("status = %q, want failed", s)
	}
	wantUTC(t, "failed_at", scalar(fm, "failed_at"))
	msg := scalar(fm, "error_message")
	if msg == "" || !strings.Contains(msg, "310000") {
		t.Errorf("error_message = %q, want the reason (errcode 310000)", msg)
	}
	for _, secret := range []string{dtToken, dtSecret} {
		if strings.Contains(msg, secret) || strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("a secret leaked: error_message %q\n%s", msg, r)
		}
	}
	noSecrets(t, repo, env)
	if left := messages(t, repo, "outbound", ""); len(left) != 0 {
		t.Errorf("outbound still holds %v", left)
	}
}
