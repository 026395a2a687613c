// Package mailbox is courier's on-disk protocol: the message file format (YAML frontmatter + body), the
// mailbox layout, atomic writes, the seal, and the state transitions between outbound, the watcher's
// claims, archive and dead-letter. It knows nothing about providers.
package mailbox

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// ErrPermanent marks a failure that retrying cannot fix (bad credentials, invalid payload, unknown
// recipient). Senders wrap it; the watcher dead-letters such messages at once.
var ErrPermanent = errors.New("permanent failure")

// Status is the lifecycle status recorded in a message file.
type Status string

// The statuses (docs/protocol.md, "States").
const (
	StatusPending Status = "pending"
	StatusSending Status = "sending"
	StatusSent    Status = "sent"
	StatusFailed  Status = "failed"
)

// Content types (docs/protocol.md, "Fields").
const (
	ContentText     = "text"
	ContentMarkdown = "markdown"
	ContentCard     = "card"
	ContentHTML     = "html"
)

// Session is the conversation a message belongs to.
type Session struct {
	ID        string `yaml:"id,omitempty" json:"id,omitempty"`
	Type      string `yaml:"type,omitempty" json:"type,omitempty"`
	Name      string `yaml:"name,omitempty" json:"name,omitempty"`
	ThreadKey string `yaml:"thread_key,omitempty" json:"thread_key,omitempty"`
}

// Participant is one person or bot in a conversation.
type Participant struct {
	ID         string `yaml:"id,omitempty" json:"id,omitempty"`
	Name       string `yaml:"name,omitempty" json:"name,omitempty"`
	Email      string `yaml:"email,omitempty" json:"email,omitempty"`
	PlatformID string `yaml:"platform_id,omitempty" json:"platform_id,omitempty"`
	Role       string `yaml:"role,omitempty" json:"role,omitempty"`
	Avatar     string `yaml:"avatar,omitempty" json:"avatar,omitempty"`
}

// Participants is the full form of who a message is from and to.
type Participants struct {
	From     *Participant  `yaml:"from,omitempty" json:"from,omitempty"`
	To       []Participant `yaml:"to,omitempty" json:"to,omitempty"`
	Cc       []Participant `yaml:"cc,omitempty" json:"cc,omitempty"`
	Bcc      []Participant `yaml:"bcc,omitempty" json:"bcc,omitempty"`
	Mentions []Participant `yaml:"mentions,omitempty" json:"mentions,omitempty"`
}

// Mention is an IM @-mention: Type is user, all, channel or role.
type Mention struct {
	Type   string `yaml:"type" json:"type"`
	Target string `yaml:"target,omitempty" json:"target,omitempty"`
	Name   string `yaml:"name,omitempty" json:"name,omitempty"`
	Offset *int   `yaml:"offset,omitempty" json:"offset,omitempty"`
}

// Options are per-message delivery options.
type Options struct {
	Silent     bool  `yaml:"silent,omitempty" json:"silent,omitempty"`
	Urgent     bool  `yaml:"urgent,omitempty" json:"urgent,omitempty"`
	ScheduleAt *Time `yaml:"schedule_at,omitempty" json:"schedule_at,omitempty"`
}

// Source records where an outbound message came from.
type Source struct {
	Item      string `yaml:"item,omitempty" json:"item,omitempty"`
	Branch    string `yaml:"branch,omitempty" json:"branch,omitempty"`
	Commit    string `yaml:"commit,omitempty" json:"commit,omitempty"`
	Draft     string `yaml:"draft,omitempty" json:"draft,omitempty"`
	DraftBlob string `yaml:"draft_blob,omitempty" json:"draft_blob,omitempty"`
}

// Attempt is one send attempt as the watcher recorded it. Attempts are history: they survive a
// `courier retry`, which resets retry_count.
type Attempt struct {
	At      Time   `yaml:"at" json:"at"`
	Outcome string `yaml:"outcome" json:"outcome"` // sent, transient, rate_limited, permanent, released, requeued
	Error   string `yaml:"error,omitempty" json:"error,omitempty"`
}

// Message is one message file: the frontmatter fields in their canonical order, then the body.
// Fields after Direction are stamped by courier; the watcher (and `courier retry`) updates only the
// watcher-updated fields, Status through Seal, which the seal does not cover.
type Message struct {
	ID            string         `yaml:"id" json:"id"`
	Provider      string         `yaml:"provider" json:"provider"`
	To            []string       `yaml:"to" json:"to"`
	Cc            []string       `yaml:"cc,omitempty" json:"cc,omitempty"`
	Bcc           []string       `yaml:"bcc,omitempty" json:"bcc,omitempty"`
	Subject       string         `yaml:"subject,omitempty" json:"subject,omitempty"`
	ContentType   string         `yaml:"content_type" json:"content_type"`
	ReplyTo       string         `yaml:"reply_to,omitempty" json:"reply_to,omitempty"`
	ThreadKey     string         `yaml:"thread_key,omitempty" json:"thread_key,omitempty"`
	ThreadRoot    string         `yaml:"thread_root,omitempty" json:"thread_root,omitempty"`
	Session       *Session       `yaml:"session,omitempty" json:"session,omitempty"`
	Participants  *Participants  `yaml:"participants,omitempty" json:"participants,omitempty"`
	Mentions      []Mention      `yaml:"mentions,omitempty" json:"mentions,omitempty"`
	CorrelationID string         `yaml:"correlation_id" json:"correlation_id"`
	Options       *Options       `yaml:"options,omitempty" json:"options,omitempty"`
	Metadata      *MetadataValue `yaml:"metadata,omitempty" json:"metadata,omitempty"`

	Direction string  `yaml:"direction" json:"direction"`
	CreatedAt Time    `yaml:"created_at" json:"created_at"`
	Source    *Source `yaml:"source,omitempty" json:"source,omitempty"`

	// Watcher-updated fields (excluded from the seal).
	Status            Status    `yaml:"status" json:"status"`
	RetryCount        int       `yaml:"retry_count" json:"retry_count"`
	NextRetryAt       *Time     `yaml:"next_retry_at" json:"next_retry_at"`
	SentAt            *Time     `yaml:"sent_at" json:"sent_at"`
	FailedAt          *Time     `yaml:"failed_at,omitempty" json:"failed_at,omitempty"`
	ErrorMessage      *string   `yaml:"error_message" json:"error_message"`
	ProviderMessageID string    `yaml:"provider_message_id,omitempty" json:"provider_message_id,omitempty"`
	DueSince          *Time     `yaml:"due_since,omitempty" json:"due_since,omitempty"`
	Attempts          []Attempt `yaml:"attempts,omitempty" json:"attempts,omitempty"`

	Seal string `yaml:"seal,omitempty" json:"-"`

	// Body is the message content after the frontmatter, byte for byte.
	Body string `yaml:"-" json:"-"`
}

// Due reports when m may next be sent: next_retry_at, else schedule_at, else now (zero time).
func (m *Message) Due() time.Time {
	if m.NextRetryAt != nil {
		return m.NextRetryAt.Time
	}
	if m.Options != nil && m.Options.ScheduleAt != nil {
		return m.Options.ScheduleAt.Time
	}
	return time.Time{}
}

// FirstDue is when m first became due: due_since (restarted by `courier retry`), else schedule_at,
// else created_at. max_age counts from here.
func (m *Message) FirstDue() time.Time {
	if m.DueSince != nil {
		return m.DueSince.Time
	}
	if m.Options != nil && m.Options.ScheduleAt != nil {
		return m.Options.ScheduleAt.Time
	}
	return m.CreatedAt.Time
}

// Bounds on what the watcher adds to a message file. A message file must stay readable (its
// frontmatter within MaxMessageFrontmatter) however long it is retried: rate-limited answers do not
// count against max_attempts, so a message throttled every minute for a 24h max_age would otherwise
// record 1440 attempts. AddAttempt keeps the first attempt and the KeptAttempts-1 most recent ones, and
// cuts each attempt's error to MaxAttemptError bytes; SetError cuts error_message to MaxErrorMessage
// bytes. The watcher fields thus stay under about 30 KiB.
const (
	KeptAttempts    = 20
	MaxAttemptError = 1 << 10
	MaxErrorMessage = 4 << 10
)

// AddAttempt appends a to the attempts history within the bounds above (dropping the oldest but the
// first when the history is full).
func (m *Message) AddAttempt(a Attempt) {
	a.Error = truncate(a.Error, MaxAttemptError)
	m.Attempts = append(m.Attempts, a)
	if n := len(m.Attempts); n > KeptAttempts {
		m.Attempts = append(m.Attempts[:1], m.Attempts[n-KeptAttempts+1:]...)
	}
}

// truncate cuts s to at most n bytes at a rune boundary, marking the cut with "…". Invalid UTF-8
// (a provider's answer in another encoding) becomes U+FFFD, so the file keeps readable text rather
// than a YAML !!binary value.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// LastError is error_message, or "" when it is null.
func (m *Message) LastError() string {
	if m.ErrorMessage == nil {
		return ""
	}
	return *m.ErrorMessage
}

// SetError sets error_message, cut to MaxErrorMessage bytes; "" sets it to null.
func (m *Message) SetError(s string) {
	if s == "" {
		m.ErrorMessage = nil
		return
	}
	s = truncate(s, MaxErrorMessage)
	m.ErrorMessage = &s
}

// Time is a timestamp that is always written as RFC 3339 UTC with a Z suffix and millisecond
// precision (2026-02-07T15:02:32.123Z) and reads any RFC 3339 offset.
type Time struct{ time.Time }

// TimeFormat is the one timestamp format courier writes.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// At wraps t as a Time in UTC.
func At(t time.Time) Time { return Time{t.UTC()} }

// Ptr returns a pointer to At(t).
func Ptr(t time.Time) *Time { v := At(t); return &v }

// ParseTime parses an RFC 3339 timestamp with any offset and returns it in UTC.
func ParseTime(s string) (Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp", s)
	}
	return At(t), nil
}

// String formats t in TimeFormat.
func (t Time) String() string { return t.UTC().Format(TimeFormat) }

// MarshalYAML writes the canonical string form.
func (t Time) MarshalYAML() (any, error) { return t.String(), nil }

// UnmarshalYAML reads any RFC 3339 timestamp.
func (t *Time) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a timestamp", n.Line)
	}
	v, err := ParseTime(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*t = v
	return nil
}

// MarshalJSON writes the canonical string form.
func (t Time) MarshalJSON() ([]byte, error) { return []byte(`"` + t.String() + `"`), nil }
