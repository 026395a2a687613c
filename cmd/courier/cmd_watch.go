package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/central"
	"github.com/monoco/courier/delivery"
	"github.com/monoco/courier/drafts"
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
			&cli.StringFlag{Name: "remote", Usage: "central mode: fetch remote `NAME` and deliver the drafts its work-item branches bring", DefaultText: "remote.name"},
			&cli.DurationFlag{Name: "fetch-interval", Usage: "central mode: fetch every `INTERVAL`", DefaultText: "remote.fetch_interval, 30s"},
		},
		Action: a.watch,
	}
}

func (a *app) watch(c *cli.Context) error {
	if err := a.load(); err != nil {
		return err
	}
	kind := c.String("print-service")
	if a.repo == nil && (kind != "" || a.configFlag == "" && a.getenv("COURIER_CONFIG") == "") {
		// Outside a repository there is no mailbox to serve: refuse rather than create one here.
		return configErrorf("%s is not a git repository: courier watch serves a repository's mailbox (run it inside one, or use -C DIR)", a.dir)
	} else if kind != "" {
		return a.printService(c, kind)
	}
	logger, err := delivery.NewLogger(a.stderr, c.String("log-format"), slog.LevelInfo)
	if err != nil {
		return usageErrorf("%v", err)
	}
	cen, err := a.buildCentral(c, logger)
	if err != nil {
		return err
	}
	var fetchErr error
	if cen != nil && c.Bool("once") {
		_, fetchErr = cen.Fetch(c.Context) // logged; what is due is sent all the same
	}
	interval := a.cfg.Watch.Interval.Duration
	if c.IsSet("interval") {
		interval = c.Duration("interval")
	}
	w, ln, token, err := a.buildWatcher(logger, interval, c.String("listen"), c.Bool("once"))
	if err != nil {
		return err
	}
	defer w.Serve(ln, token)()
	if c.Bool("once") {
		sum, err := w.Once(c.Context)
		if err == nil {
			fmt.Fprintln(a.stdout, sum)
		}
		if err == nil && (sum.DeadLettered > 0 || fetchErr != nil) {
			return silent(exitFailure) // a dead-lettered message, or a failed fetch in central mode
		}
		return err
	}
	logger.Info("watch started", "mailbox", a.cfg.MailboxDir(), "providers", strings.Join(a.cfg.ProviderNames(), ","), "listen", c.String("listen"))
	defer logger.Info("watch stopped") // an error is reported once, by the caller
	return cen.Beside(c.Context, a.cfg.FetchEvery(c.Duration("fetch-interval"), c.IsSet("fetch-interval")), w.Run)
}

// buildWatcher is the one place a watcher is wired: the configured providers, retry policy and watch
// settings over the configured mailbox. With addr it binds the local API's listener (before the
// mailbox is created) and returns it with the expanded API token. A run that sends once needs only
// the providers of the messages queued now (README.md, "Configuration"); any other needs every one.
func (a *app) buildWatcher(logger *slog.Logger, interval time.Duration, addr string, once bool) (w *delivery.Watcher, ln net.Listener, token string, err error) {
	var need func(string) bool
	if once {
		mb, _ := a.mailbox(false) // unreadable (nil): nothing is known to be needed
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
	dc.Interval, dc.Logger, dc.Now, dc.Fetch = interval, logger, a.now, a.fetch
	mb, err := a.mailbox(true)
	if err == nil {
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
	} else if !adapters.IsLoopback(host) && token == "" {
		return nil, configErrorf("--listen %s: not a loopback address; set watch.api_token to serve beyond loopback", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--listen %s: %w", addr, err)
	}
	return ln, nil
}

// buildCentral wires central mode for `watch --remote` (else remote.name): nil when it is off. It
// also sets a.fetch, which the watcher's API serves as POST /api/v1/courier/fetch.
func (a *app) buildCentral(c *cli.Context, logger *slog.Logger) (*central.Central, error) {
	name := a.cfg.Remote.Name
	if c.IsSet("remote") {
		name = c.String("remote")
	}
	switch {
	case name == "" && c.IsSet("fetch-interval"):
		return nil, usageErrorf("--fetch-interval needs --remote (or remote.name in the configuration)")
	case name == "":
		return nil, nil
	case a.repo == nil:
		return nil, configErrorf("--remote %s: %s is not inside a git repository (run the central watcher in a clone, bare or not)", name, a.dir)
	case a.repo.Top == a.repo.GitDir && !a.cfg.SetsMailbox():
		return nil, configErrorf("--remote %s: in a bare repository the configuration comes from --config and must set mailbox:", name)
	}
	v, err := drafts.NewValidator(a.cfg.ForDrafts())
	if err != nil {
		return nil, err
	}
	mb, err := a.mailbox(true)
	if err != nil {
		return nil, err
	}
	cen, err := central.New(central.Config{Repo: a.repo, Remote: name, Mailbox: mb, Validator: v,
		Patterns: a.cfg.Patterns(), Logger: logger, Now: a.now})
	if err == nil {
		a.fetch = cen.Counts
	}
	return cen, err
}

// printService prints the systemd or launchd unit that runs this binary in this repository, with the
// watch arguments it repeats: the configuration file (a bare clone needs it) and central mode's.
func (a *app) printService(c *cli.Context, kind string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	} else if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	var args []string
	if a.cfg.Path() != "" && (a.configFlag != "" || a.getenv("COURIER_CONFIG") != "") {
		args = append(args, "--config", a.cfg.Path())
	}
	if c.IsSet("remote") {
		args = append(args, "--remote", c.String("remote"))
	}
	if c.IsSet("fetch-interval") {
		args = append(args, "--fetch-interval", c.Duration("fetch-interval").String())
	}
	err = templates.Render(a.stdout, kind, templates.Service{Binary: exe, RepoDir: a.root, Args: args})
	if errors.Is(err, templates.ErrUnknownService) {
		return usageErrorf("--print-service %s: want systemd or launchd", kind)
	}
	return err
}
