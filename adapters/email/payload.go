package email

import (
	"bytes"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// MaxBodyBytes is the largest body Check accepts. Servers announce their own limit with the
// SIZE extension (commonly 10–35 MB); Send checks that too.
const MaxBodyBytes = 10 << 20

// maxHeaderChars is RFC 5322's hard line limit; a header value longer than this is refused.
const maxHeaderChars = 998

// renderHTML renders CommonMark + GFM (tables, strikethrough, autolinks) to HTML. Raw HTML inside
// the Markdown is omitted, not passed through.
func renderHTML(md string) (string, error) {
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &out); err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	return out.String(), nil
}

// Check rejects, before enqueue, what this adapter cannot send: content types other than text,
// markdown and html; bodies over MaxBodyBytes; header fields that would break the header block;
// recipients that are not addresses or are too long for SMTP (limits.go).
func Check(m *mailbox.Message) error {
	switch m.ContentType {
	case "", mailbox.ContentText, mailbox.ContentMarkdown, mailbox.ContentHTML:
	default:
		return &adapters.CheckError{Field: "content_type",
			Msg: fmt.Sprintf("email cannot send %q (use text, markdown or html)", m.ContentType)}
	}
	if len(m.Body) > MaxBodyBytes {
		return &adapters.CheckError{Field: "body",
			Msg: fmt.Sprintf("%d bytes is more than the email limit of %d bytes", len(m.Body), MaxBodyBytes)}
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return &adapters.CheckError{Field: "subject", Msg: "must be a single line"}
	}
	if len(m.Subject) > maxHeaderChars {
		return &adapters.CheckError{Field: "subject",
			Msg: fmt.Sprintf("%d characters is more than %d", len(m.Subject), maxHeaderChars)}
	}
	for _, f := range []struct{ name, v string }{{"reply_to", m.ReplyTo}, {"thread_root", m.ThreadRoot}} {
		if strings.ContainsAny(strings.TrimSpace(f.v), " \t\r\n") {
			return &adapters.CheckError{Field: f.name, Msg: "an email Message-ID has no spaces or line breaks"}
		}
	}
	if len(m.To)+len(m.Cc)+len(m.Bcc) == 0 {
		return &adapters.CheckError{Field: "to", Msg: "email needs at least one recipient"}
	}
	for _, l := range []struct {
		name string
		list []string
	}{{"to", m.To}, {"cc", m.Cc}, {"bcc", m.Bcc}} {
		for _, a := range l.list {
			if _, err := mail.ParseAddress(a); err != nil {
				return &adapters.CheckError{Field: l.name, Msg: fmt.Sprintf("%q is not an email address", a)}
			}
		}
	}
	return checkLimits(m)
}

// MessageID is the Message-ID header for m: the courier message id at the From address's
// domain, e.g. <out_email_0123456789ab@example.com>. It depends only on m.ID and the From
// address, so every retry of a message carries the same Message-ID.
func MessageID(id string, from *mail.Address) string {
	domain := "courier"
	if at := strings.LastIndex(from.Address, "@"); at >= 0 && at < len(from.Address)-1 {
		domain = from.Address[at+1:]
	}
	return "<" + msgIDPart(id) + "@" + msgIDPart(domain) + ">"
}

// msgIDPart keeps the characters a msg-id's dot-atom allows and replaces the rest.
func msgIDPart(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("._-+=", r):
			return r
		}
		return '_'
	}, s)
}

// angle returns a message id in angle brackets: as-is when it has them, else wrapped.
func angle(id string) string {
	id = strings.TrimSpace(id)
	if strings.HasPrefix(id, "<") && strings.HasSuffix(id, ">") {
		return id
	}
	return "<" + id + ">"
}

// envelope is one SMTP transaction: sender, every recipient (To, Cc and Bcc), and the message.
type envelope struct {
	from  string
	rcpts []string
	msg   *gomail.Msg
}

// compose builds the MIME message for m. Bcc recipients go into the envelope only.
func compose(m *mailbox.Message, from *mail.Address, now time.Time) (*envelope, error) {
	if err := Check(m); err != nil {
		return nil, err
	}
	if m.ID == "" {
		return nil, fmt.Errorf("message has no id")
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(from)
	env := &envelope{from: from.Address, msg: msg}
	for _, l := range []struct {
		list []string
		set  func(...*mail.Address)
	}{{m.To, msg.ToMailAddress}, {m.Cc, msg.CcMailAddress}, {m.Bcc, nil}} {
		var addrs []*mail.Address
		for _, raw := range l.list {
			a, err := mail.ParseAddress(raw)
			if err != nil {
				return nil, fmt.Errorf("%q is not an email address", raw)
			}
			addrs = append(addrs, a)
			env.rcpts = append(env.rcpts, a.Address)
		}
		if l.set != nil && len(addrs) > 0 {
			l.set(addrs...)
		}
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(now)
	msg.SetMessageIDWithValue(strings.Trim(MessageID(m.ID, from), "<>"))
	var refs []string
	if m.ThreadRoot != "" {
		refs = append(refs, angle(m.ThreadRoot))
	}
	if m.ReplyTo != "" {
		msg.SetGenHeader(gomail.HeaderInReplyTo, angle(m.ReplyTo))
		if r := angle(m.ReplyTo); len(refs) == 0 || refs[0] != r {
			refs = append(refs, r)
		}
	}
	if len(refs) > 0 {
		msg.SetGenHeader(gomail.HeaderReferences, strings.Join(refs, " "))
	}
	msg.SetGenHeader(gomail.HeaderXMailer, "courier")

	switch m.ContentType {
	case mailbox.ContentMarkdown:
		html, err := renderHTML(m.Body)
		if err != nil {
			return nil, err
		}
		msg.SetBodyString(gomail.TypeTextPlain, m.Body)
		msg.AddAlternativeString(gomail.TypeTextHTML, html)
	case mailbox.ContentHTML:
		msg.SetBodyString(gomail.TypeTextPlain, plainFromHTML(m.Body))
		msg.AddAlternativeString(gomail.TypeTextHTML, m.Body)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	}
	return env, nil
}
