package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
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

// demo wires the courier steps of package demo: init, hooks install, the mailbox and one watcher
// pass, each in the demo repository with none of the caller's COURIER_* settings.
func (a *app) demo(ctx context.Context, dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	} else if dir != "" {
		dir = absFrom(a.dir, dir)
	}
	d := &app{stdin: a.stdin, stdout: a.stdout, stderr: a.stderr, now: a.now, getenv: func(k string) string {
		if strings.HasPrefix(k, "COURIER_") {
			return ""
		}
		return a.getenv(k)
	}}
	err = demo.Run(ctx, dir, a.stdout, demo.Steps{
		Init: func(dir string) ([]string, error) { d.dir = dir; return d.initRepo() }, // loads d's repository
		Install: func(string) (string, error) {
			_, err := hooks.Install(d.repo, hooks.InstallOptions{Binary: exe})
			return d.repo.HooksDir, err
		},
		Mailbox: func(string) (*mailbox.Mailbox, string, error) {
			mb, err := d.mailbox(true)
			return mb, d.root, err
		},
		Once: func(ctx context.Context, _ string) (int, int, int, error) {
			logger, _ := delivery.NewLogger(a.stderr, "text", slog.LevelWarn)
			w, _, _, err := d.buildWatcher(logger, d.cfg.Watch.Interval.Duration, "", true)
			if err != nil {
				return 0, 0, 0, err
			}
			sum, err := w.Once(ctx)
			return sum.Sent, sum.Deferred, sum.DeadLettered, err
		},
	})
	if errors.Is(err, demo.ErrDirExists) {
		return usageErrorf("--dir %v", err)
	}
	return err
}
