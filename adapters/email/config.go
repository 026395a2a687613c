package email

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	"github.com/monoco/courier/adapters"
)

// Config is the `providers.email` section (README.md, "Configuration"). Either SMTP (a URL) or Host/Port/TLS
// names the server; Username/Password may complement the URL (a password with URL-special
// characters goes in Password).
type Config struct {
	adapters.Common `yaml:",inline"`

	// SMTP is smtp://[user[:password]@]host[:port] (STARTTLS when offered, required before AUTH
	// except to a loopback host; default port 587) or smtps://… (implicit TLS; default port 465).
	SMTP string `yaml:"smtp,omitempty"`

	Host     string `yaml:"host,omitempty"`
	Port     int    `yaml:"port,omitempty"`
	Username string `yaml:"username,omitempty"`
	Password string `yaml:"password,omitempty"`
	// TLS is starttls (default), tls (implicit) or none (plain text: no credentials unless the
	// host is loopback).
	TLS string `yaml:"tls,omitempty"`

	// From is the sender, "Name <addr>" or a bare address; required.
	From string `yaml:"from"`
	// HeloName is the name sent in EHLO (default: "localhost").
	HeloName string `yaml:"helo_name,omitempty"`
}

// TLS modes.
const (
	modeSTARTTLS = "starttls"
	modeTLS      = "tls"
	modeNone     = "none"
)

// server is a validated Config.
type server struct {
	host     string
	port     int
	mode     string
	username string
	password string
	from     *mail.Address
	helo     string
}

func (s server) addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

func (s server) hasAuth() bool { return s.username != "" }

// Secrets returns every secret in cfg (the password, wherever it was given) for the log redactor.
func Secrets(cfg Config) []string {
	var out []string
	if cfg.Password != "" {
		out = append(out, cfg.Password)
	}
	if cfg.SMTP != "" {
		if u, err := url.Parse(cfg.SMTP); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok && p != "" {
				out = append(out, p, url.QueryEscape(p), url.PathEscape(p))
			}
		} else if i := strings.LastIndex(cfg.SMTP, "@"); i > 0 {
			// Unparseable URL: treat everything before the last @ as secret-bearing.
			out = append(out, cfg.SMTP[:i])
		}
	}
	return out
}

// parseConfig validates cfg. Errors never contain the password or the raw URL.
func parseConfig(cfg Config) (server, error) {
	s := server{helo: cfg.HeloName, username: cfg.Username, password: cfg.Password}
	var err error
	if cfg.SMTP != "" {
		err = s.fromURL(cfg)
	} else {
		err = s.fromFields(cfg)
	}
	if err == nil {
		err = s.checkAuth()
	}
	if err != nil {
		return s, err
	}
	s.from, err = parseFrom(cfg.From)
	return s, err
}

// fromURL fills in the server named by cfg.SMTP, with its scheme's default port.
func (s *server) fromURL(cfg Config) error {
	if cfg.Host != "" || cfg.Port != 0 || cfg.TLS != "" {
		return errors.New("smtp: give either an smtp URL or host/port/tls, not both")
	}
	u, err := url.Parse(cfg.SMTP)
	if err != nil {
		return errors.New("smtp: not a valid URL (put a password with special characters in `password`)")
	}
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		s.mode, s.port = modeSTARTTLS, 587
	case "smtps":
		s.mode, s.port = modeTLS, 465
	default:
		return fmt.Errorf("smtp: scheme %q is not smtp or smtps", u.Scheme)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return errors.New("smtp: the URL takes no path or query")
	}
	s.host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("smtp: port %q is not a port number", p)
		}
		s.port = n
	}
	return s.urlUser(u.User)
}

// urlUser merges the URL's userinfo with `username` and `password`, which may complement it but
// not contradict it.
func (s *server) urlUser(user *url.Userinfo) error {
	if user == nil {
		return nil
	}
	if s.username != "" && s.username != user.Username() {
		return errors.New("smtp: username given both in the URL and in `username`")
	}
	s.username = user.Username()
	if p, ok := user.Password(); ok {
		if s.password != "" {
			return errors.New("smtp: password given both in the URL and in `password`")
		}
		s.password = p
	}
	return nil
}

// fromFields fills in the server named by host/port/tls, with the TLS mode's default port.
func (s *server) fromFields(cfg Config) error {
	s.host, s.port, s.mode = cfg.Host, cfg.Port, strings.ToLower(cfg.TLS)
	if s.host == "" {
		return errors.New("smtp: set `smtp` (a URL) or `host`")
	}
	defaultPort := 0
	switch s.mode {
	case "", modeSTARTTLS:
		s.mode, defaultPort = modeSTARTTLS, 587
	case modeTLS:
		defaultPort = 465
	case modeNone:
		defaultPort = 25
	default:
		return fmt.Errorf("tls: %q is not starttls, tls or none", cfg.TLS)
	}
	if s.port == 0 {
		s.port = defaultPort
	}
	if s.port < 1 || s.port > 65535 {
		return fmt.Errorf("port: %d is not a port number", s.port)
	}
	return nil
}

// checkAuth refuses a server without a host, half a credential, and a password in clear text to
// a host that is not loopback.
func (s *server) checkAuth() error {
	if s.host == "" {
		return errors.New("smtp: the URL has no host")
	}
	if s.password != "" && s.username == "" {
		return errors.New("password: set without a username")
	}
	if s.username != "" && s.password == "" {
		return errors.New("password: empty (is the ${VAR} it comes from set?)")
	}
	if s.hasAuth() && s.mode == modeNone && !adapters.IsLoopback(s.host) {
		return fmt.Errorf("tls: none would send the password in clear text to %s; only a loopback host may do that", s.host)
	}
	return nil
}

// parseFrom reads the required sender address.
func parseFrom(from string) (*mail.Address, error) {
	if strings.TrimSpace(from) == "" {
		return nil, errors.New("from: required (e.g. \"Courier <bot@example.com>\")")
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("from: %q is not an email address", from)
	}
	return addr, nil
}

// Descriptor describes email to the provider registry.
func Descriptor() adapters.Descriptor {
	return adapters.Spec[Config]{Name: Name, Check: Check, Rate: DefaultRate, ThrottleWait: DefaultThrottleWait,
		Secrets: Secrets, New: adapters.WithOptions(New)}.Descriptor()
}
