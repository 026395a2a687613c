package main

import (
	"encoding/xml"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery"
	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/templates"
)

func (a *app) watchCmd() *cli.Command {
	return &cli.Command{
		Name:  "watch",
		Usage: "send what is due in the outbound mailbox: archive, retry with backoff, or dead-letter",
		Description: "Wakes on new files (fsnotify) with a periodic rescan as a safety net. SIGINT/SIGTERM stop claiming,\n" +
			"let in-flight sends finish within watch.shutdown_grace (then release them to the queue) and exit 0.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "once", Usage: "send everything due now, wait for in-flight sends, exit (1 if anything was dead-lettered)"},
			&cli.DurationFlag{Name: "interval", Usage: "safety-net rescan `INTERVAL`", DefaultText: "watch.interval, 5s"},
			&cli.StringFlag{Name: "listen", Usage: "serve the local API on `ADDR` (loopback unless watch.api_token is set)"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log `FORMAT`: text or json"},
			&cli.StringFlag{Name: "print-service", Usage: "print a service unit for this repository: systemd or launchd (`KIND`), and exit"},
		},
		Action: func(c *cli.Context) error {
			ws, err := a.workspace(false)
			if err != nil {
				return err
			}
			if kind := c.String("print-service"); kind != "" {
				return a.printService(kind, ws)
			}
			var handler slog.Handler
			switch c.String("log-format") {
			case "text":
				handler = slog.NewTextHandler(a.stderr, logOptions(slog.LevelInfo))
			case "json":
				handler = slog.NewJSONHandler(a.stderr, logOptions(slog.LevelInfo))
			default:
				return usageErrorf("--log-format %s: want text or json", c.String("log-format"))
			}
			cfg := ws.cfg
			redactor := adapters.NewRedactor()
			client := &http.Client{Timeout: cfg.Watch.SendTimeout.Duration}
			providers, err := watchProviders(cfg, buildEnv{getenv: a.getenv, client: client, root: ws.root}, redactor)
			if err != nil {
				return err
			}
			token, err := expandEnv(cfg.Watch.APIToken, a.getenv)
			if err != nil {
				return configErrorf("watch.api_token: %v", err)
			}
			redactor.Add(token)
			var ln net.Listener
			if addr := c.String("listen"); addr != "" {
				if ln, err = listen(addr, token); err != nil {
					return err
				}
				defer ln.Close()
			}
			mb, err := ws.mailbox()
			if err != nil {
				return err
			}
			interval := cfg.Watch.Interval.Duration
			if c.IsSet("interval") {
				interval = c.Duration("interval")
			}
			w, err := delivery.New(mb, delivery.Config{
				Interval: interval, SendTimeout: cfg.Watch.SendTimeout.Duration,
				ShutdownGrace: cfg.Watch.ShutdownGrace.Duration, Concurrency: cfg.Watch.Concurrency,
				Retry: delivery.RetryPolicy{MaxAttempts: cfg.Retry.MaxAttempts, InitialDelay: cfg.Retry.InitialDelay.Duration,
					MaxDelay: cfg.Retry.MaxDelay.Duration, Multiplier: cfg.Retry.Multiplier, MaxAge: cfg.Retry.MaxAge.Duration},
				Providers: providers, Logger: slog.New(handler), Now: a.now, Redact: redactor.String,
			})
			if err != nil {
				return err
			}
			if ln != nil {
				srv := &http.Server{Handler: w.Handler(token), ReadHeaderTimeout: 5 * time.Second}
				go func() { _ = srv.Serve(ln) }()
				defer srv.Close()
			}
			if c.Bool("once") {
				sum, err := w.Once(c.Context)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "sent %d, deferred %d, dead-lettered %d\n", sum.Sent, sum.Deferred, sum.DeadLettered)
				if sum.DeadLettered > 0 {
					return silent(exitFailure)
				}
				return nil
			}
			return w.Run(c.Context)
		},
	}
}

// listen binds the API address; beyond loopback a token is required (exit 78 without one).
func listen(addr, token string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usageErrorf("--listen %s: %v", addr, err)
	}
	if !isLoopback(host) && token == "" {
		return nil, configErrorf("--listen %s: not a loopback address; set watch.api_token to serve beyond loopback", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--listen %s: %w", addr, err)
	}
	return ln, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// printService fills in the systemd or launchd template for this repository.
func (a *app) printService(kind string, ws *workspace) error {
	name := map[string]string{"systemd": "service/courier.service", "launchd": "service/courier.plist"}[kind]
	if name == "" {
		return usageErrorf("--print-service %s: want systemd or launchd", kind)
	}
	data, err := templates.FS.ReadFile(name)
	if err != nil {
		return err
	}
	tpl, err := template.New(kind).Parse(string(data))
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	esc := func(s string) string { return s }
	if kind == "launchd" {
		esc = func(s string) string {
			var b strings.Builder
			_ = xml.EscapeText(&b, []byte(s))
			return b.String()
		}
	}
	label := "dev.monoco.courier." + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, filepath.Base(ws.root))
	return tpl.Execute(a.stdout, map[string]string{
		"Binary": esc(exe), "RepoDir": esc(ws.root),
		"LogPath": esc(filepath.Join(ws.root, ".monoco", "courier-watch.log")), "Label": label,
	})
}

// logOptions writes log times as RFC 3339 UTC with Z and milliseconds, like every other timestamp
// courier writes (contract §4), whatever the local time zone.
func logOptions(level slog.Level) *slog.HandlerOptions {
	return &slog.HandlerOptions{Level: level, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 && a.Value.Kind() == slog.KindTime {
			return slog.String(slog.TimeKey, mailbox.At(a.Value.Time()).String())
		}
		return a
	}}
}
