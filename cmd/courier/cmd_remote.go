package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/monoco/courier/central"
	"github.com/monoco/courier/drafts"
)

// defaultFetchInterval is remote.fetch_interval's default.
const defaultFetchInterval = 30 * time.Second

// remoteFlags are watch's central-mode flags.
func remoteFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "remote", Usage: "central mode: fetch remote `NAME` and deliver the drafts its work-item branches bring", DefaultText: "remote.name"},
		&cli.DurationFlag{Name: "fetch-interval", Usage: "central mode: fetch every `INTERVAL`", DefaultText: "remote.fetch_interval, 30s"},
	}
}

// remoteName is the remote of central mode from --remote, else remote.name ("" = off).
func (a *app) remoteName(c *cli.Context) string {
	if c.IsSet("remote") {
		return c.String("remote")
	}
	return a.cfg.Remote.Name
}

// buildCentral wires central mode for `watch --remote`: nil when it is off. It also sets a.fetch,
// which the watcher's API serves as POST /api/v1/courier/fetch.
func (a *app) buildCentral(c *cli.Context, logger *slog.Logger) (*central.Central, time.Duration, error) {
	name := a.remoteName(c)
	if name == "" {
		if c.IsSet("fetch-interval") {
			return nil, 0, usageErrorf("--fetch-interval needs --remote (or remote.name in the configuration)")
		}
		return nil, 0, nil
	}
	every := a.cfg.Remote.FetchInterval.Duration
	if c.IsSet("fetch-interval") {
		every = c.Duration("fetch-interval")
	}
	if every <= 0 {
		every = defaultFetchInterval
	}
	if a.repo == nil {
		return nil, 0, configErrorf("--remote %s: %s is not inside a git repository (run the central watcher in a clone, bare or not)", name, a.dir)
	}
	if a.repo.Top == a.repo.GitDir && !mailboxSet(a.cfg.Path()) {
		return nil, 0, configErrorf("--remote %s: in a bare repository the configuration comes from --config and must set mailbox:", name)
	}
	v, err := drafts.NewValidator(a.cfg.ForDrafts())
	if err != nil {
		return nil, 0, err
	}
	mb, err := a.mailbox(true)
	if err != nil {
		return nil, 0, err
	}
	cen, err := central.New(central.Config{Repo: a.repo, Remote: name, Mailbox: mb, Validator: v,
		Patterns: a.cfg.Patterns(), Logger: logger, Now: a.now})
	if err != nil {
		return nil, 0, err
	}
	a.fetch = func(ctx context.Context) (int, int, error) {
		res, err := cen.Fetch(ctx)
		return res.Delivered, res.Invalid, err
	}
	return cen, every, nil
}

// withCentral runs the watcher (run) with central mode's fetch loop beside it, and waits for both.
func withCentral(ctx context.Context, cen *central.Central, every time.Duration, run func(context.Context) error) error {
	if cen == nil {
		return run(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		cen.Run(ctx, every)
	}()
	err := run(ctx)
	cancel()
	wg.Wait()
	return err
}

// mailboxSet reports whether the configuration file at path sets mailbox: itself.
func mailboxSet(path string) bool {
	if path == "" {
		return false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var top struct {
		Mailbox *string `yaml:"mailbox"`
	}
	return yaml.NewDecoder(bytes.NewReader(data)).Decode(&top) == nil && top.Mailbox != nil && *top.Mailbox != ""
}

// serviceArgs are the watch arguments a printed service unit repeats: central mode and the
// configuration file, which a bare clone needs.
func (a *app) serviceArgs(c *cli.Context) []string {
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
	return args
}
