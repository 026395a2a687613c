package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/delivery"
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
		Action: func(c *cli.Context) error {
			if st := c.String("state"); st != "" && !contains(delivery.States(), st) {
				return usageErrorf("--state %s: want one of %s", st, strings.Join(delivery.States(), ", "))
			}
			mb, err := a.openMailbox(false)
			if err == nil {
				err = a.checkProvider(c.String("provider"), false)
			}
			if err != nil {
				return err
			}
			items, err := delivery.ListQueue(mb, delivery.QueueFilter{Provider: c.String("provider"), State: c.String("state"), All: c.Bool("all")})
			if err != nil || c.Bool("json") {
				return a.printJSON(map[string]any{"messages": items}, err)
			}
			return delivery.WriteQueue(a.stdout, items, mb.Root)
		},
	}
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
			rel := relPath(mb.Root, e.Path)
			if c.Bool("json") {
				return a.printJSON(delivery.Show(e, rel))
			}
			return delivery.ShowText(a.stdout, a.stderr, e, rel)
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
			if err == nil {
				err = a.checkProvider(c.String("provider"), false)
			}
			if err != nil {
				return err
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
