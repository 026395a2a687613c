package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery"
	"github.com/monoco/courier/templates"
)

func (a *app) watchCmd() *cli.Command {
	return &cli.Command{
		Name:  "watch",
		Usage: "send what is due in the outbound mailbox: archive, retry with backoff, or dead-letter",
		Description: "Wakes on new files (fsnotify) with a periodic rescan as a safety net. SIGINT/SIGTERM stop claiming,\n" +
			"let in-flight sends finish within watch.shutdown_grace (then release them to the queue) and exit 0.",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "once", Usage: "send everything due now, wait for in-flight sends, exit (1 if anything was dead-lettered)"},
			&cli.DurationFlag{Name: "interval", Usage: "safety-net rescan `INTERVAL`", DefaultText: "watch.interval, 5s"},
			&cli.StringFlag{Name: "listen", Usage: "serve the local API on `ADDR` (loopback unless watch.api_token is set)"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log `FORMAT`: text or json"},
			&cli.StringFlag{Name: "print-service", Usage: "print a service unit for this repository: systemd or launchd (`KIND`), and exit"},
		}, remoteFlags()...),
		Action: a.watch,
	}
}

func (a *app) watch(c *cli.Context) error {
	if err := a.load(false); err != nil {
		return err
	}
	kind := c.String("print-service")
	if a.repo == nil && (kind != "" || a.configFlag == "" && a.getenv("COURIER_CONFIG") == "") {
		// Outside a repository there is no mailbox to serve: refuse rather than create one here.
		return configErrorf("%s is not a git repository: courier watch serves a repository's mailbox (run it inside one, or use -C DIR)", a.dir)
	}
	if kind != "" {
		return a.printService(kind, a.serviceArgs(c))
	}
	logger, err := delivery.NewLogger(a.stderr, c.String("log-format"), slog.LevelInfo)
	if err != nil {
		return usageErrorf("%v", err)
	}
	interval := a.cfg.Watch.Interval.Duration
	if c.IsSet("interval") {
		interval = c.Duration("interval")
	}
	cen, every, err := a.buildCentral(c, logger)
	if err != nil {
		return err
	}
	var fetchErr error
	if cen != nil && c.Bool("once") {
		_, fetchErr = cen.Fetch(c.Context) // logged; what is due is sent all the same
	}
	w, ln, token, err := a.buildWatcher(logger, interval, c.String("listen"), c.Bool("once"))
	if err != nil {
		return err
	}
	if ln != nil {
		srv := &http.Server{Handler: w.Handler(token), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
	}
	if c.Bool("once") {
		return a.watchOnce(c.Context, w, fetchErr)
	}
	var names []string
	for _, p := range a.cfg.Providers.Configured() {
		names = append(names, p.Name)
	}
	logger.Info("watch started", "mailbox", a.cfg.MailboxDir(), "providers", strings.Join(names, ","), "listen", c.String("listen"))
	defer logger.Info("watch stopped") // an error is reported once, by the caller
	return withCentral(c.Context, cen, every, w.Run)
}

// watchOnce sends what is due now and prints the summary; a dead-lettered message, or a failed
// fetch in central mode, exits 1.
func (a *app) watchOnce(ctx context.Context, w *delivery.Watcher, fetchErr error) error {
	sum, err := w.Once(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "sent %d, deferred %d, dead-lettered %d\n", sum.Sent, sum.Deferred, sum.DeadLettered)
	if sum.DeadLettered > 0 || fetchErr != nil {
		return silent(exitFailure)
	}
	return nil
}

// buildWatcher is the one place a watcher is wired: the configured providers, retry policy and watch
// settings over the configured mailbox. With addr it binds the local API's listener (before the
// mailbox is created) and returns it with the expanded API token. A run that sends once needs only
// the providers of the messages queued now (README.md, "Configuration"); any other needs every one.
func (a *app) buildWatcher(logger *slog.Logger, interval time.Duration, addr string, once bool) (w *delivery.Watcher, ln net.Listener, token string, err error) {
	var need func(string) bool
	if once {
		mb, err := a.mailbox(false)
		if err != nil {
			mb = nil // unreadable: nothing is known to be needed
		}
		need = delivery.Queued(mb)
	}
	dc, token, err := a.cfg.Watcher(a.getenv, need)
	if err != nil {
		return nil, nil, "", configErrorf("%v", err)
	}
	if addr != "" {
		if ln, err = listen(addr, token); err != nil {
			return nil, nil, "", err
		}
	}
	dc.Interval, dc.Logger, dc.Now = interval, logger, a.now
	mb, err := a.mailbox(true)
	if err == nil {
		dc.Fetch = a.fetch
		w, err = delivery.New(mb, dc)
	}
	if err != nil && ln != nil {
		ln.Close()
	}
	return w, ln, token, err
}

// listen binds the API address; beyond loopback a token is required (exit 78 without one).
func listen(addr, token string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usageErrorf("--listen %s: %v", addr, err)
	}
	if !adapters.IsLoopback(host) && token == "" {
		return nil, configErrorf("--listen %s: not a loopback address; set watch.api_token to serve beyond loopback", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--listen %s: %w", addr, err)
	}
	return ln, nil
}

// printService prints the systemd or launchd unit that runs this binary in this repository.
func (a *app) printService(kind string, args []string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	err = templates.Render(a.stdout, kind, templates.Service{Binary: exe, RepoDir: a.root, Args: args})
	if errors.Is(err, templates.ErrUnknownService) {
		return usageErrorf("--print-service %s: want systemd or launchd", kind)
	}
	return err
}
