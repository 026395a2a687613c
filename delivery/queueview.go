package delivery

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/monoco/courier/delivery/mailbox"
)

// States lists the state names in the order `courier queue` and `courier status` report them.
func States() []string { return []string{StatePending, StateSending, StateFailed, StateSent} }

// ItemMessages returns the ids of the messages stamped for work item, by state; every state is
// present.
func ItemMessages(mb *mailbox.Mailbox, item string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, s := range States() {
		out[s] = []string{}
	}
	items, err := ListQueue(mb, QueueFilter{All: true})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if m, err := mailbox.Read(it.Path); err == nil && m.Source != nil && m.Source.Item == item {
			out[it.State] = append(out[it.State], it.ID)
		}
	}
	return out, nil
}

// PrintQueue prints the queue as a table, one message a line. ATTEMPTS counts the attempts in each
// message's history; every field is escaped for the terminal.
func PrintQueue(w io.Writer, items []QueueItem) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPROVIDER\tSTATE\tTO\tATTEMPTS\tDUE\tLAST ERROR")
	for _, it := range items {
		due := "now"
		if it.NextRetryAt != nil {
			due = it.NextRetryAt.String()
		}
		if it.State != StatePending {
			due = "-"
		}
		errMsg := ""
		if it.ErrorMessage != nil {
			errMsg = truncate(*it.ErrorMessage, 60)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", Escape(it.ID, false), Escape(it.Provider, false), it.State,
			truncate(strings.Join(it.To, ","), 30), it.Attempts, due, errMsg)
	}
	return tw.Flush()
}

// WriteQueue prints items as PrintQueue does or, when there are none, that the queue is empty,
// naming the mailbox root when nothing is there yet (most likely the wrong directory).
func WriteQueue(w io.Writer, items []QueueItem, root string) error {
	if len(items) > 0 {
		return PrintQueue(w, items)
	}
	if _, err := os.Stat(root); err != nil {
		_, err = fmt.Fprintf(w, "queue is empty (no mailbox at %s yet)\n", root)
		return err
	}
	_, err := fmt.Fprintln(w, "queue is empty")
	return err
}

// String is the summary `courier watch --once` prints.
func (s Summary) String() string {
	return fmt.Sprintf("sent %d, deferred %d, dead-lettered %d", s.Sent, s.Deferred, s.DeadLettered)
}

// Shown is one message as `courier show --json` prints it (README.md, "JSON output"): its frontmatter
// fields, then state, path (in the mailbox) and body.
type Shown struct {
	*mailbox.Message
	State string `json:"state"`
	Path  string `json:"path"`
	Body  string `json:"body"`
}

// Show reads the message of e; path is its place in the mailbox.
func Show(e mailbox.Entry, path string) (*Shown, error) {
	m, err := mailbox.Read(e.Path)
	if err != nil {
		return nil, err
	}
	return &Shown{m, StateOf(e), path, m.Body}, nil
}

// ShowText writes the message file of e to out escaped for a terminal (newlines and tabs kept), and
// its place in the mailbox (path) and state to info.
func ShowText(out, info io.Writer, e mailbox.Entry, path string) error {
	data, err := os.ReadFile(e.Path)
	if err != nil {
		return err
	}
	fmt.Fprintf(info, "# %s (%s)\n", path, StateOf(e))
	_, err = io.WriteString(out, Escape(string(data), true))
	return err
}

// Escape makes s safe to print on a terminal: C0 and C1 control characters (ESC, CR, BEL, the
// bytes of OSC sequences…) and invalid UTF-8 are written as Go escapes (\x1b, \r, \u009b). With
// layout, newlines and tabs are kept.
func Escape(s string, layout bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && strings.HasPrefix(s[i:], "\xef\xbf\xbd"):
			b.WriteRune(r) // a real U+FFFD
		case r == utf8.RuneError:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case layout && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// truncate puts s on one line of at most n characters, escaped for the terminal.
func truncate(s string, n int) string {
	s = Escape(strings.ReplaceAll(s, "\n", " "), false)
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// Queued reports which providers have messages in mb's outbound now; an unreadable or missing
// mailbox (nil) has none.
func Queued(mb *mailbox.Mailbox) func(provider string) bool {
	queued := map[string]bool{}
	if mb != nil {
		entries, _ := mb.List(mailbox.Outbound) // unreadable: nothing is known to be needed
		for _, e := range entries {
			queued[e.Provider] = true
		}
	}
	return func(p string) bool { return queued[p] }
}
