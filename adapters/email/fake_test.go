package email

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/monoco/courier/adapters"
)

// testCert is a self-signed certificate for mail.test, localhost and 127.0.0.1, and a pool that
// trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"mail.test", "localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// fakeOpts configures a fake SMTP server.
type fakeOpts struct {
	tls      string   // "" plain, "starttls" (offers STARTTLS), "implicit"
	user     string   // credentials the server accepts ("" = AUTH offered, anything accepted)
	pass     string   //
	mechs    []string // advertised AUTH mechanisms (default PLAIN LOGIN)
	rcpt     map[string]*smtp.SMTPError
	mail     *smtp.SMTPError
	data     *smtp.SMTPError
	echoAuth bool // refuse AUTH with a 535 that quotes the password received
}

// received is one accepted transaction.
type received struct {
	from  string
	rcpts []string
	data  string
	tls   bool
}

// fakeSMTP is a real SMTP server (github.com/emersion/go-smtp) on 127.0.0.1 that records what
// arrived: every AUTH attempt (mechanism, user), every accepted message, over TLS or not.
type fakeSMTP struct {
	opts fakeOpts
	addr string
	pool *x509.CertPool

	mu    sync.Mutex
	auths []string // "PLAIN user" / "LOGIN user"
	mails []received
}

func startFake(t *testing.T, o fakeOpts) *fakeSMTP {
	t.Helper()
	if o.mechs == nil {
		o.mechs = []string{sasl.Plain, sasl.Login}
	}
	cert, pool := testCert(t)
	f := &fakeSMTP{opts: o, pool: pool}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{f: f, c: c}, nil
	}))
	srv.Domain = "mail.test"
	srv.ErrorLog = log.New(io.Discard, "", 0) // clients that hang up mid-test are expected
	srv.AllowInsecureAuth = true              // the client, not the server, must refuse cleartext AUTH
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	switch o.tls {
	case "starttls":
		srv.TLSConfig = tc
	case "implicit":
		l = tls.NewListener(l, tc)
	}
	f.addr = l.Addr().String()
	go srv.Serve(l) //nolint:errcheck // returns ErrServerClosed on Close
	t.Cleanup(func() { _ = srv.Close() })
	return f
}

func (f *fakeSMTP) port() string { _, p, _ := net.SplitHostPort(f.addr); return p }

func (f *fakeSMTP) got() ([]string, []received) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.auths...), append([]received(nil), f.mails...)
}

type session struct {
	f     *fakeSMTP
	c     *smtp.Conn
	from  string
	rcpts []string
}

func (s *session) AuthMechanisms() []string { return s.f.opts.mechs }

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		s.f.mu.Lock()
		s.f.auths = append(s.f.auths, mech+" "+user)
		s.f.mu.Unlock()
		if s.f.opts.echoAuth {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8},
				Message: "authentication failed for " + user + " with password " + pass}
		}
		if s.f.opts.user != "" && (user != s.f.opts.user || pass != s.f.opts.pass) {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8},
				Message: "Authentication credentials invalid"}
		}
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, errors.New("unsupported mechanism")
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.f.opts.mail != nil {
		return s.f.opts.mail
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if e := s.f.opts.rcpt[to]; e != nil {
		return e
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.f.opts.data != nil {
		return s.f.opts.data
	}
	_, isTLS := s.c.TLSConnectionState()
	s.f.mu.Lock()
	s.f.mails = append(s.f.mails, received{from: s.from, rcpts: s.rcpts, data: string(b), tls: isTLS})
	s.f.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.from, s.rcpts = "", nil }
func (s *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN (go-sasl has only the client side).
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if resp != nil { // initial response carries the username
			l.user, l.step = string(resp), 2
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user, l.step = string(resp), 2
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(resp))
	}
}

// newTestSender builds a Sender for cfg whose connections all go to f (so "mail.test" reaches the
// fake on 127.0.0.1) and which trusts the fake's certificate.
func newTestSender(t *testing.T, cfg Config, f *fakeSMTP) *Sender {
	t.Helper()
	s, err := New(cfg, adapters.Options{Now: fixedNow})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s.dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, f.addr)
	}
	s.rootCAs = f.pool
	return s
}

func fixedNow() time.Time { return time.Date(2026, 2, 7, 15, 2, 32, 0, time.UTC) }

// hangListener accepts connections and never says a word (a server that hangs before its greeting).
func hangListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				<-done
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { _ = l.Close(); close(done) })
	return l.Addr().String()
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}
