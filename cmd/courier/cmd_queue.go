package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/delivery"
	"github.com/monoco/courier/delivery/mailbox"
)

var queueStates = []string{"pending", "sending", "failed", "sent"}

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
	if st != "" && !contains(queueStates, st) {
		return usageErrorf("--state %s: want one of %s", st, strings.Join(queueStates, ", "))
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
		return printQueue(a.stdout, items)
	}
	if _, err := os.Stat(mb.Root); err != nil {
		// Most likely the wrong directory: say which mailbox was looked at.
		fmt.Fprintf(a.stdout, "queue is empty (no mailbox at %s yet)\n", mb.Root)
		return nil //nolint:nilerr // no mailbox is an empty queue, not an error
	}
	fmt.Fprintln(a.stdout, "queue is empty")
	return nil
}

// printQueue prints the queue as a table, one message a line. ATTEMPTS counts the attempts in each
// message's history; every field is escaped for the terminal.
func printQueue(w io.Writer, items []delivery.QueueItem) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPROVIDER\tSTATE\tTO\tATTEMPTS\tDUE\tLAST ERROR")
	for _, it := range items {
		due := "now"
		if it.NextRetryAt != nil {
			due = it.NextRetryAt.String()
		}
		if it.State != "pending" {
			due = "-"
		}
		errMsg := ""
		if it.ErrorMessage != nil {
			errMsg = truncate(*it.ErrorMessage, 60)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", escape(it.ID, false), escape(it.Provider, false), it.State,
			truncate(strings.Join(it.To, ","), 30), it.Attempts, due, errMsg)
	}
	return tw.Flush()
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
				return showJSON(a.stdout, e, relPath(mb.Root, e.Path))
			}
			data, err := os.ReadFile(e.Path)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "# %s (%s)\n", relPath(mb.Root, e.Path), delivery.StateOf(e))
			_, err = io.WriteString(a.stdout, escape(string(data), true))
			return err
		},
	}
}

// showJSON prints one message as `show --json` does (README.md, "JSON output"): its frontmatter
// fields, then state, path (in the mailbox) and body.
func showJSON(w io.Writer, e mailbox.Entry, path string) error {
	m, err := mailbox.Read(e.Path)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		*mailbox.Message
		State string `json:"state"`
		Path  string `json:"path"`
		Body  string `json:"body"`
	}{m, delivery.StateOf(e), path, m.Body})
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
	if !write {
		return a.readMailbox()
	}
	return a.mailbox()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// truncate puts s on one line of at most n characters, escaped for the terminal.
func truncate(s string, n int) string {
	s = escape(strings.ReplaceAll(s, "\n", " "), false)
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
