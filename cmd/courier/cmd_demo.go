package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/delivery"
	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/demo"
	"github.com/monoco/courier/hooks"
)

func (a *app) demoCmd() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run the whole loop in a throwaway repository with the built-in file provider",
		Description: "Creates a temporary git repository, runs init, installs the hooks, commits a draft on branch\n" +
			"FEAT-0001-demo (the hooks validate and enqueue it), runs the watcher once and prints where the sent\n" +
			"message and its archive record are. Needs git; no network, configuration or git identity.",
		Flags:  []cli.Flag{&cli.StringFlag{Name: "dir", Usage: "create the demo repository in `DIR` (must not exist) instead of a temporary directory"}},
		Action: func(c *cli.Context) error { return a.demo(c.Context, c.String("dir")) },
	}
}

// demo wires the courier steps of package demo: init, hooks install and one watcher pass, each in
// the demo repository with none of the caller's COURIER_* settings.
func (a *app) demo(ctx context.Context, dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if dir != "" {
		dir = absFrom(a.dir, dir)
	}
	sub := func(dir string) *app {
		return &app{stdin: a.stdin, stdout: a.stdout, stderr: a.stderr, now: a.now, dir: dir,
			getenv: func(k string) string {
				if strings.HasPrefix(k, "COURIER_") {
					return ""
				}
				return a.getenv(k)
			}}
	}
	err = demo.Run(ctx, dir, a.stdout, demo.Steps{
		Init: func(dir string) ([]string, error) { return sub(dir).initRepo() },
		Install: func(dir string) (string, error) {
			r, err := hooks.Open(dir)
			if err != nil {
				return "", err
			}
			_, err = hooks.Install(r, hooks.InstallOptions{Binary: exe})
			return r.HooksDir, err
		},
		Send: func(ctx context.Context, dir string, say func(string, ...any)) error {
			return sub(dir).demoSend(ctx, say)
		},
	})
	if errors.Is(err, demo.ErrDirExists) {
		return usageErrorf("--dir %v", err)
	}
	return err
}

// demoSend checks that the hook enqueued one message, sends it with one watcher pass and says where
// it went.
func (a *app) demoSend(ctx context.Context, say func(string, ...any)) error {
	if err := a.load(true); err != nil {
		return err
	}
	mb, err := a.mailbox(true)
	if err != nil {
		return err
	}
	queued, err := mb.List(mailbox.Outbound)
	if err != nil {
		return err
	}
	if len(queued) != 1 {
		return fmt.Errorf("demo: the post-commit hook enqueued %d messages, want 1", len(queued))
	}
	say("enqueued %s", relPath(a.dir, queued[0].Path))
	logger, _ := delivery.NewLogger(a.stderr, "text", slog.LevelWarn)
	w, _, _, err := a.buildWatcher(logger, a.cfg.Watch.Interval.Duration, "", true)
	if err != nil {
		return err
	}
	sum, err := w.Once(ctx)
	if err != nil {
		return err
	}
	if sum.Sent != 1 {
		return fmt.Errorf("demo: the watcher sent %d messages (deferred %d, dead-lettered %d), want 1", sum.Sent, sum.Deferred, sum.DeadLettered)
	}
	id := queued[0].ID()
	e, err := mb.Find(id)
	if err != nil {
		return err
	}
	say("sent through the file provider: %s", filepath.Join(a.root, ".monoco", "outbox-local", id+".md"))
	say("archive record: %s", e.Path)
	say("inspect with: courier -C %s queue --all; courier -C %s show %s", a.dir, a.dir, id)
	return nil
}
