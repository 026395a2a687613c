// Package email sends courier messages over SMTP.
//
// MIME composition and the SMTP client are github.com/wneessen/go-mail (and its smtp package);
// this package decides the security policy and classifies failures itself:
//
//   - smtp:// (or tls: starttls) upgrades with STARTTLS whenever the server offers it, and refuses
//     to send credentials over a connection that is not TLS unless the host is loopback
//     ("localhost" or a loopback IP literal; names are never resolved for this decision).
//   - smtps:// (or tls: tls) is implicit TLS from the first byte.
//   - tls: none never upgrades; credentials are then allowed only to a loopback host.
//   - no credentials: no AUTH at all (a local relay).
//   - AUTH PLAIN when offered, else AUTH LOGIN.
//
// Every recipient (To, Cc, Bcc) is tried with RCPT before DATA; if the server refuses any of them
// nothing is sent. A 5yz reply (a refused recipient, 535 bad credentials, 550/554 at end of data)
// is a permanent failure naming the recipient or command; a 4yz reply, a connection error or a
// timeout is transient (docs/providers.md, "Email"). As RFC 5321 advises, 552 to RCPT ("too many
// recipients") counts as transient. The configured password never appears in an error.
package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// Name is the provider name used in drafts and config.
const Name = "email"

// DefaultRate is the default per-channel rate: none (docs/protocol.md, "Rate limits").
const DefaultRate = ""

// DefaultThrottleWait is the wait after a rate-limit answer without Retry-After. SMTP has no
// rate-limit reply distinct from 4yz (which is transient), so this is only a fallback.
const DefaultThrottleWait = "1m"

// defaultTimeout bounds one send when ctx has no deadline.
const defaultTimeout = 30 * time.Second

// Sender sends messages through one SMTP server. It is safe for concurrent use: every Send opens
// its own connection.
type Sender struct {
	srv server
	now func() time.Time
	red *adapters.Redactor

	// Test hooks: the per-send timeout when ctx has no earlier deadline, how to reach the
	// server, which CAs to trust, what counts as loopback.
	timeout    time.Duration
	dial       func(ctx context.Context, network, addr string) (net.Conn, error)
	rootCAs    *x509.CertPool
	isLoopback func(host string) bool
}

// New validates cfg and returns a Sender. Errors name the offending setting, never a secret.
func New(cfg Config, opts adapters.Options) (*Sender, error) {
	red := adapters.NewRedactor(Secrets(cfg)...)
	srv, err := parseConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("email: %s", red.String(err.Error()))
	}
	// The password as it travels in AUTH PLAIN and LOGIN, should a server echo it.
	red.Add(base64.StdEncoding.EncodeToString([]byte(srv.password)),
		base64.StdEncoding.EncodeToString([]byte("\x00"+srv.username+"\x00"+srv.password)))
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	var d net.Dialer
	return &Sender{srv: srv, now: now, red: red, timeout: defaultTimeout, dial: d.DialContext,
		isLoopback: adapters.IsLoopback}, nil
}

// Send delivers m in one SMTP transaction and returns its Message-ID (with angle brackets) as the
// provider message id, so that replies carrying it in In-Reply-To correlate.
func (s *Sender) Send(ctx context.Context, m *mailbox.Message) (string, error) {
	env, raw, err := s.render(m)
	if err != nil {
		return "", err
	}
	var conn sendConn
	defer conn.close()
	client, err := s.client(ctx, &conn)
	if err != nil {
		return "", adapters.Permanent("email: %s", s.red.String(err.Error()))
	}
	c, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return "", s.fail(ctx, "connect", err)
	}
	defer client.CloseWithSMTPClient(c) //nolint:errcheck // QUIT after the outcome is known
	if err := s.transact(ctx, c, env, raw); err != nil {
		return "", err
	}
	return MessageID(m.ID, s.srv.from), nil
}

// render composes m into its envelope and the exact bytes of the message.
func (s *Sender) render(m *mailbox.Message) (*envelope, *bytes.Buffer, error) {
	env, err := compose(m, s.srv.from, s.now())
	if err != nil {
		return env, nil, adapters.Permanent("email: %s", s.red.String(err.Error()))
	}
	var raw bytes.Buffer
	if _, err := env.msg.WriteTo(&raw); err != nil {
		return env, nil, adapters.Permanent("email: compose: %s", s.red.String(err.Error()))
	}
	return env, &raw, nil
}

// sendConn is the connection of one send, closed when the caller's context is cancelled.
type sendConn struct {
	conn net.Conn
	stop func() bool
}

// close closes the connection (after QUIT; nothing is left to report) and drops the cancellation.
func (sc *sendConn) close() {
	if sc.stop != nil {
		sc.stop()
	}
	if sc.conn != nil {
		_ = sc.conn.Close()
	}
}

// client is the SMTP client of one send: bounded by the sender's timeout or ctx's earlier
// deadline, its connection recorded in conn and aborted when ctx is cancelled.
func (s *Sender) client(ctx context.Context, conn *sendConn) (*gomail.Client, error) {
	timeout := s.timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	helo := s.srv.helo
	if helo == "" {
		helo = "localhost"
	}
	client, err := gomail.NewClient(s.srv.host,
		gomail.WithPort(s.srv.port),
		gomail.WithHELO(helo),
		gomail.WithTimeout(timeout),
		gomail.WithTLSPolicy(s.tlsPolicy()),
		gomail.WithTLSConfig(s.tlsConfig()),
		gomail.WithDialContextFunc(func(dctx context.Context, network, addr string) (net.Conn, error) {
			c, err := s.connect(dctx, network, addr)
			if err == nil {
				conn.conn = c
				// Cancelling the caller's context aborts the transaction wherever it is.
				conn.stop = context.AfterFunc(ctx, func() { _ = c.Close() })
			}
			return c, err
		}),
	)
	if err != nil {
		return nil, err
	}
	if s.srv.hasAuth() {
		client.SetSMTPAuthCustom(&auth{user: s.srv.username, pass: s.srv.password,
			allowPlain: s.isLoopback(s.srv.host)})
	}
	return client, nil
}

// transact runs MAIL, RCPT and DATA for raw, after checking it against the server's SIZE.
func (s *Sender) transact(ctx context.Context, c *smtp.Client, env *envelope, raw *bytes.Buffer) error {
	if ok, v := c.Extension("SIZE"); ok {
		if limit, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && limit > 0 && raw.Len() > limit {
			return adapters.Permanent("email: message is %d bytes, server %s accepts at most %d",
				raw.Len(), s.srv.addr(), limit)
		}
	}
	if err := c.Mail("<" + env.from + ">"); err != nil {
		return s.fail(ctx, "MAIL FROM", err)
	}
	if err := s.recipients(ctx, c, env.rcpts); err != nil {
		_ = c.Reset()
		return err
	}
	w, err := c.Data()
	if err != nil {
		return s.fail(ctx, "DATA", err)
	}
	if _, err := w.Write(raw.Bytes()); err != nil {
		return s.fail(ctx, "DATA", err)
	}
	if err := w.Close(); err != nil {
		return s.fail(ctx, "end of DATA", err)
	}
	return nil
}

// recipients sends RCPT for every address. Any 5yz makes the whole message fail permanently
// (naming each refused recipient); otherwise any 4yz makes it transient.
func (s *Sender) recipients(ctx context.Context, c *smtp.Client, rcpts []string) error {
	var refused []string
	permanent := false
	for _, r := range rcpts {
		err := c.Rcpt("<" + r + ">")
		if err == nil {
			continue
		}
		var tp *textproto.Error
		if !errors.As(err, &tp) {
			return s.fail(ctx, "RCPT TO <"+r+">", err)
		}
		if tp.Code >= 500 && tp.Code != 552 {
			permanent = true
		}
		refused = append(refused, fmt.Sprintf("<%s>: %d %s", r, tp.Code, tp.Msg))
	}
	if len(refused) == 0 {
		return nil
	}
	msg := s.red.String(fmt.Sprintf("email: %s refused recipient(s) %s", s.srv.addr(), strings.Join(refused, "; ")))
	if permanent {
		return adapters.Permanent("%s", msg)
	}
	return adapters.Transient(0, "%s", msg)
}

// fail classifies err from the SMTP step op.
func (s *Sender) fail(ctx context.Context, op string, err error) error {
	msg := s.red.String(fmt.Sprintf("email: %s %s: %v", s.srv.addr(), op, err))
	var tp *textproto.Error
	var cert *tls.CertificateVerificationError
	switch {
	case ctx.Err() != nil:
		return adapters.TransientCause(ctx.Err(), 0, "%s (%v)", msg, ctx.Err())
	case errors.As(err, &tp):
		if tp.Code >= 500 {
			return adapters.Permanent("%s", msg)
		}
		return adapters.Transient(0, "%s", msg)
	case errors.Is(err, errCleartextAuth), errors.Is(err, errNoMechanism), errors.As(err, &cert):
		return adapters.Permanent("%s", msg)
	default:
		return adapters.Transient(0, "%s", msg)
	}
}

// connect dials the server, with implicit TLS for smtps.
func (s *Sender) connect(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := s.dial(ctx, network, addr)
	if err != nil || s.srv.mode != modeTLS {
		return conn, err
	}
	tc := tls.Client(conn, s.tlsConfig())
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return tc, nil
}

func (s *Sender) tlsPolicy() gomail.TLSPolicy {
	if s.srv.mode == modeSTARTTLS {
		// Credentials are guarded by auth.Start, which refuses a cleartext connection.
		return gomail.TLSOpportunistic
	}
	return gomail.NoTLS // implicit TLS is done by connect; none is none
}

func (s *Sender) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: s.srv.host, MinVersion: tls.VersionTLS12, RootCAs: s.rootCAs}
}

var (
	errCleartextAuth = errors.New("refusing to send credentials over a connection without TLS " +
		"(the server did not offer STARTTLS; only a loopback host may authenticate in clear text)")
	errNoMechanism = errors.New("the server offers neither AUTH PLAIN nor AUTH LOGIN")
)

// auth picks PLAIN or LOGIN from what the server advertises, after checking that the connection
// is encrypted (or the host loopback).
type auth struct {
	user, pass string
	allowPlain bool
	inner      smtp.Auth
}

func (a *auth) Start(si *smtp.ServerInfo) (string, []byte, error) {
	if !si.TLS && !a.allowPlain {
		return "", nil, errCleartextAuth
	}
	switch {
	case hasMech(si.Auth, "PLAIN"):
		a.inner = smtp.PlainAuth("", a.user, a.pass, si.Name, true)
	case hasMech(si.Auth, "LOGIN"):
		a.inner = smtp.LoginAuth(a.user, a.pass, si.Name, true)
	default:
		return "", nil, errNoMechanism
	}
	return a.inner.Start(si)
}

func (a *auth) Next(fromServer []byte, more bool) ([]byte, error) {
	return a.inner.Next(fromServer, more)
}

func hasMech(mechs []string, want string) bool {
	for _, m := range mechs {
		if strings.EqualFold(m, want) {
			return true
		}
	}
	return false
}
