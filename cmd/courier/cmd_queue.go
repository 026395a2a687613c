package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/delivery"
	"github.com/monoco/courier/delivery/mailbox"
)

func (a *app) queueCmd() *cli.Command {
	return &cli.Command{
		Name:  "queue",
		Usage: "list queued, in-flight and dead-lettered messages (--all adds sent ones)",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: `print {"messages": [...]} on stdout`},
			&cli.StringFlag{Name: "provider", Usage: "only messages of provider `P`"},
			&cli.StringFlag{Name: "state", Usage: "only messages in `STATE`: pending, sending, failed or sent"},
			&cli.BoolFlag{Name: "all", Usage: "include sent (archived) messages"},
		},
		Action: a.queue,
	}
}

func (a *app) queue(c *cli.Context) error {
	st := c.String("state")
	if st != "" && !contains(delivery.States(), st) {
		return usageErrorf("--state %s: want one of %s", st, strings.Join(delivery.States(), ", "))
	}
	mb, err := a.openMailbox(false)
	if err != nil {
		return err
	}
	if err := a.cfg.CheckProvider(c.String("provider"), false); err != nil {
		return usageErrorf("--provider: %v", err)
	}
	items, err := delivery.ListQueue(mb, delivery.QueueFilter{Provider: c.String("provider"), State: st, All: c.Bool("all")})
	switch {
	case err != nil:
		return err
	case c.Bool("json"):
		return writeJSON(a.stdout, map[string]any{"messages": items})
	case len(items) > 0:
		return delivery.PrintQueue(a.stdout, items)
	}
	if _, err := os.Stat(mb.Root); err != nil {
		// Most likely the wrong directory: say which mailbox was looked at.
		fmt.Fprintf(a.stdout, "queue is empty (no mailbox at %s yet)\n", mb.Root)
		return nil //nolint:nilerr // no mailbox is an empty queue, not an error
	}
	fmt.Fprintln(a.stdout, "queue is empty")
	return nil
}

func (a *app) showCmd() *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "print one message file from any state (ID or its last 12 hex digits)",
		ArgsUsage: "ID",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the message as JSON on stdout"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("show takes exactly one message ID")
			}
			mb, err := a.openMailbox(false)
			if err != nil {
				return err
			}
			e, err := mb.Find(c.Args().First())
			if err != nil {
				return err
			}
			if c.Bool("json") {
				m, err := delivery.Show(e, relPath(mb.Root, e.Path))
				if err != nil {
					return err
				}
				return writeJSON(a.stdout, m)
			}
			data, err := os.ReadFile(e.Path)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "# %s (%s)\n", relPath(mb.Root, e.Path), delivery.StateOf(e))
			_, err = io.WriteString(a.stdout, delivery.Escape(string(data), true))
			return err
		},
	}
}

func (a *app) retryCmd() *cli.Command {
	return &cli.Command{
		Name:      "retry",
		Usage:     "move dead-lettered messages back to outbound with attempts reset (history kept)",
		ArgsUsage: "ID... | --dead [--provider P]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dead", Usage: "retry every dead-lettered message"},
			&cli.StringFlag{Name: "provider", Usage: "with --dead: only provider `P`"},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("dead") == (c.NArg() > 0) {
				return usageErrorf("retry takes message IDs or --dead, not both or neither")
			}
			mb, err := a.openMailbox(true)
			if err != nil {
				return err
			}
			if err := a.cfg.CheckProvider(c.String("provider"), false); err != nil {
				return usageErrorf("--provider: %v", err)
			}
			var ids []string
			if c.Bool("dead") {
				ids, err = delivery.RetryDead(mb, c.String("provider"), a.now())
			} else {
				ids, err = delivery.Retry(mb, c.Args().Slice(), a.now())
			}
			for _, id := range ids {
				fmt.Fprintf(a.stdout, "requeued %s\n", id)
			}
			return err
		},
	}
}

// openMailbox opens the configured mailbox (a repository is not required), creating its layout only
// for a command that writes to it.
func (a *app) openMailbox(write bool) (*mailbox.Mailbox, error) {
	if err := a.load(false); err != nil {
		return nil, err
	}
	return a.mailbox(write)
}

// contains reports whether list holds s.
func contains(list []string, s string) bool { return slices.Contains(list, s) }
